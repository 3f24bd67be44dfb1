import { describe, expect, it } from "vitest";

import { pickAt } from "./useRegions";

/** A speaker's turn and its transcript over the same stretch, and a word inside both. */
const SPANS = [
  { id: "words", start: 0, end: 3 },
  { id: "turn", start: 0, end: 3 },
  { id: "word", start: 1, end: 1.5 },
  { id: "later", start: 4, end: 5 },
];

describe("pickAt", () => {
  it("picks the shortest region under the pointer", () => {
    expect(pickAt(SPANS, 1.2, [])).toBe("word");
    expect(pickAt(SPANS, 0.5, [])).toBe("turn");
    expect(pickAt(SPANS, 3.5, [])).toBeNull();
    // half-open: a region's end is the next one's
    expect(pickAt(SPANS, 3, ["turn"])).toBeNull();
  });

  it("goes through the regions over each other, click after click, and round again", () => {
    const picks: string[] = [];
    let selected: string[] = [];
    for (let click = 0; click < 4; click += 1) {
      const picked = pickAt(SPANS, 1.2, selected) as string;
      picks.push(picked);
      selected = [picked];
    }
    expect(picks).toEqual(["word", "turn", "words", "word"]);
    // a selection elsewhere starts again from the shortest
    expect(pickAt(SPANS, 1.2, ["later"])).toBe("word");
  });

  it("adds the shortest one not selected yet with Shift", () => {
    expect(pickAt(SPANS, 1.2, ["word"], true)).toBe("turn");
    expect(pickAt(SPANS, 1.2, ["word", "turn", "words"], true)).toBe("word");
  });
});
