import { describe, expect, it } from "vitest";

import { ceilDiv, floorDiv, Fraction } from "./fraction";

describe("Fraction.from", () => {
  it.each([
    ["14.327", 14327n, 1000n],
    ["1001/30000", 1001n, 30000n],
    ["-0.05", -1n, 20n],
    ["1e-7", 1n, 10000000n],
    ["2.5E3", 2500n, 1n],
    [" 3 ", 3n, 1n],
    [".5", 1n, 2n],
    ["1.", 1n, 1n],
    ["6/4", 3n, 2n],
  ])("reads %j exactly", (text, num, den) => {
    const value = Fraction.from(text);
    expect([value.num, value.den]).toEqual([num, den]);
  });

  it("reads a number as its shortest decimal, as Python's exact() does", () => {
    expect(Fraction.from(14.327).eq("14.327")).toBe(true);
    expect(Fraction.from(0.1).eq(new Fraction(1n, 10n))).toBe(true);
    expect(Fraction.from(1e-7).eq("1/10000000")).toBe(true);
    expect(Fraction.from(1.5e21).eq(1500000000000000000000n)).toBe(true);
    expect(Fraction.from(-0).eq(0)).toBe(true);
  });

  it.each(["soon", "", ".", "1/0", "1/-2", "0x10", "1.2.3"])("refuses %j naming it", (text) => {
    expect(() => Fraction.from(text)).toThrow(/expected a number like 14.327/);
  });

  it("refuses non-finite numbers", () => {
    expect(() => Fraction.from(Number.NaN)).toThrow("expected a finite number, got NaN");
    expect(() => Fraction.from(Infinity)).toThrow(/finite/);
    expect(() => new Fraction(1n, 0n)).toThrow(/denominator 0/);
  });
});

describe("arithmetic", () => {
  it("is exact where floats are not", () => {
    expect(Fraction.from("0.1").add("0.2").eq("0.3")).toBe(true);
    expect(0.1 + 0.2 === 0.3).toBe(false);
    const frame = new Fraction(1001n, 30000n);
    expect(frame.mul(30000).eq(1001)).toBe(true);
    expect(frame.div(frame).eq(1)).toBe(true);
    expect(() => frame.div(0)).toThrow(/by zero/);
    expect(frame.neg().sub(frame).eq(new Fraction(-1001n, 15000n))).toBe(true);
  });

  it("floors and ceils towards the infinities, rounds halves to even", () => {
    expect(Fraction.from("-1.5").floor()).toBe(-2n);
    expect(Fraction.from("-1.5").ceil()).toBe(-1n);
    expect(Fraction.from("2").floor()).toBe(2n);
    expect(floorDiv(-7n, 2n)).toBe(-4n);
    expect(ceilDiv(-7n, 2n)).toBe(-3n);
    expect(ceilDiv(7n, 2n)).toBe(4n);
    expect(
      ["0.5", "1.5", "2.5", "-0.5", "2.4", "2.6"].map((x) => Fraction.from(x).roundHalfEven()),
    ).toEqual([0n, 2n, 2n, 0n, 2n, 3n]);
  });

  it("compares exactly", () => {
    const a = new Fraction(1n, 3n);
    expect(a.lt("0.3334")).toBe(true);
    expect(a.gt("0.3333")).toBe(true);
    expect(a.cmp(new Fraction(2n, 6n))).toBe(0);
    expect(a.le(a) && a.ge(a)).toBe(true);
  });

  it("converts to the nearest double, also for huge parts", () => {
    expect(new Fraction(1n, 3n).toNumber()).toBe(1 / 3);
    const big = new Fraction(10n ** 30n + 1n, 3n * 10n ** 20n);
    expect(big.toNumber()).toBeCloseTo(1e10 / 3, 4);
    expect(new Fraction(-(10n ** 40n), 7n).toNumber() / -(1e40 / 7)).toBeCloseTo(1, 12);
  });
});

describe("toString", () => {
  it.each([
    ["14.327", "14.327"],
    ["1001/30000", "1001/30000"],
    ["-0.05", "-0.05"],
    ["30000/1000", "30"],
    ["1/8", "0.125"],
    ["-1/3", "-1/3"],
    ["0", "0"],
  ])("writes %s as the server's format_exact: %s", (input, written) => {
    expect(Fraction.from(input).toString()).toBe(written);
  });
});
