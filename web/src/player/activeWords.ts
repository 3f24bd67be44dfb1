/**
 * The words being spoken at a sample time, placed in a text: for an audio or video
 * stream's own transcript (each segment's `text`), or for a text stream that holds the
 * transcript's sentences (a script, a caption).
 *
 * A segment is found in a text stream when its `text` occurs there verbatim, searched in
 * time order from where the previous one ended (then from the start); each word is found
 * in its segment's text in order, ignoring case, as a whole word where it stands as one.
 * Words and segments that are not found are left out. Offsets are code points, as the API
 * counts them.
 */
import type { components } from "../api/schema";
import { Fraction, type TimeLike } from "../clock/fraction";
import { wordIndexAt } from "../clock/timed";
import { CodePointIndex } from "../text/offsets";

type Schemas = components["schemas"];
type Annotation = Schemas["Annotation"];
type TranscriptSegment = Schemas["TranscriptSegment"];
type Word = Schemas["Word"];

/** A word placed in a text: its transcript annotation, its position in the segment's
 * words, and its code-point span `[start, end)` in the text. */
export interface PlacedWord {
  readonly annotation: string;
  readonly index: number;
  readonly word: Word;
  readonly start: number;
  readonly end: number;
}

/** A transcript segment whose words were placed in a text. */
export interface PlacedSegment {
  readonly annotation: string;
  readonly segment: TranscriptSegment;
  /** By position in `segment.words`; `undefined` where a word was not found. */
  readonly words: readonly (PlacedWord | undefined)[];
}

/** The transcript segments among `annotations` (on `streamId`, or on any stream), by start. */
export function transcripts(
  annotations: readonly Annotation[],
  streamId?: string,
): { annotation: string; segment: TranscriptSegment }[] {
  return annotations
    .flatMap((annotation) =>
      annotation.geometry.type === "transcript" && (streamId === undefined || annotation.stream === streamId)
        ? [{ annotation: annotation.id, segment: annotation.geometry }]
        : [],
    )
    .sort((a, b) => a.segment.start - b.segment.start);
}

/** Each segment's words placed in the segment's own text (offsets from its start). */
export function placeInSegments(
  segments: readonly { annotation: string; segment: TranscriptSegment }[],
): PlacedSegment[] {
  return segments.map(({ annotation, segment }) => place(annotation, segment, new CodePointIndex(segment.text), 0));
}

/** The segments found in `text` with their words placed there (see the module). */
export function placeInText(
  text: string,
  segments: readonly { annotation: string; segment: TranscriptSegment }[],
): PlacedSegment[] {
  const index = new CodePointIndex(text);
  let cursor = 0;
  const placed: PlacedSegment[] = [];
  for (const { annotation, segment } of segments) {
    if (segment.text === "") continue;
    let at = text.indexOf(segment.text, cursor);
    if (at < 0) at = text.indexOf(segment.text);
    if (at < 0) continue;
    cursor = at + segment.text.length;
    placed.push(place(annotation, segment, index, at));
  }
  return placed;
}

/** The words of `segment` found in order in its text, which begins at UTF-16 offset `at` of `index`'s text. */
function place(annotation: string, segment: TranscriptSegment, index: CodePointIndex, at: number): PlacedSegment {
  const body = segment.text;
  // ignoring case only where lower-casing keeps UTF-16 lengths (most scripts), so offsets hold
  const folded = body.toLowerCase();
  const haystack = folded.length === body.length ? folded : body;
  let cursor = 0;
  const words = (segment.words ?? []).map((word, position): PlacedWord | undefined => {
    const lower = word.text.toLowerCase();
    const needle = haystack === folded && lower.length === word.text.length ? lower : word.text;
    const found = findWord(haystack, needle, cursor);
    if (found < 0) return undefined;
    cursor = found + needle.length;
    const start = index.toCodePoint(at + found);
    return { annotation, index: position, word, start, end: index.toCodePoint(at + cursor) };
  });
  return { annotation, segment, words };
}

const WORD_CHARACTER = /[\p{L}\p{N}\p{M}]/u;

/** The first occurrence of `needle` in `text` from `from` that stands as a whole word (not
 * inside a longer one), else the first occurrence at all (scripts without spaces); -1 if none. */
function findWord(text: string, needle: string, from: number): number {
  if (needle === "") return -1;
  const first = text.indexOf(needle, from);
  for (let at = first; at >= 0; at = text.indexOf(needle, at + 1)) {
    const before = text[at - 1] ?? " ";
    const after = text[at + needle.length] ?? " ";
    if (!WORD_CHARACTER.test(before) && !WORD_CHARACTER.test(after)) return at;
  }
  return first;
}

/** The placed words being spoken at `t` (a word's `[start, end)` holds it), in segment order. */
export function wordsAt(placed: readonly PlacedSegment[], t: TimeLike): PlacedWord[] {
  const time = Fraction.from(t);
  const seconds = time.toNumber();
  const hits: PlacedWord[] = [];
  for (const { segment, words } of placed) {
    // a float pre-check (with slack) before the exact one
    if (seconds < segment.start - 1e-6 || seconds >= segment.end + 1e-6) continue;
    if (time.lt(Fraction.from(segment.start)) || time.ge(Fraction.from(segment.end))) continue;
    const position = wordIndexAt(segment, time);
    const word = position === null ? undefined : words[position];
    if (word !== undefined) hits.push(word);
  }
  return hits;
}

/** Whether two lists of words are the same words. */
export function sameWords(a: readonly PlacedWord[], b: readonly PlacedWord[]): boolean {
  return (
    a.length === b.length &&
    a.every((word, i) => word.annotation === b[i]?.annotation && word.index === b[i]?.index)
  );
}
