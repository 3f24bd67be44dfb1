import { describe, expect, it } from "vitest";

import { decodeMask, maskAt, maskBitmap, rleRuns, type MaskBitmap } from "./masks";
import { CASES } from "./testdata/maskCases";

/** How many pixels of each row and each column `bitmap` holds, over the whole image. */
function profiles(bitmap: MaskBitmap): { rows: number[]; columns: number[] } {
  const rows = new Array<number>(bitmap.height).fill(0);
  const columns = new Array<number>(bitmap.width).fill(0);
  for (let y = 0; y < bitmap.height; y += 1) {
    for (let x = 0; x < bitmap.width; x += 1) {
      if (!bitmap.contains(x + 0.5, y + 0.5)) continue;
      rows[y] = (rows[y] as number) + 1;
      columns[x] = (columns[x] as number) + 1;
    }
  }
  return { rows, columns };
}

describe("masks encoded by pycocotools", () => {
  for (const mask of CASES) {
    it(`decode to the same pixels: ${mask.name}`, () => {
      const bitmap = decodeMask({ size: [mask.size[0], mask.size[1]], counts: mask.counts });
      if (mask.runs !== null) expect(rleRuns(mask.counts)).toEqual(mask.runs);
      expect([bitmap.height, bitmap.width]).toEqual(mask.size);
      expect(bitmap.area).toBe(mask.area);
      expect([bitmap.left, bitmap.top, bitmap.boxWidth, bitmap.boxHeight]).toEqual(mask.bbox);
      expect(profiles(bitmap)).toEqual({ rows: mask.rows, columns: mask.columns });
      for (const [x, y] of mask.inside) expect(bitmap.contains(x + 0.5, y + 0.5), `${x},${y}`).toBe(true);
      for (const [x, y] of mask.outside) expect(bitmap.contains(x + 0.5, y + 0.5), `${x},${y}`).toBe(false);
      if (mask.picture !== null) {
        const drawn = mask.picture.map((row, y) =>
          Array.from(row, (_, x) => (bitmap.contains(x, y) ? "#" : ".")).join(""),
        );
        expect(drawn).toEqual(mask.picture);
      }
    });
  }
});

describe("rleRuns", () => {
  it("refuses what COCO counts cannot hold", () => {
    expect(() => rleRuns("0~")).toThrow(/"~" cannot appear/);
    expect(() => rleRuns("0P")).toThrow(/end inside a number/);
  });
});

describe("hit tests", () => {
  const ring = CASES.find((c) => c.name === "a ring");
  if (ring === undefined) throw new Error("the fixture has no ring");
  const bitmap = decodeMask({ size: [ring.size[0], ring.size[1]], counts: ring.counts });

  it("answer by pixel, not by bounding box", () => {
    // the ring's centre lies inside its bounding box but in its hole
    expect(bitmap.contains(8.5, 10)).toBe(false);
    expect(bitmap.contains(8.5, 4.5)).toBe(true);
    expect(bitmap.contains(-0.5, 4.5)).toBe(false);
    expect(bitmap.contains(8.5, 40)).toBe(false);
  });

  it("find the topmost mask holding a point", () => {
    const full = decodeMask({ size: [20, 17], counts: "0d:" });
    expect(full.area).toBe(340);
    const masks = [
      { id: "under", bitmap: full },
      { id: "ring", bitmap },
    ];
    expect(maskAt(masks, 8.5, 4.5)).toBe("ring");
    expect(maskAt(masks, 8.5, 10)).toBe("under");
    expect(maskAt(masks, 30, 10)).toBeNull();
  });

  it("decode each mask once", () => {
    const rle = { size: [ring.size[0], ring.size[1]] as [number, number], counts: ring.counts };
    expect(maskBitmap(rle)).toBe(maskBitmap({ ...rle }));
  });
});
