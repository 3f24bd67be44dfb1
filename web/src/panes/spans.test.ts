import { describe, expect, it } from "vitest";

import { GraphemeIndex } from "../text/graphemes";
import { CodePointIndex } from "../text/offsets";
import { textRows } from "../text/rows";
import { runs, spansInRows, type Highlight } from "./spans";

const span = (id: string, start: number, end: number, label = "thing"): Highlight => ({ id, label, start, end });

describe("runs", () => {
  it("keeps the whole text as one plain run without spans", () => {
    expect(runs("hello", [])).toEqual([{ text: "hello", start: 0, end: 5, spans: [] }]);
  });

  it("counts offsets in code points, not UTF-16 units", () => {
    const found = runs("🚀 Apollo 11", [span("a", 2, 8)]);
    expect(found.map((run) => [run.text, run.start, run.end])).toEqual([
      ["🚀 ", 0, 2],
      ["Apollo", 2, 8],
      [" 11", 8, 11],
    ]);
    expect(found[1]?.spans.map((s) => s.id)).toEqual(["a"]);
  });

  it("splits overlapping spans and lists the shorter one first", () => {
    const found = runs("the flag pole", [span("long", 0, 13), span("short", 4, 8)]);
    expect(found.map((run) => [run.text, run.spans.map((s) => s.id)])).toEqual([
      ["the ", ["long"]],
      ["flag", ["short", "long"]],
      [" pole", ["long"]],
    ]);
  });

  it("clips spans past the end and ignores empty ones", () => {
    const found = runs("abc", [span("past", 1, 10), span("empty", 2, 2)]);
    expect(found.map((run) => [run.text, run.spans.map((s) => s.id)])).toEqual([
      ["a", []],
      ["bc", ["past"]],
    ]);
    expect(found.map((run) => run.text).join("")).toBe("abc");
  });
});

describe("spansInRows", () => {
  const text = "🚀 one\ntwo\nthree";
  const rows = textRows(new CodePointIndex(text), new GraphemeIndex(text));

  it("puts each span in the rows it crosses, offsets from each row's start", () => {
    const found = spansInRows(rows, [span("a", 2, 5), span("b", 4, 10), span("empty", 6, 6)]);
    expect([...found.keys()]).toEqual([0, 1]);
    expect(found.get(0)).toEqual([span("a", 2, 5), span("b", 4, 10)]);
    expect(found.get(1)).toEqual([span("b", -2, 4)]);
  });

  it("draws a span over three rows as its part in each, which `runs` clips", () => {
    const found = spansInRows(rows, [span("b", 4, 12)]);
    const parts = [0, 1, 2].map((index) => {
      const row = rows[index];
      const inRow = text.slice(row?.utf16Start, row?.utf16End);
      return runs(inRow, found.get(index) ?? [])
        .filter((run) => run.spans.length > 0)
        .map((run) => run.text);
    });
    expect(parts).toEqual([["e\n"], ["two\n"], ["th"]]);
  });
});
