import { describe, expect, it } from "vitest";

import { workOf } from "../work/objects";
import { sample } from "../work/testdata/sample";
import { revealTargets } from "./useReveal";

describe("revealTargets", () => {
  const work = workOf(sample());

  it("reveals a picked annotation itself", () => {
    expect(revealTargets(["a-span"], work)).toEqual(["a-span"]);
  });

  it("reveals a link's two ends, an entity end as its members, each once", () => {
    expect(revealTargets(["l-refers"], work)).toEqual(["a-span", "a-box"]);
    expect(revealTargets(["l-speaker"], work)).toEqual(["a-span", "a-box", "a-words"]);
    expect(revealTargets(["l-same", "a-box"], work)).toEqual(["a-box", "a-span"]);
  });

  it("reveals an entity's members", () => {
    expect(revealTargets(["e-astronaut"], work)).toEqual(["a-span", "a-box"]);
  });
});
