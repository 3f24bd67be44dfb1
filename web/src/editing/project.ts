/**
 * What editing a sample needs of its project: the caller's role there (reviewers accept
 * and reject links and annotations) and the project's current ontology (the classes a
 * label may be, the relation types a link may have); the submission of the work, and the
 * sample's review read and sent.
 */
import { api } from "../app/api";
import { unwrap, type Schemas } from "../api/client";
import { OntologyIndex } from "../ontology/ontology";
import type { SubmittedWork } from "../work/store";
import type { Answer, Send } from "./autosave";
import type { LoadReview, ReviewAnswer, SendReview } from "./reviewing";

export type ProjectOut = Schemas["ProjectOut"];

/** The project a sample is edited in, as the caller may act in it. */
export interface EditingProject {
  readonly project: ProjectOut;
  readonly ontology: OntologyIndex;
  /** Whether the caller may confirm and reject links (reviewer and above). */
  readonly canReview: boolean;
}

const REVIEWERS: ReadonlySet<string> = new Set(["reviewer", "manager", "admin"]);

/** Whether a person with `role` in a project reviews there (reviewers and above). */
export function reviewsAs(role: string): boolean {
  return REVIEWERS.has(role);
}

/** The project called (or with id) `name`, with the caller's role and its ontology. */
export async function loadEditingProject(name: string, signal: AbortSignal): Promise<EditingProject> {
  const project = unwrap(await api.GET("/api/projects/{project}", { params: { path: { project: name } }, signal }));
  const ontology = unwrap(
    await api.GET("/api/projects/{project}/ontology", { params: { path: { project: project.id } }, signal }),
  );
  return { project, ontology: new OntologyIndex(ontology), canReview: reviewsAs(project.role) };
}

/** Submits the work on sample `sampleId` (`PUT /api/samples/{id}/annotations`). */
export function submitter(sampleId: string): Send {
  return async (body, etag, { keepalive }) => {
    const answer = await api.PUT("/api/samples/{sample_id}/annotations", {
      params: { path: { sample_id: sampleId }, header: { "if-match": etag } },
      body,
      keepalive,
    });
    const { response } = answer;
    if (answer.error !== undefined || answer.data === undefined) {
      return { ok: false, status: response.status, body: answer.error } satisfies Answer;
    }
    const revision = response.headers.get("ETag");
    if (revision === null) throw new Error(`the answer for sample ${sampleId} has no ETag`);
    // openapi-fetch widens the schema's fixed-length arrays (ego poses) to plain arrays
    return { ok: true, body: answer.data as SubmittedWork, etag: revision } satisfies Answer;
  };
}

/** Reads the review of sample `sampleId` (`GET /api/samples/{id}/review`). */
export function reviewLoader(sampleId: string): LoadReview {
  return async () =>
    unwrap(await api.GET("/api/samples/{sample_id}/review", { params: { path: { sample_id: sampleId } } }));
}

/** Sends a review of sample `sampleId` (`PUT /api/samples/{id}/review`). */
export function reviewSender(sampleId: string): SendReview {
  return async (change, etag) => {
    const answer = await api.PUT("/api/samples/{sample_id}/review", {
      params: { path: { sample_id: sampleId }, header: { "if-match": etag } },
      body: change,
    });
    const { response } = answer;
    if (answer.error !== undefined || answer.data === undefined) {
      return { ok: false, status: response.status, body: answer.error } satisfies ReviewAnswer;
    }
    const revision = response.headers.get("ETag");
    if (revision === null) throw new Error(`the review of sample ${sampleId} came back without an ETag`);
    return { ok: true, body: answer.data, etag: revision } satisfies ReviewAnswer;
  };
}
