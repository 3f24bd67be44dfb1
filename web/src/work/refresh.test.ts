import { describe, expect, it } from "vitest";

import type { Annotation, Sample } from "./objects";
import { createWorkStore, isDirty } from "./store";
import { sample } from "./testdata/sample";

const box = (x: number) => ({ type: "box" as const, x, y: 20, w: 100, h: 200 });

/** The sample as the server has it after others' changes: `change` applied to its annotations. */
function theirs(change: (annotations: Annotation[]) => Annotation[]): Sample {
  return { ...sample(), annotations: change([...(sample().annotations ?? [])]) };
}

function loaded() {
  const work = createWorkStore();
  work.getState().load(sample(), '"41"');
  return work;
}

describe("refresh: the sample read again after a change outside the work", () => {
  it("takes the server's objects and ETag with my unsaved edits on top, keeping the history", () => {
    const work = loaded();
    work.getState().updateAnnotation("a-box", { geometry: box(11) });
    const added: Annotation = { ...(sample().annotations?.[1] as Annotation), id: "c-new", label: "thing" };
    const now = theirs((list) => [
      ...list.map((a) => (a.id === "a-box" ? { ...a, label: "thing", revision: 2 } : a)),
      added,
    ]);
    work.getState().refresh(now, '"43"');
    const state = work.getState();
    expect(state.etag).toBe('"43"');
    expect(state.work.annotations.find((a) => a.id === "c-new")).toEqual(added);
    expect(state.work.annotations.find((a) => a.id === "a-box")).toMatchObject({
      label: "thing",
      geometry: box(11),
      revision: 2,
    });
    expect(isDirty(state)).toBe(true);
    expect(state.undo()).toBe(true);
    expect(work.getState().work.annotations.find((a) => a.id === "a-box")?.geometry).toEqual(box(10));
    expect(isDirty(work.getState())).toBe(false);
  });

  it("lets the server's version win on the objects it settled", () => {
    const work = loaded();
    work.getState().updateAnnotation("a-box", { label: "thing" });
    work.getState().updateAnnotation("a-words", { label: "thing" });
    const gone = theirs((list) => list.filter((a) => a.id !== "a-box" && a.id !== "a-words"));
    work.getState().refresh(gone, '"44"', ["a-box"]);
    const ids = work.getState().work.annotations.map((a) => a.id);
    expect(ids).not.toContain("a-box");
    // not settled: mine comes back as a new object, as in any merge
    expect(work.getState().work.annotations.find((a) => a.id === "a-words")).toMatchObject({
      label: "thing",
      revision: 1,
    });
  });

  it("waits for an open conflict to be resolved", () => {
    const work = loaded();
    work.getState().updateAnnotation("a-box", { geometry: box(11) });
    work.getState().applyConflict({ error: { type: "conflict", current: sample(), actual: 42 } });
    expect(() => work.getState().refresh(sample(), '"42"')).toThrow(/resolve the conflict first/);
  });
});
