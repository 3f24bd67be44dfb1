/**
 * Masks as the server stores them (`rosetta.core.geometry.Mask`: COCO's compressed RLE of
 * column-major runs, `size` `[height, width]`) decoded into a bitmap of the pixels inside
 * their bounding box, for drawing and for hit tests. Decoding is cached by size and counts,
 * so each mask is decoded once however often it is drawn.
 *
 * Coordinates are image pixels, origin top left; point `x, y` lies in pixel
 * `floor(x), floor(y)`.
 */
import type { components } from "../api/schema";

export type Rle = components["schemas"]["Rle"];

/**
 * A decoded mask: the image's `width` and `height`; the bounding box of the set pixels
 * (`left, top, boxWidth, boxHeight`, all 0 when none is set); `bits`, 1 for a set pixel,
 * row by row inside that box; `area`, how many pixels are set.
 */
export class MaskBitmap {
  constructor(
    readonly width: number,
    readonly height: number,
    readonly left: number,
    readonly top: number,
    readonly boxWidth: number,
    readonly boxHeight: number,
    readonly bits: Uint8Array,
    readonly area: number,
  ) {}

  /** Whether image point `x, y` lies in a set pixel. */
  contains(x: number, y: number): boolean {
    const column = Math.floor(x) - this.left;
    const row = Math.floor(y) - this.top;
    if (column < 0 || row < 0 || column >= this.boxWidth || row >= this.boxHeight) return false;
    return this.bits[row * this.boxWidth + column] === 1;
  }
}

/**
 * The run lengths COCO's compressed `counts` encode (0s first, then 1s, alternating;
 * pycocotools `rleFrString`): each number in 5-bit groups, least significant first, as
 * characters `'0' + group`, bit 5 set on all but a number's last group, whose bit 4 is the
 * sign; from the fourth run on, a number is the difference to the run two before. An
 * `Error` names a character that cannot appear or counts that end inside a number.
 */
export function rleRuns(counts: string): number[] {
  const runs: number[] = [];
  let value = 0;
  let group = 0;
  for (let at = 0; at < counts.length; at += 1) {
    const code = counts.charCodeAt(at) - 48;
    if (code < 0 || code > 63) throw new Error(`${JSON.stringify(counts[at])} cannot appear in COCO RLE counts`);
    value += (code & 0x1f) * 2 ** (5 * group);
    group += 1;
    if ((code & 0x20) !== 0) continue;
    if ((code & 0x10) !== 0) value -= 2 ** (5 * group);
    if (runs.length > 2) value += runs[runs.length - 2] as number;
    runs.push(value);
    value = 0;
    group = 0;
  }
  if (group !== 0) throw new Error("COCO RLE counts end inside a number");
  return runs;
}

/** The bitmap of `rle` (runs past the image's last pixel are cut off). */
export function decodeMask(rle: Rle): MaskBitmap {
  const [height, width] = rle.size;
  const total = height * width;
  const runs = rleRuns(rle.counts);
  // the set runs, cut to the image, and their bounding box
  const spans: number[] = [];
  let [left, top, right, bottom] = [width, height, -1, -1];
  let at = 0;
  runs.forEach((length, index) => {
    const end = Math.min(at + length, total);
    if (index % 2 === 1 && end > at) {
      const [first, last] = [Math.floor(at / height), Math.floor((end - 1) / height)];
      left = Math.min(left, first);
      right = Math.max(right, last);
      top = Math.min(top, first === last ? at % height : 0);
      bottom = Math.max(bottom, first === last ? (end - 1) % height : height - 1);
      spans.push(at, end);
    }
    at = end;
  });
  if (right < 0) return new MaskBitmap(width, height, 0, 0, 0, 0, new Uint8Array(0), 0);
  const [boxWidth, boxHeight] = [right - left + 1, bottom - top + 1];
  const bits = new Uint8Array(boxWidth * boxHeight);
  let area = 0;
  for (let s = 0; s < spans.length; s += 2) {
    const [start, end] = [spans[s] as number, spans[s + 1] as number];
    area += end - start;
    for (let pixel = start; pixel < end; ) {
      // one column's part of the run at a time
      const x = Math.floor(pixel / height);
      const stop = Math.min(end, (x + 1) * height);
      let cell = (pixel - x * height - top) * boxWidth + x - left;
      for (; pixel < stop; pixel += 1, cell += boxWidth) bits[cell] = 1;
    }
  }
  return new MaskBitmap(width, height, left, top, boxWidth, boxHeight, bits, area);
}

/** How many decoded masks the cache keeps (the least recently used go first). */
const CACHED = 512;
const decoded = new Map<string, MaskBitmap>();

/** The bitmap of `rle`, decoded once and then taken from the cache. */
export function maskBitmap(rle: Rle): MaskBitmap {
  const key = `${rle.size[0]}x${rle.size[1]}:${rle.counts}`;
  const found = decoded.get(key);
  if (found !== undefined) {
    decoded.delete(key);
    decoded.set(key, found);
    return found;
  }
  const bitmap = decodeMask(rle);
  decoded.set(key, bitmap);
  if (decoded.size > CACHED) decoded.delete(decoded.keys().next().value as string);
  return bitmap;
}

/** The id of the topmost mask (the last of `masks`) holding image point `x, y`, if any. */
export function maskAt(
  masks: readonly { readonly id: string; readonly bitmap: MaskBitmap }[],
  x: number,
  y: number,
): string | null {
  for (let index = masks.length - 1; index >= 0; index -= 1) {
    const mask = masks[index] as (typeof masks)[number];
    if (mask.bitmap.contains(x, y)) return mask.id;
  }
  return null;
}
