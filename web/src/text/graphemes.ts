/**
 * Grapheme clusters: what a reader sees as one character. A span must never split one,
 * or it would cut a combining mark from its base (Vietnamese in NFD), a Thai or Khmer
 * cluster apart, or an emoji ZWJ sequence, skin tone or flag in two.
 *
 * Boundaries come from `Intl.Segmenter` (Unicode's extended grapheme clusters, with the
 * platform's tailorings); offsets here are UTF-16 code units, as the DOM counts them.
 */

/** A half-open range of a text, `start <= end`. */
export interface Range {
  readonly start: number;
  readonly end: number;
}

/** Grapheme cluster boundaries of one text, found on demand around an offset. */
export class GraphemeIndex {
  readonly text: string;
  private readonly segments: Intl.Segments;

  /** `locales` tailor the segmentation where the platform has tailorings. */
  constructor(text: string, locales?: string | readonly string[]) {
    this.text = text;
    const segmenter = new Intl.Segmenter(locales as string | string[] | undefined, {
      granularity: "grapheme",
    });
    this.segments = segmenter.segment(text);
  }

  /** Whether UTF-16 offset `offset` lies between two clusters (or at an end). */
  isBoundary(offset: number): boolean {
    return this.floor(offset) === offset;
  }

  /** The boundary at or before `offset`: the start of the cluster holding it. */
  floor(offset: number): number {
    this.check(offset);
    if (offset === this.text.length) {
      return offset;
    }
    return (this.segments.containing(offset) as Intl.SegmentData).index;
  }

  /** The boundary at or after `offset`: the end of the cluster holding it, unless it is one. */
  ceil(offset: number): number {
    return this.floor(offset) === offset ? offset : this.next(offset);
  }

  /**
   * `[start, end)` (either order) widened to whole clusters: the start moves back to its
   * cluster's start, the end forward to its cluster's end. An empty range stays empty,
   * at the boundary before it.
   */
  snap(start: number, end: number): Range {
    const low = Math.min(start, end);
    const high = Math.max(start, end);
    const first = this.floor(low);
    return { start: first, end: high === low ? first : this.ceil(high) };
  }

  /** The boundary after the cluster that begins at or holds `offset` (keyboard: right). */
  next(offset: number): number {
    this.check(offset);
    if (offset === this.text.length) {
      return offset;
    }
    const cluster = this.segments.containing(offset) as Intl.SegmentData;
    return cluster.index + cluster.segment.length;
  }

  /** The boundary before `offset`'s cluster start, or that start when `offset` is inside
   * a cluster (keyboard: left). */
  previous(offset: number): number {
    const floor = this.floor(offset);
    return floor < offset || floor === 0 ? floor : this.floor(floor - 1);
  }

  private check(offset: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset > this.text.length) {
      throw new RangeError(
        `UTF-16 code-unit offset ${offset} is outside the text (0..${this.text.length})`,
      );
    }
  }
}
