import { describe, expect, it } from "vitest";

import {
  changedFields,
  EDITABLE,
  fieldValue,
  indexWork,
  sameJson,
  workOf,
  type Link,
} from "./objects";
import { sample } from "./testdata/sample";

describe("sameJson", () => {
  it.each([
    [{ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }, true],
    [{ a: 1, b: undefined }, { a: 1 }, true],
    [{ a: 1 }, { a: 1, b: null }, false],
    [[1, 2], [2, 1], false],
    [[1], { 0: 1 }, false],
    [0, -0, true],
    ["1", 1, false],
    [null, {}, false],
  ])("%j and %j: %s", (a, b, same) => {
    expect(sameJson(a, b)).toBe(same);
  });
});

describe("fields", () => {
  const link: Link = {
    id: "l",
    type: "same-as",
    source: "a",
    target: "b",
    status: "proposed",
    revision: 1,
  };

  it("reads a left-out field as its default, as the server does", () => {
    expect(fieldValue(link, "attributes")).toEqual({});
    expect(fieldValue({ id: "e", revision: 1 }, "members")).toEqual([]);
    expect(changedFields(link, { ...link, attributes: {} })).toEqual([]);
    expect(changedFields({ ...link, status: undefined as never }, link)).toEqual([]);
  });

  it("names the fields that differ, the revision aside", () => {
    const after = { ...link, target: "c", revision: 2, attributes: { x: 1 } };
    expect(changedFields(link, after)).toEqual(["target", "attributes"]);
    expect(changedFields(link, after, EDITABLE.link)).toEqual(["target", "attributes"]);
    expect(changedFields(link, after, ["type"])).toEqual([]);
  });
});

describe("workOf and indexWork", () => {
  it("read a sample's work, a missing list as empty", () => {
    const work = workOf({ id: "s", status: "new" });
    expect(work).toEqual({ annotations: [], entities: [], links: [] });
    const index = indexWork(workOf(sample()));
    expect(index.get("e-astronaut")?.kind).toBe("entity");
    expect(index.get("l-same")?.kind).toBe("link");
    expect(index.size).toBe(7);
  });
});
