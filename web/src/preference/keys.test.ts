import { describe, expect, it } from "vitest";

import { press } from "../editing/keyPress.testing";
import { letterOf, moveCell, rankingCommand, rubricCommand } from "./keys";

describe("ranking keys", () => {
  it("names candidates by letter and ranks them by their letter, in either case", () => {
    expect([0, 1, 2].map(letterOf)).toEqual(["A", "B", "C"]);
    expect(rankingCommand(press("b"), 3)).toEqual({ kind: "rank", index: 1 });
    expect(rankingCommand(press("C", { shiftKey: true }), 3)).toEqual({ kind: "rank", index: 2 });
    expect(rankingCommand(press("d"), 3)).toBeNull();
  });

  it("ties on =, undoes on Backspace, sets strengths 1–3, leaves on Esc", () => {
    expect(rankingCommand(press("="), 3)).toEqual({ kind: "tie" });
    expect(rankingCommand(press("Backspace"), 3)).toEqual({ kind: "undo" });
    expect(rankingCommand(press("2"), 2)).toEqual({ kind: "strength", value: 2 });
    expect(rankingCommand(press("4"), 2)).toBeNull();
    expect(rankingCommand(press("Escape"), 3)).toEqual({ kind: "leave" });
  });

  it("leaves Ctrl and Alt chords to the workspace", () => {
    expect(rankingCommand(press("s", { ctrlKey: true }), 3)).toBeNull();
    expect(rankingCommand(press("a", { altKey: true }), 3)).toBeNull();
  });
});

describe("rubric keys", () => {
  it("moves with the arrows, scores with digits, clears with Backspace or Delete", () => {
    expect(rubricCommand(press("ArrowDown"))).toEqual({ kind: "move", rows: 1, columns: 0 });
    expect(rubricCommand(press("ArrowLeft"))).toEqual({ kind: "move", rows: 0, columns: -1 });
    expect(rubricCommand(press("4"))).toEqual({ kind: "score", value: 4 });
    expect(rubricCommand(press("Delete"))).toEqual({ kind: "clear" });
    expect(rubricCommand(press("a"))).toBeNull();
    expect(rubricCommand(press("s", { metaKey: true }))).toBeNull();
  });

  it("keeps the cell inside the grid", () => {
    expect(moveCell({ row: 0, column: 0 }, { rows: -1, columns: 0 }, 4, 3)).toEqual({ row: 0, column: 0 });
    expect(moveCell({ row: 3, column: 2 }, { rows: 1, columns: 1 }, 4, 3)).toEqual({ row: 3, column: 2 });
    expect(moveCell({ row: 1, column: 1 }, { rows: 1, columns: -1 }, 4, 3)).toEqual({ row: 2, column: 0 });
  });
});
