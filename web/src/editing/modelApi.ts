/**
 * The requests behind models' candidates in the workspace: the installed proposers, a
 * request for candidates on a sample, a decision about one, and an object's history.
 */
import { api } from "../app/api";
import { unwrap, type Schemas } from "../api/client";
import { loadSample } from "../panes/sample";
import type { Annotation } from "../work/objects";
import type { DecisionAnswer, LoadSample, SendDecision } from "./candidates";
import type { ListProposers, ProposalAnswer, SendProposal } from "./proposals";

export type HistoryPage = Schemas["HistoryPage"];

/** Reads the installed proposers (`GET /api/proposers`). */
export const listProposers: ListProposers = async () => unwrap(await api.GET("/api/proposers"));

/** Asks for candidates on sample `sampleId` (`POST /api/samples/{id}/proposals`). */
export function proposalSender(sampleId: string): SendProposal {
  return async (ask) => {
    const answer = await api.POST("/api/samples/{sample_id}/proposals", {
      params: { path: { sample_id: sampleId } },
      body: ask,
    });
    if (answer.error !== undefined || answer.data === undefined) {
      return { ok: false, status: answer.response.status, body: answer.error } satisfies ProposalAnswer;
    }
    // openapi-fetch widens the schema's fixed-length arrays to plain arrays
    return { ok: true, body: answer.data as Annotation[] } satisfies ProposalAnswer;
  };
}

/** Sends a decision about a candidate (`POST /api/annotations/{id}/decision`). */
export const sendDecision: SendDecision = async (id, decision, revision) => {
  const answer = await api.POST("/api/annotations/{annotation_id}/decision", {
    params: { path: { annotation_id: id }, header: { "if-match": `"${revision}"` } },
    body: decision,
  });
  if (answer.error !== undefined || answer.data === undefined) {
    return { ok: false, status: answer.response.status, body: answer.error } satisfies DecisionAnswer;
  }
  return { ok: true, body: answer.data as Schemas["DecisionMade"] } satisfies DecisionAnswer;
};

/** Reads sample `sampleId` again with its ETag. */
export function sampleReader(sampleId: string): LoadSample {
  return () => loadSample(sampleId);
}

/** One page of the history of object `id` (`GET /api/objects/{id}/history`). */
export async function loadHistory(id: string, cursor: string | null, signal?: AbortSignal): Promise<HistoryPage> {
  return unwrap(
    await api.GET("/api/objects/{object_id}/history", {
      params: { path: { object_id: id }, query: cursor === null ? {} : { cursor } },
      signal,
    }),
  );
}
