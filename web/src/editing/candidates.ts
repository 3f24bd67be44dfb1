/**
 * Deciding about a model's candidates in the workspace. A *candidate* is an annotation a
 * proposer made (`source.kind` `"model"`) still at revision 1: no one has decided about
 * it. A decision goes to `POST /api/annotations/{id}/decision` with `If-Match: "1"`:
 * accept the candidate as the work has it now (the class, geometry or attributes the
 * person changed go with it, and the server records an `edited` decision), or reject it
 * (the server deletes it).
 *
 * Editing a candidate is deciding about it too: before a save would send them
 * (`settleEdits`, the autosaver's `prepare`), a candidate the work changed is accepted
 * with those changes and one the work deleted is rejected, so every candidate ends in a
 * decision the per-model metrics count, never in a plain edit. The save then carries the
 * rest of the work.
 *
 * A decision moves the sample's revision, so afterwards the sample is read again and
 * taken into the work store (`WorkState.refresh`: the edits not yet saved stay on top; the
 * decided candidates are as the server has them). Explicit decisions run `exclusive`ly
 * with the saves. Framework-free: the I/O is passed in.
 */
import { createStore, type StoreApi } from "zustand/vanilla";

import { ApiError, type Schemas } from "../api/client";
import { changedFields, EDITABLE, type Annotation, type Sample, type Work } from "../work/objects";
import type { WorkState } from "../work/store";
import type { Notice } from "./editor";

export type CandidateDecision = Schemas["CandidateDecision"];
export type DecisionMade = Schemas["DecisionMade"];
/** Accept a candidate (as the work has it) or reject it. */
export type Verdict = CandidateDecision["decision"];

/** Whether `annotation` is a model's candidate awaiting a decision. */
export function isCandidate(annotation: Pick<Annotation, "source" | "revision">): boolean {
  return annotation.source?.kind === "model" && annotation.revision === 1;
}

/** What a candidate is tagged with where it is drawn: "model" and the model's confidence
 * ("model 92%"); `null` for an annotation that is not a candidate. */
export function candidateBadge(annotation: Pick<Annotation, "source" | "revision">): string | null {
  if (!isCandidate(annotation)) return null;
  const confidence = annotation.source?.confidence;
  return typeof confidence === "number" ? `model ${Math.round(confidence * 100)}%` : "model";
}

/** The decision about candidate `id` that sends the work's version of it: a rejection, or
 * an acceptance with the editable fields the work changed since it was read. */
export function decisionOf(read: Annotation, now: Annotation | undefined, verdict: Verdict): CandidateDecision {
  if (verdict === "reject") return { decision: "reject" };
  if (now === undefined) {
    throw new Error(`annotation ${JSON.stringify(read.id)} was deleted here: undo the deletion to accept it`);
  }
  const decision: CandidateDecision = { decision: "accept" };
  for (const field of changedFields(read, now, EDITABLE.annotation)) {
    if (field === "label") decision.label = now.label;
    else if (field === "geometry") decision.geometry = now.geometry as CandidateDecision["geometry"];
    else if (field === "attributes") decision.attributes = now.attributes ?? {};
  }
  return decision;
}

/** The decisions the work's edits of candidates make: each candidate read (`base`) that
 * the work deleted (rejected) or changed (accepted with the changes), in the work's order. */
export function editDecisions(base: Work, work: Work): { id: string; decision: CandidateDecision }[] {
  const now = new Map(work.annotations.map((a) => [a.id, a]));
  return base.annotations.flatMap((read) => {
    if (!isCandidate(read)) return [];
    const current = now.get(read.id);
    if (current === undefined) return [{ id: read.id, decision: decisionOf(read, current, "reject") }];
    if (changedFields(read, current, EDITABLE.annotation).length === 0) return [];
    return [{ id: read.id, decision: decisionOf(read, current, "accept") }];
  });
}

/** The server's answer to a decision: what was decided, or an error status and body. */
export type DecisionAnswer =
  | { readonly ok: true; readonly body: DecisionMade }
  | { readonly ok: false; readonly status: number; readonly body: unknown };

/** Sends a decision about annotation `id` read at `revision`; rejects only when no answer came. */
export type SendDecision = (id: string, decision: CandidateDecision, revision: number) => Promise<DecisionAnswer>;

/** Reads the sample again with its ETag. */
export type LoadSample = () => Promise<{ readonly sample: Sample; readonly etag: string }>;

/** Runs a task with no save in flight (`Autosaver.exclusive`). */
export type Exclusive = <T>(task: () => Promise<T>) => Promise<T>;

export interface DeciderState {
  /** The candidates whose decision is on its way to the server. */
  readonly deciding: readonly string[];
}

export interface CandidateDecider {
  readonly state: StoreApi<DeciderState>;
  /** Accept or reject candidate `id` as the work has it now; the decision made, or `null`
   * when it was refused (the person is told why). */
  decide(id: string, verdict: Verdict): Promise<DecisionMade | null>;
  /** Send the decisions the work's edits of candidates make and read the sample again; an
   * `Error` naming those the server refused (the save then stops and says so). */
  settleEdits(): Promise<void>;
}

export interface DeciderOptions {
  readonly work: StoreApi<WorkState>;
  readonly send: SendDecision;
  readonly load: LoadSample;
  readonly exclusive: Exclusive;
  readonly notify: (notice: Notice) => void;
  /** Told of the candidates a decision took away (rejected), to deselect them. */
  readonly dropped: (ids: readonly string[]) => void;
}

/** What the person is told when the server took a decision. */
export function decisionNotice(made: DecisionMade): string {
  const model = made.candidate.source?.name ?? "the model";
  const what = `${made.candidate.label} ${made.candidate.geometry.type} from ${model}`;
  if (made.decision === "rejected") return `Rejected the ${what}.`;
  return made.decision === "edited" ? `Accepted the ${what}, with your changes.` : `Accepted the ${what}.`;
}

/** A decider about the candidates of the work in `work` (see the module). */
export function createCandidateDecider({
  work,
  send,
  load,
  exclusive,
  notify,
  dropped,
}: DeciderOptions): CandidateDecider {
  const state = createStore<DeciderState>()(() => ({ deciding: [] }));
  const deciding = (ids: readonly string[], on: boolean): void => {
    const now = state.getState().deciding;
    state.setState({ deciding: on ? [...now, ...ids] : now.filter((id) => !ids.includes(id)) });
  };

  /** Send one decision; the decision made, or why it was refused. */
  async function sendOne(id: string, decision: CandidateDecision): Promise<DecisionMade | string> {
    const answer = await send(id, decision, 1);
    if (answer.ok) return answer.body;
    const refused = new ApiError(answer.status, answer.body);
    return answer.status === 409
      ? `someone decided about it or changed it meanwhile (${refused.message})`
      : refused.message;
  }

  /** Read the sample again into the work, `settled` as the server has them. */
  async function reload(settled: readonly string[]): Promise<void> {
    const { sample, etag } = await load();
    work.getState().refresh(sample, etag, settled);
  }

  return {
    state,
    decide(id, verdict) {
      return exclusive(async () => {
        const { base, work: now, conflict } = work.getState();
        const read = base.annotations.find((a) => a.id === id);
        const problem =
          conflict !== null
            ? "resolve the conflict first"
            : read === undefined || !isCandidate(read)
              ? `annotation ${JSON.stringify(id)} is not a model's candidate awaiting a decision`
              : null;
        if (problem !== null || read === undefined) {
          notify({ tone: "error", text: `Cannot decide: ${problem ?? "no such candidate"}.` });
          return null;
        }
        deciding([id], true);
        try {
          const decision = decisionOf(
            read,
            now.annotations.find((a) => a.id === id),
            verdict,
          );
          const made = await sendOne(id, decision);
          await reload(typeof made === "string" ? [] : [id]);
          if (typeof made === "string") {
            notify({ tone: "error", text: `The decision was refused: ${made}` });
            return null;
          }
          if (made.annotation === null) dropped([id]);
          notify({ tone: "info", text: decisionNotice(made) });
          return made;
        } catch (failure) {
          const message = failure instanceof Error ? failure.message : String(failure);
          notify({ tone: "error", text: `The decision was not made: ${message}` });
          return null;
        } finally {
          deciding([id], false);
        }
      });
    },
    async settleEdits() {
      const { base, work: now } = work.getState();
      const due = editDecisions(base, now);
      if (due.length === 0) return;
      const ids = due.map((item) => item.id);
      deciding(ids, true);
      try {
        const refused: string[] = [];
        const settled: string[] = [];
        for (const { id, decision } of due) {
          const made = await sendOne(id, decision);
          if (typeof made === "string") refused.push(`candidate ${JSON.stringify(id)}: ${made}`);
          else settled.push(id);
        }
        await reload(settled);
        if (refused.length > 0) throw new Error(`the decision was refused for ${refused.join("; ")}`);
      } finally {
        deciding(ids, false);
      }
    },
  };
}

/** Accept or reject the candidates among the `selected` objects of `work`, one after
 * another; how many the server took (none selected: the person is told to select some). */
export async function decideSelection(
  decider: CandidateDecider,
  work: Work,
  selected: readonly string[],
  verdict: Verdict,
  notify: (notice: Notice) => void,
): Promise<number> {
  const chosen = work.annotations.filter((a) => selected.includes(a.id) && isCandidate(a)).map((a) => a.id);
  if (chosen.length === 0) {
    notify({ tone: "error", text: "Select a model's candidate first (drawn dashed, tagged with the model)." });
    return 0;
  }
  let taken = 0;
  for (const id of chosen) if ((await decider.decide(id, verdict)) !== null) taken += 1;
  return taken;
}
