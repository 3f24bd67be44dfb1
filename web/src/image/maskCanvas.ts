/**
 * A decoded mask painted for the image pane: its set pixels in one colour on a canvas the
 * size of its bounding box (drawn at the box's corner in image pixels). Painted once per
 * mask and colour.
 */
import type { MaskBitmap } from "./masks";

const painted = new WeakMap<MaskBitmap, Map<string, HTMLCanvasElement>>();

/** `bitmap`'s set pixels in `colour` (any CSS colour), opaque, the rest transparent;
 * `null` for an empty mask. */
export function maskCanvas(bitmap: MaskBitmap, colour: string): HTMLCanvasElement | null {
  if (bitmap.area === 0) return null;
  const colours = painted.get(bitmap) ?? new Map<string, HTMLCanvasElement>();
  painted.set(bitmap, colours);
  const found = colours.get(colour);
  if (found !== undefined) return found;
  const canvas = document.createElement("canvas");
  canvas.width = bitmap.boxWidth;
  canvas.height = bitmap.boxHeight;
  const context = canvas.getContext("2d");
  if (context === null) return null;
  const image = context.createImageData(bitmap.boxWidth, bitmap.boxHeight);
  const pixels = new Uint32Array(image.data.buffer);
  bitmap.bits.forEach((bit, index) => {
    if (bit === 1) pixels[index] = 0xff000000; // opaque black (RGBA bytes, little-endian)
  });
  context.putImageData(image, 0, 0);
  // keep the alpha, take the colour
  context.globalCompositeOperation = "source-in";
  context.fillStyle = colour;
  context.fillRect(0, 0, canvas.width, canvas.height);
  colours.set(colour, canvas);
  return canvas;
}
