/**
 * How every pane shows an annotation's review state and stale links, in one place: the
 * colour and sign of each review state (accepted ✓, rejected ✗, outdated ↻; the image's
 * glow and the waveform's bar take the colour), ⚠ when one of its links is stale, and
 * the same in words for a tooltip.
 */
import type { ReviewMark } from "../editing/reviewing";

/** The colour and the sign of each review state. */
export const REVIEW_LOOK: Readonly<Record<ReviewMark, { readonly colour: string; readonly sign: string }>> = {
  accepted: { colour: "#12b76a", sign: "✓" },
  rejected: { colour: "#d92d20", sign: "✗" },
  outdated: { colour: "#f79009", sign: "↻" },
};

/** The signs of an annotation in review state `mark` (`undefined`: none shown), `flagged`
 * when a link of it is stale; "" for none. */
export function flagSigns(mark: ReviewMark | undefined, flagged: boolean): string {
  return (mark === undefined ? "" : REVIEW_LOOK[mark].sign) + (flagged ? "⚠" : "");
}

/** `text` (a label) with the signs of `flagSigns` before it, if any. */
export function signed(text: string, mark: ReviewMark | undefined, flagged: boolean): string {
  const signs = flagSigns(mark, flagged);
  return signs === "" ? text : `${signs} ${text}`;
}

/** The same in words, for a tooltip: " (⚠ stale link) (accepted)"; "" for none. */
export function flagWords(mark: ReviewMark | undefined, flagged: boolean): string {
  return (flagged ? " (⚠ stale link)" : "") + (mark === undefined ? "" : ` (${mark})`);
}
