import { api } from "../app/api";
import { unwrap, type Schemas } from "../api/client";

/** A sample, one of its streams, one of its annotations, as the API answers them. */
export type Sample = Schemas["Sample"];
export type Stream = NonNullable<Sample["streams"]>[number];
export type Annotation = NonNullable<Sample["annotations"]>[number];

/** A sample as loaded: its JSON, the ETag its writes must send back in `If-Match`, and the
 * id of its project. */
export interface LoadedSample {
  readonly sample: Sample;
  readonly etag: string;
  readonly project: string;
}

/** The whole sample as the caller may see it (`GET /api/samples/{sample_id}`), with its
 * ETag and its project (the answer's `Link: </api/projects/<id>>; rel="project"`). */
export async function loadSample(sampleId: string, signal?: AbortSignal): Promise<LoadedSample> {
  const answer = await api.GET("/api/samples/{sample_id}", { params: { path: { sample_id: sampleId } }, signal });
  // openapi-fetch widens the schema's fixed-length arrays (ego poses) to plain arrays
  const sample = unwrap(answer) as Sample;
  const etag = answer.response.headers.get("ETag");
  if (etag === null) throw new Error(`the answer for sample ${sampleId} has no ETag`);
  const project = projectOfLink(answer.response.headers.get("Link"));
  if (project === null) throw new Error(`the answer for sample ${sampleId} does not name its project`);
  return { sample, etag, project };
}

/** The project id in a `Link` header's `rel="project"` entry (RFC 8288), if there is one. */
export function projectOfLink(header: string | null): string | null {
  for (const entry of header?.split(",") ?? []) {
    const found = /^\s*<\/api\/projects\/([^>/]+)>\s*;(.*)$/.exec(entry);
    if (found?.[1] !== undefined && /\brel\s*=\s*"?project"?(\s|;|$)/.test(found[2] ?? "")) {
      return decodeURIComponent(found[1]);
    }
  }
  return null;
}
