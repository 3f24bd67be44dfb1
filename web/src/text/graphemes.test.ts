import { describe, expect, it } from "vitest";

import { GraphemeIndex } from "./graphemes";
import { CJK, EMOJI, KHMER, SKIN, THAI, VIETNAMESE } from "./testdata/scripts";

describe("GraphemeIndex.snap", () => {
  it.each([
    ["a thai mark cut from its base", THAI, 5, 6, "น้ำ"],
    ["a thai base with stacked marks", THAI, 0, 1, "ดื่"],
    ["a khmer coeng cluster", KHMER, 5, 6, "ខ្មែ"],
    ["a khmer cluster to the end", KHMER, 6, 9, "ខ្មែរ"],
    ["a vietnamese combining mark", VIETNAMESE, 11, 12, "ệ".normalize("NFD")],
    ["a vietnamese word cut mid-mark", VIETNAMESE, 9, 11, "iệ".normalize("NFD")],
    ["half an astral cjk character", CJK, 9, 10, "𠮷"],
    ["a ZWJ sequence cut at the joiner", EMOJI, 12, 13, "👩\u200d🚀"],
    ["one regional indicator of a flag", EMOJI, 22, 24, "🇺🇸"],
    ["a skin tone without its thumb", SKIN, 5, 7, "👍🏽"],
    ["one person of a family", SKIN, 10, 12, "👨‍👩‍👧‍👦"],
    ["a backwards selection", EMOJI, 13, 9, " 👩\u200d🚀"],
  ])("widens %s to whole clusters", (_, text, start, end, covered) => {
    const range = new GraphemeIndex(text).snap(start, end);
    expect(text.slice(range.start, range.end)).toBe(covered);
  });

  it("keeps ranges that are whole already, and empty ones empty", () => {
    const index = new GraphemeIndex(EMOJI);
    expect(index.snap(10, 15)).toEqual({ start: 10, end: 15 });
    expect(index.snap(0, 27)).toEqual({ start: 0, end: 27 });
    expect(index.snap(12, 12)).toEqual({ start: 10, end: 10 });
    expect(index.snap(27, 27)).toEqual({ start: 27, end: 27 });
  });
});

describe("GraphemeIndex boundaries", () => {
  const index = new GraphemeIndex(THAI); // clusters at 0, 3, 4, 7, 8, 10, 11

  it("floors and ceils to cluster boundaries", () => {
    expect([0, 1, 2, 3, 5, 11].map((o) => index.floor(o))).toEqual([0, 0, 0, 3, 4, 11]);
    expect([0, 1, 2, 3, 5, 11].map((o) => index.ceil(o))).toEqual([0, 3, 3, 3, 7, 11]);
    expect([0, 1, 3, 4, 5, 11].map((o) => index.isBoundary(o))).toEqual([
      true,
      false,
      true,
      true,
      false,
      true,
    ]);
  });

  it("steps one cluster right and left", () => {
    expect([0, 1, 3, 10, 11].map((o) => index.next(o))).toEqual([3, 3, 4, 11, 11]);
    expect([0, 1, 3, 4, 5, 11].map((o) => index.previous(o))).toEqual([0, 0, 0, 3, 4, 10]);
  });

  it("refuses offsets outside the text", () => {
    expect(() => index.floor(12)).toThrow("UTF-16 code-unit offset 12 is outside the text (0..11)");
    expect(() => index.snap(-1, 2)).toThrow(/outside the text/);
    expect(() => index.next(0.5)).toThrow(/outside the text/);
  });
});
