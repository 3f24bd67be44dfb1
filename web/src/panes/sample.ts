import { api } from "../app/api";
import { unwrap, type Schemas } from "../api/client";

/** A sample, one of its streams, one of its annotations, as the API answers them. */
export type Sample = Schemas["Sample"];
export type Stream = NonNullable<Sample["streams"]>[number];
export type Annotation = NonNullable<Sample["annotations"]>[number];

/** The whole sample as the caller may see it (`GET /api/samples/{sample_id}`), with the
 * ETag its writes must send back in `If-Match`. */
export async function loadSample(sampleId: string, signal?: AbortSignal): Promise<{ sample: Sample; etag: string }> {
  const answer = await api.GET("/api/samples/{sample_id}", { params: { path: { sample_id: sampleId } }, signal });
  // openapi-fetch widens the schema's fixed-length arrays (ego poses) to plain arrays
  const sample = unwrap(answer) as Sample;
  const etag = answer.response.headers.get("ETag");
  if (etag === null) throw new Error(`the answer for sample ${sampleId} has no ETag`);
  return { sample, etag };
}
