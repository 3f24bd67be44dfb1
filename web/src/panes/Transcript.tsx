import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useMemo, useRef, type ReactNode } from "react";

import { useReviewMarks } from "../editing/EditingProvider";
import type { ReviewMark } from "../editing/reviewing";
import { useStaleLinks } from "../editing/useWorkViews";
import type { PlacedSegment, PlacedWord } from "../player/activeWords";
import { useFocus } from "../workspace/Workspace";
import { flagSigns, flagWords } from "./flagSigns";
import { useReveal } from "./useReveal";
import { reveal, useFollow } from "./virtualRows";

/** About how tall a segment is drawn (one line of `.transcript`), before it is measured, the
 * space between two, and the space above the first and below the last (room for the
 * selected segment's outline), in pixels. */
const SEGMENT_HEIGHT = 28;
const GAP = 6;
const EDGE = 4;

interface TranscriptProps {
  readonly segments: readonly PlacedSegment[];
  readonly words: readonly PlacedWord[];
  readonly selected: readonly string[];
  readonly onSeek: (t: number) => void;
}

/**
 * An audio stream's transcript segments, one paragraph each (see `Segment`), only those in
 * view drawn (the list carries `data-rows`, their number). The segment being spoken is kept
 * in view while the sample plays, and one picked elsewhere (a waveform region, the links
 * list, the inspector) is scrolled into view.
 */
export function Transcript({ segments, words, selected, onSeek }: TranscriptProps) {
  const list = useRef<HTMLDivElement>(null);
  const hovered = useFocus((state) => state.hovered);
  const stale = useStaleLinks();
  const marks = useReviewMarks();
  const selectedIds = useMemo(() => new Set(selected), [selected]);
  const hoveredIds = useMemo(() => new Set(hovered), [hovered]);
  const positions = useMemo(() => new Map(segments.map((placed, index) => [placed.annotation, index])), [segments]);
  // the indices of the words being spoken, by segment
  const now = useMemo(() => {
    const found = new Map<string, number[]>();
    for (const word of words) found.set(word.annotation, [...(found.get(word.annotation) ?? []), word.index]);
    return new Map([...found].map(([annotation, indices]) => [annotation, indices.join(" ")]));
  }, [words]);

  const virtualizer = useVirtualizer({
    count: segments.length,
    getScrollElement: () => list.current,
    estimateSize: () => SEGMENT_HEIGHT,
    getItemKey: (index) => segments[index]?.annotation ?? index,
    gap: GAP,
    paddingStart: EDGE,
    paddingEnd: EDGE,
    overscan: 4,
  });
  const speaking = words[0] === undefined ? undefined : positions.get(words[0].annotation);
  useFollow(virtualizer, speaking ?? null);
  useReveal(
    (id) => positions.has(id),
    (id) => {
      const index = positions.get(id);
      if (index !== undefined && list.current !== null) {
        reveal(virtualizer, list.current, index, `p[data-annotation="${CSS.escape(id)}"]`);
      }
    },
  );

  if (segments.length === 0) return null;
  return (
    <div ref={list} className="transcript" aria-label="Transcript" data-rows={segments.length}>
      <div className="transcript-rows" style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((item) => {
          const placed = segments[item.index] as PlacedSegment;
          const id = placed.annotation;
          return (
            <Segment
              key={item.key}
              index={item.index}
              y={item.start}
              measure={virtualizer.measureElement}
              placed={placed}
              spoken={now.get(id) ?? ""}
              isSelected={selectedIds.has(id)}
              isHovered={hoveredIds.has(id)}
              isFlagged={stale.has(id)}
              mark={marks.get(id)}
              onSeek={onSeek}
            />
          );
        })}
      </div>
    </div>
  );
}

interface SegmentProps {
  readonly index: number;
  /** Where the segment is drawn in the list, in pixels from its top. */
  readonly y: number;
  readonly measure: (element: Element | null) => void;
  readonly placed: PlacedSegment;
  /** The indices of its words being spoken, space-separated (a string, so equal values
   * compare equal and untouched segments are not redrawn). */
  readonly spoken: string;
  readonly isSelected: boolean;
  /** An end of the hovered link, say. */
  readonly isHovered: boolean;
  /** One of its links is stale. */
  readonly isFlagged: boolean;
  /** Its review state (in review mode). */
  readonly mark: ReviewMark | undefined;
  readonly onSeek: (t: number) => void;
}

/** One transcript segment as a paragraph, every timed word a button-like span that seeks to
 * it, the words being spoken marked, its review state and stale flag signed as on the
 * image's tags; memoised so a selection change redraws only the segments whose state it
 * changes. */
const Segment = memo(function Segment({
  index,
  y,
  measure,
  placed,
  spoken,
  isSelected,
  isHovered,
  isFlagged,
  mark,
  onSeek,
}: SegmentProps) {
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
  const classes = [
    isSelected ? "selected" : "",
    isHovered ? "hovered" : "",
    isFlagged ? "flagged" : "",
    mark === undefined ? "" : `review-${mark}`,
  ].filter((name) => name !== "");
  const signs = flagSigns(mark, isFlagged);
  return (
    <p
      ref={measure}
      data-index={index}
      data-annotation={annotation}
      data-signs={signs === "" ? undefined : signs}
      title={flagWords(mark, isFlagged).trim() || undefined}
      className={classes.length === 0 ? undefined : classes.join(" ")}
      style={{ transform: `translateY(${y}px)` }}
    >
      {runs}
    </p>
  );
});
