/**
 * The bird's-eye view of a point cloud's cuboids: the sensor frame seen from above
 * (right-handed, metres: x forward, y left, z up), drawn with forward up the screen and
 * left to the left. A cuboid's footprint is its base rectangle turned by its yaw; roll and
 * pitch are left out, as they are small for things on the ground.
 */

/** A point on the screen plane, metres: `u` to the right, `v` down. */
export interface ScreenPoint {
  readonly u: number;
  readonly v: number;
}

/** A point of the sensor frame (x forward, y left) on the screen plane. */
export function toScreen(x: number, y: number): ScreenPoint {
  return { u: -y, v: -x };
}

/** The four corners of a cuboid's footprint on the screen plane (front left, front right,
 * back right, back left) and the middle of its front edge. */
export function footprint(
  center: readonly [number, number, number],
  size: readonly [number, number, number],
  yaw: number,
): { corners: ScreenPoint[]; front: ScreenPoint } {
  const [cx, cy] = center;
  const [length, width] = size;
  const cos = Math.cos(yaw);
  const sin = Math.sin(yaw);
  const at = (along: number, across: number): ScreenPoint =>
    toScreen(cx + along * cos - across * sin, cy + along * sin + across * cos);
  const l = length / 2;
  const w = width / 2;
  return { corners: [at(l, w), at(l, -w), at(-l, -w), at(-l, w)], front: at(l, 0) };
}

/** The view box (`u v width height`) holding `points` and the sensor at the origin with
 * `margin` metres around, square so that metres are equal both ways. */
export function viewBox(points: readonly ScreenPoint[], margin = 5): [number, number, number, number] {
  const us = [0, ...points.map((point) => point.u)];
  const vs = [0, ...points.map((point) => point.v)];
  const [left, right, top, bottom] = [Math.min(...us), Math.max(...us), Math.min(...vs), Math.max(...vs)];
  const side = Math.max(right - left, bottom - top) + 2 * margin;
  const centreU = (left + right) / 2;
  const centreV = (top + bottom) / 2;
  return [centreU - side / 2, centreV - side / 2, side, side];
}
