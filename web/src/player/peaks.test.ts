import { describe, expect, it } from "vitest";

import { chooseLevel, readPeakLevel, toWaveform, type PeakLevelJson } from "./peaks";

/** An hour at 16 kHz: 225 000 buckets at the finest level, doubling up to ≤ 500. */
const HOUR_LEVELS = Array.from({ length: 10 }, (_, i) => 256 * 2 ** i);

function level(levels: number[], data: number[] = []): PeakLevelJson {
  return {
    sample_rate: 16000,
    samples_per_pixel: levels.at(-1) as number,
    bits: 16,
    length: data.length / 2,
    level: levels.length - 1,
    levels,
    data,
  };
}

describe("chooseLevel", () => {
  it("takes the coarsest level with enough buckets for an hour", () => {
    const chosen = chooseLevel(level(HOUR_LEVELS), 3600);
    expect(chosen).toBe(5);
    expect((3600 * 16000) / (HOUR_LEVELS[chosen] as number)).toBeGreaterThanOrEqual(4000);
    expect((3600 * 16000) / (HOUR_LEVELS[chosen + 1] as number)).toBeLessThan(4000);
  });

  it("takes the finest level of a short file", () => {
    expect(chooseLevel(level([256, 512]), 9.76)).toBe(0);
  });
});

describe("readPeakLevel and toWaveform", () => {
  it("reads an answer and scales its 16-bit pairs to [-1, 1]", () => {
    const answer = readPeakLevel({ ...level([256], [-32768, 16384, 0, 32767]), version: 2, start_bucket: 0 });
    expect(Array.from(toWaveform(answer))).toEqual([-1, 0.5, 0, 32767 / 32768]);
  });

  it("names what is wrong with an answer that is not one", () => {
    expect(() => readPeakLevel({ ...level([256], [1, 2]), length: 2 })).toThrow(/data must hold 2 × length = 4/);
    expect(() => readPeakLevel({ ...level([256]), bits: "16" })).toThrow(/bits must be a number/);
    expect(() => readPeakLevel(null)).toThrow(/not an object/);
  });
});
