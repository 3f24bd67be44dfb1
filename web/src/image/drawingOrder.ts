/** The order the image pane draws its annotations in, bottom first. */
import { area } from "../editing/shapes";
import type { Annotation } from "../work/objects";
import { maskBitmap } from "./masks";

/** `annotations` in drawing order: masks first, then the other shapes, each larger under
 * smaller (so the smaller stay clickable; keypoints have no area and come last). */
export function drawingOrder(annotations: readonly Annotation[]): Annotation[] {
  const pixels = (a: Annotation): number => (a.geometry.type === "mask" ? maskBitmap(a.geometry.rle).area : 0);
  const masks = annotations.filter((a) => a.geometry.type === "mask");
  const others = annotations.filter((a) => a.geometry.type !== "mask");
  return [
    ...masks.sort((a, b) => pixels(b) - pixels(a)),
    ...others.sort((a, b) => area(b.geometry) - area(a.geometry)),
  ];
}
