import { describe, expect, it } from "vitest";

import { applyChanges, coalesce, inverse, redo, type Change, type Command } from "./history";
import type { Entity, Work } from "./objects";

const entity = (id: string, label: string | null = null): Entity => ({
  id,
  label,
  members: [],
  revision: 1,
});
const work = (...ids: string[]): Work => ({
  annotations: [],
  entities: ids.map((id) => entity(id)),
  links: [],
});
const ids = (w: Work) => w.entities.map((e) => e.id);

describe("applyChanges", () => {
  it("removes, inserts in place and replaces, in one pass per kind", () => {
    const before = work("a", "b", "c", "d", "e");
    const changes: Change[] = [
      { kind: "entity", id: "b", before: entity("b"), after: null, index: 1 },
      { kind: "entity", id: "d", before: entity("d"), after: null, index: 3 },
      { kind: "entity", id: "c", before: entity("c"), after: entity("c", "cup"), index: 2 },
      { kind: "entity", id: "x", before: null, after: entity("x"), index: 3 },
    ];
    const after = applyChanges(before, changes);
    expect(ids(after)).toEqual(["a", "c", "e", "x"]);
    expect(after.entities[1]?.label).toBe("cup");
    expect(after.entities[0]).toBe(before.entities[0]);
    expect(after.annotations).toBe(before.annotations); // untouched kinds stay the same list
  });

  it("undoes a command back to the very list it was built on", () => {
    const before = work("a", "b", "c", "d", "e");
    const command: Command = {
      label: "several",
      changes: [
        { kind: "entity", id: "a", before: entity("a"), after: null, index: 0 },
        { kind: "entity", id: "c", before: entity("c"), after: null, index: 2 },
        { kind: "entity", id: "e", before: entity("e"), after: null, index: 4 },
      ],
    };
    const after = redo(before, command);
    expect(ids(after)).toEqual(["b", "d"]);
    const undone = applyChanges(after, command.changes.map(inverse));
    expect(ids(undone)).toEqual(["a", "b", "c", "d", "e"]);
  });
});

describe("coalesce", () => {
  const step = (label: string, key?: string): Command => ({
    label: "edit",
    changes: [
      {
        kind: "entity",
        id: "a",
        before: entity("a", `${label}-before`),
        after: entity("a", label),
        index: 0,
      },
    ],
    ...(key === undefined ? {} : { coalesce: key }),
  });

  it("folds steps with one key on the same object, keeping the first before", () => {
    const folded = coalesce(step("one", "typing"), step("two", "typing"));
    expect(folded?.changes[0]?.before).toEqual(entity("a", "one-before"));
    expect(folded?.changes[0]?.after).toEqual(entity("a", "two"));
  });

  it("keeps apart steps without a key, with other keys or on other objects", () => {
    expect(coalesce(undefined, step("one", "typing"))).toBeNull();
    expect(coalesce(step("one"), step("two"))).toBeNull();
    expect(coalesce(step("one", "typing"), step("two", "drag"))).toBeNull();
    const other: Command = {
      ...step("two", "typing"),
      changes: [{ ...step("two").changes[0], id: "b" } as Change],
    };
    expect(coalesce(step("one", "typing"), other)).toBeNull();
  });
});
