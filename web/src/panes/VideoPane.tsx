import { useCallback, useEffect, useMemo, useRef, useState, type RefObject } from "react";

import { mediaUrl } from "../app/api";
import { useLoad } from "../app/useLoad";
import type { FrameTable } from "../clock/frames";
import type { Fraction } from "../clock/fraction";
import type { SampleTimeline } from "../clock/timeline";
import "../player/player.css";
import type { KeyShape } from "../editing/keyframes";
import { loadFrameTable } from "../player/loaders";
import { shapeAt } from "../player/tracks";
import { useClockListener, useMediaSync } from "../player/usePlayback";
import { Legend } from "../ui/Legend";
import type { Annotation } from "../work/objects";
import { ProposalBusy } from "../editing/ProposalTool";
import { useWorkspace } from "../workspace/Workspace";
import type { PaneProps } from "./registry";
import { useStreamAnnotations } from "./useStreamAnnotations";
import { KeyframeButtons, KeyframeStrip, useKeyframeKeys } from "./VideoKeyframes";
import { VideoOverlay, type Outline } from "./VideoOverlay";

/** A frame's time stamp is read this far (seconds) into the frame, clear of float error. */
const INTO_FRAME = 1e-4;

/**
 * A video stream on the master clock, seeked frame-exactly while paused, with the boxes,
 * polygons and masks of the frame on screen drawn over it: those drawn on that frame and
 * the tracks' shapes, key frames solid with a corner mark, interpolated ones dashed. The frame
 * is the one the browser presents (`requestVideoFrameCallback`), and the one edited: a
 * selected track's box moved or resized there gets a key frame there (`VideoOverlay`), the
 * key-frame keys act there and the strip under the video shows the tracks' key frames
 * (`VideoKeyframes`). Its sound is off when the sample has an audio stream of its own. For
 * tests the root carries `data-frame` and `data-time` (the sample time of the element's
 * position).
 */
export function VideoPane({ stream }: PaneProps) {
  const { sample, timeline, clock } = useWorkspace();
  const root = useRef<HTMLDivElement>(null);
  const video = useRef<HTMLVideoElement>(null);
  const frames = useLoad((signal) => loadFrameTable(stream.id, signal), [stream.id]);
  const table = frames.state === "done" ? frames.data : null;
  const duration = stream.media?.duration ?? null;
  useMediaSync(video, { streamId: stream.id, kind: "video", frames: table, duration });

  const frame = usePresentedFrame(video, timeline, stream.id, table);
  const annotations = useStreamAnnotations(stream.id);
  const outlines = useMemo(() => (frame === null ? [] : outlinesOn(annotations, frame)), [annotations, frame]);
  const masks = useMemo(() => (frame === null ? [] : masksOn(annotations, frame)), [annotations, frame]);
  const tracks = useMemo(() => annotations.filter(({ geometry }) => geometry.type === "track"), [annotations]);
  const count = stream.media?.frame_count ?? table?.count ?? timeline.length(stream.id) ?? 0;
  const hasAudio = (sample.streams ?? []).some((each) => each.modality === "audio");
  const [muted, setMuted] = useState(hasAudio);

  const showPosition = useCallback(
    (_time: Fraction) => {
      const element = video.current;
      if (root.current === null || element === null) return;
      root.current.dataset.time = String(timeline.sampleTime(stream.id, element.currentTime).toNumber());
    },
    [timeline, stream.id],
  );
  useClockListener(showPosition);
  const seek = useCallback(
    (target: number) => {
      clock.pause();
      clock.seek(timeline.timeOf(stream.id, target));
    },
    [clock, timeline, stream.id],
  );
  useKeyframeKeys(stream.id, frame, seek);

  const { width, height } = stream.media ?? {};
  const size = useMemo(() => (width != null && height != null ? { width, height } : null), [width, height]);
  const shapes = annotations.filter(({ geometry }) => ["box", "polygon", "track", "mask"].includes(geometry.type));
  return (
    <div ref={root} className="player player-video" data-frame={frame ?? ""}>
      <div className="video-frame" style={{ aspectRatio: size !== null ? `${size.width} / ${size.height}` : "16 / 9" }}>
        <video ref={video} src={mediaUrl(stream.id)} preload="metadata" muted={muted} playsInline />
        {size !== null && (
          <VideoOverlay streamId={stream.id} outlines={outlines} masks={masks} size={size} frame={frame} />
        )}
      </div>
      <ProposalBusy stream={stream.id} />
      {frames.state === "failed" && (
        <p className="error" role="alert">
          Could not load the frame table: {frames.error.message}
        </p>
      )}
      <div className="player-row">
        <button type="button" className="quiet" aria-pressed={!muted} onClick={() => setMuted(!muted)}>
          {muted ? "Sound off" : "Sound on"}
        </button>
        <span className="muted">
          {frame === null ? "no frame" : `frame ${frame}`} · {outlines.length + masks.length} shown
        </span>
        <KeyframeButtons streamId={stream.id} tracks={tracks} frame={frame} seek={seek} />
      </div>
      <KeyframeStrip tracks={tracks} frame={frame} count={count} seek={seek} />
      <Legend labels={shapes.map((shape) => shape.label)} what="shape" />
    </div>
  );
}

/** The index of the frame the browser shows: from each presented frame's time stamp while
 * playing, and from the element's position after a seek. */
function usePresentedFrame(
  video: RefObject<HTMLVideoElement | null>,
  timeline: SampleTimeline,
  streamId: string,
  table: FrameTable | null,
): number | null {
  const [frame, setFrame] = useState<number | null>(null);
  useEffect(() => {
    const element = video.current;
    if (element === null) return undefined;
    const show = (mediaTime: number): void => {
      const at = mediaTime + INTO_FRAME;
      setFrame(table !== null ? table.frameAt(at) : timeline.indexAt(streamId, timeline.sampleTime(streamId, at)));
    };
    let handle = 0;
    const onFrame = (_now: number, metadata: VideoFrameCallbackMetadata): void => {
      show(metadata.mediaTime);
      handle = element.requestVideoFrameCallback(onFrame);
    };
    handle = element.requestVideoFrameCallback(onFrame);
    const onSeeked = (): void => show(element.currentTime);
    element.addEventListener("seeked", onSeeked);
    element.addEventListener("loadeddata", onSeeked);
    return () => {
      element.cancelVideoFrameCallback(handle);
      element.removeEventListener("seeked", onSeeked);
      element.removeEventListener("loadeddata", onSeeked);
    };
  }, [video, timeline, streamId, table]);
  return frame;
}

/** The masks to draw on `frame` (one without a frame on every one). */
function masksOn(annotations: readonly Annotation[], frame: number): Annotation[] {
  return annotations.filter(
    ({ geometry }) => geometry.type === "mask" && (geometry.frame == null || geometry.frame === frame),
  );
}

/** The boxes, polygons and track shapes to draw on `frame` (a box or polygon without a
 * frame is drawn on every one). */
function outlinesOn(annotations: readonly Annotation[], frame: number): Outline[] {
  return annotations.flatMap((annotation): Outline[] => {
    const { geometry } = annotation;
    if (geometry.type === "box" && (geometry.frame == null || geometry.frame === frame)) {
      const { x, y, w, h } = geometry;
      return [{ annotation, shape: { x, y, w, h }, key: true, track: false }];
    }
    if (geometry.type === "polygon" && (geometry.frame == null || geometry.frame === frame)) {
      return [{ annotation, shape: { points: geometry.points }, key: true, track: false }];
    }
    if (geometry.type !== "track") return [];
    const shape = shapeAt(geometry, frame);
    if (shape === null || shape.type === "cuboid") return [];
    const drawn: KeyShape =
      shape.type === "box" ? { x: shape.x, y: shape.y, w: shape.w, h: shape.h } : { points: shape.points };
    return [{ annotation, shape: drawn, key: shape.key, track: true }];
  });
}
