import { describe, expect, it } from "vitest";

import type { components } from "../api/schema";
import { placeInSegments, placeInText, sameWords, transcripts, wordsAt } from "./activeWords";

type Annotation = components["schemas"]["Annotation"];

function segment(id: string, stream: string, start: number, text: string, words: [string, number, number][]): Annotation {
  return {
    id,
    stream,
    label: "speech",
    revision: 1,
    geometry: {
      type: "transcript",
      start,
      end: words.at(-1)?.[2] ?? start,
      text,
      words: words.map(([word, from, to]) => ({ text: word, start: from, end: to })),
    },
  };
}

const FIRST = segment("line-1", "narration", 0, "An astronaut smiles.", [
  ["An", 0, 0.069],
  ["astronaut", 0.069, 0.694],
  ["smiles", 0.694, 1.2],
]);
const SECOND = segment("line-2", "narration", 3.64, "A tabby 🐱 cat.", [
  ["a", 3.64, 3.701],
  ["tabby", 3.701, 4.064],
  ["🐱", 4.064, 4.1],
  ["cat", 4.1, 4.394],
]);
const OTHER = segment("other", "elsewhere", 0, "Unrelated.", [["Unrelated", 0, 1]]);
const ANNOTATIONS = [SECOND, OTHER, FIRST];

describe("transcripts", () => {
  it("lists a stream's transcript segments by start", () => {
    expect(transcripts(ANNOTATIONS, "narration").map((s) => s.annotation)).toEqual(["line-1", "line-2"]);
    expect(transcripts(ANNOTATIONS)).toHaveLength(3);
  });
});

describe("placing words", () => {
  const script = "An astronaut smiles. A tabby 🐱 cat.";
  const placed = placeInText(script, transcripts(ANNOTATIONS, "narration"));

  it("finds each segment in the text and its words in code points", () => {
    expect(placed.map((s) => s.annotation)).toEqual(["line-1", "line-2"]);
    const [cat] = wordsAt(placed, "4.2");
    expect(cat).toMatchObject({ annotation: "line-2", index: 3, start: 31, end: 34 });
    expect([...script].slice(31, 34).join("")).toBe("cat");
    // "a" is found as "A", ignoring case
    expect(wordsAt(placed, "3.65")[0]).toMatchObject({ index: 0, start: 21, end: 22 });
  });

  it("says no word in a pause and at a word's exclusive end", () => {
    expect(wordsAt(placed, 2)).toEqual([]);
    expect(wordsAt(placed, "0.069")[0]?.word.text).toBe("astronaut");
    expect(wordsAt(placed, "1.2")).toEqual([]);
  });

  it("leaves out segments the text does not hold", () => {
    expect(placeInText("Something else entirely.", transcripts(ANNOTATIONS))).toEqual([]);
  });

  it("places words in their own segment's text", () => {
    const own = placeInSegments(transcripts(ANNOTATIONS, "narration"));
    expect(wordsAt(own, "0.1")[0]).toMatchObject({ annotation: "line-1", start: 3, end: 12 });
  });

  it("compares lists of words by identity", () => {
    expect(sameWords(wordsAt(placed, "0.1"), wordsAt(placed, "0.2"))).toBe(true);
    expect(sameWords(wordsAt(placed, "0.1"), wordsAt(placed, "0.8"))).toBe(false);
  });
});
