import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Sample } from "../work/objects";
import { createWorkStore } from "../work/store";
import { sample } from "../work/testdata/sample";
import { createAutosaver, SAVE_DELAY } from "./autosave";
import {
  candidateBadge,
  createCandidateDecider,
  decideSelection,
  decisionOf,
  editDecisions,
  isCandidate,
} from "./candidates";
import type { Notice } from "./editor";
import { candidate, modelServer } from "./testdata/modelServer";

const withCandidate = (): Sample => ({ ...sample(), annotations: [...(sample().annotations ?? []), candidate()] });
const moved = { type: "box" as const, x: 52, y: 61, w: 30, h: 40 };

/** The work of a sample with a candidate, its server, an autosaver and a decider wired as
 * the workspace wires them. */
function setUp() {
  const server = modelServer(withCandidate(), 41);
  const work = createWorkStore();
  work.getState().load(server.sample, server.etag);
  const notices: Notice[] = [];
  const dropped: string[] = [];
  const decider = createCandidateDecider({
    work,
    send: server.decide,
    load: server.load,
    exclusive: (task) => saver.exclusive(task),
    notify: (notice) => notices.push(notice),
    dropped: (ids) => dropped.push(...ids),
  });
  const saver = createAutosaver(work, server.submit, SAVE_DELAY, () => decider.settleEdits());
  const stop = saver.start();
  const annotation = (id: string) => work.getState().work.annotations.find((a) => a.id === id);
  return { server, work, decider, saver, stop, notices, dropped, annotation };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("what a candidate is", () => {
  it("is a model's annotation at revision 1, tagged with its confidence", () => {
    expect(isCandidate(candidate())).toBe(true);
    expect(candidateBadge(candidate())).toBe("model 92%");
    const unsure = candidate("c2", { source: { kind: "model", name: "sam" } });
    expect(candidateBadge(unsure)).toBe("model");
    expect(isCandidate({ ...candidate(), revision: 2 })).toBe(false);
    expect(isCandidate({ ...candidate(), source: { kind: "import" } })).toBe(false);
    expect(candidateBadge(sample().annotations?.[0] ?? candidate())).toBeNull();
  });

  it("is decided with the fields the work changed, or rejected", () => {
    const read = candidate();
    expect(decisionOf(read, read, "accept")).toEqual({ decision: "accept" });
    expect(decisionOf(read, { ...read, label: "object", geometry: moved }, "accept")).toEqual({
      decision: "accept",
      label: "object",
      geometry: moved,
    });
    expect(decisionOf(read, { ...read, attributes: { colour: "red" } }, "accept")).toEqual({
      decision: "accept",
      attributes: { colour: "red" },
    });
    expect(decisionOf(read, read, "reject")).toEqual({ decision: "reject" });
    expect(() => decisionOf(read, undefined, "accept")).toThrow(/"c-patch" was deleted here/);
  });

  it("takes the work's edits of candidates as decisions, never people's annotations", () => {
    const annotations = [candidate("c1"), candidate("c2"), candidate("c3"), ...(sample().annotations ?? [])];
    const base = { annotations, entities: [], links: [] };
    const work = {
      ...base,
      annotations: base.annotations
        .filter((a) => a.id !== "c2")
        .map((a) => (a.id === "c1" || a.id === "a-box" ? { ...a, geometry: moved } : a)),
    };
    expect(editDecisions(base, work)).toEqual([
      { id: "c1", decision: { decision: "accept", geometry: moved } },
      { id: "c2", decision: { decision: "reject" } },
    ]);
  });
});

describe("the candidate decider", () => {
  it("accepts a candidate as the work has it, then takes the sample with unsaved edits on top", async () => {
    const { server, work, decider, notices, annotation } = setUp();
    work.getState().updateAnnotation("c-patch", { geometry: moved });
    work.getState().updateAnnotation("a-box", { label: "thing" });
    const made = await decider.decide("c-patch", "accept");
    expect(made?.decision).toBe("edited");
    expect(server.decided).toEqual([{ id: "c-patch", decision: { decision: "accept", geometry: moved }, revision: 1 }]);
    expect(annotation("c-patch")).toMatchObject({ revision: 2, author: "grace", geometry: moved });
    expect(work.getState().etag).toBe('"42"');
    expect(annotation("a-box")?.label).toBe("thing");
    expect(notices.at(-1)).toEqual({ tone: "info", text: "Accepted the thing box from grabcut, with your changes." });
    expect(decider.state.getState().deciding).toEqual([]);
  });

  it("rejects a candidate (gone from the work, even where it was edited) and says it was dropped", async () => {
    const { work, decider, dropped, annotation, notices } = setUp();
    work.getState().updateAnnotation("c-patch", { label: "object" });
    expect((await decider.decide("c-patch", "reject"))?.decision).toBe("rejected");
    expect(annotation("c-patch")).toBeUndefined();
    expect(dropped).toEqual(["c-patch"]);
    expect(notices.at(-1)?.text).toBe("Rejected the thing box from grabcut.");
  });

  it("refuses what is no candidate, and says why the server refused one", async () => {
    const { server, decider, notices } = setUp();
    expect(await decider.decide("a-box", "accept")).toBeNull();
    expect(server.decided).toEqual([]);
    expect(notices.at(-1)).toEqual({
      tone: "error",
      text: 'Cannot decide: annotation "a-box" is not a model\'s candidate awaiting a decision.',
    });
    await server.decide("c-patch", { decision: "accept" }, 1); // someone else decided first
    expect(await decider.decide("c-patch", "reject")).toBeNull();
    expect(notices.at(-1)?.text).toMatch(/^The decision was refused: someone decided about it or changed it meanwhile/);
  });

  it("decides about the selected candidates only, and asks for one when none is", async () => {
    const { work, decider, notices, annotation } = setUp();
    const tell = (notice: Notice) => notices.push(notice);
    expect(await decideSelection(decider, work.getState().work, ["a-box"], "accept", tell)).toBe(0);
    expect(notices.at(-1)?.text).toMatch(/^Select a model's candidate first/);
    expect(await decideSelection(decider, work.getState().work, ["a-box", "c-patch"], "accept", tell)).toBe(1);
    expect(annotation("c-patch")?.revision).toBe(2);
  });
});

describe("edits of candidates when the work saves", () => {
  it("go as decisions first, the rest of the work after on the new revision", async () => {
    const { server, work, annotation, saver } = setUp();
    work.getState().updateAnnotation("c-patch", { label: "object" });
    work.getState().updateAnnotation("a-box", { geometry: moved });
    await vi.advanceTimersByTimeAsync(SAVE_DELAY);
    expect(server.decided).toEqual([{ id: "c-patch", decision: { decision: "accept", label: "object" }, revision: 1 }]);
    expect(server.submitted.map((s) => s.etag)).toEqual(['"42"']);
    const sent = server.submitted[0]?.body.annotations ?? [];
    expect(sent.find((a) => a.id === "c-patch")).toMatchObject({ label: "object", revision: 2, author: "grace" });
    expect(saver.status.getState().status).toEqual({ state: "saved" });
    expect(annotation("a-box")?.geometry).toEqual(moved);
  });

  it("send nothing more when a candidate's edit was all there was; a deleted one is rejected", async () => {
    const { server, work, annotation, saver } = setUp();
    work.getState().deleteAnnotation("c-patch");
    await vi.advanceTimersByTimeAsync(SAVE_DELAY);
    expect(server.decided.map((d) => d.decision)).toEqual([{ decision: "reject" }]);
    expect(server.submitted).toEqual([]);
    expect(annotation("c-patch")).toBeUndefined();
    expect(saver.status.getState().status).toEqual({ state: "saved" });
  });

  it("stop the save when a decision is refused, naming the candidate", async () => {
    const { server, work, saver } = setUp();
    await server.decide("c-patch", { decision: "reject" }, 1); // someone rejected it meanwhile
    work.getState().updateAnnotation("c-patch", { label: "object" });
    await vi.advanceTimersByTimeAsync(SAVE_DELAY);
    expect(server.submitted).toEqual([]);
    expect(saver.status.getState().status).toMatchObject({
      state: "failed",
      message: expect.stringMatching(/^the decision was refused for candidate "c-patch": someone decided/) as string,
    });
  });
});
