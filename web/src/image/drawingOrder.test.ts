import { describe, expect, it } from "vitest";

import type { Annotation } from "../work/objects";
import { drawingOrder } from "./drawingOrder";

function annotation(id: string, geometry: Annotation["geometry"]): Annotation {
  return { id, stream: "photo", label: "thing", geometry, attributes: {}, revision: 1 } as Annotation;
}

describe("drawingOrder", () => {
  it("puts masks under shapes, larger under smaller, keypoints on top", () => {
    const order = drawingOrder([
      annotation("pose", { type: "keypoints", points: [[1, 1, 2]] }),
      annotation("small box", { type: "box", x: 0, y: 0, w: 2, h: 2 }),
      // 4×4 image: one set pixel, then all sixteen
      annotation("dot", { type: "mask", rle: { size: [4, 4], counts: "11>" } }),
      annotation("big box", { type: "box", x: 0, y: 0, w: 3, h: 3 }),
      annotation("fill", { type: "mask", rle: { size: [4, 4], counts: "0`0" } }),
      annotation("triangle", { type: "polygon", points: [[0, 0], [4, 0], [0, 4]] }),
    ]);
    expect(order.map((a) => a.id)).toEqual(["fill", "dot", "big box", "triangle", "small box", "pose"]);
  });
});
