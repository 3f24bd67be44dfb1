import { describe, expect, it } from "vitest";

import { runs, type Highlight } from "./spans";

const span = (id: string, start: number, end: number, label = "thing"): Highlight => ({ id, label, start, end });

describe("runs", () => {
  it("keeps the whole text as one plain run without spans", () => {
    expect(runs("hello", [])).toEqual([{ text: "hello", start: 0, spans: [] }]);
  });

  it("counts offsets in code points, not UTF-16 units", () => {
    const found = runs("🚀 Apollo 11", [span("a", 2, 8)]);
    expect(found.map((run) => run.text)).toEqual(["🚀 ", "Apollo", " 11"]);
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
