/**
 * Reviewing one sample in the workspace: the sample's review as the server keeps it (the
 * latest decision on each annotation and the verdict on the whole sample,
 * `GET /api/samples/{id}/review`) and the reviewer's decisions and verdict, sent with
 * `PUT /api/samples/{id}/review`.
 *
 * A review judges the sample as saved, so the work is saved first (`Autosaver`), and the
 * review is sent with `If-Match` the ETag the work is based on. The server records it as a
 * change of the sample (a new revision) that leaves the work as it was, so on 200 the work
 * store simply takes the new ETag (and the status a verdict set) and editing goes on. A 409
 * means someone saved the sample meanwhile: the person is told to reload.
 *
 * Framework-free, like the work store: the state is a zustand store, the I/O is passed in.
 */
import { createStore, type StoreApi } from "zustand/vanilla";

import { ApiError, type Schemas } from "../api/client";
import type { Annotation } from "../work/objects";
import { isDirty, type WorkState } from "../work/store";
import type { Autosaver } from "./autosave";
import type { Notice } from "./editor";

export type SampleReview = Schemas["SampleReview"];
export type AnnotationReview = Schemas["AnnotationReview"];
export type ReviewChange = Schemas["ReviewChange"];
/** What a reviewer decides about an annotation or the whole sample. */
export type Outcome = AnnotationReview["decision"];
/** An annotation's review state as shown: its latest decision, or `outdated` when the
 * annotation changed after it (no mark: not reviewed). */
export type ReviewMark = Outcome | "outdated";

/**
 * The mark of each annotation `review` holds a decision on, by annotation id; given the
 * `annotations` as the work has them now, a decision on another revision than theirs is
 * outdated too (they were saved since the review was read).
 */
export function reviewMarks(
  review: SampleReview | null,
  annotations: readonly Pick<Annotation, "id" | "revision">[] = [],
): Map<string, ReviewMark> {
  const revisions = new Map(annotations.map((a) => [a.id, a.revision]));
  return new Map(
    (review?.annotations ?? []).map((item) => {
      const now = revisions.get(item.annotation);
      const outdated = item.outdated || (now !== undefined && now !== item.revision);
      return [item.annotation, outdated ? "outdated" : item.decision];
    }),
  );
}

/** The server's answer to a review: the sample's review and new ETag, or an error. */
export type ReviewAnswer =
  | { readonly ok: true; readonly body: SampleReview; readonly etag: string }
  | { readonly ok: false; readonly status: number; readonly body: unknown };

/** Sends a review based on `etag`; rejects only when no answer came (network). */
export type SendReview = (change: ReviewChange, etag: string) => Promise<ReviewAnswer>;

/** Reads the sample's review as the person may see it. */
export type LoadReview = () => Promise<SampleReview>;

export interface ReviewerState {
  /** The review as last read or given; `null` until it is loaded. */
  readonly review: SampleReview | null;
  /** Whether a review is on its way to the server. */
  readonly sending: boolean;
  /** The reason typed for rejecting annotations (sent with the next rejection). */
  readonly reason: string;
  /** The reason typed for the verdict (required to reject the sample). */
  readonly verdictReason: string;
  setReason(text: string): void;
  setVerdictReason(text: string): void;
}

export interface Reviewer {
  readonly state: StoreApi<ReviewerState>;
  /** Read the review again. */
  refresh(): Promise<void>;
  /** Accept or reject the annotations `ids` (a rejection with the typed reason); whether
   * the server took it. */
  decide(ids: readonly string[], outcome: Outcome): Promise<boolean>;
  /** Accept or reject the whole sample (a rejection needs the typed verdict reason). */
  judge(outcome: Outcome): Promise<boolean>;
}

export interface ReviewerOptions {
  readonly work: StoreApi<WorkState>;
  readonly saver: Autosaver;
  readonly send: SendReview;
  readonly load: LoadReview;
  readonly notify: (notice: Notice) => void;
}

/** Why a review cannot be sent before the work is saved. */
export const UNSAVED =
  "The work is not saved (see the save state): a review judges the sample as saved, so save it first.";

/** Why the server refused a review that expected an older revision. */
export const CHANGED =
  "The sample changed since it was read (someone saved work on it): reload the page to review it as it is now.";

/** A reviewer of the work in `work` (see the module). */
export function createReviewer({ work, saver, send, load, notify }: ReviewerOptions): Reviewer {
  const state = createStore<ReviewerState>()((set) => ({
    review: null,
    sending: false,
    reason: "",
    verdictReason: "",
    setReason(reason) {
      set({ reason });
    },
    setVerdictReason(verdictReason) {
      set({ verdictReason });
    },
  }));
  const error = (text: string): void => notify({ tone: "error", text });

  async function submit(change: ReviewChange): Promise<boolean> {
    if (state.getState().sending) {
      error("A review is on its way to the server: wait for it.");
      return false;
    }
    state.setState({ sending: true });
    try {
      if (!(await settle(work, saver))) {
        error(UNSAVED);
        return false;
      }
      const { etag } = work.getState();
      if (etag === null) throw new Error("no sample is loaded");
      const answer = await send(change, etag);
      if (answer.ok) {
        state.setState({ review: answer.body });
        const now = work.getState();
        // the review changed the sample's revision (and a verdict its status), not its work
        if (now.etag === etag && now.sample !== null) {
          work.setState({ etag: answer.etag, sample: { ...now.sample, status: answer.body.status } });
        }
        return true;
      }
      const refused = new ApiError(answer.status, answer.body);
      if (answer.status === 409) {
        const current = refused.fields.current;
        if (isReview(current)) state.setState({ review: current });
        error(CHANGED);
      } else {
        error(`The review was refused: ${refused.message}`);
      }
      return false;
    } catch (failure) {
      error(`The review was not sent: ${failure instanceof Error ? failure.message : String(failure)}`);
      return false;
    } finally {
      state.setState({ sending: false });
    }
  }

  return {
    state,
    async refresh() {
      try {
        state.setState({ review: await load() });
      } catch (failure) {
        error(`Could not load the review: ${failure instanceof Error ? failure.message : String(failure)}`);
      }
    },
    async decide(ids, outcome) {
      if (ids.length === 0) return false;
      const reason = outcome === "rejected" ? state.getState().reason.trim() : "";
      const decisions = ids.map((annotation) => ({ annotation, decision: outcome, reason: reason || null }));
      const done = await submit({ decisions });
      if (done && reason !== "") state.setState({ reason: "" });
      return done;
    },
    async judge(outcome) {
      const reason = state.getState().verdictReason.trim();
      if (outcome === "rejected" && reason === "") {
        error("Say why the sample is rejected: the reason goes back to its annotator.");
        return false;
      }
      const done = await submit({ verdict: { decision: outcome, reason: reason || null } });
      if (done) {
        state.setState({ verdictReason: "" });
        notify({
          tone: "info",
          text: outcome === "accepted" ? "Sample accepted: it is done." : "Sample rejected: it goes back to its annotator.",
        });
      }
      return done;
    },
  };
}

/** Save the work (waiting for a save in flight); whether it is all saved then. */
async function settle(work: StoreApi<WorkState>, saver: Autosaver): Promise<boolean> {
  // edits made while a save is in flight are saved by the next round
  for (let round = 0; round < 3; round += 1) {
    await saver.saveNow();
    await saved(saver);
    const state = work.getState();
    if (state.conflict !== null || saver.status.getState().status.state === "failed") return false;
    if (!isDirty(state)) return true;
  }
  return false;
}

/** Resolves once no save is in flight. */
function saved(saver: Autosaver): Promise<void> {
  return new Promise((resolve) => {
    if (saver.status.getState().status.state !== "saving") {
      resolve();
      return;
    }
    const stop = saver.status.subscribe(({ status }) => {
      if (status.state === "saving") return;
      stop();
      resolve();
    });
  });
}

function isReview(value: unknown): value is SampleReview {
  return typeof value === "object" && value !== null && Array.isArray((value as SampleReview).annotations);
}
