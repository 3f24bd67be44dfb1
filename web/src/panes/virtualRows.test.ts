import { describe, expect, it } from "vitest";

import { isInView } from "./virtualRows";

/** A list of rows 30 px tall scrolled to `offset`, showing `height` px. */
function list(offset: number, height: number) {
  const measurementsCache = [0, 1, 2, 3, 4].map((index) => ({
    key: index,
    index,
    start: index * 30,
    end: index * 30 + 30,
    size: 30,
    lane: 0,
  }));
  return { measurementsCache, scrollOffset: offset, scrollRect: { width: 300, height }, scrollElement: null };
}

describe("isInView", () => {
  it("holds for rows wholly inside the visible part only", () => {
    const rows = list(30, 60);
    expect([0, 1, 2, 3, 4].map((index) => isInView(rows, index))).toEqual([false, true, true, false, false]);
    expect(isInView(list(35, 60), 1)).toBe(false);
  });

  it("reads the list's element where there is one", () => {
    const element = { scrollTop: 60, clientHeight: 60 } as HTMLDivElement;
    const rows = { ...list(0, 600), scrollElement: element };
    expect([0, 1, 2, 3, 4].map((index) => isInView(rows, index))).toEqual([false, false, true, true, false]);
  });

  it("is false for a row the list does not have", () => {
    expect(isInView(list(0, 600), 9)).toBe(false);
  });
});
