/**
 * Text offsets: the API counts Unicode code points (`rosetta.core.text`), the DOM counts
 * UTF-16 code units. They part at every character outside the Basic Multilingual Plane
 * (emoji, CJK Extension B, ...), which is one code point and two code units.
 *
 * An offset between the two halves of a surrogate pair is refused, never rounded, as the
 * server refuses it; a lone surrogate counts as one code point, as in Python's `str`.
 */

/** Conversions between UTF-16 and code-point offsets of one text, each a binary search. */
export class CodePointIndex {
  readonly text: string;
  /** The text's length in code points (what the API calls its length). */
  readonly length: number;
  /** The UTF-16 offsets at which a surrogate pair begins, increasing. */
  private readonly pairs: Int32Array;

  constructor(text: string) {
    this.text = text;
    const pairs: number[] = [];
    for (let i = 0; i < text.length - 1; i += 1) {
      const high = text.charCodeAt(i);
      if (high >= 0xd800 && high <= 0xdbff) {
        const low = text.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          pairs.push(i);
          i += 1;
        }
      }
    }
    this.pairs = Int32Array.from(pairs);
    this.length = text.length - pairs.length;
  }

  /** The code-point offset of UTF-16 offset `offset`; a `RangeError` outside the text
   * or inside a character. */
  toCodePoint(offset: number): number {
    if (!Number.isInteger(offset) || offset < 0 || offset > this.text.length) {
      throw new RangeError(
        `UTF-16 code-unit offset ${offset} is outside the text (0..${this.text.length})`,
      );
    }
    // pairs beginning before `offset`: each ends at or before it, or `offset` is inside it
    const before = this.countBelow(offset);
    if (before > 0 && (this.pairs[before - 1] as number) + 1 === offset) {
      throw new RangeError(`UTF-16 code-unit offset ${offset} falls inside a character`);
    }
    return offset - before;
  }

  /** The UTF-16 offset of code-point offset `offset`; a `RangeError` outside the text. */
  toUtf16(offset: number): number {
    if (!Number.isInteger(offset) || offset < 0 || offset > this.length) {
      throw new RangeError(`code-point offset ${offset} is outside the text (0..${this.length})`);
    }
    // the k-th pair (from 0) begins at code point pairs[k] - k
    let lo = 0;
    let hi = this.pairs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.pairs[mid] as number) - mid < offset) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return offset + lo;
  }

  /** How many pairs begin before UTF-16 offset `offset`. */
  private countBelow(offset: number): number {
    let lo = 0;
    let hi = this.pairs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.pairs[mid] as number) < offset) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
