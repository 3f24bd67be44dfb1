/**
 * Linking the two selected objects: which relation types the ontology allows between
 * them (`ontology/relations`), why the others are not offered, and the link a choice
 * makes (a directed type allowed only the other way round is drawn target → source).
 */
import type { OntologyIndex } from "../ontology/ontology";
import {
  allowedRelations,
  endpointsOf,
  linkProblem,
  type AllowedRelation,
  type SampleParts,
} from "../ontology/relations";
import type { Work } from "../work/objects";

/** The relation menu for two ends, in the order they were selected. */
export interface LinkChoices {
  readonly source: string;
  readonly target: string;
  /** The types that may join them, deprecated ones left out, in the ontology's order. */
  readonly allowed: readonly AllowedRelation[];
  /** The other types, each with the rule that keeps it out. */
  readonly refused: readonly { readonly relation: string; readonly why: string }[];
}

/** The ends a link of the selection would join, or what keeps the selection from being
 * linked (the message says what to select). */
export function linkEnds(selected: readonly string[], work: Work): { source: string; target: string } | string {
  const linkable = new Set([...work.annotations, ...work.entities].map((object) => object.id));
  const ends = selected.filter((id) => linkable.has(id));
  if (ends.length !== 2 || ends.length !== selected.length) {
    return `select exactly two annotations or entities to link (${selected.length} selected${
      ends.length !== selected.length ? `, ${ends.length} of them annotations or entities` : ""
    })`;
  }
  return { source: ends[0] as string, target: ends[1] as string };
}

/** The relation types for a link from `source` to `target` among `parts` (the sample's
 * streams with the work's annotations and entities). */
export function linkChoices(
  ontology: OntologyIndex,
  parts: Pick<SampleParts, "streams">,
  work: Work,
  ends: { source: string; target: string },
): LinkChoices {
  const endpoints = endpointsOf({
    streams: parts.streams ?? [],
    annotations: work.annotations,
    entities: work.entities,
  });
  const source = endpoints.get(ends.source);
  const target = endpoints.get(ends.target);
  if (source === undefined || target === undefined) {
    const missing = source === undefined ? ends.source : ends.target;
    return {
      ...ends,
      allowed: [],
      refused: [{ relation: "any", why: `'${missing}' is not an annotation or entity of the sample` }],
    };
  }
  const allowed = allowedRelations(ontology, source, target).filter((choice) => !(choice.relation.deprecated ?? false));
  const offered = new Set(allowed.map((choice) => choice.relation.name));
  const refused = ontology.relations
    .filter((relation) => !offered.has(relation.name))
    .map((relation) => {
      if (relation.deprecated ?? false) return { relation: relation.name, why: "deprecated" };
      const problem = linkProblem(ontology, { type: relation.name, ...ends }, endpoints);
      return { relation: relation.name, why: problem?.detail ?? "not allowed" };
    });
  return { ...ends, allowed, refused };
}

/** The link `choice` of `choices` makes: its type and ends, turned round when the type is
 * allowed only the other way. */
export function linkOf(
  choices: LinkChoices,
  choice: AllowedRelation,
): { type: string; source: string; target: string } {
  const { source, target } = choices;
  return choice.reversed
    ? { type: choice.relation.name, source: target, target: source }
    : { type: choice.relation.name, source, target };
}
