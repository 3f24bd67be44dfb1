/**
 * Where an annotation came from and what happened to it, in words: a model's provenance
 * as its `source` records it (model, version, confidence, the proposer, its parameters and
 * the prompt it was given), and the events of an object's history (who did what, when,
 * with which tool; a model's proposal, and the decision about it, named as such).
 */
import type { Schemas } from "../api/client";
import { changedFields, EDITABLE, type Annotation } from "../work/objects";

export type HistoryEvent = Schemas["Event"];

/** A model's candidate as its source records it. */
export interface Provenance {
  readonly model: string;
  readonly version: string | null;
  /** In [0, 1]; `null`: the model gave none. */
  readonly confidence: number | null;
  readonly proposer: string | null;
  readonly parameters: Readonly<Record<string, unknown>>;
  /** The prompt in a few words ("box 120×80 at 10,20 · 2 points on, 1 off"); "" for none. */
  readonly prompt: string;
}

function record(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function number(value: unknown): string {
  return typeof value === "number" ? String(Math.round(value * 100) / 100) : "?";
}

/** A prompt as `source.parameters.prompt` keeps it, in a few words ("" for none). */
export function promptWords(prompt: unknown): string {
  const given = record(prompt);
  const parts: string[] = [];
  const box = record(given.box);
  if (Object.keys(box).length > 0) {
    parts.push(`box ${number(box.w)}×${number(box.h)} at ${number(box.x)},${number(box.y)}`);
  }
  const points = Array.isArray(given.points) ? given.points.map(record) : [];
  if (points.length > 0) {
    const on = points.filter((p) => p.positive !== false).length;
    parts.push(`${on} ${on === 1 ? "point" : "points"} on, ${points.length - on} off`);
  }
  if (typeof given.text === "string") {
    const text = given.text.length > 60 ? `${given.text.slice(0, 59)}…` : given.text;
    parts.push(`text “${text}”`);
  }
  if (typeof given.frame === "number") parts.push(`frame ${given.frame}`);
  const interval = record(given.interval);
  if (Object.keys(interval).length > 0) parts.push(`${number(interval.start)}–${number(interval.end)} s`);
  return parts.join(" · ");
}

/** The provenance of a model's annotation; `null` for one a person made or imported. */
export function provenanceOf(source: Annotation["source"] | undefined): Provenance | null {
  if (source?.kind !== "model") return null;
  const parameters = record(source.parameters);
  return {
    model: source.name ?? "unnamed model",
    version: source.version ?? null,
    confidence: source.confidence ?? null,
    proposer: typeof parameters.proposer === "string" ? parameters.proposer : null,
    parameters: record(parameters.parameters),
    prompt: promptWords(parameters.prompt),
  };
}

/** A confidence in [0, 1] as a percentage ("92%"). */
export function percent(confidence: number): string {
  return `${Math.round(confidence * 100)}%`;
}

/** A model's name and version ("grabcut 4.10.0"). */
export function modelName(provenance: Provenance): string {
  return provenance.version === null ? provenance.model : `${provenance.model} ${provenance.version}`;
}

/** One event of an object's history, as the history section lists it. */
export interface EventWords {
  /** What was done ("proposed by model grabcut 4.10.0", "accepted the model's candidate"). */
  readonly action: string;
  /** Who did it, with which tool ("by grace (api)"; a model's proposal: "asked by grace (api)"). */
  readonly who: string;
  /** When, in seconds since the epoch. */
  readonly at: number;
  /** A model's provenance, for what a model proposed. */
  readonly provenance: Provenance | null;
  readonly note: string | null;
}

function annotationOf(value: unknown): Annotation | null {
  const found = record(value);
  return typeof found.id === "string" && typeof found.revision === "number" && "geometry" in found
    ? (found as unknown as Annotation)
    : null;
}

function wasCandidate(annotation: Annotation | null): annotation is Annotation {
  return annotation !== null && annotation.source?.kind === "model" && annotation.revision === 1;
}

/** `event` in words (see `EventWords`). */
export function describeEvent(event: HistoryEvent): EventWords {
  const before = annotationOf(event.before);
  const after = annotationOf(event.after);
  const tool = event.tool === null ? "" : ` (${[event.tool, event.tool_version].filter(Boolean).join(" ")})`;
  const words = { who: `by ${event.actor}${tool}`, at: event.at, note: event.note, provenance: null };
  if (event.action === "create" && after?.source?.kind === "model") {
    const provenance = provenanceOf(after.source);
    const model = provenance === null ? "" : modelName(provenance);
    return { ...words, action: `proposed by model ${model}`, who: `asked ${words.who}`, provenance };
  }
  if (event.action === "update" && wasCandidate(before) && after !== null) {
    const changed = changedFields(before, after, EDITABLE.annotation);
    return {
      ...words,
      action: `accepted the model's candidate${changed.length === 0 ? "" : `, changing its ${changed.join(", ")}`}`,
    };
  }
  if (event.action === "delete" && wasCandidate(before)) return { ...words, action: "rejected the model's candidate" };
  if (event.action === "update" && before !== null && after !== null) {
    const changed = changedFields(before, after, EDITABLE.annotation);
    return { ...words, action: changed.length === 0 ? "updated" : `changed its ${changed.join(", ")}` };
  }
  const plain: Readonly<Record<string, string>> = { create: "created", delete: "deleted" };
  return { ...words, action: plain[event.action] ?? event.action };
}
