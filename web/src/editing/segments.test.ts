import { describe, expect, it } from "vitest";

import type { components } from "../api/schema";
import { SampleTimeline } from "../clock/timeline";
import { WorkError } from "../work/edits";
import { isTimed, StreamSegments, type TimedGeometry } from "./segments";

type Stream = components["schemas"]["Stream"];

/** 10 s of 16 kHz audio on the reference clock from 0. */
const MIC: Stream = { id: "mic", name: "mic", modality: "audio", media: { sample_rate: 16000, duration: 10 } };
/** The same, starting 2 s into the sample (one sync point on its clock). */
const LATE: Stream = {
  ...MIC,
  id: "late",
  clock: { rate: "16000", offset: "0", sync: [{ local: "0", reference: "2", source: "manual" }] },
};
/** 10 s at 44.1 kHz, whose sample boundaries are not decimals. */
const CD: Stream = { ...MIC, id: "cd", media: { sample_rate: 44100, duration: 10 } };

const timeline = new SampleTimeline([MIC, LATE, CD]);
const mic = new StreamSegments(timeline, "mic", 10);

const SEGMENT: TimedGeometry = {
  type: "transcript",
  start: 1,
  end: 3,
  text: "hello there",
  words: [
    { text: "hello", start: 1.25, end: 1.75 },
    { text: "there", start: 2, end: 2.9 },
  ],
};

describe("StreamSegments.draw", () => {
  it("stores a drag on the stream's sample boundaries, either way round", () => {
    // 1.23456 s is sample 19752.96: the nearest boundary is sample 19753
    expect(mic.draw(2.5, 1.23456)).toEqual({ type: "interval", start: 19753 / 16000, end: 2.5 });
    expect(mic.draw(1.23456, 2.5)).toEqual(mic.draw(2.5, 1.23456));
  });

  it("keeps a drag past either end inside the stream, and draws nothing within one sample", () => {
    expect(mic.draw(-1, 12)).toEqual({ type: "interval", start: 0, end: 10 });
    expect(mic.draw(4, 4 + 1 / 48000)).toBeNull();
  });

  it("goes through the stream's clock to reference time and stays inside the stream", () => {
    const late = new StreamSegments(timeline, "late", 10);
    // media 1 s is reference 3 s; the stream covers reference [2, 12)
    expect(late.first.toNumber()).toBe(2);
    expect(late.last.toNumber()).toBe(12);
    expect(late.draw(1, 3)).toEqual({ type: "interval", start: 3, end: 5 });
    expect(late.draw(6, 9.5)).toEqual({ type: "interval", start: 8, end: 11.5 });
    expect(late.draw(9, 11)).toEqual({ type: "interval", start: 11, end: 12 });
  });

  it("lands within half a sample of the pointer where boundaries are not decimals", () => {
    const cd = new StreamSegments(timeline, "cd", 10);
    const drawn = cd.draw(0.1234, 0.5);
    expect(drawn?.start).toBe(5442 / 44100);
    expect(Math.abs((drawn?.start ?? 0) - 0.1234)).toBeLessThanOrEqual(0.5 / 44100);
  });
});

describe("StreamSegments.move", () => {
  it("moves a segment and its words by the same exact shift", () => {
    const moved = mic.move(SEGMENT, 2.5);
    expect(moved).toEqual({
      ...SEGMENT,
      start: 2.5,
      end: 4.5,
      words: [
        { text: "hello", start: 2.75, end: 3.25 },
        { text: "there", start: 3.5, end: 4.4 },
      ],
    });
  });

  it("stops where an end meets the stream's, keeping the length", () => {
    expect(mic.move({ type: "interval", start: 1, end: 3 }, 9)).toEqual({ type: "interval", start: 8, end: 10 });
    expect(mic.move({ type: "interval", start: 1, end: 3 }, -4)).toEqual({ type: "interval", start: 0, end: 2 });
  });

  it("keeps words that start where the segment does at its start after the move", () => {
    const tight: TimedGeometry = { ...SEGMENT, start: 0.1, words: [{ text: "hi", start: 0.1, end: 3 }] };
    const moved = mic.move(tight, 0.3);
    expect(moved.type === "transcript" && moved.words?.[0]).toEqual({ text: "hi", start: moved.start, end: moved.end });
  });
});

describe("StreamSegments.resize", () => {
  it("moves the dragged edge only", () => {
    expect(mic.resize({ type: "interval", start: 1, end: 3 }, "end", 5.00001)).toEqual({
      type: "interval",
      start: 1,
      end: 5,
    });
    expect(mic.resize({ type: "interval", start: 1, end: 3 }, "start", 0.5)).toEqual({
      type: "interval",
      start: 0.5,
      end: 3,
    });
  });

  it("refuses an edge dragged past the other", () => {
    expect(() => mic.resize({ type: "interval", start: 1, end: 3 }, "start", 3.2)).toThrow(
      /must end after it starts/,
    );
  });

  it("keeps a transcript's words inside and refuses to leave one out", () => {
    expect(mic.resize(SEGMENT, "start", 1.25)).toEqual({ ...SEGMENT, start: 1.25 });
    expect(mic.resize(SEGMENT, "end", 2.9)).toEqual({ ...SEGMENT, end: 2.9 });
    expect(() => mic.resize(SEGMENT, "start", 1.5)).toThrow(WorkError);
    expect(() => mic.resize(SEGMENT, "start", 1.5)).toThrow(/“hello” \[1.25, 1.75\) s would fall outside \[1.5 s, 3 s\)/);
    expect(() => mic.resize(SEGMENT, "end", 2.5)).toThrow(/“there”/);
  });
});

describe("isTimed", () => {
  it("tells intervals and transcript segments from other geometry", () => {
    expect(isTimed(SEGMENT)).toBe(true);
    expect(isTimed({ type: "interval", start: 0, end: 1 })).toBe(true);
    expect(isTimed({ type: "box", x: 0, y: 0, w: 1, h: 1 })).toBe(false);
  });
});
