import { describe, expect, it } from "vitest";

import type { Sample } from "../panes/sample";
import { isPreferenceSample, judgementOf, preferenceParts, rationaleText } from "./sample";

const text = (id: string, value: string): NonNullable<Sample["streams"]>[number] => ({
  id,
  name: id,
  modality: "text",
  text: value,
});

const SAMPLE: Sample = {
  id: "s",
  status: "new",
  streams: [
    text("prompt", "Describe the image."),
    text("c2-text", "A red cup."),
    text("why-ada", "B names the colour."),
    text("c1-text", "A drink."),
    text("why-grace", "Both are fine."),
  ],
  // the caller's presentation order: c2 first
  candidates: [
    { id: "c2", streams: ["c2-text"] },
    { id: "c1", model: "small", streams: ["c1-text"] },
  ],
  judgements: [
    { id: "j1", author: "ada", ranking: [["c2"], ["c1"]], rationale: "why-ada", revision: 1 },
    { id: "j2", author: "grace", rationale: "why-grace", revision: 2 },
  ],
};

describe("preferenceParts", () => {
  it("letters the candidates in the order given and keeps rationales out of the prompt", () => {
    const parts = preferenceParts(SAMPLE);
    expect(parts.prompt.map((s) => s.id)).toEqual(["prompt"]);
    expect(parts.candidates.map((c) => [c.letter, c.candidate.id, c.streams.map((s) => s.id)])).toEqual([
      ["A", "c2", ["c2-text"]],
      ["B", "c1", ["c1-text"]],
    ]);
    expect(parts.rationales.map((r) => [r.stream.id, r.judgement.author])).toEqual([
      ["why-ada", "ada"],
      ["why-grace", "grace"],
    ]);
  });

  it("finds the caller's judgement and its rationale's text", () => {
    expect(isPreferenceSample(SAMPLE)).toBe(true);
    expect(isPreferenceSample({ id: "plain", status: "new", streams: [] })).toBe(false);
    const mine = judgementOf(SAMPLE, "ada");
    expect(mine?.id).toBe("j1");
    expect(rationaleText(SAMPLE, mine)).toBe("B names the colour.");
    expect(judgementOf(SAMPLE, "bob")).toBeNull();
    expect(rationaleText(SAMPLE, null)).toBe("");
  });
});
