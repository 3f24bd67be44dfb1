import { describe, expect, it } from "vitest";

import { flagSigns, flagWords } from "./flagSigns";

describe("flagSigns", () => {
  it("signs the review state and a stale link as the image's tags do", () => {
    expect(flagSigns("accepted", false)).toBe("✓");
    expect(flagSigns("rejected", true)).toBe("✗⚠");
    expect(flagSigns("outdated", false)).toBe("↻");
    expect(flagSigns(undefined, true)).toBe("⚠");
    expect(flagSigns(undefined, false)).toBe("");
  });

  it("says the same in words", () => {
    expect(flagWords("rejected", true)).toBe(" (⚠ stale link) (rejected)");
    expect(flagWords(undefined, false)).toBe("");
  });
});
