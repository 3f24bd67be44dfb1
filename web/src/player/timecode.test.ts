import { describe, expect, it } from "vitest";

import { fasterRate, formatTimecode, RATES } from "./timecode";

describe("formatTimecode", () => {
  it("shows hours, minutes, seconds and truncated milliseconds", () => {
    expect(formatTimecode(0)).toBe("00:00:00.000");
    expect(formatTimecode("3.64")).toBe("00:00:03.640");
    expect(formatTimecode("1001/30000")).toBe("00:00:00.033");
    expect(formatTimecode("3723.9999")).toBe("01:02:03.999");
    expect(formatTimecode(360000)).toBe("100:00:00.000");
    expect(formatTimecode(-1)).toBe("00:00:00.000");
  });
});

describe("fasterRate", () => {
  it("steps up through the offered rates and stops at the fastest", () => {
    expect(fasterRate(1)).toBe(1.5);
    expect(fasterRate(0.3)).toBe(0.5);
    expect(fasterRate(4)).toBe(RATES.at(-1));
  });
});
