/**
 * The store of one sample's work (zustand, framework-free: `useStore(store, selector)` in
 * React). It loads the sample as `GET /api/samples/{id}` sends it with its ETag, takes
 * the person's edits as undoable commands, builds the body of
 * `PUT /api/samples/{id}/annotations` (every object as read or changed, new ones with
 * ids made here), and takes the answer: the new sample and ETag on 200, or on 409 the
 * sample as it is now, to diff and merge with the work.
 *
 * `base` is the work as read, `work` as it is now; objects left alone are the very
 * objects read, so the server sees them unchanged. The undo history ends only at a load:
 * it outlives a submission's answer and a merge, as undo and redo are made on the objects
 * as they are now (`rebase.ts`). A step that no longer applies (a merge shows that
 * someone else changed what it changed, or its object changed since) is dropped from the
 * history and named in `skipped`, never applied wrongly.
 */
import { createStore, type StoreApi } from "zustand/vanilla";

import type { components } from "../api/schema";
import * as edits from "./edits";
import { WorkError, type AnnotationEdit, type EntityEdit, type LinkEdit } from "./edits";
import { coalesce, inverse, redo, type Command } from "./history";
import {
  diffWork,
  mergeWork,
  type ConflictItem,
  type Dropped,
  type Merged,
  type Side,
} from "./merge";
import {
  workOf,
  type Annotation,
  type Entity,
  type Kind,
  type Link,
  type LinkStatus,
  type Sample,
  type Work,
} from "./objects";
import { outdatedBy, reapply } from "./rebase";
import { derivedStatuses, type DerivedStatus } from "./status";

type Schemas = components["schemas"];
export type SampleWork = Schemas["SampleWork"];
export type SubmittedWork = Schemas["SubmittedWork"];

/** A new annotation: its id is made here unless given. */
export type NewAnnotation = Omit<Annotation, "id" | "revision"> & { id?: string };
/** A new entity: its id is made here unless given. */
export type NewEntity = Omit<Entity, "id" | "revision"> & { id?: string };
/** A new link (`proposed` unless a status is given): its id is made here unless given. */
export type NewLink = Pick<Link, "type" | "source" | "target"> &
  Partial<Pick<Link, "attributes" | "status">> & { id?: string };

/** A step of the history dropped because it no longer applies: its label, and why. */
export interface SkippedStep {
  readonly label: string;
  readonly reason: string;
}

/** A 409 on submission: the sample as the server has it now, its ETag, and the diff. */
export interface Conflict {
  readonly theirs: Sample;
  readonly etag: string;
  readonly items: readonly ConflictItem[];
}

export interface WorkState {
  /** The sample as last read (its streams, status, ...); `null` before `load`. */
  readonly sample: Sample | null;
  /** The sample revision the work is based on, as the ETag gave it (`"12"`). */
  readonly etag: string | null;
  readonly base: Work;
  readonly work: Work;
  /** Undo and redo history, oldest first. */
  readonly past: readonly Command[];
  readonly future: readonly Command[];
  /** What the last `submission()` sent, until its answer is applied. */
  readonly sent: Work | null;
  readonly conflict: Conflict | null;
  /** The references the last merge dropped (their targets were gone). */
  readonly dropped: readonly Dropped[];
  /** The steps the last undo, redo or conflict resolution dropped from the history. */
  readonly skipped: readonly SkippedStep[];

  load(sample: Sample, etag: string): void;
  /** Each add returns the new object's id. */
  addAnnotation(annotation: NewAnnotation): string;
  updateAnnotation(id: string, edit: AnnotationEdit, options?: { coalesce?: string }): void;
  deleteAnnotation(id: string): void;
  addEntity(entity: NewEntity): string;
  updateEntity(id: string, edit: EntityEdit): void;
  deleteEntity(id: string): void;
  addLink(link: NewLink): string;
  updateLink(id: string, edit: LinkEdit): void;
  setLinkStatus(id: string, status: LinkStatus): void;
  deleteLink(id: string): void;
  /**
   * Undo (redo) the last step; whether it was done. A step that no longer applies is
   * dropped instead and named in `skipped`.
   */
  undo(): boolean;
  redo(): boolean;
  /** The body of `PUT /api/samples/{id}/annotations` (send it with `If-Match: etag`). */
  submission(): SampleWork;
  /** Take a 200 answer: its sample and ETag; edits made since sending stay on top. */
  applySubmitted(answer: SubmittedWork, etag: string): void;
  /**
   * Take the sample as the server has it now (read again after a change made outside the
   * work, such as a model's candidates or a decision about one): its ETag and objects,
   * with the edits not yet saved on top (mine win where both changed a field), except on
   * the objects `settled` names, whose changes the server has already taken (theirs
   * win). The history stays. A `WorkError` while a conflict is open (resolve it first).
   */
  refresh(sample: Sample, etag: string, settled?: readonly string[]): void;
  /** Take a 409 answer's body; the diff of the work against the sample now. */
  applyConflict(body: unknown): Conflict;
  /** Rebase the work on the conflict's sample, each clash going to the chosen side. */
  resolveConflict(choices: Readonly<Record<string, Side>>): Merged;
}

export interface WorkStoreOptions {
  /** Makes the ids of new objects (default: the kind's initial and 20 random characters). */
  newId?: (kind: Kind) => string;
}

const EMPTY: Work = { annotations: [], entities: [], links: [] };
const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

function randomId(kind: Kind): string {
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  return `${kind[0]}-${Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join("")}`;
}

/** A store of one sample's work (see the module). */
export function createWorkStore(options: WorkStoreOptions = {}): StoreApi<WorkState> {
  const newId = options.newId ?? randomId;
  return createStore<WorkState>()((set, get) => {
    const loaded = (): { sample: Sample; work: Work } => {
      const { sample, work } = get();
      if (sample === null) {
        throw new WorkError("no sample is loaded: call load(sample, etag) first");
      }
      return { sample, work };
    };
    const run = (command: Command | null): void => {
      if (command === null) {
        return;
      }
      const { work, past } = get();
      const merged = coalesce(past.at(-1), command);
      set({
        work: redo(work, command),
        past: merged === null ? [...past, command] : [...past.slice(0, -1), merged],
        future: [],
      });
    };
    /** Take `sample` as the server's, `merged` as the work on it; keep the history. */
    const rebase = (sample: Sample, etag: string, merged: Merged): void => {
      set({
        sample,
        etag,
        base: workOf(sample),
        work: merged.work,
        sent: null,
        conflict: null,
        dropped: merged.dropped,
      });
    };
    /** Undo the last step of the past (`back`) or redo the last of the future. */
    const step = (back: boolean): boolean => {
      const { work, base, past, future } = get();
      const command = (back ? past : future).at(-1);
      if (command === undefined) {
        return false;
      }
      const result = reapply(work, base, back ? command.changes.map(inverse) : command.changes);
      const rest = back
        ? { past: past.slice(0, -1), future }
        : { past, future: future.slice(0, -1) };
      if ("reason" in result) {
        set({ ...rest, skipped: [{ label: command.label, reason: result.reason }] });
        return false;
      }
      set({
        work: result.work,
        past: back ? rest.past : [...past, command],
        future: back ? [...future, command] : rest.future,
        skipped: [],
      });
      return true;
    };
    return {
      sample: null,
      etag: null,
      base: EMPTY,
      work: EMPTY,
      past: [],
      future: [],
      sent: null,
      conflict: null,
      dropped: [],
      skipped: [],

      load(sample, etag) {
        const work = workOf(sample);
        set({
          sample,
          etag,
          base: work,
          work,
          past: [],
          future: [],
          sent: null,
          conflict: null,
          dropped: [],
          skipped: [],
        });
      },

      addAnnotation(annotation) {
        const { sample, work } = loaded();
        const created: Annotation = {
          attributes: {},
          ...annotation,
          id: annotation.id ?? newId("annotation"),
          revision: 1,
        };
        const streams = (sample.streams ?? []).map((s) => s.id);
        run(edits.addAnnotation(work, streams, created));
        return created.id;
      },
      updateAnnotation(id, edit, options = {}) {
        run(edits.updateAnnotation(loaded().work, id, edit, options.coalesce));
      },
      deleteAnnotation(id) {
        run(edits.deleteAnnotation(loaded().work, id));
      },

      addEntity(entity) {
        const created: Entity = {
          members: [],
          ...entity,
          id: entity.id ?? newId("entity"),
          revision: 1,
        };
        run(edits.addEntity(loaded().work, created));
        return created.id;
      },
      updateEntity(id, edit) {
        run(edits.updateEntity(loaded().work, id, edit));
      },
      deleteEntity(id) {
        run(edits.deleteEntity(loaded().work, id));
      },

      addLink(link) {
        const created: Link = {
          attributes: {},
          status: "proposed",
          ...link,
          id: link.id ?? newId("link"),
          revision: 1,
        };
        run(edits.addLink(loaded().work, created));
        return created.id;
      },
      updateLink(id, edit) {
        run(edits.updateLink(loaded().work, id, edit));
      },
      setLinkStatus(id, status) {
        run(edits.setLinkStatus(loaded().work, id, status));
      },
      deleteLink(id) {
        run(edits.deleteLink(loaded().work, id));
      },

      undo() {
        return step(true);
      },
      redo() {
        return step(false);
      },

      submission() {
        const { work } = loaded();
        set({ sent: work });
        return {
          annotations: [...work.annotations],
          entities: [...work.entities],
          links: [...work.links],
        };
      },

      applySubmitted(answer, etag) {
        const { work } = loaded();
        const theirs = workOf(answer.sample);
        const items = diffWork(get().sent ?? work, work, theirs);
        rebase(
          answer.sample,
          etag,
          mergeWork(items, work, theirs, () => "mine"),
        );
      },

      refresh(sample, etag, settled = []) {
        const { work } = loaded();
        if (get().conflict !== null) {
          throw new WorkError("resolve the conflict first: the sample cannot be read again under it");
        }
        const theirs = workOf(sample);
        const items = diffWork(get().base, work, theirs);
        rebase(
          sample,
          etag,
          mergeWork(items, work, theirs, (item) => (settled.includes(item.id) ? "theirs" : "mine")),
        );
      },

      applyConflict(body) {
        const { sample, work } = loaded();
        const { current, actual } = conflictFields(body, sample.id);
        const conflict: Conflict = {
          theirs: current,
          etag: `"${actual}"`,
          items: diffWork(get().base, work, workOf(current)),
        };
        set({ conflict });
        return conflict;
      },

      resolveConflict(choices) {
        const { work } = loaded();
        const conflict = get().conflict;
        if (conflict === null) {
          throw new WorkError("there is no conflict to resolve");
        }
        const theirs = workOf(conflict.theirs);
        // the diff again: the work may have changed while the conflict was shown
        const items = diffWork(get().base, work, theirs);
        const open = items.filter((item) => item.clash && !Object.hasOwn(choices, item.id));
        if (open.length > 0) {
          const named = open.map((item) => `${item.kind} ${JSON.stringify(item.id)}`).join(", ");
          throw new WorkError(`choose mine or theirs for every clash; still open: ${named}`);
        }
        const merged = mergeWork(items, work, theirs, (item) => choices[item.id] as Side);
        const skipped: SkippedStep[] = [];
        const keep = (stack: readonly Command[]): Command[] =>
          stack.filter((command) => {
            const reason = outdatedBy(command, items, merged.dropped);
            if (reason !== null) {
              skipped.push({ label: command.label, reason });
            }
            return reason === null;
          });
        const past = keep(get().past);
        const future = keep(get().future);
        rebase(conflict.theirs, conflict.etag, merged);
        set({ past, future, skipped });
        return merged;
      },
    };
  });
}

/** The `current` sample and `actual` revision of a 409 body for sample `sampleId`. */
function conflictFields(body: unknown, sampleId: string): { current: Sample; actual: number } {
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  if (error?.type !== "conflict") {
    throw new WorkError(`expected the body of a 409 conflict, got ${JSON.stringify(body)}`);
  }
  const current = error.current as Sample | undefined;
  if (typeof current !== "object" || current === null || current.id !== sampleId) {
    throw new WorkError(
      `the conflict (${String(error.object)}) carries no current state of sample ${JSON.stringify(sampleId)}; reload it`,
    );
  }
  if (typeof error.actual !== "number") {
    throw new WorkError("the conflict does not say the sample's current revision; reload it");
  }
  return { current, actual: error.actual };
}

/** The objects I changed since the work was read (created, updated or deleted). */
export function myChanges(state: Pick<WorkState, "base" | "work">): ConflictItem[] {
  return state.work === state.base ? [] : diffWork(state.base, state.work, state.base);
}

/** Whether the work differs from what was read (undoing every edit makes it clean). */
export function isDirty(state: Pick<WorkState, "base" | "work">): boolean {
  return myChanges(state).length > 0;
}

/** The links whose status will change on submission, and why (`status.ts`). */
export function linkStatuses(state: Pick<WorkState, "base" | "work">): Map<string, DerivedStatus> {
  return derivedStatuses(state.base, state.work);
}
