/**
 * The ontology's classes as the label picker shows them: the is-a tree, narrowed to the
 * classes that may label a given geometry kind, and searched by name and description.
 *
 * The ontology defines no aliases or hotkeys; a picker numbers its visible choices itself.
 */
import type { GeometryKind, OntologyIndex } from "./ontology";

/** A class in the tree. */
export interface ClassNode {
  readonly name: string;
  readonly description: string | null;
  /** The names from the root down to this class. */
  readonly path: readonly string[];
  readonly deprecated: boolean;
  /** Whether it may be picked (allowed for the geometry, not deprecated unless asked). */
  readonly selectable: boolean;
  readonly children: readonly ClassNode[];
}

/** Which classes a picker offers. */
export interface PickerOptions {
  /** Only classes that may label this geometry kind (default: any). */
  readonly geometry?: GeometryKind;
  /** Offer deprecated classes too (default: no; an existing label may be one). */
  readonly includeDeprecated?: boolean;
}

/**
 * The class tree for a picker, in the ontology's order: every selectable class, with
 * the ancestors that lead to one kept as (unselectable) context.
 */
export function classTree(ontology: OntologyIndex, options: PickerOptions = {}): ClassNode[] {
  const children = new Map<string | null, string[]>();
  for (const cls of ontology.classes) {
    const parent = cls.parent ?? null;
    const siblings = children.get(parent);
    if (siblings === undefined) {
      children.set(parent, [cls.name]);
    } else {
      siblings.push(cls.name);
    }
  }
  const build = (name: string, path: readonly string[]): ClassNode | null => {
    const cls = ontology.classDef(name);
    if (cls === undefined) {
      return null;
    }
    const here = [...path, name];
    const kids = (children.get(name) ?? []).flatMap((child) => build(child, here) ?? []);
    const deprecated = cls.deprecated ?? false;
    const selectable =
      (options.includeDeprecated === true || !deprecated) &&
      (options.geometry === undefined || ontology.allowsGeometry(name, options.geometry));
    if (!selectable && kids.length === 0) {
      return null;
    }
    return {
      name,
      description: cls.description ?? null,
      path: here,
      deprecated,
      selectable,
      children: kids,
    };
  };
  return (children.get(null) ?? []).flatMap((root) => build(root, []) ?? []);
}

/** The nodes of `tree` in display order (pre-order), for keyboard movement. */
export function flatten(tree: readonly ClassNode[]): ClassNode[] {
  return tree.flatMap((node) => [node, ...flatten(node.children)]);
}

/**
 * The selectable classes of `tree` matching `query` (case-insensitive), best first:
 * the exact name, then names starting with it, then names with a word starting with it,
 * then names containing it, then descriptions containing it; ties in tree order. An
 * empty query gives every selectable class.
 */
export function searchClasses(tree: readonly ClassNode[], query: string): ClassNode[] {
  const wanted = query.trim().toLocaleLowerCase();
  const rank = (node: ClassNode): number | null => {
    const name = node.name.toLocaleLowerCase();
    if (wanted === "" || name === wanted) {
      return 0;
    }
    if (name.startsWith(wanted)) {
      return 1;
    }
    if (name.split(/[\s_\-./]+/).some((word) => word.startsWith(wanted))) {
      return 2;
    }
    if (name.includes(wanted)) {
      return 3;
    }
    if ((node.description ?? "").toLocaleLowerCase().includes(wanted)) {
      return 4;
    }
    return null;
  };
  return flatten(tree)
    .filter((node) => node.selectable)
    .flatMap((node, order) => {
      const found = rank(node);
      return found === null ? [] : [{ node, found, order }];
    })
    .sort((a, b) => a.found - b.found || a.order - b.order)
    .map(({ node }) => node);
}
