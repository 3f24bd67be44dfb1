import { describe, expect, it } from "vitest";

import type { Change, Command } from "./history";
import { diffWork } from "./merge";
import type { Entity, Link, Work } from "./objects";
import { outdatedBy, reapply } from "./rebase";

const entity = (id: string, label: string | null = null, revision = 1): Entity => ({
  id,
  label,
  members: [],
  revision,
});
const work = (entities: Entity[], links: Link[] = []): Work => ({
  annotations: [],
  entities,
  links,
});
const link = (id: string, source: string, target: string): Link => ({
  id,
  type: "same-as",
  source,
  target,
  status: "confirmed",
  revision: 4,
  source_revision: 2,
  target_revision: 3,
});

describe("reapply", () => {
  it("refuses to bring back what is there, or an id another kind holds", () => {
    const add: Change = { kind: "entity", id: "e", before: null, after: entity("e"), index: 0 };
    expect(reapply(work([entity("e")]), work([]), [add])).toEqual({
      reason: 'entity "e" is there already',
    });
    const asLink: Change = { ...add, kind: "link", after: link("e", "a", "b") };
    expect(reapply(work([entity("e")]), work([]), [asLink])).toEqual({
      reason: 'link "e": its id is in use by an entity',
    });
  });

  it("refuses to change or take away what is gone", () => {
    const edit: Change = {
      kind: "entity",
      id: "e",
      before: entity("e"),
      after: entity("e", "cup"),
      index: 0,
    };
    expect(reapply(work([]), work([]), [edit])).toEqual({ reason: 'entity "e" is gone' });
    expect(reapply(work([]), work([]), [{ ...edit, after: null }])).toEqual({
      reason: 'entity "e" is gone',
    });
  });

  it("brings an object the server still has back onto its version", () => {
    const stored = entity("e", "cup", 7);
    const add: Change = { kind: "entity", id: "e", before: null, after: entity("e"), index: 0 };
    const result = reapply(work([]), work([stored]), [add]);
    expect(result).toEqual({ work: work([entity("e", null, 7)]) });
  });

  it("brings a link the server deleted back as a new proposed one", () => {
    const ends = [entity("a"), entity("b")];
    const gone = link("l", "a", "b");
    const add: Change = { kind: "link", id: "l", before: null, after: gone, index: 0 };
    const result = reapply(work(ends), work(ends), [add]);
    expect(result).toEqual({
      work: work(ends, [
        { ...gone, status: "proposed", revision: 1, source_revision: null, target_revision: null },
      ]),
    });
  });
});

describe("outdatedBy", () => {
  it("names a step on an object someone else created, and keeps the others", () => {
    const base = work([entity("a")]);
    const theirs = work([entity("a"), entity("b", "cup")]);
    const items = diffWork(base, base, theirs);
    const onB: Command = {
      label: "add entity",
      changes: [{ kind: "entity", id: "b", before: null, after: entity("b"), index: 1 }],
    };
    const onA: Command = {
      label: "edit entity",
      changes: [
        { kind: "entity", id: "a", before: entity("a"), after: entity("a", "x"), index: 0 },
      ],
    };
    expect(outdatedBy(onB, items, [])).toBe('someone else created entity "b"');
    expect(outdatedBy(onA, items, [])).toBeNull();
    expect(outdatedBy(onA, [], [{ kind: "member", id: "a", missing: "m" }])).toBe(
      'the merge dropped a member of entity "a" ("m" is gone)',
    );
  });
});
