import { useCallback, useMemo, useRef } from "react";

import { mediaUrl } from "../app/api";
import { useLoad } from "../app/useLoad";
import type { Fraction } from "../clock/fraction";
import { askNewLabel, attempt } from "../editing/commands";
import { useCommandContext, useEditor, useReviewMarks } from "../editing/EditingProvider";
import { isTimed, StreamSegments } from "../editing/segments";
import { useStaleLinks } from "../editing/useWorkViews";
import { placeInSegments, transcripts, wordsAt } from "../player/activeWords";
import { loadWaveform } from "../player/loaders";
import "../player/player.css";
import { useActiveWords } from "../player/useActiveWords";
import { useClockListener, useMediaSync } from "../player/usePlayback";
import { useDragToDraw } from "../player/useDragToDraw";
import { useRegions, type RegionHandlers, type RegionSpec } from "../player/useRegions";
import { DECODE_LIMIT, useWaveform, useZoom, type Waveform } from "../player/useWaveform";
import { ZOOM_STEP } from "../player/zoom";
import { Legend } from "../ui/Legend";
import type { Annotation } from "../work/objects";
import { useFocus, useWorkspace } from "../workspace/Workspace";
import { flagWords, REVIEW_LOOK, signed } from "./flagSigns";
import type { PaneProps } from "./registry";
import { Transcript } from "./Transcript";
import { useReveal } from "./useReveal";
import { useStreamAnnotations } from "./useStreamAnnotations";

/** The id of the region of a new interval waiting for its label (no annotation's: it has a space). */
const PENDING = " pending";

/**
 * An audio stream on the master clock: its waveform (from precomputed peaks) with its
 * intervals and transcript segments as regions, and the transcript below with the word
 * being spoken highlighted. Clicking the waveform or a word seeks the clock; clicking a
 * region selects its annotation. Dragging on the waveform draws a new interval (the label
 * picker names it); a selected region is moved by dragging it and resized by its edges
 * (`editing/segments` keeps the times valid on the stream's clock). The zoom keys and
 * Ctrl+wheel zoom the waveform. For tests the root carries `data-time` (the sample time of
 * the element's position) and `data-word` (the words being spoken at the clock's time),
 * both written on every clock notification, and the waveform `data-regions`, the number
 * of regions it shows, once it is drawn with them.
 */
export function AudioPane({ stream }: PaneProps) {
  const { clock, timeline } = useWorkspace();
  const context = useCommandContext();
  const select = useFocus((state) => state.select);
  const hover = useFocus((state) => state.hover);
  const selected = useFocus((state) => state.selected);
  const hovered = useFocus((state) => state.hovered);
  const root = useRef<HTMLDivElement>(null);
  const audio = useRef<HTMLAudioElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const duration = stream.media?.duration ?? null;
  const annotations = useStreamAnnotations(stream.id);

  useMediaSync(audio, { streamId: stream.id, kind: "audio", duration });
  const peaks = useLoad(
    (signal) => (duration === null ? Promise.resolve(null) : loadWaveform(stream.id, duration, signal)),
    [stream.id, duration],
  );
  const seekMedia = useCallback(
    (seconds: number) => clock.seek(timeline.sampleTime(stream.id, seconds)),
    [clock, timeline, stream.id],
  );
  const waveform = useWaveform(box, audio, {
    peaks: peaks.state === "done" ? peaks.data : peaks.state === "failed" ? null : undefined,
    duration,
    onSeek: seekMedia,
  });
  const zoom = useZoom(waveform, box);

  const segments = useMemo(
    () => (duration === null ? null : new StreamSegments(timeline, stream.id, duration)),
    [timeline, stream.id, duration],
  );
  const draw = useCallback(
    (from: number, to: number) => {
      const interval = segments?.draw(from, to) ?? null;
      if (interval !== null) askNewLabel(context, stream.id, interval);
    },
    [segments, context, stream.id],
  );
  useDragToDraw(waveform, box, segments === null ? null : draw);

  const specs = useRegionSpecs(stream.id, annotations);
  const handlers = useMemo<RegionHandlers>(
    () => ({
      pick: (id, additive) => select([id], additive),
      hover,
      change: (id, start, end, edge) => {
        const geometry = context.work.getState().work.annotations.find((a) => a.id === id)?.geometry;
        if (segments === null || geometry === undefined || !isTimed(geometry)) return false;
        let taken = false;
        attempt(context, () => {
          const changed =
            edge === undefined ? segments.move(geometry, start) : segments.resize(geometry, edge, edge === "start" ? start : end);
          // nothing moved on the stream's samples: the region goes back where it was
          if (changed.start === geometry.start && changed.end === geometry.end) return;
          context.work.getState().updateAnnotation(id, { geometry: changed });
          taken = true;
        });
        return taken;
      },
    }),
    [select, hover, context, segments],
  );
  useRegions(waveform, specs, selected, hovered, handlers);
  useRevealRegion(waveform, specs);

  const words = useActiveWords(stream.id);
  const placed = useMemo(() => placeInSegments(transcripts(annotations)), [annotations]);
  // written straight to the DOM on every clock notification, so both agree at any instant
  const showPosition = useCallback(
    (time: Fraction) => {
      const element = audio.current;
      if (root.current === null || element === null) return;
      root.current.dataset.time = String(timeline.sampleTime(stream.id, element.currentTime).toNumber());
      root.current.dataset.word = wordsAt(placed, time)
        .map((word) => word.word.text)
        .join(" ");
    },
    [timeline, stream.id, placed],
  );
  useClockListener(showPosition);

  const seekClock = useCallback((t: number) => clock.seek(t), [clock]);
  const unprepared = peaks.state === "done" && peaks.data === null && (duration === null || duration > DECODE_LIMIT);
  return (
    <div ref={root} className="player player-audio">
      <audio ref={audio} src={mediaUrl(stream.id)} preload="metadata" />
      <div
        ref={box}
        className="waveform"
        data-state={peaks.state}
        data-zoom={zoom.level}
        data-regions={waveform === null ? undefined : specs.length}
      />
      {waveform !== null && (
        // a click leaves the focus where it was, so Space stays the transport's
        <div className="player-row waveform-zoom" onMouseDown={(event) => event.preventDefault()}>
          <button type="button" aria-label="Zoom out" title="Zoom out (−)" onClick={() => zoom.by(1 / ZOOM_STEP)}>
            −
          </button>
          <button type="button" aria-label="Zoom in" title="Zoom in (+)" onClick={() => zoom.by(ZOOM_STEP)}>
            +
          </button>
          <button type="button" title="The whole file (0)" disabled={zoom.level === 0} onClick={zoom.fit}>
            Whole file
          </button>
          <span className="muted" aria-label="Zoom">
            {zoom.text}
          </span>
        </div>
      )}
      {peaks.state === "failed" && (
        <p className="error" role="alert">
          Could not load the waveform: {peaks.error.message}
        </p>
      )}
      {unprepared && <p className="muted">The waveform is not prepared yet (rosetta media prepare).</p>}
      <Transcript segments={placed} words={words} selected={selected} onSeek={seekClock} />
      <Legend labels={specs.filter((spec) => spec.editable).map((spec) => spec.label)} what="interval" />
      <p className="hints muted">
        Click the waveform or a word to play from there; click a region to select it. Drag on the waveform to draw an
        interval; drag a selected region or its edges to move or resize it (Esc cancels). <kbd>+</kbd> <kbd>−</kbd>{" "}
        zoom, Ctrl+wheel zooms at the pointer.
      </p>
    </div>
  );
}

/** The regions of the stream's intervals and transcript segments (and of a new interval
 * waiting for its label), in media seconds, with their review states and stale flags. */
function useRegionSpecs(streamId: string, annotations: readonly Annotation[]): RegionSpec[] {
  const { timeline } = useWorkspace();
  const stale = useStaleLinks();
  const marks = useReviewMarks();
  const pending = useEditor((state) =>
    state.labelling?.for === "new" && state.labelling.stream === streamId ? state.labelling.geometry : null,
  );
  return useMemo(() => {
    const media = (t: number): number => timeline.mediaTime(streamId, t).toNumber();
    const found = annotations.flatMap((annotation): RegionSpec[] => {
      const { id, label, geometry } = annotation;
      if (!isTimed(geometry)) return [];
      const mark = marks.get(id);
      const flagged = stale.has(id);
      const text = geometry.type === "transcript" ? `: “${geometry.text}”` : ` ${geometry.type}`;
      return [
        {
          id,
          label,
          start: media(geometry.start),
          end: media(geometry.end),
          tag: signed(label, mark, flagged),
          title: `${label}${text}${flagWords(mark, flagged)}`,
          review: mark === undefined ? null : { state: mark, colour: REVIEW_LOOK[mark].colour },
          flagged,
          editable: true,
        },
      ];
    });
    if (pending === null || !isTimed(pending)) return found;
    const waiting: RegionSpec = {
      id: PENDING,
      label: "",
      start: media(pending.start),
      end: media(pending.end),
      tag: "new",
      title: "The new interval, waiting for its label",
      review: null,
      flagged: false,
      editable: false,
    };
    return [...found, waiting];
  }, [annotations, marks, stale, pending, timeline, streamId]);
}

/** Scroll a zoomed waveform to the region picked elsewhere (the transcript, the links list,
 * the inspector) when it is out of view. */
function useRevealRegion(waveform: Waveform | null, specs: readonly RegionSpec[]): void {
  const spans = useMemo(() => new Map(specs.map((spec) => [spec.id, spec])), [specs]);
  useReveal(
    (id) => spans.has(id),
    (id) => {
      const spec = spans.get(id);
      if (waveform === null || spec === undefined) return;
      const { wavesurfer } = waveform;
      const perSecond = wavesurfer.getWrapper().getBoundingClientRect().width / wavesurfer.getDuration();
      const from = wavesurfer.getScroll() / perSecond;
      const to = from + wavesurfer.getWidth() / perSecond;
      if (spec.end < from || spec.start > to) wavesurfer.setScrollTime(Math.max(0, spec.start - 0.1 * (to - from)));
    },
  );
}
