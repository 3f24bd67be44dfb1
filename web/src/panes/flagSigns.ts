/**
 * The signs an annotation carries where the panes draw it as text (text spans, transcript
 * segments), as the image pane's label tags carry them: ✓, ✗ or ↻ for its review state
 * (accepted, rejected, outdated) and ⚠ when one of its links is stale.
 */
import type { ReviewMark } from "../editing/reviewing";

const REVIEW_SIGN: Readonly<Record<ReviewMark, string>> = { accepted: "✓", rejected: "✗", outdated: "↻" };

/** The signs of an annotation in review state `mark` (`undefined`: none shown), `flagged`
 * when a link of it is stale; "" for none. */
export function flagSigns(mark: ReviewMark | undefined, flagged: boolean): string {
  return (mark === undefined ? "" : REVIEW_SIGN[mark]) + (flagged ? "⚠" : "");
}

/** The same in words, for a tooltip: " (⚠ stale link) (accepted)"; "" for none. */
export function flagWords(mark: ReviewMark | undefined, flagged: boolean): string {
  return (flagged ? " (⚠ stale link)" : "") + (mark === undefined ? "" : ` (${mark})`);
}
