/**
 * The shape being drawn, from the pointer's side (the image pane feeds it image points)
 * and the keyboard's (Enter closes a polygon, Backspace takes its last vertex back). A
 * finished shape opens the label picker; the annotation is made once a label is picked.
 */
import { askNewLabel, imageSizes, type CommandContext } from "./commands";
import type { Point } from "./editor";
import { boxFromDrag, inside, near, polygonOf, type Size } from "./shapes";

/** How close (in screen pixels) a click must be to the first vertex to close a polygon. */
export const CLOSE_RADIUS = 8;

function sizeOf(context: CommandContext, stream: string): Size | undefined {
  return imageSizes(context.sample).get(stream);
}

/** The pointer went down at `point` on image stream `stream`, with the tool in use. */
export function pointerDown(context: CommandContext, stream: string, point: Point, scale: number): void {
  const editor = context.editor.getState();
  const size = sizeOf(context, stream);
  if (size === undefined) return;
  const at = inside(point, size);
  const drawing = editor.drawing;
  if (editor.tool === "box") {
    editor.draw({ kind: "box", stream, from: at, to: at });
  } else if (editor.tool === "polygon") {
    if (drawing?.kind !== "polygon" || drawing.stream !== stream) {
      editor.draw({ kind: "polygon", stream, points: [at], pointer: at });
      return;
    }
    const first = drawing.points[0];
    if (first !== undefined && drawing.points.length >= 3 && near(at, first, CLOSE_RADIUS / scale))
      finishPolygon(context);
    else editor.draw({ ...drawing, points: [...drawing.points, at], pointer: at });
  }
}

/** The pointer moved to `point` on stream `stream`. */
export function pointerMove(context: CommandContext, stream: string, point: Point): void {
  const editor = context.editor.getState();
  const drawing = editor.drawing;
  const size = sizeOf(context, stream);
  if (drawing === null || drawing.stream !== stream || size === undefined) return;
  const at = inside(point, size);
  editor.draw(drawing.kind === "box" ? { ...drawing, to: at } : { ...drawing, pointer: at });
}

/** The pointer went up: a box drag ends (a click without a drag draws nothing). */
export function pointerUp(context: CommandContext, stream: string): void {
  const editor = context.editor.getState();
  const drawing = editor.drawing;
  const size = sizeOf(context, stream);
  if (drawing?.kind !== "box" || drawing.stream !== stream || size === undefined) return;
  const box = boxFromDrag(drawing.from, drawing.to, size);
  editor.draw(null);
  if (box !== null) askNewLabel(context, stream, box);
}

/** Close the polygon being drawn (three vertices or more) and ask for its label; whether
 * there was one to close. */
export function finishPolygon(context: CommandContext): boolean {
  const editor = context.editor.getState();
  const drawing = editor.drawing;
  if (drawing?.kind !== "polygon") return false;
  const size = sizeOf(context, drawing.stream);
  const polygon = size === undefined ? null : polygonOf(drawing.points, size);
  if (polygon === null) {
    editor.notify({ tone: "error", text: "a polygon needs three vertices or more" });
    return true;
  }
  editor.draw(null);
  askNewLabel(context, drawing.stream, polygon);
  return true;
}

/** Take back the last vertex of the polygon being drawn; whether there was one. */
export function dropVertex(context: CommandContext): boolean {
  const editor = context.editor.getState();
  const drawing = editor.drawing;
  if (drawing?.kind !== "polygon") return false;
  editor.draw(drawing.points.length <= 1 ? null : { ...drawing, points: drawing.points.slice(0, -1) });
  return true;
}
