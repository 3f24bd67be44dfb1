import { describe, expect, it } from "vitest";

import { seeded } from "../clock/testdata/random";
import { CodePointIndex } from "./offsets";
import { CJK, EMOJI, KHMER, THAI, VIETNAMESE } from "./testdata/scripts";

describe("CodePointIndex", () => {
  it("counts code points as the server does", () => {
    expect(new CodePointIndex(EMOJI).length).toBe(23);
    expect(new CodePointIndex(CJK).length).toBe(11);
    expect(new CodePointIndex(VIETNAMESE).length).toBe(14);
    expect(new CodePointIndex("Tiếng Việt".normalize("NFC")).length).toBe(10);
    expect(new CodePointIndex("").length).toBe(0);
  });

  // code point -> UTF-16 code unit, as tests/test_text_offsets.py derives them by hand
  it.each([
    [0, 0],
    [10, 10], // before 👩 (2 units), ZWJ (1), 🚀 (2)
    [13, 15],
    [14, 16],
    [20, 22], // before 🇺 and 🇸 (2 units each)
    [22, 26],
    [23, 27],
  ])("converts emoji code point %i and UTF-16 offset %i both ways", (codePoint, utf16) => {
    const index = new CodePointIndex(EMOJI);
    expect(index.toUtf16(codePoint)).toBe(utf16);
    expect(index.toCodePoint(utf16)).toBe(codePoint);
  });

  it.each([
    ["thai", THAI, 4, 4],
    ["khmer", KHMER, 5, 5],
    ["vietnamese", VIETNAMESE, 5, 5],
    ["cjk before the astral char", CJK, 8, 8],
    ["cjk after the astral char", CJK, 9, 10],
  ])("converts %s offsets both ways", (_, text, codePoint, utf16) => {
    const index = new CodePointIndex(text);
    expect(index.toUtf16(codePoint)).toBe(utf16);
    expect(index.toCodePoint(utf16)).toBe(codePoint);
  });

  it.each([
    ["toCodePoint", EMOJI, 11, "UTF-16 code-unit offset 11 falls inside a character"],
    ["toCodePoint", CJK, 9, "UTF-16 code-unit offset 9 falls inside a character"],
    ["toCodePoint", EMOJI, 28, "UTF-16 code-unit offset 28 is outside the text (0..27)"],
    ["toCodePoint", EMOJI, -1, "UTF-16 code-unit offset -1 is outside the text (0..27)"],
    ["toCodePoint", EMOJI, 1.5, "UTF-16 code-unit offset 1.5 is outside the text"],
    ["toUtf16", EMOJI, 24, "code-point offset 24 is outside the text (0..23)"],
    ["toUtf16", EMOJI, -1, "code-point offset -1 is outside the text (0..23)"],
  ] as const)("%s refuses an offset in %j: %i", (method, text, offset, message) => {
    const index = new CodePointIndex(text);
    expect(() => index[method](offset)).toThrow(message);
  });

  it("counts a lone surrogate as one code point, as Python's str does", () => {
    const index = new CodePointIndex("a\ud83db\udc00c");
    expect(index.length).toBe(5);
    expect([0, 1, 2, 3, 4, 5].map((i) => index.toUtf16(i))).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("round-trips on random text against a code-point array", () => {
    const random = seeded(9);
    const pool = [0x61, 0x0e37, 0x0301, 0x200d, 0x1f469, 0x1f680, 0x20bb7, 0xd800, 0xdc00, 0x4e00];
    for (let n = 0; n < 200; n += 1) {
      const points = Array.from(
        { length: Math.floor(random() * 40) },
        () => pool[Math.floor(random() * pool.length)] as number,
      );
      // a lone surrogate next to another one would pair up: keep the pool's as single units
      const text = points
        .map((p) =>
          p >= 0xd800 && p < 0xe000 ? `x${String.fromCharCode(p)}x` : String.fromCodePoint(p),
        )
        .join("");
      const chars = Array.from(text); // JavaScript's own code-point split
      const index = new CodePointIndex(text);
      expect(index.length).toBe(chars.length);
      let utf16 = 0;
      for (let cp = 0; cp <= chars.length; cp += 1) {
        expect(index.toUtf16(cp)).toBe(utf16);
        expect(index.toCodePoint(utf16)).toBe(cp);
        utf16 += (chars[cp] ?? "").length;
      }
    }
  });
});
