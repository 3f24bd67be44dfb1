/**
 * The status a link will have once the work is submitted, as the server will decide it
 * (`services/bulk.py`, `services/editing.py`), so the workspace shows it before saving:
 *
 * - a status the person set (a reviewer's confirm or reject) is that status;
 * - a link whose type, ends or attributes they changed goes back to `proposed` when it
 *   was confirmed or stale (`edited_link`);
 * - a confirmed link they left alone turns `stale` when an end changed: an annotation's
 *   label, geometry or attributes, an entity's label or members, or an annotation of an
 *   entity at an end.
 *
 * The links are submitted as they were read all the same: the server makes these changes
 * itself (and refuses a status change from someone who may not review).
 */
import {
  changedFields,
  EDITABLE,
  fieldValue,
  type Entity,
  type Link,
  type LinkStatus,
  type Work,
  type WorkObject,
} from "./objects";

/** A link's status after submission, when it is not the status it carries, and why. */
export interface DerivedStatus {
  readonly status: LinkStatus;
  readonly reason: string;
}

function byId<T extends WorkObject>(list: readonly T[]): Map<string, T> {
  return new Map(list.map((o) => [o.id, o]));
}

/** The ends that changed between `base` and `current`, each with what changed. */
function changedEnds(base: Work, current: Work): Map<string, string> {
  const ends = new Map<string, string>();
  const before = { annotation: byId(base.annotations), entity: byId<Entity>(base.entities) };
  for (const annotation of current.annotations) {
    const was = before.annotation.get(annotation.id);
    if (was !== undefined && changedFields(was, annotation, EDITABLE.annotation).length > 0) {
      ends.set(annotation.id, `annotation '${annotation.id}' changed`);
    }
  }
  for (const entity of current.entities) {
    const was = before.entity.get(entity.id);
    const fields = was === undefined ? [] : changedFields(was, entity, EDITABLE.entity);
    if (fields.length > 0) {
      ends.set(entity.id, `entity '${entity.id}' changed (${fields.join(", ")})`);
    }
  }
  for (const entity of current.entities) {
    const members = (entity.members ?? []).filter((m) => ends.has(m));
    if (members.length > 0 && !ends.has(entity.id)) {
      ends.set(
        entity.id,
        `entity '${entity.id}', whose member ${members.map((m) => ends.get(m)).join("; ")}`,
      );
    }
  }
  return ends;
}

/**
 * The links of `current` whose status after submission differs from the status they
 * carry, by id (see the module). `base` is the work as read.
 */
export function derivedStatuses(base: Work, current: Work): Map<string, DerivedStatus> {
  const read = byId<Link>(base.links);
  const ends = changedEnds(base, current);
  const derived = new Map<string, DerivedStatus>();
  for (const link of current.links) {
    const was = read.get(link.id);
    if (was === undefined) {
      continue;
    }
    const status = fieldValue(link, "status") as LinkStatus;
    const before = fieldValue(was, "status") as LinkStatus;
    if (status !== before) {
      continue; // set by the person: it is what it says
    }
    const edited = changedFields(was, link, ["type", "source", "target", "attributes"]);
    if (edited.length > 0) {
      if (before === "confirmed" || before === "stale") {
        derived.set(link.id, { status: "proposed", reason: `its ${edited.join(", ")} changed` });
      }
      continue;
    }
    if (before === "confirmed") {
      const which = (["source", "target"] as const).filter((end) => ends.has(link[end]));
      if (which.length > 0) {
        const reason = which.map((end) => `${end} ${ends.get(link[end])}`).join("; ");
        derived.set(link.id, { status: "stale", reason });
      }
    }
  }
  return derived;
}
