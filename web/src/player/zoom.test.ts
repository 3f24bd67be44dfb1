import { describe, expect, it } from "vitest";

import { fitOf, MAX_PX_PER_SEC, scrollKeeping, wheelFactor, zoomBy, zoomText } from "./zoom";

/** An hour of audio in a pane 1200 pixels wide. */
const FIT = fitOf(1200, 3600);

describe("zoomBy", () => {
  it("steps in from the fit and back out to it", () => {
    expect(FIT).toBeCloseTo(1 / 3);
    const in1 = zoomBy(0, 2, FIT);
    expect(in1).toBeCloseTo(2 / 3);
    expect(zoomBy(in1, 2, FIT)).toBeCloseTo(4 / 3);
    expect(zoomBy(in1, 0.5, FIT)).toBe(0);
    expect(zoomBy(0, 0.5, FIT)).toBe(0);
  });

  it("stops at a pixel per millisecond, and never zooms a file that fits closer than that", () => {
    let zoom = 0;
    for (let press = 0; press < 20; press += 1) zoom = zoomBy(zoom, 2, FIT);
    expect(zoom).toBe(MAX_PX_PER_SEC);
    expect(zoomBy(0, 2, fitOf(1200, 0.5))).toBe(0);
  });
});

describe("wheelFactor and scrollKeeping", () => {
  it("zooms in on a wheel turned up, out on one turned down, evenly", () => {
    expect(wheelFactor(-250)).toBe(2);
    expect(wheelFactor(250)).toBe(0.5);
    expect(wheelFactor(-100) * wheelFactor(100)).toBeCloseTo(1);
    // a notch of three lines reads as 48 pixels
    expect(wheelFactor(3, 1)).toBe(wheelFactor(48));
  });

  it("keeps the time under the pointer where it was", () => {
    // 30 s at 300 px from the left edge, zoomed to 40 px/s: the view starts at 1200 - 300
    expect(scrollKeeping(30, 300, 40)).toBe(900);
    expect(scrollKeeping(1, 300, 40)).toBe(0);
  });
});

describe("zoomText", () => {
  it("names the magnification and the stretch in view", () => {
    expect(zoomText(0, FIT, 1200)).toBe("Whole file");
    expect(zoomText(4 / 3, FIT, 1200)).toBe("×4.0 · 15.0 min in view");
    expect(zoomText(120, FIT, 1200)).toBe("×360 · 10 s in view");
    expect(zoomText(1000, FIT, 1200)).toBe("×3000 · 1.20 s in view");
  });
});
