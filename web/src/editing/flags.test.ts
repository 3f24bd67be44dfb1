import { describe, expect, it } from "vitest";

import { workOf } from "../work/objects";
import { createWorkStore, linkStatuses } from "../work/store";
import { sample } from "../work/testdata/sample";
import { shownStatus, staleLinks } from "./flags";

describe("staleLinks", () => {
  it("flags the ends of a confirmed link whose end changed, before saving", () => {
    const store = createWorkStore();
    store.getState().load(sample(), '"1"');
    store.getState().updateAnnotation("a-box", { geometry: { type: "box", x: 11, y: 20, w: 100, h: 200 } });
    const derived = linkStatuses(store.getState());
    const refers = store.getState().work.links.find((l) => l.id === "l-refers");
    expect(refers && shownStatus(refers, derived)).toEqual({
      status: "stale",
      reason: "target annotation 'a-box' changed",
    });
    const flagged = staleLinks(store.getState().work, derived);
    expect([...flagged.keys()].sort()).toEqual(["a-box", "a-span", "a-words", "e-astronaut"]);
    expect(flagged.get("a-box")?.map((l) => l.id)).toEqual(["l-refers", "l-speaker"]);
  });

  it("flags stored stale links and their entity ends' members", () => {
    const work = workOf(sample());
    const stale = {
      ...work,
      links: work.links.map((l) => (l.id === "l-speaker" ? { ...l, status: "stale" as const } : l)),
    };
    const flagged = staleLinks(stale, new Map());
    expect([...flagged.keys()].sort()).toEqual(["a-box", "a-span", "a-words", "e-astronaut"]);
    expect(staleLinks(work, new Map()).size).toBe(0);
  });
});
