import { describe, expect, it } from "vitest";

import { createFocusStore } from "./focus";

describe("focus", () => {
  it("selects, adds to and toggles the selection in the order picked", () => {
    const focus = createFocusStore();
    focus.getState().select(["a1"]);
    focus.getState().select(["l1", "a2"], true);
    expect(focus.getState().selected).toEqual(["a1", "l1", "a2"]);
    focus.getState().select(["l1"], true);
    expect(focus.getState().selected).toEqual(["a1", "a2"]);
    focus.getState().select(["a3", "a3"]);
    expect(focus.getState().selected).toEqual(["a3"]);
  });

  it("keeps what each select picked, to reveal it: a new list each time, toggled-off ids left out", () => {
    const focus = createFocusStore();
    focus.getState().select(["a1", "a1"]);
    const first = focus.getState().revealed;
    expect(first).toEqual(["a1"]);
    focus.getState().select(["a1"]);
    expect(focus.getState().revealed).toEqual(["a1"]);
    expect(focus.getState().revealed).not.toBe(first);
    focus.getState().select(["a2", "a1"], true);
    expect(focus.getState().revealed).toEqual(["a2"]);
    focus.getState().hover(["a3"]);
    expect(focus.getState().revealed).toEqual(["a2"]);
    focus.getState().clear();
    expect(focus.getState().revealed).toEqual([]);
  });

  it("hovers and clears", () => {
    const focus = createFocusStore();
    focus.getState().hover(["a1", "t1"]);
    expect(focus.getState().hovered).toEqual(["a1", "t1"]);
    focus.getState().select(["a1"]);
    focus.getState().clear();
    expect(focus.getState()).toMatchObject({ selected: [], hovered: [] });
  });
});
