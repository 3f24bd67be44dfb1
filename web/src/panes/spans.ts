/**
 * Cutting a text into the runs that text-span annotations cover, for highlighting, row by
 * row (`text/rows`), and reading a selection in the drawn rows back as text offsets.
 *
 * Span offsets are Unicode code points (`TextSpan`: half-open `[start, end)`), while
 * JavaScript strings index UTF-16 units, so "🚀 Apollo" has its `A` at code point 2 but at
 * string index 3 (`CodePointIndex` converts). Offsets past the end of the text are
 * clipped to it; spans left empty are not shown.
 */
import { CodePointIndex } from "../text/offsets";
import { rowsOf, type TextRow } from "../text/rows";

/** A highlighted span: its annotation's id and label, and code-point offsets. */
export interface Highlight {
  id: string;
  label: string;
  start: number;
  end: number;
}

/** A run of text, `[start, end)` in code points, and the spans covering all of it (none:
 * plain text), shortest first. */
export interface Run {
  text: string;
  start: number;
  end: number;
  spans: Highlight[];
}

/** The runs of `text` between every start and end of `spans`, in order; their texts
 * joined are `text` again. */
export function runs(text: string, spans: readonly Highlight[]): Run[] {
  const offsets = new CodePointIndex(text);
  const { length } = offsets;
  const clip = (offset: number): number => Math.min(Math.max(offset, 0), length);
  const shown = spans.filter((span) => clip(span.end) > clip(span.start));
  const cuts = new Set<number>([0, length]);
  for (const span of shown) {
    cuts.add(clip(span.start));
    cuts.add(clip(span.end));
  }
  const sorted = [...cuts].sort((a, b) => a - b);
  const found: Run[] = [];
  for (let i = 0; i + 1 < sorted.length; i += 1) {
    const start = sorted[i] as number;
    const end = sorted[i + 1] as number;
    const covering = shown
      .filter((span) => clip(span.start) <= start && clip(span.end) >= end)
      .sort((a, b) => a.end - a.start - (b.end - b.start));
    found.push({ text: text.slice(offsets.toUtf16(start), offsets.toUtf16(end)), start, end, spans: covering });
  }
  return found;
}

/**
 * The spans crossing each row, by row index, with offsets from the row's start (a span
 * over several rows is in each, reaching past the row's ends, which `runs` clips).
 */
export function spansInRows(rows: readonly TextRow[], spans: readonly Highlight[]): Map<number, Highlight[]> {
  const found = new Map<number, Highlight[]>();
  for (const span of spans) {
    if (span.end <= span.start || rows.length === 0) continue;
    for (const index of rowsOf(rows, span.start, span.end)) {
      const { start } = rows[index] as TextRow;
      const shifted = { ...span, start: span.start - start, end: span.end - start };
      const inRow = found.get(index);
      if (inRow === undefined) found.set(index, [shifted]);
      else inRow.push(shifted);
    }
  }
  return found;
}

/**
 * The UTF-16 offset in the whole text of a DOM boundary point (a selection's anchor or
 * focus) in a text drawn as rows: the elements under `body` carrying `data-offset` (the
 * UTF-16 offset their text begins at), in text order, holding nothing but the text. A
 * point before a drawn row and after the one before it is that row's start, one after
 * every row the last row's end, so a selection dragged past the rows keeps its part in
 * them. `null` when no row is drawn or the point left the document.
 */
export function textOffset(body: Element, node: Node, offset: number): number | null {
  const rows = body.querySelectorAll<HTMLElement>("[data-offset]");
  if (rows.length === 0 || !node.isConnected) return null;
  const range = body.ownerDocument.createRange();
  let end = 0;
  for (const row of rows) {
    const start = Number(row.dataset.offset);
    range.selectNodeContents(row);
    const where = range.comparePoint(node, offset);
    if (where < 0) return start;
    if (where === 0) {
      range.setEnd(node, offset);
      return start + range.toString().length;
    }
    end = start + (row.textContent ?? "").length;
  }
  return end;
}
