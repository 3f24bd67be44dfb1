import { describe, expect, it } from "vitest";

import * as edits from "./edits";
import { redo } from "./history";
import { workOf, type Work } from "./objects";
import { sample } from "./testdata/sample";

const read = (): Work => workOf(sample());

describe("deleting with what goes with it", () => {
  it("takes an annotation out of its entities and deletes its links", () => {
    const work = read();
    const command = edits.deleteAnnotation(work, "a-span");
    expect(
      command.changes.map((c) => [
        c.kind,
        c.id,
        c.after === null ? "removed" : "replaced",
        c.index,
      ]),
    ).toEqual([
      ["annotation", "a-span", "removed", 0],
      ["entity", "e-astronaut", "replaced", 0],
      ["link", "l-refers", "removed", 0],
    ]);
    const after = redo(work, command);
    expect(after.entities[0]?.members).toEqual(["a-box"]);
  });

  it("deletes an entity's links with it", () => {
    const command = edits.deleteEntity(read(), "e-astronaut");
    expect(command.changes.map((c) => c.id)).toEqual(["e-astronaut", "l-speaker", "l-same"]);
  });
});

describe("edits that change nothing", () => {
  it("build no command", () => {
    const work = read();
    expect(
      edits.updateAnnotation(work, "a-box", { label: "person", attributes: { role: "astronaut" } }),
    ).toBeNull();
    expect(edits.updateEntity(work, "e-astronaut", { label: "person" })).toBeNull();
    expect(edits.updateLink(work, "l-same", { type: "same-as" })).toBeNull();
    expect(edits.setLinkStatus(work, "l-same", "proposed")).toBeNull();
  });
});

describe("edits with fields set to undefined", () => {
  it("leave those fields as they are", () => {
    const work = read();
    const command = edits.updateAnnotation(work, "a-box", {
      label: undefined,
      attributes: { role: "pilot" },
    });
    expect(redo(work, command as NonNullable<typeof command>).annotations[1]).toMatchObject({
      label: "person",
      attributes: { role: "pilot" },
    });
    expect(edits.updateLink(work, "l-same", { type: undefined, target: undefined })).toBeNull();
  });
});

describe("ids", () => {
  it("must be new and fit the store", () => {
    const work = read();
    const link = {
      type: "same-as",
      source: "a-box",
      target: "a-span",
      status: "proposed",
      revision: 1,
    } as const;
    expect(() => edits.addLink(work, { ...link, id: "e-astronaut" })).toThrow(
      'link "e-astronaut": the id is in use already (by an entity)',
    );
    expect(() => edits.addLink(work, { ...link, id: "x".repeat(65) })).toThrow(
      "link id must be 1 to 64 characters",
    );
    expect(() => edits.addLink(work, { ...link, id: "" })).toThrow(
      "link id must be 1 to 64 characters",
    );
    expect(edits.addLink(work, { ...link, id: "x".repeat(64) }).changes[0]?.index).toBe(3);
  });
});
