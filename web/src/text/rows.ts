/**
 * A text cut into rows for drawing only the rows in view: each line (with its line break)
 * is a row, and a line longer than `ROW_LENGTH` UTF-16 units is cut after a space (else
 * at a grapheme cluster boundary) into rows about that long. The rows' texts joined are
 * the text again, and no row splits a cluster, so a selection inside rows maps back to
 * the text's offsets and snaps as before (`TextModel`).
 */
import type { GraphemeIndex } from "./graphemes";
import type { CodePointIndex } from "./offsets";

/** How long a row may grow, in UTF-16 units, before a long line is cut (a few lines of a pane). */
export const ROW_LENGTH = 400;

/** A row of the text: `[start, end)` in code points (the API's offsets) and in UTF-16
 * units (the DOM's). */
export interface TextRow {
  readonly start: number;
  readonly end: number;
  readonly utf16Start: number;
  readonly utf16End: number;
}

const SPACE = /\s/u;

/** The rows of the text `offsets` and `graphemes` index (see the module); one empty row
 * for an empty text. */
export function textRows(offsets: CodePointIndex, graphemes: GraphemeIndex, longest = ROW_LENGTH): TextRow[] {
  const { text } = offsets;
  const cuts = [0];
  for (let start = 0; start < text.length; ) {
    const newline = text.indexOf("\n", start);
    const lineEnd = newline < 0 ? text.length : newline + 1;
    let from = start;
    while (lineEnd - from > longest) {
      from = cutLine(text, graphemes, from, longest);
      cuts.push(from);
    }
    if (lineEnd < text.length) cuts.push(lineEnd);
    start = lineEnd;
  }
  cuts.push(text.length);
  const rows: TextRow[] = [];
  for (let i = 0; i + 1 < cuts.length; i += 1) {
    const utf16Start = cuts[i] as number;
    const utf16End = cuts[i + 1] as number;
    rows.push({
      start: offsets.toCodePoint(utf16Start),
      end: offsets.toCodePoint(utf16End),
      utf16Start,
      utf16End,
    });
  }
  return rows;
}

/** Where a line going on past `from + longest` is cut: after the last space in the second
 * half of that stretch, else at the last cluster boundary in it (at least one cluster on). */
function cutLine(text: string, graphemes: GraphemeIndex, from: number, longest: number): number {
  const limit = from + longest;
  for (let at = limit; at > from + longest / 2; at -= 1) {
    if (SPACE.test(text[at - 1] as string) && graphemes.isBoundary(at)) return at;
  }
  const boundary = graphemes.floor(limit);
  return boundary > from ? boundary : graphemes.next(from);
}

/** The index of the row holding code point `offset` (the last row for the text's end). */
export function rowAt(rows: readonly TextRow[], offset: number): number {
  let lo = 0;
  let hi = rows.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if ((rows[mid] as TextRow).start <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The indices of the rows that code points `[start, end)` cross (an empty range: its row). */
export function rowsOf(rows: readonly TextRow[], start: number, end: number): number[] {
  const first = rowAt(rows, start);
  const found = [first];
  for (let i = first + 1; i < rows.length && (rows[i] as TextRow).start < end; i += 1) found.push(i);
  return found;
}
