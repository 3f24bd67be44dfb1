import { describe, expect, it } from "vitest";

import {
  changedFields,
  EDITABLE,
  indexWork,
  type Annotation,
  type Kind,
  type Sample,
  type Work,
  type WorkObject,
} from "./objects";
import { derivedStatuses } from "./status";
import { createWorkStore, isDirty, myChanges, type SampleWork } from "./store";
import { sample } from "./testdata/sample";

type Store = ReturnType<typeof createWorkStore>;

function loaded(): Store {
  let next = 0;
  const store = createWorkStore({ newId: (kind) => `new-${kind}-${(next += 1)}` });
  store.getState().load(sample(), '"41"');
  return store;
}

/**
 * The sample as the server sends it back after taking `body` on `read`: new objects at
 * revision 1, changed ones with the sent editable fields and the next revision, links
 * with the status the server gives them (`derivedStatuses`, which `serverCases.test.ts`
 * checks against the real app).
 */
function answer(read: Sample, body: SampleWork): Sample {
  const base: Work = { annotations: [], entities: [], links: [], ...pick(read) };
  const sent: Work = { annotations: [], entities: [], links: [], ...pick(body) };
  const stored = indexWork(base);
  const derived = derivedStatuses(base, sent);
  const settle = <T extends WorkObject>(kind: Kind, object: T): T => {
    const was = stored.get(object.id)?.object as T | undefined;
    if (was === undefined) {
      return { ...object, revision: 1, author: "grace" };
    }
    const fields = changedFields(was, object, EDITABLE[kind]);
    const status = derived.get(object.id)?.status;
    if (fields.length === 0 && status === undefined) {
      return was;
    }
    const after: Record<string, unknown> = { ...was, revision: was.revision + 1 };
    for (const field of fields) {
      after[field] = (object as unknown as Record<string, unknown>)[field];
    }
    if (status !== undefined) {
      after.status = status;
    }
    return after as unknown as T;
  };
  return {
    ...read,
    annotations: sent.annotations.map((a) => settle("annotation", a)),
    entities: sent.entities.map((e) => settle("entity", e)),
    links: sent.links.map((l) => settle("link", l)),
  };
}

function pick(source: Partial<Work>): Partial<Work> {
  const { annotations, entities, links } = source;
  return {
    ...(annotations ? { annotations } : {}),
    ...(entities ? { entities } : {}),
    ...(links ? { links } : {}),
  };
}

let revision = 41;

/** Save as autosave does: submit, and take the answer. Returns what was sent. */
function save(store: Store): SampleWork {
  const state = store.getState();
  const body = state.submission();
  const after = answer(state.sample as Sample, body);
  revision += 1;
  state.applySubmitted(
    { sample: after, created: 0, updated: 0, deleted: 0, unchanged: 0, stale: 0 },
    `"${revision}"`,
  );
  return body;
}

const ids = (list: readonly { id: string }[] | undefined) => (list ?? []).map((o) => o.id);
const find = <T extends { id: string }>(list: readonly T[] | undefined, id: string) =>
  (list ?? []).find((o) => o.id === id);

/** The body of a 409 on sample s1: it is at revision `actual`, as `current`. */
const conflictBody = (current: Sample, actual: number) => ({
  error: { type: "conflict", object: "sample 's1'", expected: 41, actual, current },
});

const BOX = { type: "box", x: 0, y: 0, w: 50, h: 50 } as const;

describe("undo after a save", () => {
  it("puts an edit back on the object's new revision, and redoes it", () => {
    const store = loaded();
    store.getState().updateAnnotation("a-words", { label: "monologue" });
    save(store);
    expect(find(store.getState().base.annotations, "a-words")).toMatchObject({
      label: "monologue",
      revision: 2,
    });
    expect(store.getState().past).toHaveLength(1);
    expect(isDirty(store.getState())).toBe(false);

    expect(store.getState().undo()).toBe(true);
    const body = store.getState().submission();
    // the label as it was, on the revision the server has now: no conflict
    expect(find(body.annotations, "a-words")).toEqual({
      ...sample().annotations?.[2],
      label: "speech",
      revision: 2,
    });
    // everything else is the answer's very JSON
    const base = store.getState().base;
    expect(body.annotations?.[0]).toBe(base.annotations[0]);
    expect(body.links).toEqual(base.links);
    expect(myChanges(store.getState()).map((c) => [c.id, c.mineFields])).toEqual([
      ["a-words", ["label"]],
    ]);
    save(store);

    expect(store.getState().redo()).toBe(true);
    expect(find(store.getState().submission().annotations, "a-words")).toMatchObject({
      label: "monologue",
      revision: 3,
    });
    expect(store.getState().skipped).toEqual([]);
  });

  it("keeps the status the server gave a link when undoing an edit of it", () => {
    const store = loaded();
    store.getState().updateLink("l-refers", { attributes: { note: "x" } });
    save(store); // an edited confirmed link goes back to proposed
    expect(find(store.getState().base.links, "l-refers")).toMatchObject({
      status: "proposed",
      revision: 3,
    });
    store.getState().undo();
    expect(find(store.getState().work.links, "l-refers")).toMatchObject({
      attributes: {},
      status: "proposed",
      revision: 3,
    });
  });

  it("re-creates a deleted annotation with its links and its place in the entity", () => {
    const store = loaded();
    store.getState().deleteAnnotation("a-box");
    const sent = save(store);
    expect(ids(sent.annotations)).toEqual(["a-span", "a-words"]);
    expect(ids(store.getState().base.links)).toEqual(["l-speaker"]);
    const entityNow = store.getState().base.entities[0];
    expect(entityNow).toMatchObject({ members: ["a-span"], revision: 2 });

    expect(store.getState().undo()).toBe(true);
    const body = store.getState().submission();
    // back in its place, as a new object: the store has no row of it any more
    expect(ids(body.annotations)).toEqual(["a-span", "a-box", "a-words"]);
    expect(body.annotations?.[1]).toEqual({ ...sample().annotations?.[1], revision: 1 });
    // the entity holds it again, on the entity's new revision
    expect(body.entities).toEqual([{ ...entityNow, members: ["a-span", "a-box"] }]);
    // its links come back new: proposed (only a reviewer may create a confirmed one)
    expect(ids(body.links)).toEqual(["l-refers", "l-speaker", "l-same"]);
    expect(find(body.links, "l-refers")).toEqual({
      ...sample().links?.[0],
      status: "proposed",
      revision: 1,
      source_revision: null,
      target_revision: null,
    });
    expect(find(body.links, "l-same")).toEqual(sample().links?.[2]); // proposed already
    expect(myChanges(store.getState()).map((c) => [c.id, c.mine])).toEqual([
      ["a-box", "created"],
      ["e-astronaut", "updated"],
      ["l-refers", "created"],
      ["l-same", "created"],
    ]);
    save(store);
    expect(ids(store.getState().base.annotations)).toEqual(["a-span", "a-box", "a-words"]);

    // redo deletes it again, with what hangs on it
    expect(store.getState().redo()).toBe(true);
    const again = store.getState().submission();
    expect(ids(again.annotations)).toEqual(["a-span", "a-words"]);
    expect(ids(again.links)).toEqual(["l-speaker"]);
    expect(again.entities?.[0]).toMatchObject({ members: ["a-span"], revision: 3 });
  });

  it("deletes an object the undone step created, and redo brings it back", () => {
    const store = loaded();
    const id = store.getState().addAnnotation({
      stream: "photo",
      label: "cup",
      geometry: { type: "box", x: 1, y: 2, w: 3, h: 4 },
    });
    const link = store.getState().addLink({ type: "same-as", source: id, target: "a-box" });
    save(store);
    expect(find(store.getState().base.annotations, id)).toMatchObject({ author: "grace" });

    store.getState().undo(); // the link
    store.getState().undo(); // the annotation
    let body = store.getState().submission();
    expect(ids(body.annotations)).toEqual(["a-span", "a-box", "a-words"]);
    expect(ids(body.links)).toEqual(["l-refers", "l-speaker", "l-same"]);
    save(store);

    store.getState().redo();
    store.getState().redo();
    body = store.getState().submission();
    expect(find(body.annotations, id)).toMatchObject({
      label: "cup",
      geometry: { type: "box", x: 1, y: 2, w: 3, h: 4 },
      revision: 1,
    });
    expect(find(body.links, link)).toMatchObject({ source: id, target: "a-box", revision: 1 });
    expect(store.getState().future).toEqual([]);
  });

  it("undoes a drag that went on across a save as one step", () => {
    const store = loaded();
    const drag = (x: number) =>
      store
        .getState()
        .updateAnnotation(
          "a-box",
          { geometry: { type: "box", x, y: 20, w: 100, h: 200 } },
          { coalesce: "drag" },
        );
    drag(11);
    drag(12);
    save(store);
    drag(13);
    drag(14);
    expect(store.getState().past).toHaveLength(1);
    store.getState().undo();
    expect(find(store.getState().work.annotations, "a-box")).toMatchObject({
      geometry: { type: "box", x: 10, y: 20, w: 100, h: 200 },
      revision: 2,
    });
    store.getState().redo();
    expect(find(store.getState().work.annotations, "a-box")?.geometry).toMatchObject({ x: 14 });
  });

  it("drops a step whose object changed since, naming it, and changes nothing", () => {
    const store = loaded();
    store.getState().updateAnnotation("a-box", { label: "pilot" });
    const state = store.getState();
    const body = state.submission();
    // the server took it, but someone's migration relabelled it in the same answer
    const after = answer(state.sample as Sample, body);
    const box = after.annotations?.[1] as Annotation;
    after.annotations = after.annotations?.map((a) => (a === box ? { ...a, label: "crew" } : a));
    state.applySubmitted(
      { sample: after, created: 0, updated: 1, deleted: 0, unchanged: 5, stale: 0 },
      '"50"',
    );
    const work = store.getState().work;
    expect(store.getState().undo()).toBe(false);
    expect(store.getState().work).toBe(work);
    expect(store.getState().past).toEqual([]);
    expect(store.getState().future).toEqual([]);
    expect(store.getState().skipped).toEqual([
      { label: "edit annotation", reason: 'annotation "a-box" changed since (label)' },
    ]);
  });

  it("refuses to take away an annotation that a link made since still names", () => {
    const store = loaded();
    const id = store.getState().addAnnotation({
      stream: "photo",
      label: "cup",
      geometry: { type: "box", x: 1, y: 2, w: 3, h: 4 },
    });
    save(store);
    // a link to it made and saved by someone else, seen through a conflict's merge
    const theirs = structuredClone(store.getState().sample as Sample);
    theirs.links = [
      ...(theirs.links ?? []),
      {
        id: "l-theirs",
        type: "same-as",
        source: id,
        target: "a-box",
        status: "proposed",
        revision: 1,
      },
    ];
    store.getState().updateAnnotation("a-span", { label: "pilot" });
    store.getState().applyConflict(conflictBody(theirs, 60));
    store.getState().resolveConflict({});
    expect(store.getState().past.map((c) => c.label)).toEqual([
      "add annotation",
      "edit annotation",
    ]);
    expect(store.getState().undo()).toBe(true); // the span's label
    expect(store.getState().undo()).toBe(false);
    expect(store.getState().skipped).toEqual([
      {
        label: "add annotation",
        reason: `link "l-theirs" would name "${id}", which is gone`,
      },
    ]);
    expect(find(store.getState().work.annotations, id)).toBeDefined();
  });
});

describe("undo after a conflict is resolved", () => {
  /** Someone else moved the box and deleted the words (and their link) meanwhile. */
  function theirs(): Sample {
    const s = sample();
    s.annotations = (s.annotations ?? [])
      .filter((a) => a.id !== "a-words")
      .map((a) =>
        a.id === "a-box"
          ? { ...a, geometry: BOX, revision: 2 }
          : a,
      );
    s.links = (s.links ?? [])
      .filter((l) => l.id !== "l-speaker")
      .map((l) => (l.id === "l-refers" ? { ...l, status: "stale", revision: 3 } : l));
    return s;
  }

  it("keeps steps on other fields and applies them onto their revision", () => {
    const store = loaded();
    store.getState().updateAnnotation("a-box", { label: "pilot" });
    store.getState().applyConflict(conflictBody(theirs(), 47));
    store.getState().resolveConflict({});
    expect(store.getState().skipped).toEqual([]);
    expect(find(store.getState().work.annotations, "a-box")).toMatchObject({
      label: "pilot",
      geometry: { x: 0, w: 50 },
      revision: 2,
    });
    expect(store.getState().undo()).toBe(true);
    // their geometry stays, their revision too: the box is as they left it
    expect(find(store.getState().work.annotations, "a-box")).toEqual(
      find(store.getState().base.annotations, "a-box"),
    );
    expect(isDirty(store.getState())).toBe(false);
    expect(store.getState().redo()).toBe(true);
    expect(find(store.getState().submission().annotations, "a-box")).toMatchObject({
      label: "pilot",
      geometry: { x: 0 },
      revision: 2,
    });
  });

  it("drops the steps their changes outdate, with a note for each", () => {
    const store = loaded();
    store.getState().updateAnnotation("a-box", { geometry: { ...BOX, x: 5, y: 5, w: 9, h: 9 } });
    store.getState().updateAnnotation("a-words", { label: "monologue" });
    const link = store.getState().addLink({ type: "same-as", source: "a-words", target: "a-span" });
    store.getState().updateAnnotation("a-span", { label: "pilot" });
    store.getState().applyConflict(conflictBody(theirs(), 47));
    store.getState().resolveConflict({ "a-box": "mine", "a-words": "theirs" });
    expect(store.getState().skipped).toEqual([
      { label: "edit annotation", reason: 'someone else changed annotation "a-box" (geometry)' },
      { label: "edit annotation", reason: 'someone else deleted annotation "a-words"' },
      { label: "add link", reason: `the merge dropped link "${link}" ("a-words" is gone)` },
    ]);
    expect(store.getState().past.map((c) => c.changes[0]?.id)).toEqual(["a-span"]);
    expect(store.getState().undo()).toBe(true);
    expect(store.getState().undo()).toBe(false);
    // my box stays as I chose it, on their revision, ready to submit
    expect(find(store.getState().submission().annotations, "a-box")).toMatchObject({
      geometry: { x: 5 },
      revision: 2,
    });
  });

  it("drops an undone step from the redo history when they changed its object", () => {
    const store = loaded();
    store.getState().updateAnnotation("a-box", { geometry: { ...BOX, x: 5, y: 5, w: 9, h: 9 } });
    save(store);
    store.getState().undo();
    expect(store.getState().future).toHaveLength(1);
    // saving the undo meets their change of the box
    const current = structuredClone(store.getState().sample as Sample);
    current.annotations = current.annotations?.map((a) =>
      a.id === "a-box"
        ? { ...a, geometry: BOX, revision: a.revision + 1 }
        : a,
    );
    store.getState().applyConflict(conflictBody(current, 48));
    store.getState().resolveConflict({ "a-box": "theirs" });
    expect(store.getState().skipped).toEqual([
      { label: "edit annotation", reason: 'someone else changed annotation "a-box" (geometry)' },
    ]);
    expect(store.getState().future).toEqual([]);
    expect(store.getState().redo()).toBe(false);
    expect(find(store.getState().work.annotations, "a-box")?.geometry).toMatchObject({ x: 0 });
  });
});
