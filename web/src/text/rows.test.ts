import { describe, expect, it } from "vitest";

import { GraphemeIndex } from "./graphemes";
import { CodePointIndex } from "./offsets";
import { rowAt, rowsOf, textRows, type TextRow } from "./rows";
import { EMOJI, SKIN, THAI } from "./testdata/scripts";

function rowsOfText(text: string, longest?: number): TextRow[] {
  return textRows(new CodePointIndex(text), new GraphemeIndex(text), longest);
}

/** The rows' texts, cut from `text` by their UTF-16 offsets. */
function texts(text: string, rows: readonly TextRow[]): string[] {
  return rows.map((row) => text.slice(row.utf16Start, row.utf16End));
}

describe("textRows", () => {
  it("makes each line a row, its line break with it", () => {
    const text = "first line\n\nthird\nlast";
    expect(texts(text, rowsOfText(text))).toEqual(["first line\n", "\n", "third\n", "last"]);
  });

  it("gives an empty text one empty row and a final line break no row of its own", () => {
    expect(rowsOfText("")).toEqual([{ start: 0, end: 0, utf16Start: 0, utf16End: 0 }]);
    expect(texts("a\nb\n", rowsOfText("a\nb\n"))).toEqual(["a\n", "b\n"]);
  });

  it("cuts a long line after a space in the second half of each stretch", () => {
    const text = "aaaa bbbb cccc dddd eeee";
    const rows = rowsOfText(text, 12);
    expect(texts(text, rows)).toEqual(["aaaa bbbb ", "cccc dddd ", "eeee"]);
    expect(texts(text, rows).join("")).toBe(text);
  });

  it("cuts a line without spaces between grapheme clusters only", () => {
    const text = THAI.repeat(3);
    const rows = rowsOfText(text, 4);
    const graphemes = new GraphemeIndex(text);
    expect(texts(text, rows).join("")).toBe(text);
    expect(rows.length).toBeGreaterThan(3);
    for (const row of rows) expect(graphemes.isBoundary(row.utf16Start)).toBe(true);
    // a cluster longer than the limit is one row, not cut
    const family = rowsOfText(SKIN, 2);
    expect(texts(SKIN, family)).toContain("👨‍👩‍👧‍👦");
  });

  it("counts code points and UTF-16 units apart", () => {
    const text = `${EMOJI}\nnext`;
    const [first, second] = rowsOfText(text);
    expect(first).toEqual({ start: 0, end: [...EMOJI].length + 1, utf16Start: 0, utf16End: EMOJI.length + 1 });
    expect(second).toMatchObject({ start: [...EMOJI].length + 1, end: [...text].length });
  });
});

describe("rowAt and rowsOf", () => {
  const text = "one\ntwo\nthree";
  const rows = rowsOfText(text);

  it("finds the row holding a code point, the last one for the end", () => {
    expect([0, 3, 4, 7, 8, 13].map((offset) => rowAt(rows, offset))).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it("lists the rows a range crosses", () => {
    expect(rowsOf(rows, 2, 9)).toEqual([0, 1, 2]);
    expect(rowsOf(rows, 4, 8)).toEqual([1]);
    expect(rowsOf(rows, 5, 5)).toEqual([1]);
  });
});
