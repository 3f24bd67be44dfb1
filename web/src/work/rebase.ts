/**
 * Undo and redo across saves and merges. A step of the history holds the objects as they
 * were before and after it, but a save since may have given them new revisions (and the
 * server's own changes: a link turned stale), and a merge other people's changes. So a
 * step is not put back verbatim: each of its changes is made on the object as it is now,
 * in the editable fields (`EDITABLE`) the step changed.
 *
 * - Changing an object sets the fields the step changed, keeping the object's revision
 *   (so the next submission is based on what the server has), provided each still holds
 *   what the step left in it.
 * - Bringing an object back (undoing a deletion, redoing a creation): when the server
 *   still has it (it is in `base`), its version with the step's editable fields; otherwise
 *   a new object with the same id (the store keeps no row of a deleted id, so submitting
 *   it creates it again) at revision 1; a link comes back `proposed` without endpoint
 *   revisions, as only a reviewer may create a link with another status and its
 *   confirmation named ends that are gone.
 * - Taking an object away (undoing a creation, redoing a deletion), provided its editable
 *   fields are as the step left them (a link's status aside: the server changes it).
 *
 * A step that no longer applies (its object is gone, back already, or changed since) is
 * refused with the reason, never applied in part; so is one that would leave a link or an
 * entity naming what is not there. A merge names the steps its other side outdates
 * (`outdatedBy`): those that changed what they changed.
 */
import { applyChanges, type Change, type Command } from "./history";
import type { ConflictItem, Dropped } from "./merge";
import {
  changedFields,
  EDITABLE,
  fieldValue,
  indexWork,
  sameJson,
  type Kind,
  type Work,
  type WorkObject,
} from "./objects";

/** The work after a step, or why the step no longer applies. */
export type Reapplied = { readonly work: Work } | { readonly reason: string };

type Indexed = { kind: Kind; object: WorkObject };
type Index = Map<string, Indexed>;

const q = (value: string): string => JSON.stringify(value);
const inUse = (kind: Kind): string => `its id is in use by ${kind === "link" ? "a" : "an"} ${kind}`;

/** The fields a removal checks: the editable ones, but a link's status (the server's too). */
function settledFields(kind: Kind): readonly string[] {
  return kind === "link" ? EDITABLE.link.filter((f) => f !== "status") : EDITABLE[kind];
}

/** `object` with `fields` as `source` has them; `source` itself when that is all it is. */
function overlay(object: WorkObject, source: WorkObject, fields: readonly string[]): WorkObject {
  const result: Record<string, unknown> = { ...object };
  for (const field of fields) {
    if (Object.hasOwn(source, field)) {
      result[field] = (source as unknown as Record<string, unknown>)[field];
    } else {
      delete result[field];
    }
  }
  return sameJson(result, source) ? source : (result as unknown as WorkObject);
}

/** `object` brought back: onto the server's version when it has one, else as new. */
function revived(kind: Kind, object: WorkObject, stored: Indexed | undefined): WorkObject | string {
  if (stored !== undefined) {
    return stored.kind === kind
      ? overlay(stored.object, object, EDITABLE[kind])
      : inUse(stored.kind);
  }
  const fresh: Record<string, unknown> = { ...object, revision: 1 };
  if (kind === "link") {
    const reset: [string, unknown][] = [
      ["status", "proposed"],
      ["source_revision", null],
      ["target_revision", null],
    ];
    for (const [field, value] of reset) {
      if (!sameJson(fieldValue(object, field), value)) {
        fresh[field] = value;
      }
    }
  }
  return sameJson(fresh, object) ? object : (fresh as unknown as WorkObject);
}

/** `change` (from its `before` to its `after`) as it applies to the work now, or why not. */
function rebaseChange(now: Index, stored: Index, change: Change): Change | string {
  const { kind, id, before: from, after: to } = change;
  const name = `${kind} ${q(id)}`;
  const current = now.get(id);
  if (from === null) {
    if (current !== undefined) {
      return current.kind === kind ? `${name} is there already` : `${name}: ${inUse(current.kind)}`;
    }
    if (to === null) {
      return change;
    }
    const after = revived(kind, to, stored.get(id));
    return typeof after === "string" ? `${name}: ${after}` : { ...change, after };
  }
  if (current === undefined || current.kind !== kind) {
    return `${name} is gone`;
  }
  const fields = to === null ? settledFields(kind) : changedFields(from, to, EDITABLE[kind]);
  const moved = changedFields(from, current.object, fields);
  if (moved.length > 0) {
    return `${name} changed since (${moved.join(", ")})`;
  }
  return {
    ...change,
    before: current.object,
    after: to === null ? null : overlay(current.object, to, fields),
  };
}

/** Why `work` after `changes` holds a link or entity naming what it lacks, or `null`. */
function dangling(work: Work, changes: readonly Change[]): string | null {
  const removed = new Set(changes.filter((c) => c.after === null).map((c) => c.id));
  const touched = new Set(changes.filter((c) => c.after !== null).map((c) => c.id));
  const annotations = new Set(work.annotations.map((a) => a.id));
  const ends = new Set([...annotations, ...work.entities.map((e) => e.id)]);
  for (const entity of work.entities) {
    for (const member of entity.members ?? []) {
      if (!annotations.has(member) && (touched.has(entity.id) || removed.has(member))) {
        return `entity ${q(entity.id)} would hold annotation ${q(member)}, which is gone`;
      }
    }
  }
  for (const link of work.links) {
    for (const end of [link.source, link.target]) {
      if (!ends.has(end) && (touched.has(link.id) || removed.has(end))) {
        return `link ${q(link.id)} would name ${q(end)}, which is gone`;
      }
    }
  }
  return null;
}

/**
 * `work` with `changes` (a step, or its inverse to undo it) made on the objects as they
 * are now; `base` is the work as the server last sent it (see the module).
 */
export function reapply(work: Work, base: Work, changes: readonly Change[]): Reapplied {
  const now = indexWork(work);
  const stored = indexWork(base);
  const rebased: Change[] = [];
  for (const change of changes) {
    const result = rebaseChange(now, stored, change);
    if (typeof result === "string") {
      return { reason: result };
    }
    rebased.push(result);
  }
  const after = applyChanges(work, rebased);
  const reason = dangling(after, rebased);
  return reason === null ? { work: after } : { reason };
}

/**
 * Why a merge outdates `command`, or `null`: the other side (`items` with a `theirs`
 * edit) created or deleted an object it touches, or changed a field it changed, or the
 * merge dropped a link or a member it touches (`dropped`).
 */
export function outdatedBy(
  command: Command,
  items: readonly ConflictItem[],
  dropped: readonly Dropped[],
): string | null {
  const theirs = new Map(items.filter((i) => i.theirs !== null).map((i) => [i.id, i]));
  for (const change of command.changes) {
    const name = `${change.kind} ${q(change.id)}`;
    const lost = dropped.find((d) => d.id === change.id);
    if (lost !== undefined) {
      const what = lost.kind === "link" ? name : `a member of ${name}`;
      return `the merge dropped ${what} (${q(lost.missing)} is gone)`;
    }
    const item = theirs.get(change.id);
    if (item === undefined) {
      continue;
    }
    if (item.theirs !== "updated" || change.before === null || change.after === null) {
      return `someone else ${item.theirs ?? "changed"} ${name}`;
    }
    const fields = changedFields(change.before, change.after, EDITABLE[change.kind]);
    const both = fields.filter((f) => item.theirsFields.includes(f));
    if (both.length > 0) {
      return `someone else changed ${name} (${both.join(", ")})`;
    }
  }
  return null;
}
