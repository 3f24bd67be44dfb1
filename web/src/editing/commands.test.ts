import { describe, expect, it } from "vitest";

import { OntologyIndex } from "../ontology/ontology";
import { CASES } from "../ontology/testdata/ontologyCases";
import type { Sample } from "../work/objects";
import { createWorkStore } from "../work/store";
import { sample } from "../work/testdata/sample";
import { createFocusStore } from "../workspace/focus";
import {
  applyLabel,
  deleteSelection,
  groupSelection,
  linkSelection,
  nudgeSelection,
  relabelSelection,
  stepHistory,
  type CommandContext,
} from "./commands";
import { createEditorStore } from "./editor";

function workspace(selected: string[] = []): CommandContext {
  const read = sample();
  const work = createWorkStore();
  work.getState().load(read, '"1"');
  const focus = createFocusStore();
  focus.getState().select(selected);
  return { sample: read, work, focus, editor: createEditorStore(), ontology: new OntologyIndex(CASES.demo) };
}

const annotation = (context: CommandContext, id: string) =>
  context.work.getState().work.annotations.find((a) => a.id === id);

describe("commands", () => {
  it("relabel the selection, keeping only the attributes the new class defines", () => {
    const context = workspace(["a-box"]);
    relabelSelection(context);
    expect(context.editor.getState().labelling).toEqual({ for: "relabel", ids: ["a-box"] });
    applyLabel(context, "cup");
    expect(annotation(context, "a-box")).toMatchObject({ label: "cup", attributes: {} });
    expect(context.editor.getState().labelling).toBeNull();
  });

  it("make the new annotation the picker was opened for, and select it", () => {
    const context = workspace();
    context.editor.getState().askLabel({ for: "new", stream: "caption", geometry: { type: "span", start: 0, end: 2 } });
    applyLabel(context, "thing");
    const [id] = context.focus.getState().selected;
    expect(id && annotation(context, id)).toMatchObject({ stream: "caption", label: "thing" });
  });

  it("turn what the work or the ontology refuses into a notice, changing nothing", () => {
    const context = workspace(["a-box"]);
    linkSelection(context);
    expect(context.editor.getState().linking).toBeNull();
    expect(context.editor.getState().notice?.text).toMatch(/^select exactly two/);
    context.focus.getState().select(["a-box", "a-words"]);
    groupSelection(context);
    expect(context.editor.getState().notice?.text).toMatch(/^cannot group: "person" and "speech"/);
    expect(context.work.getState().past).toHaveLength(0);
  });

  it("delete the selection with what hangs on it, undone in steps", () => {
    const context = workspace(["l-same", "a-box"]);
    deleteSelection(context);
    const { work } = context.work.getState();
    expect(work.annotations.map((a) => a.id)).toEqual(["a-span", "a-words"]);
    expect(work.links.map((l) => l.id)).toEqual(["l-speaker"]);
    expect(work.entities[0]?.members).toEqual(["a-span"]);
    expect(context.focus.getState().selected).toEqual([]);
    context.work.getState().undo();
    expect(context.work.getState().work.annotations).toHaveLength(3);
  });

  it("undo and redo, and name a step that no longer applies as it leaves the history", () => {
    const context = workspace();
    const store = context.work.getState;
    store().updateAnnotation("a-box", { label: "cup" });
    stepHistory(context, true);
    expect(annotation(context, "a-box")?.label).toBe("person");
    stepHistory(context, false);
    expect(annotation(context, "a-box")?.label).toBe("cup");
    // saved, but the server's answer has it relabelled again (someone's migration)
    const after = structuredClone(store().sample as Sample);
    after.annotations = after.annotations?.map((a) =>
      a.id === "a-box" ? { ...a, label: "thing", revision: (a.revision ?? 1) + 1 } : a,
    );
    store().submission();
    store().applySubmitted({ sample: after, created: 0, updated: 1, deleted: 0, unchanged: 2, stale: 0 }, '"2"');
    expect(context.editor.getState().notice).toBeNull();
    stepHistory(context, true);
    expect(annotation(context, "a-box")?.label).toBe("thing");
    expect(context.editor.getState().notice).toEqual({
      tone: "error",
      text: 'Could not undo “edit annotation” (annotation "a-box" changed since (label)): the step is dropped from the history.',
    });
    context.editor.getState().notify(null);
    stepHistory(context, true); // nothing left to undo: no notice
    expect(context.editor.getState().notice).toBeNull();
  });

  it("nudge the selected shapes inside the image as one undo step", () => {
    const context = workspace(["a-box", "a-span"]);
    expect(nudgeSelection(context, -4, 0)).toBe(true);
    expect(nudgeSelection(context, -10, 0)).toBe(true);
    expect(annotation(context, "a-box")?.geometry).toMatchObject({ x: 0, y: 20 });
    expect(context.work.getState().past).toHaveLength(1);
    expect(nudgeSelection(workspace(["a-span"]), 1, 0)).toBe(false);
  });
});
