/**
 * The sample's review in the side panel: in review mode, the verdict bar (accept the sample,
 * or reject it with a reason) and every annotation with its review state; the accept and
 * reject controls of the selection; and, for everyone, the latest decision on an
 * annotation and the verdict on the sample (what to fix, when it came back).
 */
import { StatusBadge } from "../ui/feedback";
import { VirtualList } from "../ui/VirtualList";
import { useWork } from "../workspace/Workspace";
import { reviewSelection } from "./commands";
import { annotationName } from "./describe";
import { useCommandContext, useEditing, useReviewer, useReviewMarks } from "./EditingProvider";
import type { Outcome, ReviewMark, SampleReview } from "./reviewing";

/** The most characters a reason may have (the server's limit). */
const MAX_REASON = 2000;

/** An annotation's review state as a badge (no mark: not reviewed). */
export function ReviewBadge({ mark, title }: { mark: ReviewMark | undefined; title?: string }) {
  return (
    <span className={`badge review-${mark ?? "none"}`} title={title}>
      {mark ?? "not reviewed"}
    </span>
  );
}

/** The latest decision on annotation `id`, if any: what, by whom, why. */
export function ReviewNote({ id }: { id: string }) {
  const item = useReviewer((state) => state.review?.annotations.find((a) => a.annotation === id));
  const mark = useReviewMarks(true).get(id);
  if (item === undefined || mark === undefined) return null;
  const outdated = mark === "outdated";
  return (
    <p className="review-note" aria-label="Review decision">
      Review <ReviewBadge mark={mark} /> by {item.reviewer}
      {item.reason !== null && <>: “{item.reason}”</>}
      {outdated && (
        <span className="muted">
          {" "}
          ({item.decision} on revision {item.revision}; it changed since)
        </span>
      )}
    </p>
  );
}

/** Accept or reject the selected annotations and links (A, X), with a reason for rejecting. */
export function ReviewControls() {
  const context = useCommandContext();
  const { reviewer } = useEditing();
  const reason = useReviewer((state) => state.reason);
  const sending = useReviewer((state) => state.sending);
  const act = (outcome: Outcome): void =>
    reviewSelection(context, outcome, (ids, chosen) => {
      void reviewer.decide(ids, chosen);
    });
  return (
    <div className="review-controls" role="group" aria-label="Review the selection">
      <input
        type="text"
        aria-label="Rejection reason"
        placeholder="Why reject (optional; Enter rejects)"
        maxLength={MAX_REASON}
        value={reason}
        onChange={(event) => reviewer.state.getState().setReason(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === "Enter") act("rejected");
        }}
      />
      <button type="button" disabled={sending} onClick={() => act("accepted")}>
        Accept <kbd>A</kbd>
      </button>
      <button type="button" className="danger" disabled={sending} onClick={() => act("rejected")}>
        Reject <kbd>X</kbd>
      </button>
    </div>
  );
}

/** The verdict on the sample, if there is one. */
export function VerdictNote({ review }: { review: SampleReview | null }) {
  const verdict = review?.verdict;
  if (verdict == null) return null;
  return (
    <p className="verdict-note" aria-label="Verdict">
      Sample <span className={`badge review-${verdict.decision}`}>{verdict.decision}</span> by {verdict.reviewer}
      {verdict.reason !== null && <>: “{verdict.reason}”</>}
    </p>
  );
}

/** Review mode's section: the sample's status and verdict bar, and each annotation's state
 * (a list that draws only the rows in view). */
export function ReviewPanel() {
  const context = useCommandContext();
  const { reviewer, streams } = useEditing();
  const status = useWork((state) => state.sample?.status ?? "new");
  const annotations = useWork((state) => state.work.annotations);
  const review = useReviewer((state) => state.review);
  const reason = useReviewer((state) => state.verdictReason);
  const sending = useReviewer((state) => state.sending);
  const marks = useReviewMarks();
  const reasons = new Map((review?.annotations ?? []).map((item) => [item.annotation, item.reason]));
  const decided = annotations.filter((a) => marks.has(a.id)).length;
  return (
    <section className="side-section review-panel" aria-label="Review of the sample">
      <h2>
        Review <StatusBadge status={status} />
        <span className="muted">
          {decided} of {annotations.length} decided
        </span>
      </h2>
      <VerdictNote review={review} />
      <div className="verdict-bar" role="group" aria-label="Verdict">
        <textarea
          aria-label="Verdict reason"
          placeholder="What to fix (required to reject the sample)"
          maxLength={MAX_REASON}
          rows={2}
          value={reason}
          onChange={(event) => reviewer.state.getState().setVerdictReason(event.target.value)}
        />
        <span className="actions">
          <button type="button" disabled={sending} onClick={() => void reviewer.judge("accepted")}>
            Accept sample
          </button>
          <button type="button" className="danger" disabled={sending} onClick={() => void reviewer.judge("rejected")}>
            Reject sample
          </button>
        </span>
      </div>
      <VirtualList
        items={annotations}
        itemKey={(annotation) => annotation.id}
        label="Annotations under review"
        renderItem={(annotation, row) => (
          <li {...row} className="review-row" data-annotation={annotation.id}>
            <button
              type="button"
              className="quiet object-button"
              onClick={(event) => context.focus.getState().select([annotation.id], event.shiftKey)}
              onMouseEnter={() => context.focus.getState().hover([annotation.id])}
              onMouseLeave={() => context.focus.getState().hover([])}
            >
              {annotationName(annotation, streams)}
            </button>
            <ReviewBadge mark={marks.get(annotation.id)} title={reasons.get(annotation.id) ?? undefined} />
          </li>
        )}
        empty={<li className="muted">No annotations.</li>}
      />
    </section>
  );
}
