import { describe, expect, it } from "vitest";

import type { components } from "../api/schema";
import { Fraction } from "./fraction";
import { intervalsAt, rowAt, segmentsAt, wordIndexAt } from "./timed";

type Annotation = components["schemas"]["Annotation"];
type TranscriptSegment = components["schemas"]["TranscriptSegment"];

const SEGMENT: TranscriptSegment = {
  type: "transcript",
  start: 1,
  end: 3,
  text: "hello there world",
  words: [
    { text: "hello", start: 1, end: 1.4 },
    { text: "there", start: 1.4, end: 1.9 },
    { text: "world", start: 2.2, end: 2.9 },
  ],
};

const annotation = (id: string, stream: string, geometry: Annotation["geometry"]): Annotation => ({
  id,
  stream,
  label: "speech",
  geometry,
  revision: 1,
});

describe("wordIndexAt", () => {
  it("finds the word whose [start, end) holds t", () => {
    expect(wordIndexAt(SEGMENT, 1)).toBe(0);
    expect(wordIndexAt(SEGMENT, "1.3999")).toBe(0);
    expect(wordIndexAt(SEGMENT, 1.4)).toBe(1); // a shared boundary belongs to the later word
    expect(wordIndexAt(SEGMENT, 2)).toBeNull(); // in the pause
    expect(wordIndexAt(SEGMENT, 2.9)).toBeNull();
    expect(wordIndexAt(SEGMENT, 0.5)).toBeNull();
    expect(wordIndexAt({ ...SEGMENT, words: null }, 1.2)).toBeNull();
  });

  it("compares a stored float by its decimal, exactly", () => {
    // 0.1 + 0.2 is the double above 0.3: as the server reads it, 0.30000000000000004
    const segment: TranscriptSegment = {
      ...SEGMENT,
      start: 0,
      words: [{ text: "a", start: 0, end: 0.1 + 0.2 }],
    };
    expect(wordIndexAt(segment, "0.3")).toBe(0);
    expect(wordIndexAt(segment, new Fraction(30000000000000004n, 10n ** 17n))).toBeNull();
  });
});

describe("segmentsAt and intervalsAt", () => {
  const annotations = [
    annotation("s1", "mic", SEGMENT),
    annotation("s2", "mic", { ...SEGMENT, start: 2.5, end: 4, words: null }),
    annotation("other", "cam", SEGMENT),
    annotation("i1", "mic", { type: "interval", start: 0, end: 1.2 }),
    annotation("i2", "mic", { type: "interval", start: 1.2, end: 2 }),
  ];

  it("gives the segments on the stream holding t, with the word at t", () => {
    const hits = segmentsAt(annotations, "mic", "2.6");
    expect(hits.map((h) => [h.annotation.id, h.wordIndex, h.word?.text ?? null])).toEqual([
      ["s1", 2, "world"],
      ["s2", null, null],
    ]);
    expect(segmentsAt(annotations, "mic", 3)).toHaveLength(1); // s1 ends at 3
    expect(segmentsAt(annotations, "mic", 0.5)).toEqual([]);
  });

  it("gives the interval annotations holding t", () => {
    expect(intervalsAt(annotations, "mic", 1.2).map((a) => a.id)).toEqual(["i2"]);
    expect(intervalsAt(annotations, "mic", "1.1999").map((a) => a.id)).toEqual(["i1"]);
    expect(intervalsAt(annotations, "cam", 1)).toEqual([]);
  });
});

describe("rowAt", () => {
  const times = [0.0, 0.1, 0.2, 0.35];

  it("mirrors TimeSeries.row_at for each rounding", () => {
    expect(rowAt(times, 0.12, "floor")).toBe(1);
    expect(rowAt(times, 0.12, "ceil")).toBe(2);
    expect(rowAt(times, 0.12)).toBe(1);
    expect(rowAt(times, 0.16)).toBe(2);
    expect(rowAt(times, 0.15)).toBe(1); // a tie goes to the earlier row
    expect(rowAt(times, 0.2, "floor")).toBe(2);
    expect(rowAt(times, 0.2, "ceil")).toBe(2);
  });

  it("answers null where no row qualifies; nearest clamps", () => {
    expect(rowAt(times, -1, "floor")).toBeNull();
    expect(rowAt(times, 1, "ceil")).toBeNull();
    expect(rowAt(times, -1)).toBe(0);
    expect(rowAt(times, 9)).toBe(3);
    expect(rowAt(new Float64Array([]), 1)).toBeNull();
  });
});
