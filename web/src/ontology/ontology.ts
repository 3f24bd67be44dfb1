/**
 * A project's ontology as `GET /api/projects/{p}/ontology` sends it, indexed for the
 * workspace: the is-a tree, inherited geometry kinds and attributes, relation types.
 *
 * Mirrors `rosetta.core.ontology.Ontology`: a class's geometries are those of the nearest
 * class on its is-a chain that names any (none named: any geometry); its attributes are its
 * own and its ancestors', nearer definitions winning; its guideline is the nearest one on
 * its is-a chain (how to annotate it, shown in the label picker and the inspector).
 */
import type { components } from "../api/schema";

type Schemas = components["schemas"];
export type OntologyJson = Schemas["Ontology"];
export type ClassDef = Schemas["ClassDef"];
export type AttributeDef = Schemas["AttributeDef"];
export type RelationType = Schemas["RelationType"];
export type Guideline = Schemas["Guideline"];
export type GuidelineExample = Schemas["GuidelineExample"];
export type RubricCriterion = Schemas["RubricCriterion"];
export type GeometryKind = NonNullable<ClassDef["geometries"]>[number];

/** The guideline a class is annotated by, and the class (it or an ancestor) that gives it. */
export interface ClassGuideline {
  readonly guideline: Guideline;
  readonly from: string;
}

/** One version of a project's ontology, checked and indexed (see the module). */
export class OntologyIndex {
  readonly name: string;
  readonly version: number;
  readonly classes: readonly ClassDef[];
  readonly relations: readonly RelationType[];
  /** The criteria preference judgements score candidates on. */
  readonly rubric: readonly RubricCriterion[];
  private readonly classMap: ReadonlyMap<string, ClassDef>;
  private readonly relationMap: ReadonlyMap<string, RelationType>;
  private readonly lineage: ReadonlyMap<string, readonly string[]>;

  /** Indexes `json`; an `Error` names what makes it incoherent (as the server would). */
  constructor(json: OntologyJson) {
    this.name = json.name ?? "ontology";
    this.version = json.version ?? 1;
    this.classes = json.classes;
    this.relations = json.relations ?? [];
    this.rubric = json.rubric ?? [];
    const classMap = new Map<string, ClassDef>();
    const repeated = new Set<string>();
    for (const cls of this.classes) {
      if (classMap.has(cls.name)) {
        repeated.add(cls.name);
      }
      classMap.set(cls.name, cls);
    }
    if (repeated.size > 0) {
      throw new Error(`class names must be unique; repeated: ${[...repeated].sort().join(", ")}`);
    }
    const lineage = new Map<string, readonly string[]>();
    for (const cls of this.classes) {
      const chain = [cls.name];
      let parent = cls.parent ?? null;
      while (parent !== null) {
        const parentDef = classMap.get(parent);
        if (parentDef === undefined) {
          throw new Error(
            `class ${JSON.stringify(chain.at(-1))}: parent ${JSON.stringify(parent)} is not a class`,
          );
        }
        if (chain.includes(parent)) {
          throw new Error(
            `class ${JSON.stringify(cls.name)}: is-a cycle through ${JSON.stringify(parent)}`,
          );
        }
        chain.push(parent);
        parent = parentDef.parent ?? null;
      }
      lineage.set(cls.name, chain);
    }
    const relationMap = new Map<string, RelationType>();
    for (const relation of this.relations) {
      if (relationMap.has(relation.name)) {
        throw new Error(`relation type names must be unique; repeated: ${relation.name}`);
      }
      relationMap.set(relation.name, relation);
      for (const end of [relation.source, relation.target]) {
        for (const name of end?.classes ?? []) {
          if (!classMap.has(name)) {
            throw new Error(
              `relation ${JSON.stringify(relation.name)}: endpoint class ${JSON.stringify(name)} is unknown`,
            );
          }
        }
      }
    }
    this.classMap = classMap;
    this.relationMap = relationMap;
    this.lineage = lineage;
  }

  /** The class called `name`, if there is one. */
  classDef(name: string): ClassDef | undefined {
    return this.classMap.get(name);
  }

  /** The relation type called `name`, if there is one. */
  relation(name: string): RelationType | undefined {
    return this.relationMap.get(name);
  }

  /** `name` followed by its ancestors up to the root (empty for an unknown class). */
  ancestors(name: string): readonly string[] {
    return this.lineage.get(name) ?? [];
  }

  /** Whether class `name` is `other` or a descendant of it. */
  isA(name: string, other: string): boolean {
    return this.ancestors(name).includes(other);
  }

  /** Whether two labels can denote one thing: the same class or is-a related. */
  compatible(first: string, second: string): boolean {
    return this.isA(first, second) || this.isA(second, first);
  }

  /** The geometry kinds class `name` may label, inherited from its ancestors; `null`: any. */
  allowedGeometries(name: string): ReadonlySet<GeometryKind> | null {
    for (const ancestor of this.ancestors(name)) {
      const kinds = this.classMap.get(ancestor)?.geometries;
      if (kinds !== undefined && kinds !== null) {
        return new Set(kinds);
      }
    }
    return null;
  }

  /** Whether class `name` may label a geometry of kind `kind`. */
  allowsGeometry(name: string, kind: GeometryKind): boolean {
    const allowed = this.allowedGeometries(name);
    return allowed === null || allowed.has(kind);
  }

  /** The guideline of class `name`: its own, else its nearest ancestor's; `null`: none. */
  guidelineOf(name: string): ClassGuideline | null {
    for (const ancestor of this.ancestors(name)) {
      const guideline = this.classMap.get(ancestor)?.guideline;
      if (guideline !== undefined && guideline !== null) return { guideline, from: ancestor };
    }
    return null;
  }

  /** The attributes of class `name`, its own first, then inherited (nearer ones win). */
  attributesOf(name: string): ReadonlyMap<string, AttributeDef> {
    const found = new Map<string, AttributeDef>();
    for (const ancestor of this.ancestors(name)) {
      for (const attribute of this.classMap.get(ancestor)?.attributes ?? []) {
        if (!found.has(attribute.name)) {
          found.set(attribute.name, attribute);
        }
      }
    }
    return found;
  }
}
