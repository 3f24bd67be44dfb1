import { describe, expect, it } from "vitest";

import { area, boxFromDrag, moveVertex, near, nudge, placeBox, polygonOf, resizeBox } from "./shapes";

const size = { width: 512, height: 256 };

describe("boxes", () => {
  it("span a drag in either direction, clipped to the image", () => {
    expect(boxFromDrag([100, 50], [20.123, 10], size)).toEqual({ type: "box", x: 20.12, y: 10, w: 79.88, h: 40 });
    expect(boxFromDrag([500, 200], [600, -5], size)).toEqual({ type: "box", x: 500, y: 0, w: 12, h: 200 });
  });

  it("need a drag, not a click", () => {
    expect(boxFromDrag([10, 10], [11, 40], size)).toBeNull();
  });

  it("move and resize without leaving the image", () => {
    const box = { type: "box" as const, x: 10, y: 10, w: 100, h: 50 };
    expect(placeBox(box, 480, -20, size)).toMatchObject({ x: 412, y: 0, w: 100, h: 50 });
    expect(resizeBox(box, -5, 10, 120, 300, size)).toMatchObject({ x: 0, y: 10, w: 115, h: 246 });
    expect(nudge(box, -30, 3, size)).toMatchObject({ x: 0, y: 13 });
  });
});

describe("polygons", () => {
  const triangle = polygonOf(
    [
      [0, 0],
      [100, 0],
      [50, 80],
    ],
    size,
  );

  it("need three vertices", () => {
    expect(
      polygonOf(
        [
          [0, 0],
          [1, 1],
        ],
        size,
      ),
    ).toBeNull();
    expect(triangle).toEqual({
      type: "polygon",
      points: [
        [0, 0],
        [100, 0],
        [50, 80],
      ],
    });
  });

  it("move whole as far as the image lets them, or a vertex at a time", () => {
    if (triangle === null) throw new Error("no triangle");
    expect(nudge(triangle, 450, -10, size)).toEqual({
      type: "polygon",
      points: [
        [412, 0],
        [512, 0],
        [462, 80],
      ],
    });
    expect(moveVertex(triangle, 2, [600, 90.555], size).points[2]).toEqual([512, 90.56]);
    expect(area(triangle)).toBe(4000);
  });

  it("close on a click near the first vertex", () => {
    expect(near([3, 4], [0, 0], 5)).toBe(true);
    expect(near([3, 4.1], [0, 0], 5)).toBe(false);
  });
});

describe("keypoints", () => {
  it("move together as far as the image lets the points that are there go", () => {
    const pose = {
      type: "keypoints" as const,
      points: [
        [10, 20, 2],
        [500, 30, 1],
        [600, 900, 0],
      ] as [number, number, number][],
    };
    expect(nudge(pose, 40.005, -25, size)).toEqual({
      type: "keypoints",
      points: [
        [22, 0, 2],
        [512, 10, 1],
        [600, 900, 0],
      ],
    });
    const absent = { ...pose, points: [[1, 1, 0]] as [number, number, number][] };
    expect(nudge(absent, 5, 5, size)).toEqual(absent);
  });

  it("have no area", () => {
    expect(area({ type: "keypoints", points: [[1, 1, 2]] })).toBe(0);
  });
});
