import { describe, expect, it } from "vitest";

import { OntologyIndex } from "./ontology";
import { allowedRelations, endpointsOf, linkProblem, type Endpoint } from "./relations";
import type { LinkCase } from "./testdata/ontologyCase";
import { CASES } from "./testdata/ontologyCases";

const rules = new OntologyIndex(CASES.rules);
const demo = new OntologyIndex(CASES.demo);
const rulesEnds = endpointsOf(CASES.rulesSample);
const demoEnds = endpointsOf(CASES.demoSample);

describe.each([
  ["the rules ontology", rules, rulesEnds, CASES.rulesLinks],
  ["the demo ontology", demo, demoEnds, CASES.demoLinks],
] as const)(
  "linkProblem judges every link as check_link does, in %s",
  (_, ontology, ends, cases) => {
    it.each(cases.map((c: LinkCase) => [`${c[0]}: ${c[1]} → ${c[2]}`, c] as const))(
      "%s",
      (__, c) => {
        const [type, source, target, expected] = c;
        const problem = linkProblem(ontology, { type, source, target }, ends);
        expect(problem === null ? null : [problem.rule, problem.field, problem.detail]).toEqual(
          expected,
        );
      },
    );
  },
);

describe("linkProblem, the cases of tests/test_validation.py", () => {
  it.each([
    ["likes", "span", "box", "relation-known", "type"],
    ["refers-to", "ghost", "box", "link-endpoint", "source"],
    ["refers-to", "span", "ghost", "link-endpoint", "target"],
    ["refers-to", "span", "words", "link-endpoint", "target"],
    ["refers-to", "crew", "box", "link-endpoint", "source"],
    ["speaker-of", "pets", "words", "link-endpoint", "source"],
    ["speaker-of", "cuboid", "words", "link-endpoint", "source"],
    ["same-as", "box", "box", "link-self", "target"],
    ["refers-to", "box", "span", "link-direction", "source"],
  ])("%s %s → %s breaks %s at %s", (type, source, target, rule, field) => {
    expect(linkProblem(rules, { type, source, target }, rulesEnds)).toMatchObject({ rule, field });
  });

  it.each([
    ["refers-to", "span", "box"],
    ["caption-of", "span", "box"],
    ["caption-of", "box", "span"],
    ["speaker-of", "crew", "words"],
    ["same-as", "box", "crew"],
  ])("%s %s → %s keeps the rules", (type, source, target) => {
    expect(linkProblem(rules, { type, source, target }, rulesEnds)).toBeNull();
  });
});

describe("allowedRelations", () => {
  const end = (id: string): Endpoint => demoEnds.get(id) as Endpoint;
  const names = (source: string, target: string) =>
    allowedRelations(demo, end(source), end(target)).map(
      (a) => `${a.relation.name}${a.reversed ? " (reversed)" : ""}`,
    );

  it("offers the types the server accepts between two ends", () => {
    expect(names("span", "box")).toEqual(["refers-to", "same-as"]);
    expect(names("said", "words")).toEqual(["synchronized-with", "same-as"]);
    expect(names("box", "said")).toEqual(["refers-to (reversed)", "same-as", "speaker-of"]);
    expect(names("crew", "said")).toEqual(["refers-to (reversed)", "same-as", "speaker-of"]);
  });

  it("offers a directed type that holds only the other way round as reversed", () => {
    expect(names("box", "span")).toEqual(["refers-to (reversed)", "same-as"]);
    expect(names("said", "box")).toEqual(["refers-to", "same-as", "speaker-of (reversed)"]);
  });

  it("offers nothing between an object and itself", () => {
    expect(names("box", "box")).toEqual([]);
  });

  it("agrees with linkProblem on every pair of the recorded cases", () => {
    for (const [ontology, ends] of [
      [rules, rulesEnds],
      [demo, demoEnds],
    ] as const) {
      for (const source of ends.values()) {
        for (const target of ends.values()) {
          for (const { relation, reversed } of allowedRelations(ontology, source, target)) {
            const [from, to] = reversed ? [target, source] : [source, target];
            const link = { type: relation.name, source: from.id, target: to.id };
            expect(linkProblem(ontology, link, ends), JSON.stringify(link)).toBeNull();
          }
        }
      }
    }
  });
});

describe("endpointsOf", () => {
  it("reads the modality of an annotation's stream and an entity's member labels", () => {
    expect(demoEnds.get("frame-box")).toEqual({
      kind: "annotation",
      id: "frame-box",
      label: "cat",
      geometry: "box",
      modality: "video",
    });
    expect(demoEnds.get("scene")).toMatchObject({ modality: null });
    expect(demoEnds.get("crew")).toEqual({
      kind: "entity",
      id: "crew",
      label: null,
      memberLabels: ["person", "person"],
    });
  });
});
