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

  it("hovers and clears", () => {
    const focus = createFocusStore();
    focus.getState().hover(["a1", "t1"]);
    expect(focus.getState().hovered).toEqual(["a1", "t1"]);
    focus.getState().select(["a1"]);
    focus.getState().clear();
    expect(focus.getState()).toMatchObject({ selected: [], hovered: [] });
  });
});
