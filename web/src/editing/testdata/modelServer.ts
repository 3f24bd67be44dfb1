/**
 * A stand-in for the server at the network edge of the proposal and decision tests: it
 * keeps one sample and its revision, stores a model's candidates, takes decisions about
 * them (`If-Match` checked) and whole-sample submissions, and reads the sample back with
 * its ETag, each change moving the revision as the server's events do.
 */
import { vi } from "vitest";

import type { Annotation, Sample } from "../../work/objects";
import type { SampleWork } from "../../work/store";
import type { Answer } from "../autosave";
import type { CandidateDecision, DecisionAnswer } from "../candidates";
import type { ProposalAnswer, ProposalAsk } from "../proposals";

/** A model's candidate on the photo of `work/testdata/sample` (a box, confidence 0.92). */
export function candidate(id = "c-patch", overrides: Partial<Annotation> = {}): Annotation {
  return {
    id,
    stream: "photo",
    label: "thing",
    geometry: { type: "box", x: 50, y: 60, w: 30, h: 40 },
    attributes: {},
    revision: 1,
    ontology_version: 1,
    author: "grabcut",
    source: {
      kind: "model",
      name: "grabcut",
      version: "opencv 4.14.0",
      confidence: 0.92,
      parameters: {
        proposer: "grabcut",
        parameters: { iterations: 5 },
        prompt: { box: { type: "box", x: 45, y: 55, w: 40, h: 50 } },
      },
    },
    flags: [],
    ...overrides,
  };
}

const conflict = (message: string) => ({ error: { type: "conflict", message } });

/** The server of one sample, at `revision`, deciding as `person`. */
export function modelServer(start: Sample, revision: number, person = "grace") {
  let sample = start;
  let at = revision;
  const annotations = (): readonly Annotation[] => sample.annotations ?? [];
  const put = (list: readonly Annotation[]): void => {
    sample = { ...sample, annotations: [...list] };
    at += 1;
  };
  const asked: ProposalAsk[] = [];
  const decided: { id: string; decision: CandidateDecision; revision: number }[] = [];
  const submitted: { body: SampleWork; etag: string }[] = [];
  /** What the next proposal makes (the candidates stored), or the error it answers. */
  let proposes: readonly Annotation[] | { status: number; message: string } = [];

  return {
    get sample() {
      return sample;
    },
    get etag() {
      return `"${at}"`;
    },
    asked,
    decided,
    submitted,
    willPropose(made: readonly Annotation[] | { status: number; message: string }) {
      proposes = made;
    },
    load: vi.fn(async () => ({ sample, etag: `"${at}"` })),
    propose: vi.fn(async (ask: ProposalAsk): Promise<ProposalAnswer> => {
      asked.push(ask);
      if (!Array.isArray(proposes)) {
        const { status, message } = proposes as { status: number; message: string };
        return { ok: false, status, body: { error: { type: "rule_violation", message } } };
      }
      const made = proposes as readonly Annotation[];
      if (made.length > 0) put([...annotations(), ...made]);
      return { ok: true, body: [...made] };
    }),
    decide: vi.fn(async (id: string, decision: CandidateDecision, revision: number): Promise<DecisionAnswer> => {
      decided.push({ id, decision, revision });
      const found = annotations().find((a) => a.id === id);
      if (found === undefined || found.revision !== revision) {
        return { ok: false, status: 409, body: conflict(`annotation '${id}' changed since revision ${revision}`) };
      }
      const measures = { label_changed: decision.label !== undefined && decision.label !== found.label };
      if (decision.decision === "reject") {
        put(annotations().filter((a) => a.id !== id));
        return { ok: true, body: { decision: "rejected", candidate: found, measures, annotation: null } };
      }
      const { label, geometry, attributes } = decision;
      const after: Annotation = {
        ...found,
        ...(label == null ? {} : { label }),
        ...(geometry == null ? {} : { geometry: geometry as Annotation["geometry"] }),
        ...(attributes == null ? {} : { attributes }),
        revision: found.revision + 1,
        author: person,
      };
      put(annotations().map((a) => (a.id === id ? after : a)));
      const edited = label != null || geometry != null || attributes != null;
      return {
        ok: true,
        body: { decision: edited ? "edited" : "accepted", candidate: found, measures, annotation: after },
      };
    }),
    submit: vi.fn(async (body: SampleWork, etag: string): Promise<Answer> => {
      submitted.push({ body, etag });
      if (etag !== `"${at}"`) {
        return { ok: false, status: 409, body: { error: { type: "conflict", current: sample, actual: at } } };
      }
      const read = new Map(annotations().map((a) => [a.id, a]));
      put(
        (body.annotations ?? []).map((a) => {
          const before = read.get(a.id);
          return before === undefined || JSON.stringify(before) === JSON.stringify(a)
            ? (a as Annotation)
            : ({ ...a, revision: before.revision + 1 } as Annotation);
        }),
      );
      return {
        ok: true,
        etag: `"${at}"`,
        body: { sample, created: 0, updated: 0, deleted: 0, unchanged: 0, stale: 0 },
      };
    }),
  };
}
