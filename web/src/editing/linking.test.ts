import { describe, expect, it } from "vitest";

import { OntologyIndex } from "../ontology/ontology";
import { CASES } from "../ontology/testdata/ontologyCases";
import { workOf } from "../work/objects";
import { sample } from "../work/testdata/sample";
import { linkChoices, linkEnds, linkOf } from "./linking";

const demo = new OntologyIndex(CASES.demo);
const read = sample();
const work = workOf(read);

describe("linkEnds", () => {
  it("takes two annotations or entities in the order selected", () => {
    expect(linkEnds(["a-box", "a-span"], work)).toEqual({ source: "a-box", target: "a-span" });
    expect(linkEnds(["e-astronaut", "a-words"], work)).toEqual({ source: "e-astronaut", target: "a-words" });
  });

  it("says what to select otherwise", () => {
    expect(linkEnds(["a-box"], work)).toBe("select exactly two annotations or entities to link (1 selected)");
    expect(linkEnds(["a-box", "l-refers"], work)).toBe(
      "select exactly two annotations or entities to link (2 selected, 1 of them annotations or entities)",
    );
  });
});

describe("linkChoices", () => {
  it("offers only the types the ontology allows, and says why not the others", () => {
    const choices = linkChoices(demo, read, work, { source: "a-span", target: "a-box" });
    expect(choices.allowed.map((c) => [c.relation.name, c.reversed])).toEqual([
      ["refers-to", false],
      ["same-as", false],
    ]);
    expect(choices.refused.map((r) => r.relation)).toEqual(["synchronized-with", "speaker-of", "cites"]);
    expect(choices.refused[0]?.why).toContain("geometry must be one of ['interval', 'transcript']");
  });

  it("draws a directed type the right way round when selected the other way", () => {
    const choices = linkChoices(demo, read, work, { source: "a-box", target: "a-span" });
    const refers = choices.allowed.find((c) => c.relation.name === "refers-to");
    expect(refers?.reversed).toBe(true);
    expect(refers && linkOf(choices, refers)).toEqual({ type: "refers-to", source: "a-span", target: "a-box" });
  });
});
