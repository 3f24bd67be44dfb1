import { describe, expect, it } from "vitest";

import { labelLanes } from "./regionLayer";

describe("labelLanes", () => {
  it("gives spans over each other rows of their own, and the first row to those apart", () => {
    const lanes = labelLanes([
      { id: "turn", start: 0, end: 3 },
      { id: "words", start: 0, end: 2.9 },
      { id: "word", start: 1, end: 1.5 },
      { id: "later", start: 4, end: 5 },
      // starts where the turn ends: its row is free again
      { id: "next", start: 3, end: 3.5 },
    ]);
    expect(Object.fromEntries(lanes)).toEqual({ turn: 0, words: 1, word: 2, later: 0, next: 0 });
  });

  it("puts the longest first where several start together, and shares the last row past three", () => {
    const lanes = labelLanes(["a", "b", "c", "d", "e"].map((id, i) => ({ id, start: 0, end: 1 + i })));
    expect(Object.fromEntries(lanes)).toEqual({ e: 0, d: 1, c: 2, b: 2, a: 2 });
  });
});
