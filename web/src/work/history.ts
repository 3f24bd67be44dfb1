/**
 * Undoable commands over the work. A command is the list of objects it replaces, each
 * with its version before and after (`null`: absent) and its place in its list, so undo
 * is the same list applied backwards (`inverse`) and puts every object back where it was,
 * links and entity memberships that went with a deletion included. Undo and redo make
 * them on the work as it is now (`rebase.ts`), as a save may have come between.
 */
import { listOf, withList, type Kind, type Work, type WorkObject } from "./objects";

/**
 * One object's change. `index` is its place in its kind's list: before the command for
 * an object the command removes, after it for one it adds or replaces.
 */
export interface Change {
  readonly kind: Kind;
  readonly id: string;
  readonly before: WorkObject | null;
  readonly after: WorkObject | null;
  readonly index: number;
}

/** A step of the undo history: what the person did, and the changes it made. */
export interface Command {
  readonly label: string;
  readonly changes: readonly Change[];
  /** Consecutive commands with one key (a drag, typing) undo as one. */
  readonly coalesce?: string;
}

/** The change that undoes `change`. */
export function inverse(change: Change): Change {
  return { ...change, before: change.after, after: change.before };
}

/** `work` with `changes` applied: removals, then additions in place, then replacements. */
export function applyChanges(work: Work, changes: readonly Change[]): Work {
  let result = work;
  for (const kind of ["annotation", "entity", "link"] as const) {
    const mine = changes.filter((c) => c.kind === kind);
    if (mine.length === 0) {
      continue;
    }
    const removed = new Set(mine.filter((c) => c.after === null).map((c) => c.id));
    const list = listOf(result, kind).filter((o) => !removed.has(o.id));
    const added = mine
      .filter((c) => c.before === null && c.after !== null)
      .sort((a, b) => a.index - b.index);
    for (const change of added) {
      list.splice(change.index, 0, change.after as WorkObject);
    }
    const replaced = new Map(
      mine.filter((c) => c.before !== null && c.after !== null).map((c) => [c.id, c.after]),
    );
    result = withList(
      result,
      kind,
      replaced.size === 0 ? list : list.map((o) => replaced.get(o.id) ?? o),
    );
  }
  return result;
}

/** `work` after `command`, which was built on it. */
export function redo(work: Work, command: Command): Work {
  return applyChanges(work, command.changes);
}

/**
 * `next` folded into `previous` when both carry the same coalesce key and change the
 * same objects (the first before, the last after); otherwise `null`.
 */
export function coalesce(previous: Command | undefined, next: Command): Command | null {
  if (
    previous === undefined ||
    next.coalesce === undefined ||
    previous.coalesce !== next.coalesce ||
    previous.changes.length !== next.changes.length
  ) {
    return null;
  }
  const changes: Change[] = [];
  for (const change of next.changes) {
    const first = previous.changes.find((c) => c.kind === change.kind && c.id === change.id);
    if (first === undefined || first.before === null || change.after === null) {
      return null;
    }
    changes.push({ ...change, before: first.before });
  }
  return { ...previous, changes };
}
