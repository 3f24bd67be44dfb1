/**
 * The work on one sample: its annotations, entities and links, as the API's JSON, and
 * how two versions of an object compare.
 *
 * Objects are never mutated; a change makes a new object, so an object left alone stays
 * the very JSON that was read (and the server recognises it as unchanged).
 */
import type { components } from "../api/schema";

type Schemas = components["schemas"];
export type Sample = Schemas["Sample"];
export type Annotation = Schemas["Annotation"];
export type Entity = Schemas["Entity"];
export type Link = Schemas["Link"];
export type LinkStatus = Link["status"];

/** The three kinds of work, and an object of one of them. */
export type Kind = "annotation" | "entity" | "link";
export type WorkObject = Annotation | Entity | Link;

/** The work of a sample, each kind in its order. */
export interface Work {
  readonly annotations: readonly Annotation[];
  readonly entities: readonly Entity[];
  readonly links: readonly Link[];
}

export const KINDS: readonly Kind[] = ["annotation", "entity", "link"];

/** The list of `work` that holds objects of `kind`. */
export function listOf(work: Work, kind: Kind): readonly WorkObject[] {
  return kind === "annotation" ? work.annotations : kind === "entity" ? work.entities : work.links;
}

/** `work` with the list of `kind` replaced. */
export function withList(work: Work, kind: Kind, list: readonly WorkObject[]): Work {
  if (kind === "annotation") {
    return { ...work, annotations: list as readonly Annotation[] };
  }
  return kind === "entity"
    ? { ...work, entities: list as readonly Entity[] }
    : { ...work, links: list as readonly Link[] };
}

/** The work of a sample as the API sent it. */
export function workOf(sample: Sample): Work {
  return {
    annotations: sample.annotations ?? [],
    entities: sample.entities ?? [],
    links: sample.links ?? [],
  };
}

/** Every object of `work` by id, with its kind. */
export function indexWork(work: Work): Map<string, { kind: Kind; object: WorkObject }> {
  const index = new Map<string, { kind: Kind; object: WorkObject }>();
  for (const kind of KINDS) {
    for (const object of listOf(work, kind)) {
      index.set(object.id, { kind, object });
    }
  }
  return index;
}

/** The fields a person edits; the others (revision, author, flags, ...) are the store's. */
export const EDITABLE: Readonly<Record<Kind, readonly string[]>> = {
  annotation: ["label", "geometry", "attributes"],
  entity: ["label", "members"],
  link: ["type", "source", "target", "attributes", "status"],
};

/** The value a field has when the JSON leaves it out. */
const DEFAULTS: Readonly<Record<string, unknown>> = {
  attributes: {},
  members: [],
  flags: [],
  label: null,
  status: "proposed",
  source_revision: null,
  target_revision: null,
  ontology_version: null,
  author: null,
};

/** The value of `field` of `object`, a left-out field read as its default. */
export function fieldValue(object: WorkObject, field: string): unknown {
  const value: unknown = (object as unknown as Record<string, unknown>)[field];
  return value === undefined ? (DEFAULTS[field] ?? null) : value;
}

/** Whether two JSON values are equal (object key order and left-out keys do not count). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) {
    return true;
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
    return false;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, i) => sameJson(item, b[i]))
    );
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  for (const key of keys) {
    if (!sameJson(left[key], right[key])) {
      return false;
    }
  }
  return true;
}

/**
 * The fields in which `after` differs from `before`: of `fields`, or of all fields but
 * the revision (which every change bumps).
 */
export function changedFields(
  before: WorkObject,
  after: WorkObject,
  fields?: readonly string[],
): string[] {
  const names =
    fields ??
    [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((f) => f !== "revision");
  return names.filter((name) => !sameJson(fieldValue(before, name), fieldValue(after, name)));
}
