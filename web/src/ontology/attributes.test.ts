import { describe, expect, it } from "vitest";

import { attributeInputs, attributeProblem, checkAttributes } from "./attributes";
import { OntologyIndex, type AttributeDef } from "./ontology";
import { CASES } from "./testdata/ontologyCases";

const def = (extra: Partial<AttributeDef> & Pick<AttributeDef, "type">): AttributeDef => ({
  name: "a",
  required: false,
  ...extra,
});

describe("attributeProblem", () => {
  it.each(CASES.attributes.map((c) => [JSON.stringify(c[0]), JSON.stringify(c[1]), c] as const))(
    "judges %s = %s as AttributeDef.problem does",
    (_, __, [definition, value, fine]) => {
      expect(attributeProblem(definition, value) === null).toBe(fine);
    },
  );

  it.each([
    [def({ type: "bool" }), 1, "expected true or false, got 1"],
    [def({ type: "number", min: 0, max: 1 }), 1.5, "expected at most 1, got 1.5"],
    [def({ type: "number", min: 0 }), -1, "expected at least 0, got -1"],
    [def({ type: "number" }), "3", 'expected a number, got "3"'],
    [def({ type: "text", max_length: 3 }), "abcd", "expected at most 3 characters, got 4"],
    [def({ type: "text", max_length: 3 }), "😀😀😀😀", "expected at most 3 characters, got 4"],
    [
      def({ type: "text", pattern: "[a-z]{2}" }),
      "EN",
      'expected text matching "[a-z]{2}", got "EN"',
    ],
    [def({ type: "text" }), undefined, "expected text, got nothing"],
    [def({ type: "enum", values: ["x"] }), "y", 'expected one of ["x"], got "y"'],
  ])("names the problem with %j and %j", (definition, value, problem) => {
    expect(attributeProblem(definition, value)).toBe(problem);
  });

  it("counts code points, as the server does", () => {
    expect(attributeProblem(def({ type: "text", max_length: 3 }), "😀😀😀")).toBeNull();
  });

  it("leaves a pattern JavaScript cannot compile to the server", () => {
    expect(attributeProblem(def({ type: "text", pattern: "(?<=a" }), "anything")).toBeNull();
  });
});

describe("checkAttributes", () => {
  const ontology = new OntologyIndex({
    name: "o",
    version: 1,
    classes: [
      {
        name: "badge",
        deprecated: false,
        attributes: [
          def({ name: "level", type: "enum", values: ["a", "b"], required: true }),
          def({ name: "valid", type: "bool", required: true }),
        ],
      },
    ],
  });
  const defs = ontology.attributesOf("badge");

  it("finds unknown, bad and missing attributes in the server's order", () => {
    expect(checkAttributes({ level: "a", colour: "red" }, defs, "badge")).toEqual({
      rule: "attribute-known",
      field: "attributes.colour",
      detail: '"badge" has no attribute "colour"',
    });
    expect(checkAttributes({ level: "c" }, defs, "badge")).toMatchObject({
      rule: "attribute-value",
      field: "attributes.level",
    });
    expect(checkAttributes({ level: "a" }, defs, "badge")).toEqual({
      rule: "attribute-required",
      field: "attributes.valid",
      detail: '"badge" requires "valid"',
    });
    expect(checkAttributes({ level: "b", valid: false }, defs, "badge")).toBeNull();
  });

  it("does not take an object's inherited names for attributes", () => {
    expect(
      checkAttributes(
        { level: "a", valid: true },
        new Map([["toString", defs.get("valid") as AttributeDef]]),
        "x",
      ),
    ).toMatchObject({ rule: "attribute-known", field: "attributes.level" });
    const required = new Map([
      ["toString", def({ name: "toString", type: "bool", required: true })],
    ]);
    expect(checkAttributes({}, required, "x")).toMatchObject({ rule: "attribute-required" });
  });
});

describe("attributeInputs", () => {
  it("gives the demo classes' attributes as typed inputs, inherited ones included", () => {
    const demo = new OntologyIndex(CASES.demo);
    expect(attributeInputs(demo, "cup")).toEqual([
      {
        name: "colour",
        required: false,
        type: "enum",
        options: ["red", "orange", "green", "white", "black", "brown", "other"],
      },
    ]);
    expect(attributeInputs(demo, "person")).toEqual([
      {
        name: "role",
        required: false,
        type: "enum",
        options: ["astronaut", "speaker", "bystander"],
      },
      { name: "occluded", required: false, type: "bool" },
      {
        name: "expression",
        required: false,
        type: "enum",
        options: ["neutral", "smile", "frown"],
      },
    ]);
    expect(attributeInputs(demo, "scene")).toEqual([
      { name: "quality", required: false, type: "number", min: 0, max: 1 },
    ]);
    expect(attributeInputs(demo, "speech")).toEqual([
      {
        name: "language",
        required: false,
        type: "text",
        maxLength: null,
        pattern: "[a-z]{2}(-[A-Z]{2})?",
      },
      {
        name: "tone",
        required: false,
        type: "enum",
        options: ["neutral", "happy", "frustrated"],
      },
    ]);
    expect(attributeInputs(demo, "car")).toEqual([]);
  });
});
