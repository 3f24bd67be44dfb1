/**
 * Cutting a text into the runs that text-span annotations cover, for highlighting.
 *
 * Span offsets are Unicode code points (`TextSpan`: half-open `[start, end)`), while
 * JavaScript strings index UTF-16 units, so "🚀 Apollo" has its `A` at code point 2 but at
 * string index 3 (`CodePointIndex` converts). Offsets past the end of the text are
 * clipped to it; spans left empty are not shown.
 */
import { CodePointIndex } from "../text/offsets";

/** A highlighted span: its annotation's id and label, and code-point offsets. */
export interface Highlight {
  id: string;
  label: string;
  start: number;
  end: number;
}

/** A run of text and the spans covering all of it (none: plain text), shortest first. */
export interface Run {
  text: string;
  start: number;
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
    found.push({ text: text.slice(offsets.toUtf16(start), offsets.toUtf16(end)), start, spans: covering });
  }
  return found;
}

/**
 * The UTF-16 offset, in the text `root` shows, of a DOM boundary point (a selection's
 * anchor or focus): the length of the text from the start of `root` to it. A point
 * before `root` is 0, one after it the text's end, so a selection dragged past the text
 * keeps its part inside. `root` must hold nothing but the text (no labels or badges).
 */
export function textOffset(root: Node, node: Node, offset: number): number {
  const document = root.ownerDocument ?? (root as Document);
  const whole = document.createRange();
  whole.selectNodeContents(root);
  const where = whole.comparePoint(node, offset);
  if (where !== 0) return where < 0 ? 0 : whole.toString().length;
  const before = document.createRange();
  before.setStart(root, 0);
  before.setEnd(node, offset);
  return before.toString().length;
}
