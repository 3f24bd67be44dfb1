import { memo, useMemo, type ReactNode } from "react";

import type { PlacedSegment, PlacedWord } from "../player/activeWords";

interface TranscriptProps {
  readonly segments: readonly PlacedSegment[];
  readonly words: readonly PlacedWord[];
  readonly selected: readonly string[];
  readonly onSeek: (t: number) => void;
}

/** An audio stream's transcript segments, one paragraph each (see `Segment`). */
export function Transcript({ segments, words, selected, onSeek }: TranscriptProps) {
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
