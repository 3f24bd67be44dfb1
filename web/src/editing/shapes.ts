/**
 * Image geometry as the tools make and change it: boxes from a drag, polygons from
 * clicks, moves and resizes, always kept inside the image (the server's `inside-bounds`
 * rule) and in whole hundredths of a pixel (no float noise in the stored JSON).
 *
 * Coordinates are image pixels, origin top left (`Box`: top-left `x, y` and `w, h`).
 */
import type { components } from "../api/schema";
import type { Point } from "./editor";

type Schemas = components["schemas"];
export type Box = Schemas["Box"];
export type Polygon = Schemas["Polygon"];
export type Geometry = Schemas["Annotation"]["geometry"];

/** An image's size in pixels. */
export interface Size {
  readonly width: number;
  readonly height: number;
}

/** The smallest box a drag makes, in pixels (a click draws nothing). */
export const MIN_SIZE = 2;

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}

/** `point` moved inside the image. */
export function inside(point: Point, size: Size): Point {
  return [round(clamp(point[0], 0, size.width)), round(clamp(point[1], 0, size.height))];
}

/** The box a drag from `from` to `to` spans (either direction), clipped to the image;
 * `null` when it is thinner than `MIN_SIZE` either way. */
export function boxFromDrag(from: Point, to: Point, size: Size): Box | null {
  const [x1, y1] = inside(from, size);
  const [x2, y2] = inside(to, size);
  const box: Box = {
    type: "box",
    x: Math.min(x1, x2),
    y: Math.min(y1, y2),
    w: round(Math.abs(x2 - x1)),
    h: round(Math.abs(y2 - y1)),
  };
  return box.w < MIN_SIZE || box.h < MIN_SIZE ? null : box;
}

/** `box` with its corner at `x, y` (its size kept), moved back inside the image. */
export function placeBox(box: Box, x: number, y: number, size: Size): Box {
  return {
    ...box,
    x: round(clamp(x, 0, Math.max(size.width - box.w, 0))),
    y: round(clamp(y, 0, Math.max(size.height - box.h, 0))),
  };
}

/** `box` resized to `x, y, w, h` (a transformer's result), clipped to the image. */
export function resizeBox(box: Box, x: number, y: number, w: number, h: number, size: Size): Box {
  const [left, top] = inside([Math.min(x, x + w), Math.min(y, y + h)], size);
  const [right, bottom] = inside([Math.max(x, x + w), Math.max(y, y + h)], size);
  return {
    ...box,
    x: left,
    y: top,
    w: round(Math.max(right - left, MIN_SIZE)),
    h: round(Math.max(bottom - top, MIN_SIZE)),
  };
}

/** The polygon of `points` clipped to the image, a vertex repeated in a row taken once (a
 * double click closing it clicks twice); `null` with fewer than 3 vertices. */
export function polygonOf(points: readonly Point[], size: Size): Polygon | null {
  const kept: [number, number][] = [];
  for (const point of points) {
    const [x, y] = inside(point, size);
    const last = kept.at(-1);
    if (last === undefined || last[0] !== x || last[1] !== y) kept.push([x, y]);
  }
  return kept.length < 3 ? null : { type: "polygon", points: kept };
}

/** `polygon` with vertex `index` at `point` (kept inside the image). */
export function moveVertex(polygon: Polygon, index: number, point: Point, size: Size): Polygon {
  const moved = inside(point, size);
  return { ...polygon, points: polygon.points.map((p, i) => (i === index ? [moved[0], moved[1]] : p)) };
}

/** A box, polygon or keypoints shifted by `dx, dy`, as far as the image lets it go (the
 * whole shape moves by the same amount; absent keypoints stay); other geometries come back
 * as they are. */
export function nudge(geometry: Geometry, dx: number, dy: number, size: Size): Geometry {
  if (geometry.type === "box") return placeBox(geometry, geometry.x + dx, geometry.y + dy, size);
  if (geometry.type !== "polygon" && geometry.type !== "keypoints") return geometry;
  // a keypoint of visibility 0 is absent: it does not move and does not hold the others back
  const moving = (point: readonly number[]): boolean => geometry.type === "polygon" || point[2] !== 0;
  const there = geometry.points.filter(moving);
  if (there.length === 0) return geometry;
  const xs = there.map((p) => p[0]);
  const ys = there.map((p) => p[1]);
  const mx = clamp(dx, -Math.min(...xs), size.width - Math.max(...xs));
  const my = clamp(dy, -Math.min(...ys), size.height - Math.max(...ys));
  if (geometry.type === "polygon")
    return { ...geometry, points: geometry.points.map(([x, y]) => [round(x + mx), round(y + my)]) };
  return {
    ...geometry,
    points: geometry.points.map(([x, y, v]) => (v === 0 ? [x, y, v] : [round(x + mx), round(y + my), v])),
  };
}

/** Whether `point` is within `radius` of `other` (a click closing a polygon on its first vertex). */
export function near(point: Point, other: Point, radius: number): boolean {
  return Math.hypot(point[0] - other[0], point[1] - other[1]) <= radius;
}

/** A shape's area in square pixels (the larger are drawn first, so the smaller stay clickable). */
export function area(geometry: Geometry): number {
  if (geometry.type === "box") return geometry.w * geometry.h;
  if (geometry.type !== "polygon") return 0;
  const { points } = geometry;
  let twice = 0;
  points.forEach(([x1, y1], i) => {
    const [x2, y2] = points[(i + 1) % points.length] as [number, number];
    twice += x1 * y2 - x2 * y1;
  });
  return Math.abs(twice) / 2;
}
