/**
 * Questions escalated to a senior (`/api/samples/{id}/escalations`, `/api/escalations/…`),
 * framework-free: checking a question or an answer before it is sent, saying where one
 * stands, who may withdraw it, and which guidelines an answer can clarify.
 */
import type { Schemas } from "../api/client";
import type { OntologyIndex } from "../ontology/ontology";

export type Escalation = Schemas["Escalation"];

/** The most characters a question or an answer may have (the server's limits). */
export const MAX_QUESTION = 2000;
export const MAX_ANSWER = 2000;
/** The most characters of a question a guideline's clarification takes. */
export const MAX_CLARIFIED_QUESTION = 1000;

/** Why `text` cannot be sent as a question or an answer of at most `max` characters, or
 * `null` when it can. */
export function textProblem(text: string, max: number): string | null {
  if (text.trim() === "") return "Write something first.";
  return text.length > max ? `At most ${max} characters (this has ${text.length}).` : null;
}

/** A guideline a clarification can be added to: a class's or a relation type's. */
export interface GuidelineTarget {
  readonly kind: "class" | "relation";
  readonly name: string;
}

/** The classes, then the relation types, with a guideline of their own, in the ontology's
 * order: only those take a clarification (an inherited guideline belongs to the ancestor). */
export function clarifyTargets(ontology: OntologyIndex): GuidelineTarget[] {
  return [
    ...ontology.classes.filter((c) => c.guideline != null).map((c) => ({ kind: "class" as const, name: c.name })),
    ...ontology.relations
      .filter((r) => r.guideline != null)
      .map((r) => ({ kind: "relation" as const, name: r.name })),
  ];
}

/** A target as one string (`class:person`), for a `<select>`'s values. */
export function targetKey(target: GuidelineTarget): string {
  return `${target.kind}:${target.name}`;
}

/** The target a `targetKey` names, or `null` for anything else. */
export function targetOf(key: string): GuidelineTarget | null {
  const [kind, ...rest] = key.split(":");
  const name = rest.join(":");
  if ((kind !== "class" && kind !== "relation") || name === "") return null;
  return { kind, name };
}

/** The body of `POST /api/escalations/{id}/clarify` adding to `target`'s guideline, the
 * ontology seen at `version`. */
export function clarifyBody(target: GuidelineTarget, version: number): Schemas["EscalationClarification"] {
  return target.kind === "class"
    ? { class: target.name, expected_version: version }
    : { relation: target.name, expected_version: version };
}

/** The guideline an answer went to, with the ontology version that added it ("the
 * guideline of person (v3)"). */
export function guidelineOf(clarified: NonNullable<Escalation["clarified"]>): string {
  const { kind, name, version } = clarified;
  return `the guideline of ${kind === "relation" ? "relation " : ""}${name} (v${version})`;
}

/** Where a question stands, in a few words ("answered by grace", "answered by grace · in
 * the guideline of person (v3)"). */
export function escalationState(item: Escalation): string {
  const answered = item.answered_by === null ? "answered" : `answered by ${item.answered_by}`;
  const state = item.status === "answered" ? answered : item.status;
  return item.clarified == null ? state : `${state} · in ${guidelineOf(item.clarified)}`;
}

/** Whether `user` may withdraw the question: their own, while open. */
export function canWithdraw(item: Escalation, user: string | undefined): boolean {
  return item.status === "open" && user !== undefined && item.asked_by === user;
}

/** Whether a person with `role` in a project may add answers to its guidelines (managers
 * and above). */
export function clarifiesAs(role: string): boolean {
  return role === "manager" || role === "admin";
}
