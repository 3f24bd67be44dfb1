import { describe, expect, it } from "vitest";

import * as edits from "./edits";
import { redo } from "./history";
import { workOf, type Work } from "./objects";
import { derivedStatuses } from "./status";
import { sample } from "./testdata/sample";

/** The derived statuses after `edit` on the sample's work, as `{id: status}`. */
function after(
  edit: (work: Work) => ReturnType<typeof edits.deleteLink> | null,
): Record<string, string> {
  const base = workOf(sample());
  const command = edit(base);
  const current = command === null ? base : redo(base, command);
  return Object.fromEntries([...derivedStatuses(base, current)].map(([id, d]) => [id, d.status]));
}

describe("derivedStatuses", () => {
  it("turns confirmed links stale when an end annotation changes", () => {
    expect(
      after((w) =>
        edits.updateAnnotation(w, "a-words", { geometry: { type: "interval", start: 1, end: 3 } }),
      ),
    ).toEqual({
      "l-speaker": "stale",
    });
  });

  it("turns an entity's confirmed links stale when its label or members change", () => {
    expect(after((w) => edits.updateEntity(w, "e-astronaut", { label: "pilot" }))).toEqual({
      "l-speaker": "stale",
    });
    // deleting a member changes the entity (and deletes the member's own links)
    expect(after((w) => edits.deleteAnnotation(w, "a-span"))).toEqual({ "l-speaker": "stale" });
  });

  it("leaves proposed links and links of unchanged ends alone", () => {
    // l-same is proposed; a-box's confirmed link l-refers goes stale, and via the entity l-speaker
    expect(after((w) => edits.updateAnnotation(w, "a-box", { attributes: {} }))).toEqual({
      "l-refers": "stale",
      "l-speaker": "stale",
    });
    expect(after((w) => edits.deleteLink(w, "l-same"))).toEqual({});
  });

  it("puts an edited confirmed or stale link back to proposed", () => {
    expect(after((w) => edits.updateLink(w, "l-refers", { target: "e-astronaut" }))).toEqual({
      "l-refers": "proposed",
    });
    expect(after((w) => edits.updateLink(w, "l-same", { attributes: { a: 1 } }))).toEqual({});
  });

  it("leaves a status the person set as set", () => {
    expect(after((w) => edits.setLinkStatus(w, "l-refers", "rejected"))).toEqual({});
  });
});
