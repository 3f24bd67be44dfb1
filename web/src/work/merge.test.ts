import { describe, expect, it } from "vitest";

import { diffWork, mergeWork, type Side } from "./merge";
import type { Annotation, Work } from "./objects";

const box = (id: string, label: string, revision = 1, x = 0): Annotation => ({
  id,
  stream: "photo",
  label,
  geometry: { type: "box", x, y: 0, w: 1, h: 1 },
  revision,
});
const work = (...annotations: Annotation[]): Work => ({ annotations, entities: [], links: [] });
const summary = (base: Work, mine: Work, theirs: Work) =>
  diffWork(base, mine, theirs).map((i) => [i.id, i.mine, i.theirs, i.clash]);

describe("diffWork", () => {
  const base = work(box("a", "cat"), box("b", "cat"), box("c", "cat"));

  it("names who changed what, and the clashes", () => {
    const mine = work(box("a", "dog"), box("c", "cat", 1, 5), box("n", "cup"));
    const theirs = work(box("a", "cow", 2), box("b", "cat", 2, 9), box("c", "cat", 2, 5));
    expect(summary(base, mine, theirs)).toEqual([
      ["a", "updated", "updated", true], // both relabelled, differently
      ["c", "updated", "updated", false], // both made the same change
      ["n", "created", null, false],
      ["b", "deleted", "updated", true], // I deleted what they changed
    ]);
  });

  it("does not call changes to different fields a clash", () => {
    const mine = work(box("a", "dog"), box("b", "cat"), box("c", "cat"));
    const theirs = work(box("a", "cat", 2, 7), box("b", "cat"));
    const items = diffWork(base, mine, theirs);
    expect(
      items.map((i) => [i.id, i.mine, i.theirs, i.clash, i.mineFields, i.theirsFields]),
    ).toEqual([
      ["a", "updated", "updated", false, ["label"], ["geometry"]],
      ["c", null, "deleted", false, [], []],
    ]);
  });

  it("agrees when both deleted", () => {
    expect(
      summary(base, work(box("a", "cat"), box("b", "cat")), work(box("a", "cat"), box("b", "cat"))),
    ).toEqual([["c", "deleted", "deleted", false]]);
  });
});

describe("mergeWork", () => {
  const base = work(box("a", "cat"), box("b", "cat"), box("c", "cat"));
  const mine = work(box("a", "dog", 1, 3), box("c", "cow"), box("n", "cup"));
  const theirs = work(box("a", "bee", 2), box("b", "cat", 2, 9));

  const merged = (side: Side) =>
    mergeWork(diffWork(base, mine, theirs), mine, theirs, () => side).work.annotations.map((a) => [
      a.id,
      a.label,
      a.revision,
      a.geometry.type === "box" ? a.geometry.x : null,
    ]);

  it("keeps theirs where they win, with my other changes on top", () => {
    // a: their label, my x on their revision; b: they changed what I deleted, theirs back;
    // c: I changed what they deleted, gone; n: mine, new
    expect(merged("theirs")).toEqual([
      ["a", "bee", 2, 3],
      ["b", "cat", 2, 9],
      ["n", "cup", 1, 0],
    ]);
  });

  it("keeps mine where I win, bringing back what they deleted as new", () => {
    expect(merged("mine")).toEqual([
      ["a", "dog", 2, 3],
      ["c", "cow", 1, 0],
      ["n", "cup", 1, 0],
    ]);
  });

  it("drops members and links that name what is gone", () => {
    const read: Work = { annotations: [box("a", "cat"), box("b", "cat")], entities: [], links: [] };
    const ours: Work = {
      annotations: read.annotations,
      entities: [{ id: "e", members: ["a", "b"], revision: 1 }],
      links: [
        { id: "l1", type: "same-as", source: "a", target: "e", status: "proposed", revision: 1 },
        { id: "l2", type: "same-as", source: "b", target: "e", status: "proposed", revision: 1 },
      ],
    };
    const other: Work = { annotations: [box("a", "cat")], entities: [], links: [] };
    const result = mergeWork(diffWork(read, ours, other), ours, other, () => "theirs");
    expect(result.work.entities).toEqual([{ id: "e", members: ["a"], revision: 1 }]);
    expect(result.work.links.map((l) => l.id)).toEqual(["l1"]);
    expect(result.dropped).toEqual([
      { kind: "member", id: "e", missing: "b" },
      { kind: "link", id: "l2", missing: "b" },
    ]);
  });
});
