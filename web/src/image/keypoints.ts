/**
 * Keypoints as the server stores them (`rosetta.core.geometry.Keypoints`): points
 * `[x, y, v]` in image pixels with COCO's visibility `v` (0 absent, 1 labelled but hidden,
 * 2 seen) and optional names. Absent points are not drawn and cannot be moved.
 */
import type { components } from "../api/schema";
import type { Point } from "../editing/editor";
import { inside, type Size } from "../editing/shapes";

export type Keypoints = components["schemas"]["Keypoints"];

/** COCO visibility: the point is not there. */
export const ABSENT = 0;
/** COCO visibility: the point is labelled but hidden (occluded). */
export const HIDDEN = 1;

/** A point to draw: its index in the geometry, where it is, whether it is hidden. */
export interface DrawnPoint {
  readonly index: number;
  readonly x: number;
  readonly y: number;
  readonly hidden: boolean;
}

/** The points of `keypoints` that are there (absent ones left out), in order. */
export function drawnPoints(keypoints: Keypoints): DrawnPoint[] {
  return keypoints.points.flatMap(([x, y, v], index) => (v === ABSENT ? [] : [{ index, x, y, hidden: v === HIDDEN }]));
}

/** What to call point `index`: its name, else its number from 1; "(hidden)" when hidden. */
export function pointName(keypoints: Keypoints, index: number): string {
  const name = keypoints.names?.[index] ?? `point ${index + 1}`;
  return keypoints.points[index]?.[2] === HIDDEN ? `${name} (hidden)` : name;
}

/** `keypoints` with point `index` moved to `point` inside the image (its visibility kept). */
export function moveKeypoint(keypoints: Keypoints, index: number, point: Point, size: Size): Keypoints {
  const [x, y] = inside(point, size);
  return { ...keypoints, points: keypoints.points.map((p, i) => (i === index ? [x, y, p[2]] : p)) };
}

/** The top-left corner of the points that are there (where the label goes); `null`: none. */
export function cornerOf(keypoints: Keypoints): Point | null {
  const points = drawnPoints(keypoints);
  if (points.length === 0) return null;
  return [Math.min(...points.map((p) => p.x)), Math.min(...points.map((p) => p.y))];
}
