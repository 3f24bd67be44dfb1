import { describe, expect, it } from "vitest";

import { classTree, flatten, searchClasses, type ClassNode } from "./classTree";
import { OntologyIndex } from "./ontology";
import { CASES } from "./testdata/ontologyCases";

const demo = new OntologyIndex(CASES.demo);

/** The tree as indented names, unselectable ones in brackets. */
function outline(nodes: readonly ClassNode[]): string[] {
  return flatten(nodes).map(
    (n) => `${"  ".repeat(n.path.length - 1)}${n.selectable ? n.name : `(${n.name})`}`,
  );
}

describe("classTree", () => {
  it("gives the whole is-a tree in the ontology's order", () => {
    expect(outline(classTree(demo))).toEqual([
      "thing",
      "  person",
      "  animal",
      "    cat",
      "  vehicle",
      "    car",
      "    spacecraft",
      "  object",
      "    cup",
      "    flag",
      "speech",
      "scene",
      "rationale-phrase",
    ]);
    const cat = flatten(classTree(demo)).find((n) => n.name === "cat");
    expect(cat?.path).toEqual(["thing", "animal", "cat"]);
  });

  it("narrows to the classes that may label a geometry kind", () => {
    expect(outline(classTree(demo, { geometry: "transcript" }))).toEqual([
      "thing",
      "  person",
      "  animal",
      "    cat",
      "  vehicle",
      "    car",
      "    spacecraft",
      "  object",
      "    cup",
      "    flag",
      "speech",
    ]);
    expect(outline(classTree(demo, { geometry: "classification" })).at(-1)).toBe("scene");
  });

  it("keeps deprecated classes out unless asked, and their ancestors as context", () => {
    const ontology = new OntologyIndex({
      name: "o",
      version: 2,
      classes: [
        { name: "thing", deprecated: true },
        { name: "cup", parent: "thing", deprecated: false },
        { name: "old", deprecated: true },
      ],
    });
    expect(outline(classTree(ontology))).toEqual(["(thing)", "  cup"]);
    expect(outline(classTree(ontology, { includeDeprecated: true }))).toEqual([
      "thing",
      "  cup",
      "old",
    ]);
  });
});

describe("searchClasses", () => {
  const tree = classTree(demo);
  const names = (query: string) => searchClasses(tree, query).map((n) => n.name);

  it("ranks exact names, then prefixes, then inner matches, then descriptions", () => {
    expect(names("cat")).toEqual(["cat"]);
    // prefixes in tree order, then names containing it, then "thing" for its description
    expect(names("C")).toEqual([
      "cat",
      "car",
      "cup",
      "vehicle",
      "spacecraft",
      "object",
      "speech",
      "scene",
      "thing",
      "rationale-phrase",
    ]);
    expect(names("craft")).toEqual(["spacecraft"]);
    expect(names("spoken")).toEqual(["speech"]); // in its description
    expect(names("  SPEECH ")).toEqual(["speech"]);
    expect(names("dragon")).toEqual([]);
  });

  it("ranks a word of a name before a match inside a word", () => {
    const ontology = new OntologyIndex({
      name: "o",
      version: 1,
      classes: ["flashlight", "traffic-light", "lighthouse", "light"].map((name) => ({
        name,
        deprecated: false,
      })),
    });
    expect(searchClasses(classTree(ontology), "light").map((n) => n.name)).toEqual([
      "light",
      "lighthouse",
      "traffic-light",
      "flashlight",
    ]);
  });

  it("gives every selectable class for an empty query", () => {
    expect(names("")).toHaveLength(13);
    expect(
      searchClasses(classTree(demo, { geometry: "classification" }), "").map((n) => n.name),
    ).toContain("scene");
  });
});
