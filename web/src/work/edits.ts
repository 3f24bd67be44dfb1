/**
 * The edits a person makes, as undoable commands built on the current work. Each checks
 * what the server's submission would refuse for reasons of the work itself (unknown ids,
 * ids in use, an annotation moved to another stream, entities and links naming what is
 * not there) and throws a `WorkError` naming it, building nothing. Ontology rules are the
 * `ontology` module's.
 *
 * Deleting an annotation takes it out of the entities that hold it and deletes the links
 * touching it; deleting an entity deletes its links (as `services/editing.py` does). The
 * command holds all of it, so one undo brings everything back.
 */
import type { Change, Command } from "./history";
import {
  listOf,
  sameJson,
  type Annotation,
  type Entity,
  type Kind,
  type Link,
  type LinkStatus,
  type Work,
  type WorkObject,
} from "./objects";

/** An edit the work cannot take; the message names the object and what is wrong. */
export class WorkError extends Error {
  override name = "WorkError";
}

/** What to change of an annotation (attributes are replaced whole); left out: unchanged. */
export type AnnotationEdit = Partial<Pick<Annotation, "label" | "geometry" | "attributes">>;
/** What to change of an entity (`label: null` removes its label); left out: unchanged. */
export type EntityEdit = { label?: string | null; members?: readonly string[] };
/** What to change of a link (its status: `setLinkStatus`); left out: unchanged. */
export type LinkEdit = Partial<Pick<Link, "type" | "source" | "target" | "attributes">>;

const STATUSES: readonly LinkStatus[] = ["proposed", "confirmed", "stale", "rejected"];

const q = (value: string): string => JSON.stringify(value);

/** `edit` without the fields it leaves out or sets to `undefined` (both: no change). */
function given<T extends object>(edit: T): Partial<T> {
  return Object.fromEntries(Object.entries(edit).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function find(work: Work, kind: Kind, id: string): { object: WorkObject; index: number } {
  const list = listOf(work, kind);
  const index = list.findIndex((o) => o.id === id);
  if (index < 0) {
    throw new WorkError(`${kind} ${q(id)} is not in the work`);
  }
  return { object: list[index] as WorkObject, index };
}

function requireNewId(work: Work, kind: Kind, id: string): void {
  if (typeof id !== "string" || id.length === 0 || id.length > 64) {
    throw new WorkError(`${kind} id must be 1 to 64 characters, got ${JSON.stringify(id)}`);
  }
  for (const other of ["annotation", "entity", "link"] as const) {
    if (listOf(work, other).some((o) => o.id === id)) {
      const article = other === "link" ? "a" : "an";
      throw new WorkError(`${kind} ${q(id)}: the id is in use already (by ${article} ${other})`);
    }
  }
}

function added(work: Work, kind: Kind, object: WorkObject): Change {
  return { kind, id: object.id, before: null, after: object, index: listOf(work, kind).length };
}

function replaced(
  kind: Kind,
  found: { object: WorkObject; index: number },
  after: WorkObject,
): Change {
  return { kind, id: after.id, before: found.object, after, index: found.index };
}

function removed(kind: Kind, found: { object: WorkObject; index: number }): Change {
  return { kind, id: found.object.id, before: found.object, after: null, index: found.index };
}

function checkMembers(work: Work, id: string, members: readonly string[]): void {
  const annotations = new Set(work.annotations.map((a) => a.id));
  members.forEach((member, i) => {
    if (!annotations.has(member)) {
      throw new WorkError(
        `entity ${q(id)}: members[${i}] ${q(member)} is not an annotation of the sample`,
      );
    }
    if (members.indexOf(member) !== i) {
      throw new WorkError(`entity ${q(id)}: members[${i}] ${q(member)} is listed twice`);
    }
  });
}

function checkEnds(work: Work, link: Pick<Link, "id" | "source" | "target">): void {
  const ends = new Set([...work.annotations, ...work.entities].map((o) => o.id));
  for (const end of ["source", "target"] as const) {
    if (!ends.has(link[end])) {
      throw new WorkError(
        `link ${q(link.id)}: ${end} ${q(link[end])} is not an annotation or entity of the sample`,
      );
    }
  }
  if (link.source === link.target) {
    throw new WorkError(`link ${q(link.id)}: a link cannot join an object to itself`);
  }
}

/** Add `annotation` (a new id) on one of `streams` (`null` only for a classification). */
export function addAnnotation(
  work: Work,
  streams: readonly string[],
  annotation: Annotation,
): Command {
  requireNewId(work, "annotation", annotation.id);
  if (annotation.stream === null) {
    if (annotation.geometry.type !== "classification") {
      throw new WorkError(
        `annotation ${q(annotation.id)}: only a classification may omit its stream`,
      );
    }
  } else if (!streams.includes(annotation.stream)) {
    throw new WorkError(
      `annotation ${q(annotation.id)}: ${q(annotation.stream)} is not a stream of the sample (${streams.join(", ")})`,
    );
  }
  if (!annotation.label) {
    throw new WorkError(`annotation ${q(annotation.id)}: a label is required`);
  }
  return { label: "add annotation", changes: [added(work, "annotation", annotation)] };
}

/** Change an annotation's label, geometry or attributes; `null` when nothing changes. */
export function updateAnnotation(
  work: Work,
  id: string,
  edit: AnnotationEdit,
  coalesce?: string,
): Command | null {
  const found = find(work, "annotation", id);
  if ("stream" in edit) {
    throw new WorkError(
      `annotation ${q(id)}: an annotation stays on its stream; delete it and create a new one on the other stream`,
    );
  }
  if (edit.label !== undefined && !edit.label) {
    throw new WorkError(`annotation ${q(id)}: a label is required`);
  }
  const after = { ...(found.object as Annotation), ...given(edit) };
  if (sameJson(after, found.object)) {
    return null;
  }
  const changes = [replaced("annotation", found, after)];
  return coalesce === undefined
    ? { label: "edit annotation", changes }
    : { label: "edit annotation", changes, coalesce };
}

/** Delete an annotation, with its links and its places in entities. */
export function deleteAnnotation(work: Work, id: string): Command {
  const found = find(work, "annotation", id);
  const changes: Change[] = [removed("annotation", found)];
  work.entities.forEach((entity, index) => {
    const members = entity.members ?? [];
    if (members.includes(id)) {
      const after = { ...entity, members: members.filter((m) => m !== id) };
      changes.push(replaced("entity", { object: entity, index }, after));
    }
  });
  work.links.forEach((link, index) => {
    if (link.source === id || link.target === id) {
      changes.push(removed("link", { object: link, index }));
    }
  });
  return { label: "delete annotation", changes };
}

/** Add `entity` (a new id) grouping annotations of the work. */
export function addEntity(work: Work, entity: Entity): Command {
  requireNewId(work, "entity", entity.id);
  checkMembers(work, entity.id, entity.members ?? []);
  return { label: "add entity", changes: [added(work, "entity", entity)] };
}

/** Change an entity's label or members; `null` when nothing changes. */
export function updateEntity(work: Work, id: string, edit: EntityEdit): Command | null {
  const found = find(work, "entity", id);
  if (edit.members !== undefined) {
    checkMembers(work, id, edit.members);
  }
  const after: Entity = { ...(found.object as Entity) };
  if (edit.label !== undefined) {
    after.label = edit.label;
  }
  if (edit.members !== undefined) {
    after.members = [...edit.members];
  }
  if (sameJson(after, found.object)) {
    return null;
  }
  return { label: "edit entity", changes: [replaced("entity", found, after)] };
}

/** Delete an entity and the links touching it. */
export function deleteEntity(work: Work, id: string): Command {
  const found = find(work, "entity", id);
  const changes: Change[] = [removed("entity", found)];
  work.links.forEach((link, index) => {
    if (link.source === id || link.target === id) {
      changes.push(removed("link", { object: link, index }));
    }
  });
  return { label: "delete entity", changes };
}

/** Add `link` (a new id) between two annotations or entities of the work. */
export function addLink(work: Work, link: Link): Command {
  requireNewId(work, "link", link.id);
  if (!link.type) {
    throw new WorkError(`link ${q(link.id)}: a relation type is required`);
  }
  checkEnds(work, link);
  return { label: "add link", changes: [added(work, "link", link)] };
}

/** Change a link's type, ends or attributes; `null` when nothing changes. */
export function updateLink(work: Work, id: string, edit: LinkEdit): Command | null {
  const found = find(work, "link", id);
  const after = { ...(found.object as Link), ...given(edit) };
  if (!after.type) {
    throw new WorkError(`link ${q(id)}: a relation type is required`);
  }
  checkEnds(work, after);
  if (sameJson(after, found.object)) {
    return null;
  }
  return { label: "edit link", changes: [replaced("link", found, after)] };
}

/** Set a link's status (a reviewer's confirm or reject); `null` when it has it already. */
export function setLinkStatus(work: Work, id: string, status: LinkStatus): Command | null {
  if (!STATUSES.includes(status)) {
    throw new WorkError(
      `link ${q(id)}: status must be one of ${STATUSES.join(", ")}, got ${q(status)}`,
    );
  }
  const found = find(work, "link", id);
  if ((found.object as Link).status === status) {
    return null;
  }
  return {
    label: `${status} link`,
    changes: [replaced("link", found, { ...(found.object as Link), status })],
  };
}

/** Delete a link. */
export function deleteLink(work: Work, id: string): Command {
  return { label: "delete link", changes: [removed("link", find(work, "link", id))] };
}
