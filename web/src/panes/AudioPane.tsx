import { memo, useCallback, useMemo, useRef, type ReactNode } from "react";

import { mediaUrl } from "../app/api";
import { useLoad } from "../app/useLoad";
import type { Fraction } from "../clock/fraction";
import { placeInSegments, transcripts, wordsAt, type PlacedSegment, type PlacedWord } from "../player/activeWords";
import { loadWaveform } from "../player/loaders";
import "../player/player.css";
import { useActiveWords } from "../player/useActiveWords";
import { useClockListener, useMediaSync } from "../player/usePlayback";
import { DECODE_LIMIT, useRegions, useWaveform, type RegionSpec } from "../player/useWaveform";
import { Legend } from "../ui/Legend";
import { useFocus, useWorkspace } from "../workspace/Workspace";
import type { PaneProps } from "./registry";
import { useStreamAnnotations } from "./useStreamAnnotations";

/**
 * An audio stream on the master clock: its waveform (from precomputed peaks) with its
 * intervals and transcript segments as regions, and the transcript below with the word
 * being spoken highlighted. Clicking the waveform or a word seeks the clock; clicking a
 * region selects its annotation. For tests the root carries `data-time` (the sample time
 * of the element's position) and `data-word` (the words being spoken at the clock's time),
 * both written on every clock notification.
 */
export function AudioPane({ stream }: PaneProps) {
  const { clock, timeline } = useWorkspace();
  const select = useFocus((state) => state.select);
  const hover = useFocus((state) => state.hover);
  const selected = useFocus((state) => state.selected);
  const hovered = useFocus((state) => state.hovered);
  const root = useRef<HTMLDivElement>(null);
  const audio = useRef<HTMLAudioElement>(null);
  const waveform = useRef<HTMLDivElement>(null);
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
  const regions = useWaveform(waveform, audio, {
    peaks: peaks.state === "done" ? peaks.data : peaks.state === "failed" ? null : undefined,
    duration,
    onSeek: seekMedia,
  });
  const specs = useMemo(
    () =>
      annotations.flatMap((annotation): RegionSpec[] => {
        const { geometry } = annotation;
        if (geometry.type !== "interval" && geometry.type !== "transcript") return [];
        const start = timeline.mediaTime(stream.id, geometry.start).toNumber();
        const end = timeline.mediaTime(stream.id, geometry.end).toNumber();
        return [{ id: annotation.id, label: annotation.label, start, end }];
      }),
    [annotations, timeline, stream.id],
  );
  const pick = useCallback((id: string, additive: boolean) => select([id], additive), [select]);
  useRegions(regions, specs, selected, hovered, pick, hover);

  const words = useActiveWords(stream.id);
  const segments = useMemo(() => placeInSegments(transcripts(annotations)), [annotations]);
  // written straight to the DOM on every clock notification, so both agree at any instant
  const showPosition = useCallback(
    (time: Fraction) => {
      const element = audio.current;
      if (root.current === null || element === null) return;
      root.current.dataset.time = String(timeline.sampleTime(stream.id, element.currentTime).toNumber());
      root.current.dataset.word = wordsAt(segments, time)
        .map((word) => word.word.text)
        .join(" ");
    },
    [timeline, stream.id, segments],
  );
  useClockListener(showPosition);

  const seekClock = useCallback((t: number) => clock.seek(t), [clock]);
  const unprepared = peaks.state === "done" && peaks.data === null && (duration === null || duration > DECODE_LIMIT);
  return (
    <div ref={root} className="player player-audio">
      <audio ref={audio} src={mediaUrl(stream.id)} preload="metadata" />
      <div ref={waveform} className="waveform" data-state={peaks.state} />
      {peaks.state === "failed" && (
        <p className="error" role="alert">
          Could not load the waveform: {peaks.error.message}
        </p>
      )}
      {unprepared && <p className="muted">The waveform is not prepared yet (rosetta media prepare).</p>}
      <Transcript segments={segments} words={words} selected={selected} onSeek={seekClock} />
      <Legend labels={specs.map((spec) => spec.label)} what="interval" />
      <p className="hints muted">Click the waveform or a word to play from there; click a region to select it.</p>
    </div>
  );
}

interface TranscriptProps {
  readonly segments: readonly PlacedSegment[];
  readonly words: readonly PlacedWord[];
  readonly selected: readonly string[];
  readonly onSeek: (t: number) => void;
}

/** The stream's transcript segments, one paragraph each (see `Segment`). */
function Transcript({ segments, words, selected, onSeek }: TranscriptProps) {
  const selectedIds = useMemo(() => new Set(selected), [selected]);
  // the indices of the words being spoken, by segment
  const now = useMemo(() => {
    const found = new Map<string, number[]>();
    for (const word of words) found.set(word.annotation, [...(found.get(word.annotation) ?? []), word.index]);
    return new Map([...found].map(([annotation, indices]) => [annotation, indices.join(" ")]));
  }, [words]);
  if (segments.length === 0) return null;
  return (
    <div className="transcript" aria-label="Transcript">
      {segments.map((placed) => (
        <Segment
          key={placed.annotation}
          placed={placed}
          spoken={now.get(placed.annotation) ?? ""}
          isSelected={selectedIds.has(placed.annotation)}
          onSeek={onSeek}
        />
      ))}
    </div>
  );
}

interface SegmentProps {
  readonly placed: PlacedSegment;
  /** The indices of its words being spoken, space-separated (a string, so equal values
   * compare equal and untouched segments are not redrawn). */
  readonly spoken: string;
  readonly isSelected: boolean;
  readonly onSeek: (t: number) => void;
}

/** One transcript segment as a paragraph, every timed word a button-like span that seeks to
 * it, the words being spoken marked; memoised so a selection change redraws only the
 * segments whose state it changes. */
const Segment = memo(function Segment({ placed, spoken, isSelected, onSeek }: SegmentProps) {
  const { annotation, segment, words } = placed;
  const now = new Set(spoken === "" ? [] : spoken.split(" ").map(Number));
  const characters = Array.from(segment.text);
  const runs: ReactNode[] = [];
  let cursor = 0;
  for (const word of words) {
    if (word === undefined || word.start < cursor) continue;
    runs.push(characters.slice(cursor, word.start).join(""));
    const current = now.has(word.index);
    runs.push(
      <span
        key={word.index}
        className={current ? "word now" : "word"}
        aria-current={current ? "true" : undefined}
        data-start={word.word.start}
        title={`${word.word.start.toFixed(3)}–${word.word.end.toFixed(3)} s`}
        onClick={() => onSeek(word.word.start)}
      >
        {characters.slice(word.start, word.end).join("")}
      </span>,
    );
    cursor = word.end;
  }
  runs.push(characters.slice(cursor).join(""));
  return (
    <p data-annotation={annotation} className={isSelected ? "selected" : undefined}>
      {runs}
    </p>
  );
});
