/**
 * Grouping the selected annotations into an entity ("the same real-world thing"): a new
 * entity, or the annotations added to the one entity selected or already holding some of
 * them. The labels of an entity and its members must lie on one is-a chain (the server's
 * `entity-labels` rule); a new entity takes the most specific of them.
 */
import type { OntologyIndex } from "../ontology/ontology";
import type { Work } from "../work/objects";

/** What grouping the selection does, or why it cannot. */
export type GroupPlan =
  | { readonly kind: "create"; readonly label: string; readonly members: readonly string[] }
  | { readonly kind: "add"; readonly entity: string; readonly members: readonly string[] }
  | { readonly kind: "refused"; readonly reason: string };

const q = (value: string): string => JSON.stringify(value);

/** The plan for grouping `selected` (annotation and entity ids, in the order picked). */
export function groupPlan(ontology: OntologyIndex, work: Work, selected: readonly string[]): GroupPlan {
  const annotations = new Map(work.annotations.map((a) => [a.id, a]));
  const picked = selected.filter((id) => annotations.has(id));
  const entities = work.entities.filter((e) => selected.includes(e.id));
  if (entities.length > 1) {
    return { kind: "refused", reason: `select one entity to add to, not ${entities.length}` };
  }
  let entity = entities[0];
  if (entity === undefined) {
    const holding = work.entities.filter((e) => (e.members ?? []).some((m) => picked.includes(m)));
    if (holding.length > 1) {
      const names = holding.map((e) => q(e.id)).join(" and ");
      return { kind: "refused", reason: `the selected annotations already belong to entities ${names}` };
    }
    entity = holding[0];
  }
  const have = entity?.members ?? [];
  const members = [...have, ...picked.filter((id) => !have.includes(id))];
  if (entity === undefined ? members.length < 2 : members.length === have.length) {
    return {
      kind: "refused",
      reason: "select the annotations to group (two or more, or an entity and annotations to add)",
    };
  }
  const labels = members.map((id) => annotations.get(id)?.label ?? "");
  if (entity?.label) labels.push(entity.label);
  for (const [i, first] of labels.entries()) {
    const clash = labels.slice(i + 1).find((second) => !ontology.compatible(first, second));
    if (clash !== undefined) {
      return {
        kind: "refused",
        reason: `${q(first)} and ${q(clash)} are not on one is-a chain, so they cannot denote one thing`,
      };
    }
  }
  if (entity !== undefined) return { kind: "add", entity: entity.id, members };
  const deepest = labels.reduce((best, label) =>
    ontology.ancestors(label).length > ontology.ancestors(best).length ? label : best,
  );
  return { kind: "create", label: deepest, members };
}
