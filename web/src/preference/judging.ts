/**
 * The judgement panel's state (zustand, framework-free): the draft being made and the one
 * last saved (`draft`), the rubric grid's current cell, and how saving went. Saving sends
 * `PUT /api/samples/{id}/judgement` (`judgementSender`); the panel then reads the sample
 * again, as the judgement's rationale is one of its streams.
 */
import { createStore, type StoreApi } from "zustand/vanilla";

import { api } from "../app/api";
import { ApiError } from "../api/client";
import { draftBody, draftChanged, type Criterion, type Draft, type JudgementBody } from "./draft";
import type { Judgement, RubricCriterion } from "./sample";

/** Where saving the judgement stands. */
export type JudgingStatus = "idle" | "saving" | "failed";

export interface JudgingState {
  readonly draft: Draft;
  /** The draft as last saved (or as read). */
  readonly saved: Draft;
  /** The saved judgement's revision, `null` before the first save. */
  readonly revision: number | null;
  /** The rubric grid's current cell: a criterion (row) and a candidate (column). */
  readonly cell: { readonly row: number; readonly column: number };
  readonly status: JudgingStatus;
  /** Why the last save or key was refused. */
  readonly problem: string | null;

  /** Apply `change` to the draft; a string it returns is shown as the problem instead. */
  edit(change: (draft: Draft) => Draft | string): void;
  setCell(cell: { row: number; column: number }): void;
  setStatus(status: JudgingStatus, problem?: string | null): void;
}

/** The state of a panel whose judgement starts as `saved` (at `revision`, `null`: none yet). */
export function createJudging(saved: Draft, revision: number | null): StoreApi<JudgingState> {
  return createStore<JudgingState>()((set) => ({
    draft: saved,
    saved,
    revision,
    cell: { row: 0, column: 0 },
    status: "idle",
    problem: null,
    edit(change) {
      set((state) => {
        const next = change(state.draft);
        if (typeof next === "string") return { problem: next };
        // a change after a failed save is a new attempt to come
        return { draft: next, problem: null, status: state.status === "failed" ? "idle" : state.status };
      });
    },
    setCell(cell) {
      set({ cell });
    },
    setStatus(status, problem = null) {
      set({ status, problem });
    },
  }));
}

/** Whether the panel holds changes not yet saved. */
export function unsaved(state: JudgingState): boolean {
  return draftChanged(state.draft, state.saved);
}

/** The body that saves the state's draft (candidates in the order shown). */
export function judgingBody(
  state: JudgingState,
  candidates: readonly string[],
  criteria: readonly Criterion[],
): JudgementBody {
  return draftBody(state.draft, candidates, criteria, state.revision);
}

/** A rubric criterion of the ontology as the draft reads it. */
export function criterionOf(criterion: RubricCriterion): Criterion {
  return {
    name: criterion.name,
    description: criterion.description ?? null,
    low: criterion.low ?? 1,
    high: criterion.high ?? 5,
    labels: criterion.labels ?? {},
  };
}

/** Sends the caller's judgement of sample `sampleId`; the judgement saved, or an `ApiError`
 * (409: it changed since `expected_revision`; 422: the field that is wrong). */
export function judgementSender(sampleId: string): (body: JudgementBody) => Promise<Judgement> {
  return async (body) => {
    const answer = await api.PUT("/api/samples/{sample_id}/judgement", {
      params: { path: { sample_id: sampleId } },
      body,
    });
    if (answer.error !== undefined || answer.data === undefined) {
      throw new ApiError(answer.response.status, answer.error);
    }
    return answer.data;
  };
}
