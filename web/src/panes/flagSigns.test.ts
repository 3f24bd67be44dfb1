import { describe, expect, it } from "vitest";

import { flagSigns, flagWords, REVIEW_LOOK, signed } from "./flagSigns";

describe("flagSigns", () => {
  it("signs the review state and a stale link as the image's tags do", () => {
    expect(flagSigns("accepted", false)).toBe("✓");
    expect(flagSigns("rejected", true)).toBe("✗⚠");
    expect(flagSigns("outdated", false)).toBe("↻");
    expect(flagSigns(undefined, true)).toBe("⚠");
    expect(flagSigns(undefined, false)).toBe("");
  });

  it("puts the signs before a label, and nothing before one with none", () => {
    expect(signed("scene", "accepted", false)).toBe("✓ scene");
    expect(signed("person", "rejected", true)).toBe("✗⚠ person");
    expect(signed("person", undefined, false)).toBe("person");
  });

  it("gives each review state its own sign and colour", () => {
    const looks = Object.values(REVIEW_LOOK);
    expect(new Set(looks.map((look) => look.sign)).size).toBe(3);
    expect(new Set(looks.map((look) => look.colour)).size).toBe(3);
    expect(REVIEW_LOOK.rejected).toEqual({ colour: "#d92d20", sign: "✗" });
  });

  it("says the same in words", () => {
    expect(flagWords("rejected", true)).toBe(" (⚠ stale link) (rejected)");
    expect(flagWords(undefined, false)).toBe("");
  });
});
