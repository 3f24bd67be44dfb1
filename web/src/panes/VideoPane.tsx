import { useCallback, useEffect, useMemo, useRef, useState, type RefObject } from "react";

import { mediaUrl } from "../app/api";
import { useLoad } from "../app/useLoad";
import type { FrameTable } from "../clock/frames";
import type { Fraction } from "../clock/fraction";
import type { SampleTimeline } from "../clock/timeline";
import "../player/player.css";
import { loadFrameTable } from "../player/loaders";
import { shapeAt } from "../player/tracks";
import { useClockListener, useMediaSync } from "../player/usePlayback";
import { labelColour } from "../ui/colour";
import { Legend } from "../ui/Legend";
import { useFocus, useWorkspace } from "../workspace/Workspace";
import type { PaneProps } from "./registry";
import type { Annotation } from "./sample";
import { useStreamAnnotations } from "./useStreamAnnotations";

/** A frame's time stamp is read this far (seconds) into the frame, clear of float error. */
const INTO_FRAME = 1e-4;

/** One outline drawn over the video on the frame shown. */
interface Outline {
  readonly annotation: Annotation;
  readonly points: readonly (readonly [number, number])[];
  /** Drawn on its own frame or a track's key frame (solid), else interpolated (dashed). */
  readonly key: boolean;
}

/**
 * A video stream on the master clock, seeked frame-exactly while paused, with the boxes
 * and polygons of the frame on screen drawn over it: those drawn on that frame and the
 * tracks' shapes, key frames solid with a corner mark, interpolated ones dashed. The frame
 * is the one the browser presents (`requestVideoFrameCallback`). Its sound is off when the
 * sample has an audio stream of its own. For tests the root carries `data-frame` and
 * `data-time` (the sample time of the element's position).
 */
export function VideoPane({ stream }: PaneProps) {
  const { sample, timeline } = useWorkspace();
  const root = useRef<HTMLDivElement>(null);
  const video = useRef<HTMLVideoElement>(null);
  const frames = useLoad((signal) => loadFrameTable(stream.id, signal), [stream.id]);
  const table = frames.state === "done" ? frames.data : null;
  const duration = stream.media?.duration ?? null;
  useMediaSync(video, { streamId: stream.id, kind: "video", frames: table, duration });

  const frame = usePresentedFrame(video, timeline, stream.id, table);
  const annotations = useStreamAnnotations(stream.id);
  const outlines = useMemo(() => (frame === null ? [] : outlinesOn(annotations, frame)), [annotations, frame]);
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

  const { width, height } = stream.media ?? {};
  const shapes = annotations.filter(({ geometry }) => ["box", "polygon", "track"].includes(geometry.type));
  return (
    <div ref={root} className="player player-video" data-frame={frame ?? ""}>
      <div className="video-frame" style={{ aspectRatio: width && height ? `${width} / ${height}` : "16 / 9" }}>
        <video ref={video} src={mediaUrl(stream.id)} preload="metadata" muted={muted} playsInline />
        {width != null && height != null && <Overlay outlines={outlines} width={width} height={height} />}
      </div>
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
          {frame === null ? "no frame" : `frame ${frame}`} · {outlines.length} shown
        </span>
      </div>
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

/** The boxes, polygons and track shapes to draw on `frame` (a box or polygon without a
 * frame is drawn on every one). */
function outlinesOn(annotations: readonly Annotation[], frame: number): Outline[] {
  return annotations.flatMap((annotation): Outline[] => {
    const { geometry } = annotation;
    if (geometry.type === "box" && (geometry.frame == null || geometry.frame === frame)) {
      return [{ annotation, points: rectangle(geometry.x, geometry.y, geometry.w, geometry.h), key: true }];
    }
    if (geometry.type === "polygon" && (geometry.frame == null || geometry.frame === frame)) {
      return [{ annotation, points: geometry.points, key: true }];
    }
    if (geometry.type !== "track") return [];
    const shape = shapeAt(geometry, frame);
    if (shape === null || shape.type === "cuboid") return [];
    const points = shape.type === "box" ? rectangle(shape.x, shape.y, shape.w, shape.h) : shape.points;
    return [{ annotation, points, key: shape.key }];
  });
}

function rectangle(x: number, y: number, w: number, h: number): [number, number][] {
  return [
    [x, y],
    [x + w, y],
    [x + w, y + h],
    [x, y + h],
  ];
}

/** The outlines in the video's pixel coordinates, scaled with the element. */
function Overlay({ outlines, width, height }: { outlines: readonly Outline[]; width: number; height: number }) {
  const select = useFocus((state) => state.select);
  const hover = useFocus((state) => state.hover);
  const selected = useFocus((state) => state.selected);
  const hovered = useFocus((state) => state.hovered);
  const stroke = Math.max(width, height) / 200;
  return (
    <svg className="video-overlay" viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="xMidYMid meet">
      {outlines.map(({ annotation, points, key }) => {
        const colour = labelColour(annotation.label);
        const emphasis = selected.includes(annotation.id) ? 2 : hovered.includes(annotation.id) ? 1.5 : 1;
        const [x, y] = points[0] ?? [0, 0];
        return (
          <g
            key={annotation.id}
            data-annotation={annotation.id}
            data-key={key}
            data-selected={selected.includes(annotation.id) || undefined}
          >
            <polygon
              className={key ? "shape key" : "shape interpolated"}
              points={points.map((point) => point.join(",")).join(" ")}
              stroke={colour}
              strokeWidth={stroke * emphasis}
              onClick={(event) => select([annotation.id], event.shiftKey)}
              onMouseEnter={() => hover([annotation.id])}
              onMouseLeave={() => hover([])}
            >
              <title>{`${annotation.label}${key ? " (key frame)" : " (interpolated)"}`}</title>
            </polygon>
            {key && <rect x={x - stroke * 2} y={y - stroke * 2} width={stroke * 4} height={stroke * 4} fill={colour} />}
            <text x={x + stroke * 3} y={y + stroke * 6} stroke={colour} strokeWidth={stroke} paintOrder="stroke">
              {annotation.label}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
