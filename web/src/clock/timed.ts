/**
 * What timed annotations and sampled series hold at a reference time: the transcript
 * segment and word being spoken, the intervals under the playhead, the time-series row.
 *
 * Mirrors `rosetta.core.temporal.word_index_at`, `rosetta.core.timeline.segments_at` and
 * `TimeSeries.row_at`: spans are half-open `[start, end)` and compared exactly (a stored
 * float means its shortest decimal, as the server reads it).
 */
import type { components } from "../api/schema";
import type { Rounding } from "./clockMap";
import { Fraction, type TimeLike } from "./fraction";

type Schemas = components["schemas"];
type Annotation = Schemas["Annotation"];
type TranscriptSegment = Schemas["TranscriptSegment"];
type Word = Schemas["Word"];

/** A transcript segment holding t, with the word at t (`null` in a pause or untimed). */
export interface SegmentHit {
  readonly annotation: Annotation;
  readonly segment: TranscriptSegment;
  readonly wordIndex: number | null;
  readonly word: Word | null;
}

function holds(start: number, end: number, time: Fraction): boolean {
  return Fraction.from(start).le(time) && time.lt(Fraction.from(end));
}

/** The position in `segment.words` of the word whose `[start, end)` holds `t`, else `null`. */
export function wordIndexAt(segment: TranscriptSegment, t: TimeLike): number | null {
  const words = segment.words ?? [];
  const time = Fraction.from(t);
  let lo = 0;
  let hi = words.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (time.lt(Fraction.from((words[mid] as Word).start))) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  const index = lo - 1;
  if (index < 0 || time.ge(Fraction.from((words[index] as Word).end))) {
    return null;
  }
  return index;
}

/**
 * The transcript segments on `streamId` whose `[start, end)` holds `t`, in the given
 * order, each with its word at `t`.
 */
export function segmentsAt(
  annotations: readonly Annotation[],
  streamId: string,
  t: TimeLike,
): SegmentHit[] {
  const time = Fraction.from(t);
  const hits: SegmentHit[] = [];
  for (const annotation of annotations) {
    const segment = annotation.geometry;
    if (
      annotation.stream === streamId &&
      segment.type === "transcript" &&
      holds(segment.start, segment.end, time)
    ) {
      const wordIndex = wordIndexAt(segment, time);
      const word = wordIndex === null ? null : (segment.words?.[wordIndex] ?? null);
      hits.push({ annotation, segment, wordIndex, word });
    }
  }
  return hits;
}

/** The interval annotations on `streamId` whose `[start, end)` holds `t`, in the given order. */
export function intervalsAt(
  annotations: readonly Annotation[],
  streamId: string,
  t: TimeLike,
): Annotation[] {
  const time = Fraction.from(t);
  return annotations.filter(
    (annotation) =>
      annotation.stream === streamId &&
      annotation.geometry.type === "interval" &&
      holds(annotation.geometry.start, annotation.geometry.end, time),
  );
}

/**
 * The row of a series sampled at `times` (increasing reference seconds) at `t`: `floor`
 * the last row at or before `t`, `ceil` the first at or after it, `nearest` the closer of
 * the two (ties to the earlier). `null` where no row qualifies (`nearest` always gives one
 * of a non-empty series).
 */
export function rowAt(
  times: ArrayLike<number>,
  t: TimeLike,
  rounding: Rounding = "nearest",
): number | null {
  const at = Fraction.from(t).toNumber();
  const count = times.length;
  // the first row whose time is above `at` (right) or at or above it (left)
  const search = (right: boolean): number => {
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const value = times[mid] as number;
      if (right ? at < value : at <= value) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  };
  let index: number;
  if (rounding === "floor") {
    index = search(true) - 1;
  } else if (rounding === "ceil") {
    index = search(false);
  } else {
    index = search(false);
    if (
      index === count ||
      (index > 0 && at - (times[index - 1] as number) <= (times[index] as number) - at)
    ) {
      index -= 1;
    }
  }
  if (rounding === "nearest") {
    return count === 0 ? null : Math.min(Math.max(index, 0), count - 1);
  }
  return index < 0 || index >= count ? null : index;
}
