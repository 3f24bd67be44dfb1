import { describe, expect, it } from "vitest";

import { footprint, toScreen, viewBox } from "./birdsEye";

describe("birdsEye", () => {
  it("puts forward up the screen and left to the left", () => {
    expect(toScreen(10, 0)).toEqual({ u: -0, v: -10 });
    expect(toScreen(0, 2)).toEqual({ u: -2, v: -0 });
  });

  it("turns a footprint by its yaw", () => {
    const straight = footprint([10, 0, 0], [4, 2, 1.5], 0);
    expect(straight.front).toEqual({ u: -0, v: -12 });
    expect(straight.corners[0]).toEqual({ u: -1, v: -12 });
    const left = footprint([0, 0, 0], [4, 2, 1.5], Math.PI / 2);
    // facing left (+y): its front is 2 m to the left of the sensor on screen
    expect(left.front.u).toBeCloseTo(-2, 12);
    expect(left.front.v).toBeCloseTo(0, 12);
  });

  it("fits a square view around the points and the sensor", () => {
    expect(viewBox([{ u: 4, v: -20 }], 1)).toEqual([-9, -21, 22, 22]);
  });
});
