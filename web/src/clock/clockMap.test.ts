import { describe, expect, it } from "vitest";

import { compileClock } from "./clockMap";
import { Fraction } from "./fraction";
import { ROUNDINGS } from "./testdata/clockCase";
import { CLOCK_CASES } from "./testdata/clockCases";

const f = (value: string | number): Fraction => Fraction.from(value);

describe("the same answers as rosetta.core.clock", () => {
  it.each(CLOCK_CASES.map((c, i) => [i, c] as const))("clock case %i", (_, c) => {
    const clock = compileClock(c.clock);
    expect(clock.count).toBe(c.count);
    for (const [index, time] of c.timeOf) {
      expect(clock.timeOf(index).toString()).toBe(time);
    }
    for (const [t, ...expected] of c.indexAt) {
      expect(
        ROUNDINGS.map((r) => clock.indexAt(t, r)),
        `index_at(${t})`,
      ).toEqual(expected);
    }
    for (const [t, local] of c.local) {
      expect(clock.toLocal(t).toString()).toBe(local);
      expect(clock.toReference(local).toString()).toBe(f(t).toString());
    }
    for (const [start, end, lo, hi] of c.covering) {
      expect(clock.covering(start, end)).toEqual({ start: lo, stop: hi });
    }
    for (const { start, end, how, snapped } of c.snap) {
      if (snapped === null) {
        expect(() => clock.snap(start, end, how)).toThrow(/outside the timestamp table/);
      } else {
        expect(clock.snap(start, end, how).map(String)).toEqual(snapped);
      }
    }
  });
});

describe("rate clocks", () => {
  const ntsc = compileClock({ rate: "30000/1001" });

  it("puts NTSC frame 429 at 14.327 s", () => {
    expect(ntsc.timeOf(429).eq(new Fraction(429n * 1001n, 30000n))).toBe(true);
    expect(ntsc.timeOf(429).toString()).toBe("14.3143");
    expect(ntsc.indexAt(14.327)).toBe(429);
    expect(ntsc.indexAt(14.327, "ceil")).toBe(430);
    expect(ntsc.indexAt(14.327, "nearest")).toBe(429);
  });

  it("finds the frame boundary that float arithmetic misses", () => {
    const t = 1.001; // exactly the start of frame 30
    expect(Math.floor(t * (30000 / 1001))).toBe(29);
    expect(ntsc.indexAt(t)).toBe(30);
    expect(Math.floor(100.1 * 29.97)).toBe(2999);
    expect(ntsc.indexAt(100.1)).toBe(3000);
  });

  it("is unbounded", () => {
    const clock = compileClock({ rate: "10", offset: "0.05" });
    expect(clock.count).toBeNull();
    expect(clock.timeOf(-1).toString()).toBe("-0.05");
    expect(clock.indexAt(0)).toBe(-1);
    expect(clock.covering(-1, 0)).toEqual({ start: -11, stop: 0 });
  });

  it("shifts with one sync point and drifts with two", () => {
    const shifted = compileClock({ rate: "25", sync: [{ local: "2", reference: "2.5" }] });
    expect(shifted.timeOf(0).toString()).toBe("0.5");
    expect(shifted.indexAt("0.54")).toBe(1);
    // 100 ppm slow: one local hour is 3600.36 reference seconds
    const drifting = compileClock({
      rate: "30000/1001",
      sync: [
        { local: "0", reference: "0.1" },
        { local: "3600", reference: "3600.46" },
      ],
    });
    expect(drifting.toReference(1800).toString()).toBe("1800.28");
    expect(drifting.indexAt(drifting.timeOf(107892))).toBe(107892);
    expect(drifting.indexAt(3600)).toBe(107878); // without the drift it would be 107892
    expect(ntsc.indexAt(3600)).toBe(107892);
  });

  it("decides nearest across a sync break in reference time", () => {
    const clock = compileClock({
      rate: "1",
      sync: [
        { local: "0", reference: "0" },
        { local: "0.5", reference: "0.5" },
        { local: "1.5", reference: "3.5" },
      ],
    });
    expect([clock.timeOf(0).toString(), clock.timeOf(1).toString()]).toEqual(["0", "2"]);
    expect(clock.toLocal("0.9").toString()).toBe("19/30");
    expect(clock.indexAt("0.9", "nearest")).toBe(0);
    expect(clock.indexAt("1.1", "nearest")).toBe(1);
    expect(clock.indexAt(1, "nearest")).toBe(0); // a tie goes to the earlier frame
  });
});

describe("timestamp tables", () => {
  const table = compileClock({ time_base: "1/90000", ticks: [9000, 12000, 18000], offset: "1" });

  it("knows its ends", () => {
    expect(table.count).toBe(3);
    expect([0, 1, 2].map((i) => table.timeOf(i).toString())).toEqual(["1.1", "17/15", "1.2"]);
    expect(ROUNDINGS.map((r) => table.indexAt(1, r))).toEqual([-1, 0, 0]);
    expect(ROUNDINGS.map((r) => table.indexAt(50, r))).toEqual([2, 3, 2]);
    expect(table.covering(0, 1)).toEqual({ start: 0, stop: 0 });
    expect(table.covering(0, "1.15")).toEqual({ start: 0, stop: 2 });
    expect(table.covering(7, 8)).toEqual({ start: 2, stop: 3 });
    expect(table.snap("1.15", "1.16").map(String)).toEqual(["17/15", "1.2"]);
  });

  it("refuses what lies outside it", () => {
    expect(() => table.timeOf(3)).toThrow("index 3 is outside the timestamp table (0..2)");
    expect(() => table.timeOf(-1)).toThrow(/outside the timestamp table/);
    expect(() => table.snap("1.15", 2)).toThrow(/boundary outside the timestamp table/);
    expect(() => table.snap(1, "1.15")).toThrow(/boundary outside the timestamp table/);
  });

  it("keeps nanosecond timestamps since the epoch exact when given as bigints", () => {
    const first = 1_700_000_000_123_456_789n;
    const ticks = Array.from(
      { length: 1000 },
      (_, i) => first + BigInt(i) * 10_000_000n + BigInt(i % 3),
    );
    const clock = compileClock({
      time_base: "1/1000000000",
      ticks,
      offset: new Fraction(-first, 10n ** 9n).toString(),
    });
    for (const i of [0, 1, 2, 500, 999]) {
      const start = new Fraction((ticks[i] as bigint) - first, 10n ** 9n);
      expect(clock.indexAt(start)).toBe(i);
      expect(clock.indexAt(start.sub(new Fraction(1n, 10n ** 9n)))).toBe(i - 1);
    }
  });

  it("refuses ticks a JSON number could not hold exactly", () => {
    expect(() =>
      compileClock({ time_base: "1/1000000000", ticks: [1_700_000_000_123_456_789] }),
    ).toThrow("ticks[0] = 1700000000123456800 is not an exact integer");
  });
});

describe("malformed clocks and arguments", () => {
  it.each([
    [{ rate: "25", ticks: [1] }, "either a rate or a timestamp table"],
    [{}, "either a rate or a timestamp table"],
    [{ ticks: [1, 2] }, "needs its time_base"],
    [{ ticks: [], time_base: "1/1000" }, "at least one tick"],
    [{ ticks: [1, 1], time_base: "1/1000" }, "ticks[1] = 1 follows ticks[0] = 1"],
    [{ rate: "25", time_base: "1/25" }, "time_base belongs to a timestamp table"],
    [{ rate: "0" }, "rate must be a positive number"],
    [{ rate: "fast" }, "expected a number like 14.327"],
    [
      {
        rate: "25",
        sync: [
          { local: "1", reference: "1" },
          { local: "2", reference: "1" },
        ],
      },
      "sync points must increase in both local and reference time (sync[0] then sync[1])",
    ],
  ])("refuses %j", (clock, message) => {
    expect(() => compileClock(clock)).toThrow(message);
  });

  it("refuses bad arguments clearly", () => {
    const clock = compileClock({ rate: "25" });
    expect(() => clock.indexAt(1, "round" as "floor")).toThrow(
      'rounding must be one of nearest, floor, ceil, got "round"',
    );
    expect(() => clock.covering(2, 1)).toThrow(/must not be before its start/);
    expect(() => clock.snap(1, 1)).toThrow(/must be after its start/);
    expect(() => clock.snap(1, 2, "inner" as "outer")).toThrow(/how must be/);
    expect(() => clock.timeOf(1.5)).toThrow("an index must be an integer, got 1.5");
    expect(() => clock.indexAt("soon")).toThrow(/expected a number/);
    expect(clock.covering(1, 1)).toEqual({ start: 25, stop: 25 });
  });
});
