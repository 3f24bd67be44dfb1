import { describe, expect, it } from "vitest";

import { WorkError } from "./edits";
import type { Link, Sample } from "./objects";
import { createWorkStore, isDirty, linkStatuses, myChanges } from "./store";
import { sample } from "./testdata/sample";

function loaded() {
  let next = 0;
  const store = createWorkStore({ newId: (kind) => `new-${kind}-${(next += 1)}` });
  store.getState().load(sample(), '"41"');
  return store;
}

const ids = (list: readonly { id: string }[]) => list.map((o) => o.id);

describe("loading and editing", () => {
  it("loads the sample's work with its ETag, clean", () => {
    const store = loaded();
    const state = store.getState();
    expect(state.etag).toBe('"41"');
    expect(ids(state.work.annotations)).toEqual(["a-span", "a-box", "a-words"]);
    expect(isDirty(state)).toBe(false);
  });

  it("adds objects with ids made here, at revision 1", () => {
    const store = loaded();
    const id = store.getState().addAnnotation({
      stream: "photo",
      label: "cup",
      geometry: { type: "box", x: 1, y: 2, w: 3, h: 4 },
    });
    expect(id).toBe("new-annotation-1");
    const entity = store.getState().addEntity({ label: null, members: [id] });
    const link = store.getState().addLink({ type: "same-as", source: id, target: "a-box" });
    const { work } = store.getState();
    expect(work.annotations.at(-1)).toEqual({
      id,
      stream: "photo",
      label: "cup",
      geometry: { type: "box", x: 1, y: 2, w: 3, h: 4 },
      attributes: {},
      revision: 1,
    });
    expect(work.entities.at(-1)).toEqual({ id: entity, label: null, members: [id], revision: 1 });
    expect(work.links.at(-1)).toMatchObject({
      id: link,
      status: "proposed",
      revision: 1,
      attributes: {},
    });
    expect(myChanges(store.getState()).map((c) => [c.id, c.mine])).toEqual([
      [id, "created"],
      [entity, "created"],
      [link, "created"],
    ]);
  });

  it("makes random ids by default, unique and short enough for the store", () => {
    const store = createWorkStore();
    store.getState().load(sample(), '"1"');
    const made = Array.from({ length: 50 }, () => store.getState().addEntity({ members: [] }));
    expect(new Set(made).size).toBe(50);
    expect(made.every((id) => /^e-[0-9a-z]{20}$/.test(id))).toBe(true);
  });

  it("refuses edits the server would refuse, changing nothing", () => {
    const store = loaded();
    const before = store.getState().work;
    const refusals: [() => unknown, string][] = [
      [() => store.getState().deleteAnnotation("ghost"), 'annotation "ghost" is not in the work'],
      [
        () =>
          store
            .getState()
            .addAnnotation({
              id: "a-box",
              stream: "photo",
              label: "x",
              geometry: { type: "classification" },
            }),
        'annotation "a-box": the id is in use already (by an annotation)',
      ],
      [
        () =>
          store
            .getState()
            .addAnnotation({ stream: "radar", label: "x", geometry: { type: "classification" } }),
        '"radar" is not a stream of the sample (caption, photo, mic)',
      ],
      [
        () =>
          store
            .getState()
            .addAnnotation({
              stream: null,
              label: "x",
              geometry: { type: "span", start: 0, end: 1 },
            }),
        "only a classification may omit its stream",
      ],
      [
        () => store.getState().updateAnnotation("a-box", { stream: "mic" } as never),
        "an annotation stays on its stream",
      ],
      [() => store.getState().updateAnnotation("a-box", { label: "" }), "a label is required"],
      [
        () => store.getState().addEntity({ members: ["a-box", "ghost"] }),
        'members[1] "ghost" is not an annotation',
      ],
      [
        () => store.getState().updateEntity("e-astronaut", { members: ["a-box", "a-box"] }),
        "is listed twice",
      ],
      [
        () => store.getState().addLink({ type: "same-as", source: "a-box", target: "a-box" }),
        "cannot join an object to itself",
      ],
      [
        () => store.getState().addLink({ type: "same-as", source: "a-box", target: "l-same" }),
        'target "l-same" is not an annotation or entity',
      ],
      [() => store.getState().updateLink("l-same", { type: "" }), "a relation type is required"],
      [
        () => store.getState().setLinkStatus("l-same", "done" as never),
        "status must be one of proposed, confirmed, stale, rejected",
      ],
    ];
    for (const [edit, message] of refusals) {
      expect(edit).toThrow(WorkError);
      expect(edit).toThrow(message);
    }
    expect(store.getState().work).toBe(before);
    expect(store.getState().past).toEqual([]);
  });

  it("refuses to edit before a sample is loaded", () => {
    const store = createWorkStore();
    expect(() => store.getState().deleteLink("l")).toThrow("no sample is loaded");
    expect(() => store.getState().submission()).toThrow("no sample is loaded");
  });

  it("records no step for an edit that changes nothing", () => {
    const store = loaded();
    store.getState().updateAnnotation("a-box", { label: "person" });
    store.getState().setLinkStatus("l-refers", "confirmed");
    store.getState().updateEntity("e-astronaut", { members: ["a-span", "a-box"] });
    expect(store.getState().past).toEqual([]);
  });
});

describe("undo and redo", () => {
  it("undoes a deletion with the links and memberships that went with it", () => {
    const store = loaded();
    const original = store.getState().work;
    store.getState().deleteAnnotation("a-box");
    let { work } = store.getState();
    expect(ids(work.annotations)).toEqual(["a-span", "a-words"]);
    expect(work.entities[0]?.members).toEqual(["a-span"]);
    expect(ids(work.links)).toEqual(["l-speaker"]);
    expect(store.getState().undo()).toBe(true);
    work = store.getState().work;
    expect(work).toEqual(original);
    expect(work.links[2]).toBe(original.links[2]); // the very objects, in their places
    expect(isDirty(store.getState())).toBe(false);
    expect(store.getState().redo()).toBe(true);
    expect(ids(store.getState().work.links)).toEqual(["l-speaker"]);
    expect(store.getState().redo()).toBe(false);
  });

  it("undoes an entity's deletion with its links", () => {
    const store = loaded();
    store.getState().deleteEntity("e-astronaut");
    expect(ids(store.getState().work.links)).toEqual(["l-refers"]);
    store.getState().undo();
    expect(ids(store.getState().work.links)).toEqual(["l-refers", "l-speaker", "l-same"]);
    expect(ids(store.getState().work.entities)).toEqual(["e-astronaut"]);
  });

  it("walks a history of mixed edits back and forth exactly", () => {
    const store = loaded();
    const states = [store.getState().work];
    const s = () => store.getState();
    const steps = [
      () => s().updateAnnotation("a-span", { geometry: { type: "span", start: 3, end: 13 } }),
      () => s().addLink({ type: "same-as", source: "a-words", target: "a-span" }),
      () => s().deleteLink("l-same"),
      () => s().updateEntity("e-astronaut", { label: null }),
      () => s().deleteAnnotation("a-span"),
      () => s().setLinkStatus("l-speaker", "rejected"),
    ];
    for (const step of steps) {
      step();
      states.push(s().work);
    }
    for (let i = steps.length - 1; i >= 0; i -= 1) {
      s().undo();
      expect(s().work).toEqual(states[i]);
    }
    expect(s().undo()).toBe(false);
    for (let i = 1; i <= steps.length; i += 1) {
      s().redo();
      expect(s().work).toEqual(states[i]);
    }
  });

  it("drops the redo history on a new edit", () => {
    const store = loaded();
    store.getState().deleteLink("l-same");
    store.getState().undo();
    store.getState().deleteLink("l-refers");
    expect(store.getState().redo()).toBe(false);
    expect(ids(store.getState().work.links)).toEqual(["l-speaker", "l-same"]);
  });

  it("undoes a drag as one step", () => {
    const store = loaded();
    for (let x = 11; x <= 20; x += 1) {
      store
        .getState()
        .updateAnnotation(
          "a-box",
          { geometry: { type: "box", x, y: 20, w: 100, h: 200 } },
          { coalesce: "drag" },
        );
    }
    store.getState().updateAnnotation("a-box", { label: "pilot" });
    expect(store.getState().past).toHaveLength(2);
    store.getState().undo();
    store.getState().undo();
    expect(store.getState().work.annotations[1]?.geometry).toEqual({
      type: "box",
      x: 10,
      y: 20,
      w: 100,
      h: 200,
    });
  });
});

describe("dirty tracking and local stale links", () => {
  it("shows links whose ends changed as stale, as the server will make them", () => {
    const store = loaded();
    store.getState().updateAnnotation("a-span", { label: "pilot" });
    const statuses = linkStatuses(store.getState());
    expect(Object.fromEntries(statuses)).toEqual({
      // the span is an end; the astronaut entity holds it, so its links go stale too
      "l-refers": { status: "stale", reason: "source annotation 'a-span' changed" },
      "l-speaker": {
        status: "stale",
        reason: "source entity 'e-astronaut', whose member annotation 'a-span' changed",
      },
    });
    // the link itself is sent as read: the server turns it stale
    expect(store.getState().submission().links?.[0]?.status).toBe("confirmed");
    store.getState().undo();
    expect(linkStatuses(store.getState()).size).toBe(0);
  });

  it("turns an edited confirmed link back to proposed, a status set stays as set", () => {
    const store = loaded();
    store.getState().updateLink("l-refers", { attributes: { note: "x" } });
    store.getState().setLinkStatus("l-speaker", "rejected");
    store.getState().updateAnnotation("a-words", { attributes: { language: "en" } });
    expect(Object.fromEntries(linkStatuses(store.getState()))).toEqual({
      "l-refers": { status: "proposed", reason: "its attributes changed" },
    });
  });

  it("is clean again when every edit is undone", () => {
    const store = loaded();
    store.getState().updateAnnotation("a-box", { label: "pilot" });
    store.getState().updateAnnotation("a-box", { label: "person" });
    expect(isDirty(store.getState())).toBe(false); // the same as read, though two steps
    store.getState().deleteLink("l-same");
    expect(isDirty(store.getState())).toBe(true);
    expect(myChanges(store.getState()).map((c) => [c.kind, c.id, c.mine])).toEqual([
      ["link", "l-same", "deleted"],
    ]);
  });
});

describe("submission", () => {
  it("sends every object as read or changed, and leaves the deleted out", () => {
    const store = loaded();
    const read = store.getState().work;
    store.getState().updateAnnotation("a-words", { label: "monologue" });
    store.getState().deleteLink("l-same");
    const id = store.getState().addLink({ type: "same-as", source: "a-words", target: "a-span" });
    const body = store.getState().submission();
    expect(body.annotations?.[0]).toBe(read.annotations[0]); // unchanged: the JSON read
    expect(body.annotations?.[2]).toEqual({
      ...read.annotations[2],
      label: "monologue",
      revision: 1,
    });
    expect(ids(body.links ?? [])).toEqual(["l-refers", "l-speaker", id]);
    expect(body.entities).toEqual(read.entities);
    expect(store.getState().sent).toBe(store.getState().work);
  });

  it("takes the answer, keeping edits made while it was on its way", () => {
    const store = loaded();
    store.getState().updateAnnotation("a-span", { label: "pilot" });
    store.getState().submission();
    store.getState().updateAnnotation("a-box", { label: "pilot" }); // after sending
    const answer = serverAfter(sample(), (s) => {
      const span = s.annotations?.[0];
      if (span) Object.assign(span, { label: "pilot", revision: 3 });
      for (const link of s.links ?? []) {
        if (link.id !== "l-same") Object.assign(link, { status: "stale", revision: 3 });
      }
    });
    store
      .getState()
      .applySubmitted(
        { sample: answer, created: 0, updated: 1, deleted: 0, unchanged: 5, stale: 2 },
        '"45"',
      );
    const state = store.getState();
    expect(state.etag).toBe('"45"');
    expect(state.past.map((c) => c.label)).toEqual(["edit annotation", "edit annotation"]);
    expect(state.base.annotations[0]).toMatchObject({ label: "pilot", revision: 3 });
    expect(state.work.annotations[1]).toMatchObject({ id: "a-box", label: "pilot", revision: 1 });
    expect(state.work.links.map((l: Link) => l.status)).toEqual(["stale", "stale", "proposed"]);
    expect(myChanges(state).map((c) => c.id)).toEqual(["a-box"]);
  });
});

/** A copy of `before` changed by `change`, as the server would send it back. */
function serverAfter(before: Sample, change: (sample: Sample) => void): Sample {
  const copy = structuredClone(before);
  change(copy);
  return copy;
}

describe("conflicts", () => {
  /** Someone else relabelled the box, removed the words and their link meanwhile. */
  function theirs(): Sample {
    return serverAfter(sample(), (s) => {
      const box = s.annotations?.[1];
      if (box) Object.assign(box, { label: "pilot", revision: 2 });
      s.annotations = s.annotations?.filter((a) => a.id !== "a-words");
      s.links = s.links?.filter((l) => l.id !== "l-speaker");
      const refers = s.links?.[0];
      if (refers) Object.assign(refers, { status: "stale", revision: 3 });
    });
  }

  const conflictBody = (current: Sample) => ({
    error: {
      type: "conflict",
      message: "stale",
      object: "sample 's1'",
      expected: 41,
      actual: 47,
      current,
    },
  });

  it("diffs mine against theirs by id and names the clashes", () => {
    const store = loaded();
    store.getState().updateAnnotation("a-box", { label: "cup", attributes: {} });
    store.getState().updateAnnotation("a-words", { label: "monologue" });
    store.getState().updateAnnotation("a-span", { geometry: { type: "span", start: 3, end: 13 } });
    const conflict = store.getState().applyConflict(conflictBody(theirs()));
    expect(conflict.etag).toBe('"47"');
    const summary = conflict.items.map((i) => [i.id, i.mine, i.theirs, i.clash, i.clashFields]);
    expect(summary).toEqual([
      ["a-span", "updated", null, false, []],
      ["a-box", "updated", "updated", true, ["label"]],
      ["a-words", "updated", "deleted", true, []],
      ["l-refers", null, "updated", false, []],
      ["l-speaker", null, "deleted", false, []],
    ]);
    const box = conflict.items[1];
    expect(box?.mineFields).toEqual(["label", "attributes"]);
    expect(box?.theirsFields).toEqual(["label"]);
  });

  it("merges onto their sample with the sides chosen, ready to submit again", () => {
    const store = loaded();
    store.getState().updateAnnotation("a-box", { label: "cup", attributes: {} });
    store.getState().updateAnnotation("a-words", { label: "monologue" });
    const link = store.getState().addLink({ type: "same-as", source: "a-words", target: "a-box" });
    store.getState().applyConflict(conflictBody(theirs()));
    expect(() => store.getState().resolveConflict({ "a-box": "mine" })).toThrow(
      'choose mine or theirs for every clash; still open: annotation "a-words"',
    );
    const merged = store.getState().resolveConflict({ "a-box": "theirs", "a-words": "theirs" });
    const state = store.getState();
    expect(state.etag).toBe('"47"');
    expect(state.conflict).toBeNull();
    // theirs won the label; my non-clashing change (attributes) stays on their revision
    expect(state.work.annotations[1]).toMatchObject({
      label: "pilot",
      attributes: {},
      revision: 2,
    });
    expect(ids(state.work.annotations)).toEqual(["a-span", "a-box"]);
    // my new link named the words they deleted: it had to go
    expect(merged.dropped).toEqual([{ kind: "link", id: link, missing: "a-words" }]);
    expect(myChanges(state).map((c) => [c.id, c.mine])).toEqual([["a-box", "updated"]]);
  });

  it("brings back what they deleted when mine is chosen", () => {
    const store = loaded();
    store.getState().updateAnnotation("a-words", { label: "monologue" });
    store.getState().applyConflict(conflictBody(theirs()));
    store.getState().resolveConflict({ "a-words": "mine" });
    const words = store.getState().work.annotations.find((a) => a.id === "a-words");
    expect(words).toMatchObject({ label: "monologue", revision: 1 });
    expect(myChanges(store.getState()).map((c) => [c.id, c.mine])).toEqual([
      ["a-words", "created"],
    ]);
  });

  it("refuses a 409 that carries no sample", () => {
    const store = loaded();
    const objectConflict = {
      error: {
        type: "conflict",
        object: "annotation 'a-box'",
        expected: 1,
        actual: 2,
        current: { id: "a-box" },
      },
    };
    expect(() => store.getState().applyConflict(objectConflict)).toThrow(
      "the conflict (annotation 'a-box') carries no current state of sample \"s1\"; reload it",
    );
    expect(() => store.getState().applyConflict({ error: { type: "rule_violation" } })).toThrow(
      "expected the body of a 409 conflict",
    );
    expect(() => store.getState().resolveConflict({})).toThrow("there is no conflict to resolve");
  });
});
