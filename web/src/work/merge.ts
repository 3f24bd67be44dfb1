/**
 * Three versions of the work: as read (`base`), as I have it (`mine`), and as the server
 * has it now (`theirs`, from a 409's `current` or a submission's answer). By id: what
 * they changed, what I changed, where the two clash; and the work that keeps both.
 *
 * Two changes to one object clash when one deleted what the other changed, or when both
 * changed one field to different values. Changes to different fields of one object do
 * not clash: the merge takes their version with my fields on top (and their revision, so
 * the next submission is based on it).
 */
import {
  changedFields,
  EDITABLE,
  indexWork,
  KINDS,
  listOf,
  sameJson,
  withList,
  type Kind,
  type Work,
  type WorkObject,
} from "./objects";

/** How one side changed an object relative to the work as read. */
export type Edit = "created" | "updated" | "deleted";

/** Which side wins a clash. */
export type Side = "mine" | "theirs";

/** One object that either side changed. */
export interface ConflictItem {
  readonly kind: Kind;
  readonly id: string;
  readonly mine: Edit | null;
  readonly theirs: Edit | null;
  /** The fields I changed (editable ones); theirs: every field but the revision. */
  readonly mineFields: readonly string[];
  readonly theirsFields: readonly string[];
  readonly clash: boolean;
  /** For two updates: the fields both changed to different values. */
  readonly clashFields: readonly string[];
  /** The three versions (`null`: absent). */
  readonly base: WorkObject | null;
  readonly mineObject: WorkObject | null;
  readonly theirsObject: WorkObject | null;
}

/** A reference the merge had to drop because what it named is gone. */
export interface Dropped {
  readonly kind: "member" | "link";
  /** The entity that lost a member, or the link that went. */
  readonly id: string;
  /** The annotation or entity that is gone. */
  readonly missing: string;
}

/** The merged work and the references it dropped. */
export interface Merged {
  readonly work: Work;
  readonly dropped: readonly Dropped[];
}

function editOf(before: WorkObject | null, after: WorkObject | null): Edit | null {
  if (before === null) {
    return after === null ? null : "created";
  }
  if (after === null) {
    return "deleted";
  }
  return sameJson(before, after) ? null : "updated";
}

/** Every object that I or they changed relative to `base`, mine in my order first. */
export function diffWork(base: Work, mine: Work, theirs: Work): ConflictItem[] {
  const read = indexWork(base);
  const ours = indexWork(mine);
  const other = indexWork(theirs);
  const ids = [...new Set([...ours.keys(), ...other.keys(), ...read.keys()])];
  const items: ConflictItem[] = [];
  for (const id of ids) {
    const kind = (ours.get(id) ?? other.get(id) ?? read.get(id))?.kind as Kind;
    const b = read.get(id)?.object ?? null;
    const m = ours.get(id)?.object ?? null;
    const t = other.get(id)?.object ?? null;
    const mineEdit = editOf(b, m);
    const theirsEdit = editOf(b, t);
    if (mineEdit === null && theirsEdit === null) {
      continue;
    }
    const mineFields = b !== null && m !== null ? changedFields(b, m, EDITABLE[kind]) : [];
    const theirsFields = b !== null && t !== null ? changedFields(b, t) : [];
    let clashFields: string[] = [];
    let clash = false;
    if (mineEdit !== null && theirsEdit !== null) {
      if (mineEdit === "updated" && theirsEdit === "updated") {
        clashFields = mineFields.filter(
          (f) =>
            theirsFields.includes(f) &&
            changedFields(m as WorkObject, t as WorkObject, [f]).length > 0,
        );
        clash = clashFields.length > 0;
      } else if (mineEdit === "created" && theirsEdit === "created") {
        clash = changedFields(m as WorkObject, t as WorkObject).length > 0;
      } else {
        clash = mineEdit !== theirsEdit; // a deletion against an update
      }
    }
    items.push({
      kind,
      id,
      mine: mineEdit,
      theirs: theirsEdit,
      mineFields,
      theirsFields,
      clash,
      clashFields,
      base: b,
      mineObject: m,
      theirsObject: t,
    });
  }
  return items;
}

/** The object that keeps `item`'s changes, with `side` winning where they clash. */
function resolved(item: ConflictItem, side: Side): WorkObject | null {
  const { mineObject: m, theirsObject: t } = item;
  if (item.mine === null) {
    return t;
  }
  if (item.theirs === null || (item.clash && side === "mine" && item.mine !== "updated")) {
    return m;
  }
  if (item.mine === "updated" && t !== null && m !== null) {
    // their version with my fields on top (mine win a clash only when chosen)
    const fields = item.mineFields.filter((f) => side === "mine" || !item.clashFields.includes(f));
    const merged: Record<string, unknown> = { ...t };
    for (const field of fields) {
      merged[field] = (m as unknown as Record<string, unknown>)[field];
    }
    return merged as unknown as WorkObject;
  }
  if (item.mine === "updated" && t === null && side === "mine" && m !== null) {
    return { ...m, revision: 1 }; // they deleted it: mine comes back as a new object
  }
  return t;
}

/**
 * The work with my changes on top of theirs; `choose` picks the side of every clash.
 * Their order comes first, my new objects after it. Entity members and links that name
 * an annotation or entity the result lacks are dropped and listed.
 */
export function mergeWork(
  items: readonly ConflictItem[],
  mine: Work,
  theirs: Work,
  choose: (item: ConflictItem) => Side,
): Merged {
  const decided = new Map(
    items.map((item) => [item.id, resolved(item, item.clash ? choose(item) : "mine")]),
  );
  let work = theirs;
  for (const kind of KINDS) {
    const kept = listOf(theirs, kind).flatMap((o) => {
      const object = decided.has(o.id) ? decided.get(o.id) : o;
      return object ? [object] : [];
    });
    const inTheirs = new Set(listOf(theirs, kind).map((o) => o.id));
    const added = listOf(mine, kind).flatMap((o) => {
      const object = decided.get(o.id);
      return !inTheirs.has(o.id) && object ? [object] : [];
    });
    work = withList(work, kind, [...kept, ...added]);
  }
  return integral(work);
}

/** `work` without the members and links that name what it lacks. */
function integral(work: Work): Merged {
  const dropped: Dropped[] = [];
  const annotations = new Set(work.annotations.map((a) => a.id));
  const entities = work.entities.map((entity) => {
    const members = entity.members ?? [];
    const missing = members.filter((m) => !annotations.has(m));
    for (const m of missing) {
      dropped.push({ kind: "member", id: entity.id, missing: m });
    }
    return missing.length === 0
      ? entity
      : { ...entity, members: members.filter((m) => annotations.has(m)) };
  });
  const ends = new Set([...annotations, ...entities.map((e) => e.id)]);
  const links = work.links.filter((link) => {
    const missing = [link.source, link.target].find((end) => !ends.has(end));
    if (missing !== undefined) {
      dropped.push({ kind: "link", id: link.id, missing });
    }
    return missing === undefined;
  });
  return { work: { annotations: work.annotations, entities, links }, dropped };
}
