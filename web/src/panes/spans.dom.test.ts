// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import { EMOJI, THAI } from "../text/testdata/scripts";
import { textOffset } from "./spans";

/** A text body as the text pane draws it: plain runs and marked runs, side by side. */
function body(parts: readonly string[]): HTMLElement {
  const root = document.createElement("p");
  parts.forEach((part, i) => {
    const run = document.createElement(i % 2 === 1 ? "mark" : "span");
    run.textContent = part;
    root.append(run);
  });
  document.body.replaceChildren(document.createElement("h2"), root, document.createElement("footer"));
  return root;
}

describe("textOffset", () => {
  it("counts UTF-16 units from the start of the text across runs", () => {
    const root = body(["Astronaut ", "👩\u200d🚀", " waves"]);
    const [, mark, tail] = [...root.children].map((run) => run.firstChild as Text);
    expect(textOffset(root, mark as Text, 0)).toBe(10);
    expect(textOffset(root, mark as Text, 2)).toBe(12);
    expect(textOffset(root, tail as Text, 6)).toBe(EMOJI.indexOf(" waves") + 6);
  });

  it("reads points given as an element and a child index", () => {
    const root = body(["ดื่ม", "น้ำ", "เย็น"]);
    expect(textOffset(root, root, 0)).toBe(0);
    expect(textOffset(root, root, 2)).toBe("ดื่มน้ำ".length);
    expect(textOffset(root, root, 3)).toBe(THAI.length);
    expect(textOffset(root, root.children[1] as Element, 1)).toBe("ดื่มน้ำ".length);
  });

  it("clips points outside the text to its ends", () => {
    const root = body(["abc", "def"]);
    const [heading, , footer] = [...document.body.children];
    expect(textOffset(root, heading as Element, 0)).toBe(0);
    expect(textOffset(root, footer as Element, 0)).toBe(6);
    expect(textOffset(root, document.body, 0)).toBe(0);
    expect(textOffset(root, document.body, 3)).toBe(6);
  });
});
