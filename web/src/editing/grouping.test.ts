import { describe, expect, it } from "vitest";

import { OntologyIndex } from "../ontology/ontology";
import { CASES } from "../ontology/testdata/ontologyCases";
import type { Annotation, Work } from "../work/objects";
import { workOf } from "../work/objects";
import { sample } from "../work/testdata/sample";
import { groupPlan } from "./grouping";

const demo = new OntologyIndex(CASES.demo);

function withAnnotations(...extra: Pick<Annotation, "id" | "label">[]): Work {
  const work = workOf(sample());
  const made = extra.map((a): Annotation => ({
    ...a,
    stream: "photo",
    geometry: { type: "box", x: 0, y: 0, w: 5, h: 5 },
    revision: 1,
  }));
  return { ...work, annotations: [...work.annotations, ...made] };
}

describe("groupPlan", () => {
  it("makes a new entity labelled with the most specific label", () => {
    const work = withAnnotations({ id: "cat-box", label: "cat" }, { id: "animal-box", label: "animal" });
    expect(groupPlan(demo, work, ["animal-box", "cat-box"])).toEqual({
      kind: "create",
      label: "cat",
      members: ["animal-box", "cat-box"],
    });
  });

  it("adds to the entity selected, or the one holding some of the selection", () => {
    const work = withAnnotations({ id: "other", label: "person" });
    const added = { kind: "add", entity: "e-astronaut", members: ["a-span", "a-box", "other"] };
    expect(groupPlan(demo, work, ["e-astronaut", "other"])).toEqual(added);
    expect(groupPlan(demo, work, ["a-box", "other"])).toEqual(added);
  });

  it("refuses labels off one is-a chain, and selections with nothing to group", () => {
    const work = withAnnotations({ id: "cat-box", label: "cat" }, { id: "car-box", label: "car" });
    expect(groupPlan(demo, work, ["cat-box", "car-box"])).toMatchObject({
      kind: "refused",
      reason: expect.stringContaining('"cat" and "car"'),
    });
    expect(groupPlan(demo, work, ["cat-box"])).toMatchObject({ kind: "refused" });
    expect(groupPlan(demo, work, ["e-astronaut", "a-box"])).toMatchObject({ kind: "refused" });
    expect(groupPlan(demo, work, ["e-astronaut", "cat-box"])).toMatchObject({
      kind: "refused",
      reason: expect.stringContaining('"cat"'),
    });
  });
});
