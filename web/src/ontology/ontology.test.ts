import { describe, expect, it } from "vitest";

import { OntologyIndex, type OntologyJson } from "./ontology";
import { CASES } from "./testdata/ontologyCases";

const classes = (...list: OntologyJson["classes"]): OntologyJson => ({
  name: "o",
  version: 1,
  classes: list,
});
const cls = (name: string, extra: Partial<OntologyJson["classes"][number]> = {}) => ({
  name,
  deprecated: false,
  ...extra,
});

describe("OntologyIndex", () => {
  const demo = new OntologyIndex(CASES.demo);

  it("reads the demo ontology", () => {
    expect(demo.name).toBe("rosetta-demo");
    expect(demo.version).toBe(1);
    expect(demo.relation("refers-to")?.directed).toBe(true);
    expect(demo.relation("synchronized-with")?.directed).toBe(false);
    expect(demo.classDef("cat")?.parent).toBe("animal");
    expect(demo.classDef("dragon")).toBeUndefined();
  });

  it("knows is-a and compatibility (tests/test_ontology.py)", () => {
    expect(demo.ancestors("cat")).toEqual(["cat", "animal", "thing"]);
    expect(demo.isA("cat", "animal")).toBe(true);
    expect(demo.isA("cat", "thing")).toBe(true);
    expect(demo.isA("cat", "cat")).toBe(true);
    expect(demo.isA("animal", "cat")).toBe(false);
    expect(demo.isA("cat", "vehicle")).toBe(false);
    expect(demo.isA("dragon", "thing")).toBe(false);
    expect(demo.compatible("cat", "animal")).toBe(true);
    expect(demo.compatible("thing", "spacecraft")).toBe(true);
    expect(demo.compatible("car", "spacecraft")).toBe(false);
    expect(demo.compatible("cat", "person")).toBe(false);
    expect(demo.compatible("speech", "thing")).toBe(false);
  });

  it("gives a class its own guideline, else its nearest ancestor's", () => {
    const ontology = new OntologyIndex(
      classes(
        cls("vehicle", { guideline: { text: "Box the whole vehicle." } }),
        cls("car", { parent: "vehicle" }),
        cls("cab", { parent: "car", guideline: { text: "A car for hire." } }),
        cls("thing"),
      ),
    );
    expect(ontology.guidelineOf("cab")).toEqual({ guideline: { text: "A car for hire." }, from: "cab" });
    expect(ontology.guidelineOf("car")).toEqual({ guideline: { text: "Box the whole vehicle." }, from: "vehicle" });
    expect(ontology.guidelineOf("thing")).toBeNull();
    expect(ontology.guidelineOf("dragon")).toBeNull();
    expect(demo.guidelineOf("cat")?.guideline.positive?.[0]?.media).toEqual({
      sample: "slideshow",
      select: "slideshow.still-2.cat",
    });
    expect(demo.guidelineOf("car")?.from).toBe("vehicle");
  });

  it("inherits geometries from the nearest ancestor that names any", () => {
    const ontology = new OntologyIndex(
      classes(
        cls("sound", { geometries: ["interval", "transcript"] }),
        cls("speech", { parent: "sound" }),
        cls("chant", { parent: "speech", geometries: ["transcript"] }),
        cls("thing"),
      ),
    );
    expect(ontology.allowedGeometries("speech")).toEqual(new Set(["interval", "transcript"]));
    expect(ontology.allowedGeometries("chant")).toEqual(new Set(["transcript"]));
    expect(ontology.allowedGeometries("thing")).toBeNull();
    expect(ontology.allowsGeometry("chant", "interval")).toBe(false);
    expect(ontology.allowsGeometry("thing", "cuboid")).toBe(true);
    expect(demo.allowedGeometries("scene")).toEqual(new Set(["classification", "interval"]));
  });

  it("inherits attributes, nearer definitions winning", () => {
    const ontology = new OntologyIndex(
      classes(
        cls("thing", { attributes: [{ name: "colour", type: "text", required: false }] }),
        cls("cup", {
          parent: "thing",
          attributes: [{ name: "colour", type: "enum", values: ["red", "white"], required: false }],
        }),
        cls("mug", {
          parent: "cup",
          attributes: [{ name: "handle", type: "bool", required: false }],
        }),
      ),
    );
    const mug = ontology.attributesOf("mug");
    expect([...mug.keys()]).toEqual(["handle", "colour"]);
    expect(mug.get("colour")?.type).toBe("enum");
    expect(ontology.attributesOf("thing").get("colour")?.type).toBe("text");
  });

  it.each([
    [
      classes(cls("a", { parent: "b" }), cls("b", { parent: "a" })),
      'class "a": is-a cycle through "a"',
    ],
    [classes(cls("a", { parent: "a" })), 'class "a": is-a cycle through "a"'],
    [classes(cls("cat", { parent: "animal" })), 'class "cat": parent "animal" is not a class'],
    [classes(cls("cat"), cls("dog"), cls("cat")), "class names must be unique; repeated: cat"],
    [
      {
        ...classes(cls("a")),
        relations: [
          {
            name: "r",
            directed: true,
            deprecated: false,
            source: { classes: ["b"], entity: true },
          },
        ],
      },
      'relation "r": endpoint class "b" is unknown',
    ],
    [
      {
        ...classes(cls("a")),
        relations: [
          { name: "r", directed: true, deprecated: false },
          { name: "r", directed: true, deprecated: false },
        ],
      },
      "relation type names must be unique; repeated: r",
    ],
  ])("refuses an incoherent ontology %#", (json, message) => {
    expect(() => new OntologyIndex(json)).toThrow(message);
  });
});
