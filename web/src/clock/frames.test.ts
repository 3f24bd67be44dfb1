import { describe, expect, it } from "vitest";

import { compileClock } from "./clockMap";
import { FrameTable, type FrameTableJson } from "./frames";
import { Fraction } from "./fraction";
import { seeded } from "./testdata/random";

// as GET /api/streams/{id}/frames sends it: 25 fps in a 1/12800 time base from PTS 512
const CONSTANT: FrameTableJson = {
  time_base: "1/12800",
  ticks: [512, 1024, 1536, 2048, 2560],
  keyframes: [0, 3],
  duration: "0.2",
  constant_rate: "25",
};

describe("FrameTable", () => {
  const table = new FrameTable(CONSTANT);

  it("finds the frame whose [pts, next pts) holds a media time", () => {
    expect(table.count).toBe(5);
    expect(table.start.toString()).toBe("0.04");
    expect(table.end.toString()).toBe("0.24");
    expect(table.frameAt("0.0399")).toBeNull();
    expect(table.frameAt("0.04")).toBe(0);
    expect(table.frameAt("0.0799")).toBe(0);
    expect(table.frameAt("0.08")).toBe(1);
    expect(table.frameAt(0.2)).toBe(4);
    expect(table.frameAt(99)).toBe(4); // the last frame stays on screen
  });

  it("gives each frame's span, and where to seek to show it", () => {
    expect(table.spanOf(1)).toEqual({ start: Fraction.from("0.08"), end: Fraction.from("0.12") });
    expect(table.spanOf(4).end.toString()).toBe("0.24");
    expect(table.seekTime(1)).toBe(0.1);
    expect(table.frameAt(table.seekTime(3))).toBe(3);
    expect(() => table.spanOf(5)).toThrow("frame 5 is outside the table (0..4)");
    expect(table.constantRate?.toString()).toBe("25");
    expect(table.keyframes).toEqual([0, 3]);
  });

  it("agrees with the stream's frame clock on an hour of variable frame rate", () => {
    const random = seeded(3);
    const ticks = [90];
    while (ticks.length < 108_000) {
      ticks.push((ticks.at(-1) as number) + 2700 + Math.floor(random() * 600));
    }
    const json: FrameTableJson = {
      time_base: "1/90000",
      ticks,
      keyframes: [0],
      duration: "3601",
      constant_rate: null,
    };
    const vfr = new FrameTable(json);
    // what rosetta.media.frames.frame_clock makes of it: ticks from frame 0, offset its PTS
    const clock = compileClock({
      time_base: "1/90000",
      ticks: ticks.map((tick) => tick - 90),
      offset: "0.001",
    });
    for (let i = 0; i < 1000; i += 1) {
      const t = new Fraction(BigInt(Math.floor(random() * 3_600_000_000)), 1_000_000n);
      const frame = vfr.frameAt(t);
      expect(frame).toBe(clock.indexAt(t));
      const span = vfr.spanOf(frame as number);
      expect(span.start.le(t) && t.lt(span.end)).toBe(true);
    }
  });

  it.each([
    [{ ...CONSTANT, ticks: [] }, "ticks must list at least one frame"],
    [{ ...CONSTANT, ticks: [5, 5] }, "ticks must increase (ticks[1] = 5 follows 5)"],
    [{ ...CONSTANT, ticks: [0.5] }, "ticks[0] = 0.5 is not an exact integer"],
    [{ ...CONSTANT, time_base: "0" }, "time_base must be positive"],
  ])("refuses a malformed table %#", (json, message) => {
    expect(() => new FrameTable(json)).toThrow(message);
  });
});
