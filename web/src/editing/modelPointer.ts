/**
 * The Model tool on an image pane or a video's frame, from the pointer's side (the pane
 * feeds it points in the stream's pixels): a press starts a drag; letting go after a drag
 * sends its box, with the points clicked before, to the chosen model
 * (`Proposals.askWithPointer`); letting go where it was pressed adds a point on the thing,
 * or off it with Shift or Alt. Enter sends the points. A prompt is in whole pixels; on a
 * video it names the frame shown.
 */
import type { CommandContext } from "./commands";
import type { Point } from "./editor";
import type { Proposals } from "./proposals";
import { boxFromDrag, inside, type Size } from "./shapes";

/** How far (in screen pixels, each way) the pointer must move for a drag to be a box. */
export const DRAG_MIN = 4;

/** The pointer went down at `point` on stream `stream` (of `size`) under the Model tool. */
export function modelPointerDown(context: CommandContext, stream: string, point: Point, size: Size): void {
  const at = inside(point, size);
  context.editor.getState().draw({ kind: "box", stream, from: at, to: at });
}

/** How the pointer went up: on a stream of `size` drawn at `scale` screen pixels per
 * pixel, with Shift or Alt held (`negative`), on video `frame` (`null`: an image). */
export interface Release {
  readonly size: Size;
  readonly scale: number;
  readonly negative: boolean;
  readonly frame: number | null;
}

/** The pointer went up on stream `stream` under the Model tool. */
export function modelPointerUp(context: CommandContext, proposals: Proposals, stream: string, release: Release): void {
  const editor = context.editor.getState();
  const drawing = editor.drawing;
  if (drawing?.kind !== "box" || drawing.stream !== stream) return;
  editor.draw(null);
  const { size, scale, negative, frame } = release;
  const box = boxFromDrag(drawing.from, drawing.to, size);
  if (box !== null && box.w * scale >= DRAG_MIN && box.h * scale >= DRAG_MIN) {
    const [x, y] = [Math.round(box.x), Math.round(box.y)];
    const [right, bottom] = [Math.round(box.x + box.w), Math.round(box.y + box.h)];
    void proposals.askWithPointer(stream, { type: "box", x, y, w: right - x, h: bottom - y }, frame);
  } else {
    const [x, y] = drawing.from.map(Math.round) as [number, number];
    proposals.state.getState().addPoint(stream, { x, y, positive: !negative }, frame);
  }
}
