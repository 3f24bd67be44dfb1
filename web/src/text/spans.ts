/**
 * Text spans between the DOM and the API: a selection (UTF-16 offsets, either order)
 * becomes a `TextSpan` of whole grapheme clusters in code points, and a stored span
 * becomes the UTF-16 range to highlight.
 */
import type { components } from "../api/schema";
import { GraphemeIndex, type Range } from "./graphemes";
import { CodePointIndex } from "./offsets";

type TextSpan = components["schemas"]["TextSpan"];

/** One text stream's text with its offset conversions and cluster boundaries. */
export class TextModel {
  readonly text: string;
  readonly offsets: CodePointIndex;
  readonly graphemes: GraphemeIndex;

  constructor(text: string, locales?: string | readonly string[]) {
    this.text = text;
    this.offsets = new CodePointIndex(text);
    this.graphemes = new GraphemeIndex(text, locales);
  }

  /** The text's length in code points (the API's `media.length`). */
  get length(): number {
    return this.offsets.length;
  }

  /**
   * The span a DOM selection from `anchor` to `focus` (UTF-16 offsets, either order)
   * makes, widened to whole grapheme clusters; `null` for an empty selection.
   */
  spanFromSelection(anchor: number, focus: number): TextSpan | null {
    const range = this.graphemes.snap(anchor, focus);
    if (range.start === range.end) {
      return null;
    }
    return {
      type: "span",
      start: this.offsets.toCodePoint(range.start),
      end: this.offsets.toCodePoint(range.end),
    };
  }

  /** The UTF-16 range of a stored span; a `RangeError` naming it when it is not inside
   * the text or empty. */
  rangeOf(span: Pick<TextSpan, "start" | "end">): Range {
    if (!(Number.isInteger(span.start) && Number.isInteger(span.end) && span.start < span.end)) {
      throw new RangeError(
        `span [${span.start}, ${span.end}) must have integer ends, start before end`,
      );
    }
    if (span.start < 0 || span.end > this.length) {
      throw new RangeError(
        `span [${span.start}, ${span.end}) must lie inside the text (length ${this.length})`,
      );
    }
    return { start: this.offsets.toUtf16(span.start), end: this.offsets.toUtf16(span.end) };
  }

  /** The text a stored span covers. */
  extract(span: Pick<TextSpan, "start" | "end">): string {
    const range = this.rangeOf(span);
    return this.text.slice(range.start, range.end);
  }
}
