// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import { EMOJI, THAI } from "../text/testdata/scripts";
import { textOffset } from "./spans";

/**
 * A text body as the text pane draws it: rows (`data-offset`: where each begins in the
 * whole text, UTF-16) of plain and marked runs side by side, inside a sizing element.
 */
function body(rows: readonly { offset: number; parts: readonly string[] }[]): HTMLElement {
  const root = document.createElement("div");
  const sizer = document.createElement("div");
  for (const { offset, parts } of rows) {
    const row = document.createElement("div");
    row.dataset.offset = String(offset);
    parts.forEach((part, i) => {
      const run = document.createElement(i % 2 === 1 ? "mark" : "span");
      run.textContent = part;
      row.append(run);
    });
    sizer.append(row);
  }
  root.append(sizer);
  document.body.replaceChildren(document.createElement("h2"), root, document.createElement("footer"));
  return root;
}

const textNode = (root: HTMLElement, row: number, run: number): Text =>
  root.querySelectorAll("[data-offset]")[row]?.childNodes[run]?.firstChild as Text;

describe("textOffset", () => {
  it("counts UTF-16 units from the start of the text across runs", () => {
    const root = body([{ offset: 0, parts: ["Astronaut ", "👩\u200d🚀", " waves"] }]);
    expect(textOffset(root, textNode(root, 0, 1), 0)).toBe(10);
    expect(textOffset(root, textNode(root, 0, 1), 2)).toBe(12);
    expect(textOffset(root, textNode(root, 0, 2), 6)).toBe(EMOJI.indexOf(" waves") + 6);
  });

  it("adds the offset of the row, so rows drawn far into the text count from its start", () => {
    const root = body([
      { offset: 5000, parts: ["ดื่ม", "น้ำ", "\n"] },
      { offset: 5000 + "ดื่มน้ำ\n".length, parts: ["เย็น"] },
    ]);
    expect(textOffset(root, textNode(root, 0, 1), 1)).toBe(5000 + "ดื่มน".length);
    expect(textOffset(root, textNode(root, 1, 0), 4)).toBe(5000 + "ดื่มน้ำ\n".length + 4);
  });

  it("reads points given as an element and a child index", () => {
    const root = body([{ offset: 0, parts: ["ดื่ม", "น้ำ", "เย็น"] }]);
    const row = root.querySelector("[data-offset]") as Element;
    expect(textOffset(root, row, 0)).toBe(0);
    expect(textOffset(root, row, 2)).toBe("ดื่มน้ำ".length);
    expect(textOffset(root, row, 3)).toBe(THAI.length);
    expect(textOffset(root, row.children[1] as Element, 1)).toBe("ดื่มน้ำ".length);
  });

  it("clips points outside the drawn rows to their ends", () => {
    const root = body([
      { offset: 100, parts: ["abc"] },
      { offset: 103, parts: ["def"] },
    ]);
    const [heading, , footer] = [...document.body.children];
    expect(textOffset(root, heading as Element, 0)).toBe(100);
    expect(textOffset(root, footer as Element, 0)).toBe(106);
    expect(textOffset(root, document.body, 0)).toBe(100);
    expect(textOffset(root, document.body, 3)).toBe(106);
    expect(textOffset(root, root, 0)).toBe(100);
  });

  it("reads nothing where no row is drawn or the point left the document", () => {
    expect(textOffset(body([]), document.body, 0)).toBeNull();
    // the row a selection began in was scrolled out and dropped, another drawn
    const root = body([
      { offset: 0, parts: ["abc"] },
      { offset: 3, parts: ["def"] },
    ]);
    const gone = textNode(root, 0, 0);
    root.querySelector("[data-offset]")?.remove();
    expect(textOffset(root, gone, 1)).toBeNull();
    expect(textOffset(root, textNode(root, 0, 0), 1)).toBe(4);
  });
});
