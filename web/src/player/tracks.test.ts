import { describe, expect, it } from "vitest";

import type { components } from "../api/schema";
import { inView, shapeAt } from "./tracks";

type Track = components["schemas"]["Track"];

// The expected shapes are what rosetta.core.tracks.shape_at gives for the same tracks.
const BOXES: Track = {
  type: "track",
  keyframes: [
    { frame: 10, x: 0, y: 0, w: 10, h: 10, outside: false },
    { frame: 20, x: 10, y: 5, w: 20, h: 10, outside: false, occluded: true },
    { frame: 25, x: 1, y: 1, w: 1, h: 1, outside: false, interpolated: true },
    { frame: 30, x: 50, y: 50, w: 5, h: 5, outside: true },
    { frame: 40, x: 1, y: 2, w: 3, h: 4, outside: false },
  ],
};

describe("shapeAt", () => {
  it("follows the key frames of a box track as the server does", () => {
    expect(shapeAt(BOXES, 9)).toBeNull();
    expect(shapeAt(BOXES, 10)).toEqual({ type: "box", x: 0, y: 0, w: 10, h: 10, frame: 10, key: true, occluded: false });
    expect(shapeAt(BOXES, 13)).toMatchObject({ x: 3, y: 1.5, w: 13, h: 10, key: false });
    expect(shapeAt(BOXES, 20)).toMatchObject({ x: 10, y: 5, key: true, occluded: true });
    // frame 25 is marked interpolated: ignored; frames 21-29 move towards the outside key
    expect(shapeAt(BOXES, 27)).toMatchObject({ x: 38, y: 36.5, w: 9.5, h: 6.5, key: false, occluded: true });
    expect(shapeAt(BOXES, 30)).toBeNull();
    expect(shapeAt(BOXES, 35)).toBeNull();
    expect(shapeAt(BOXES, 99)).toMatchObject({ x: 1, y: 2, w: 3, h: 4, key: false });
  });

  it("turns a cuboid's yaw the short way round", () => {
    const track: Track = {
      type: "track",
      shape: "cuboid",
      keyframes: [
        { frame: 0, center: [0, 0, 0], size: [4, 2, 1.5], rotation: [0, 0, 3.1], outside: false },
        { frame: 4, center: [8, 2, 0], size: [4, 2, 1.5], rotation: [0, 0, -3.1], outside: false },
      ],
    };
    const shapes = [1, 2, 3].map((frame) => shapeAt(track, frame));
    expect(shapes.map((shape) => (shape?.type === "cuboid" ? shape.rotation[2] : null))).toEqual([
      3.1207963267948964, 3.141592653589793, 3.16238898038469,
    ]);
    expect(shapes[1]).toMatchObject({ center: [4, 1, 0], size: [4, 2, 1.5] });
  });

  it("holds a polygon whose vertex count changes", () => {
    const track: Track = {
      type: "track",
      shape: "polygon",
      keyframes: [
        { frame: 0, points: [[0, 0], [10, 0], [0, 10]], outside: false },
        { frame: 10, points: [[0, 0], [10, 0], [10, 10], [0, 10]], outside: false },
      ],
    };
    expect(shapeAt(track, 5)).toMatchObject({ points: [[0, 0], [10, 0], [0, 10]], key: false });
  });
});

describe("inView", () => {
  it("gives the runs of frames where the object is shown, to the stream's end", () => {
    expect(inView(BOXES, 99)).toEqual([
      [10, 29],
      [40, 99],
    ]);
    expect(inView(BOXES, 35)).toEqual([[10, 29]]);
    const outsideFirst: Track = { type: "track", keyframes: [{ frame: 0, x: 0, y: 0, w: 1, h: 1, outside: true }] };
    expect(inView(outsideFirst, 10)).toEqual([]);
  });
});
