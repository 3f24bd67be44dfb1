import { describe, expect, it } from "vitest";

import { TextModel } from "./spans";
import { CJK, EMOJI, KHMER, THAI, VIETNAMESE } from "./testdata/scripts";

describe("TextModel.spanFromSelection", () => {
  // the spans of tests/test_text_offsets.py, reached from selections that cut a cluster
  it.each([
    ["thai base with two marks", THAI, 6, 5, 4, 7, "น้ำ"],
    ["khmer coeng cluster", KHMER, 5, 9, 4, 9, "ខ្មែរ"],
    ["vietnamese nfd", VIETNAMESE, 14, 8, 8, 14, "Việt".normalize("NFD")],
    ["cjk bmp", CJK, 0, 3, 0, 3, "日本語"],
    ["cjk astral", CJK, 9, 12, 8, 11, "𠮷野家"],
    ["emoji zwj sequence", EMOJI, 11, 14, 10, 13, "👩\u200d🚀"],
    ["flag", EMOJI, 23, 25, 20, 22, "🇺🇸"],
  ])("%s", (_, text, anchor, focus, start, end, covered) => {
    const model = new TextModel(text);
    const span = model.spanFromSelection(anchor, focus);
    expect(span).toEqual({ type: "span", start, end });
    expect(model.extract({ start, end })).toBe(covered);
    // and back: the DOM range of the span is whole clusters
    const range = model.rangeOf({ start, end });
    expect(model.graphemes.snap(range.start, range.end)).toEqual(range);
  });

  it("makes no span of an empty selection", () => {
    expect(new TextModel(EMOJI).spanFromSelection(12, 12)).toBeNull();
    expect(new TextModel("").spanFromSelection(0, 0)).toBeNull();
  });
});

describe("TextModel.rangeOf", () => {
  const model = new TextModel(EMOJI);

  it("gives the UTF-16 range to highlight", () => {
    expect(model.length).toBe(23);
    expect(model.rangeOf({ start: 10, end: 13 })).toEqual({ start: 10, end: 15 });
    expect(model.rangeOf({ start: 0, end: 23 })).toEqual({ start: 0, end: 27 });
  });

  it.each([
    [{ start: 0, end: 24 }, "span [0, 24) must lie inside the text (length 23)"],
    [{ start: 3, end: 3 }, "span [3, 3) must have integer ends, start before end"],
    [{ start: 1.5, end: 3 }, "must have integer ends"],
    [{ start: -1, end: 3 }, "must lie inside the text"],
  ])("refuses %j naming it", (span, message) => {
    expect(() => model.rangeOf(span)).toThrow(message);
  });
});
