/**
 * A preference sample as the API sends it (`rosetta.core.preference`): its candidates in
 * the caller's presentation order (model names only where the caller may see them), the
 * judgements the caller may see, and which streams are the prompt, which a candidate's and
 * which a judgement's rationale.
 */
import type { Schemas } from "../api/client";
import type { Sample, Stream } from "../panes/sample";
import { letterOf } from "./keys";

export type Candidate = Schemas["Candidate"];
export type Judgement = Schemas["Judgement"];
export type RubricCriterion = Schemas["RubricCriterion"];

/** A candidate as shown: its letter (by its place in the order shown) and its streams. */
export interface ShownCandidate {
  readonly candidate: Candidate;
  readonly letter: string;
  readonly streams: readonly Stream[];
}

/** The parts of a preference sample, each stream in the sample's order. */
export interface PreferenceParts {
  /** The streams in no candidate and no rationale. */
  readonly prompt: readonly Stream[];
  readonly candidates: readonly ShownCandidate[];
  /** The rationale streams, each with its judgement. */
  readonly rationales: readonly { readonly stream: Stream; readonly judgement: Judgement }[];
}

/** Whether `sample` is a preference sample (it has candidates). */
export function isPreferenceSample(sample: Sample): boolean {
  return (sample.candidates ?? []).length > 0;
}

/** The prompt, the candidates (lettered A, B, C… in the order the API gives them) and the
 * rationales of `sample`. */
export function preferenceParts(sample: Sample): PreferenceParts {
  const streams = sample.streams ?? [];
  const byId = new Map(streams.map((stream) => [stream.id, stream]));
  const judgements = sample.judgements ?? [];
  const rationaleOf = new Map(judgements.flatMap((j) => (j.rationale == null ? [] : [[j.rationale, j] as const])));
  const candidates = (sample.candidates ?? []).map((candidate, index) => ({
    candidate,
    letter: letterOf(index),
    streams: candidate.streams.flatMap((id) => {
      const stream = byId.get(id);
      return stream === undefined ? [] : [stream];
    }),
  }));
  const taken = new Set([...candidates.flatMap((c) => c.candidate.streams), ...rationaleOf.keys()]);
  return {
    prompt: streams.filter((stream) => !taken.has(stream.id)),
    candidates,
    rationales: streams.flatMap((stream) => {
      const judgement = rationaleOf.get(stream.id);
      return judgement === undefined ? [] : [{ stream, judgement }];
    }),
  };
}

/** The judgement of `author` among the sample's, or `null`. */
export function judgementOf(sample: Sample, author: string | null): Judgement | null {
  if (author === null) return null;
  return (sample.judgements ?? []).find((judgement) => judgement.author === author) ?? null;
}

/** The text of the rationale of `judgement` (empty without one). */
export function rationaleText(sample: Sample, judgement: Judgement | null): string {
  if (judgement?.rationale == null) return "";
  return (sample.streams ?? []).find((stream) => stream.id === judgement.rationale)?.text ?? "";
}
