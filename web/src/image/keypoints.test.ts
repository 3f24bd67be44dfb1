import { describe, expect, it } from "vitest";

import { cornerOf, drawnPoints, moveKeypoint, pointName, type Keypoints } from "./keypoints";

const pose: Keypoints = {
  type: "keypoints",
  points: [
    [10, 20, 2],
    [0, 0, 0],
    [30.5, 5, 1],
  ],
  names: ["nose", "left_eye", "right_eye"],
};
const size = { width: 100, height: 50 };

describe("keypoints", () => {
  it("draw the points that are there, hidden ones marked", () => {
    expect(drawnPoints(pose)).toEqual([
      { index: 0, x: 10, y: 20, hidden: false },
      { index: 2, x: 30.5, y: 5, hidden: true },
    ]);
    expect(cornerOf(pose)).toEqual([10, 5]);
    expect(cornerOf({ type: "keypoints", points: [[3, 4, 0]] })).toBeNull();
  });

  it("are named by their names, else their numbers", () => {
    expect(pointName(pose, 0)).toBe("nose");
    expect(pointName(pose, 2)).toBe("right_eye (hidden)");
    expect(pointName({ type: "keypoints", points: [[1, 1, 2]] }, 0)).toBe("point 1");
  });

  it("move inside the image, keeping their visibility and the other points", () => {
    const moved = moveKeypoint(pose, 2, [140.123, -3], size);
    expect(moved.points).toEqual([
      [10, 20, 2],
      [0, 0, 0],
      [100, 0, 1],
    ]);
    expect(moved.names).toEqual(pose.names);
    expect(moveKeypoint(pose, 0, [12.345, 17.891], size).points[0]).toEqual([12.35, 17.89, 2]);
  });
});
