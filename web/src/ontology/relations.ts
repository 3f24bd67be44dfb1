/**
 * Which relation types may join two annotations or entities, by the rules the server
 * checks on every link (`rosetta.core.validation.check_link`).
 *
 * An end rule may constrain the geometry kind, the stream's modality and the class (a
 * class or below it) of an annotation at that end, and whether an entity may sit there
 * (then only its class counts: its label, or else its members' labels, one of which must
 * qualify). A directed relation reads source → target; an undirected one either way.
 */
import type { components } from "../api/schema";
import type { GeometryKind, OntologyIndex, RelationType } from "./ontology";

type Schemas = components["schemas"];
type Modality = Schemas["Modality"];
type EndpointRule = Schemas["EndpointRule"];

/** What the link rules look at in an annotation or an entity. */
export type Endpoint =
  | {
      readonly kind: "annotation";
      readonly id: string;
      readonly label: string;
      readonly geometry: GeometryKind;
      /** The modality of its stream; `null` for a classification of the whole sample. */
      readonly modality: Modality | null;
    }
  | {
      readonly kind: "entity";
      readonly id: string;
      readonly label: string | null;
      readonly memberLabels: readonly string[];
    };

/** The parts of a sample the endpoints are read from. */
export interface SampleParts {
  readonly streams?: readonly Pick<Schemas["Stream"], "id" | "modality">[];
  readonly annotations?: readonly Pick<
    Schemas["Annotation"],
    "id" | "label" | "geometry" | "stream"
  >[];
  readonly entities?: readonly Pick<Schemas["Entity"], "id" | "label" | "members">[];
}

/** A broken link rule: the rule and field the server would name, and why. */
export interface LinkProblem {
  readonly rule: "relation-known" | "link-self" | "link-endpoint" | "link-direction";
  readonly field: "type" | "source" | "target";
  readonly detail: string;
}

/** A relation type that may join a source and a target. */
export interface AllowedRelation {
  readonly relation: RelationType;
  /** A directed relation that holds only the other way round: draw it target → source. */
  readonly reversed: boolean;
}

/** Every annotation and entity of `sample` as a link endpoint, by id. */
export function endpointsOf(sample: SampleParts): Map<string, Endpoint> {
  const modalities = new Map((sample.streams ?? []).map((s) => [s.id, s.modality]));
  const labels = new Map<string, string>();
  const endpoints = new Map<string, Endpoint>();
  for (const a of sample.annotations ?? []) {
    labels.set(a.id, a.label);
    endpoints.set(a.id, {
      kind: "annotation",
      id: a.id,
      label: a.label,
      geometry: a.geometry.type,
      modality: a.stream === null ? null : (modalities.get(a.stream) ?? null),
    });
  }
  for (const e of sample.entities ?? []) {
    const memberLabels = (e.members ?? []).flatMap((m) => {
      const label = labels.get(m);
      return label === undefined ? [] : [label];
    });
    endpoints.set(e.id, { kind: "entity", id: e.id, label: e.label ?? null, memberLabels });
  }
  return endpoints;
}

/** A list as the server writes it in messages: `['a', 'b']`. */
function listed(items: readonly string[]): string {
  return `[${items.map((item) => `'${item}'`).join(", ")}]`;
}

/** What keeps `endpoint` from sitting at an end with `rule`, or `null` when it may. */
export function endpointProblem(
  ontology: OntologyIndex,
  rule: EndpointRule | undefined,
  endpoint: Endpoint,
): string | null {
  const classes = rule?.classes ?? [];
  if (endpoint.kind === "entity") {
    if (rule?.entity === false) {
      return "an entity is not allowed at this end";
    }
    if (classes.length > 0) {
      const labels = endpoint.label ? [endpoint.label] : endpoint.memberLabels;
      if (!labels.some((label) => classes.some((cls) => ontology.isA(label, cls)))) {
        return `the entity's label must be one of ${listed(classes)} (or below)`;
      }
    }
    return null;
  }
  const geometries = rule?.geometries;
  if (geometries != null && !geometries.includes(endpoint.geometry)) {
    return `geometry must be one of ${listed(geometries)}, not ${endpoint.geometry}`;
  }
  const modalities = rule?.modalities;
  if (
    modalities != null &&
    (endpoint.modality === null || !modalities.includes(endpoint.modality))
  ) {
    return `modality must be one of ${listed(modalities)}, not ${endpoint.modality ?? "None"}`;
  }
  if (classes.length > 0 && !classes.some((cls) => ontology.isA(endpoint.label, cls))) {
    return `label must be one of ${listed(classes)} (or below), not '${endpoint.label}'`;
  }
  return null;
}

/**
 * The first rule a link of type `type` from `sourceId` to `targetId` breaks, in the
 * server's order, or `null` when it keeps them all. `endpoints` are the sample's
 * (`endpointsOf`).
 */
export function linkProblem(
  ontology: OntologyIndex,
  link: { readonly type: string; readonly source: string; readonly target: string },
  endpoints: ReadonlyMap<string, Endpoint>,
): LinkProblem | null {
  const relation = ontology.relation(link.type);
  if (relation === undefined) {
    return {
      rule: "relation-known",
      field: "type",
      detail: `'${link.type}' is not a relation type of the ontology`,
    };
  }
  if (link.source === link.target) {
    return { rule: "link-self", field: "target", detail: "a link cannot join an object to itself" };
  }
  const source = endpoints.get(link.source);
  const target = endpoints.get(link.target);
  for (const [field, id, found] of [
    ["source", link.source, source],
    ["target", link.target, target],
  ] as const) {
    if (found === undefined) {
      return {
        rule: "link-endpoint",
        field,
        detail: `'${id}' is not an annotation or entity of the sample`,
      };
    }
  }
  const directed = relation.directed ?? true;
  const [forward, reverse] = directions(ontology, relation, source as Endpoint, target as Endpoint);
  if (forward === null || (!directed && reverse === null)) {
    return null;
  }
  if (directed && reverse === null) {
    return {
      rule: "link-direction",
      field: "source",
      detail: `'${link.type}' is directed source → target; these ends are the wrong way round`,
    };
  }
  const [field, problem] = forward.source
    ? (["source", forward.source] as const)
    : (["target", forward.target] as const);
  return { rule: "link-endpoint", field, detail: `'${link.type}' ${field}: ${problem}` };
}

/**
 * The relation types a link drawn from `source` to `target` may have, in the ontology's
 * order. Deprecated ones are included (the server accepts them; a picker may hide them);
 * none when both ends are the same object.
 */
export function allowedRelations(
  ontology: OntologyIndex,
  source: Endpoint,
  target: Endpoint,
): AllowedRelation[] {
  if (source.id === target.id) {
    return [];
  }
  const allowed: AllowedRelation[] = [];
  for (const relation of ontology.relations) {
    const [forward, reverse] = directions(ontology, relation, source, target);
    if (forward === null) {
      allowed.push({ relation, reversed: false });
    } else if (reverse === null) {
      allowed.push({ relation, reversed: relation.directed ?? true });
    }
  }
  return allowed;
}

interface EndProblems {
  source: string | null;
  target: string | null;
}

/** The end problems of `source → target` and of `target → source` (`null`: none). */
function directions(
  ontology: OntologyIndex,
  relation: RelationType,
  source: Endpoint,
  target: Endpoint,
): [EndProblems | null, EndProblems | null] {
  const check = (a: Endpoint, b: Endpoint): EndProblems | null => {
    const problems = {
      source: endpointProblem(ontology, relation.source, a),
      target: endpointProblem(ontology, relation.target, b),
    };
    return problems.source === null && problems.target === null ? null : problems;
  };
  return [check(source, target), check(target, source)];
}
