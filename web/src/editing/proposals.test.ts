import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { OntologyIndex } from "../ontology/ontology";
import { CASES } from "../ontology/testdata/ontologyCases";
import { createWorkStore } from "../work/store";
import { sample } from "../work/testdata/sample";
import { createAutosaver, SAVE_DELAY } from "./autosave";
import type { Notice } from "./editor";
import {
  classesFor,
  createProposals,
  pointerPrompt,
  proposersFor,
  takesMenu,
  takesPointer,
  usableClass,
  usableProposer,
  type ProposerInfo,
} from "./proposals";
import { candidate, modelServer } from "./testdata/modelServer";

const demo = new OntologyIndex(CASES.demo);

/** Installed proposers as `GET /api/proposers` lists them (by name). */
function proposer(name: string, overrides: Partial<ProposerInfo>): ProposerInfo {
  return {
    name,
    description: `${name} proposes`,
    modalities: ["image"],
    geometries: ["mask"],
    prompts: ["box", "points"],
    prompt_required: true,
    parameters: {},
    unavailable: null,
    ...overrides,
  };
}
const INSTALLED: ProposerInfo[] = [
  proposer("clip-labels", {
    geometries: ["classification"],
    prompts: ["box"],
    prompt_required: false,
    unavailable: "no model",
  }),
  proposer("forced-alignment", { modalities: ["audio", "video"], geometries: ["transcript"], prompts: ["text"] }),
  proposer("grabcut", { modalities: ["image", "video"] }),
  proposer("sam", { unavailable: "no model configured for sam" }),
  proposer("webrtc-vad", {
    modalities: ["audio", "video"],
    geometries: ["interval"],
    prompts: [],
    prompt_required: false,
  }),
];

describe("which proposers and classes", () => {
  it("offers the pointer's proposers on images and the menu's on audio", () => {
    expect(proposersFor(INSTALLED, "image").filter(takesPointer).map((p) => p.name)).toEqual([
      "clip-labels",
      "grabcut",
      "sam",
    ]);
    expect(proposersFor(INSTALLED, "audio").filter(takesMenu).map((p) => p.name)).toEqual([
      "forced-alignment",
      "webrtc-vad",
    ]);
    expect(proposersFor(INSTALLED, "image").filter(takesMenu).map((p) => p.name)).toEqual(["clip-labels"]);
  });

  it("keeps the chosen proposer while it may run, else takes the first that may", () => {
    expect(usableProposer(INSTALLED, null)).toBe("grabcut");
    expect(usableProposer(INSTALLED, "sam")).toBe("grabcut");
    expect(usableProposer(INSTALLED, "webrtc-vad")).toBe("grabcut");
    expect(usableProposer(INSTALLED.filter((p) => p.name !== "grabcut"), null)).toBeNull();
  });

  it("offers the classes that may label one of the proposer's geometries", () => {
    const masks = classesFor(demo, { geometries: ["mask"] });
    expect(masks).toContain("object");
    expect(masks).not.toContain("speech");
    expect(masks).not.toContain("scene");
    expect(classesFor(demo, { geometries: ["transcript"] })).toContain("speech");
    expect(classesFor(demo, { geometries: ["classification"] })).toContain("scene");
    expect(usableClass(demo, { geometries: ["mask"] }, "object")).toBe("object");
    expect(usableClass(demo, { geometries: ["mask"] }, "speech")).toBe("thing");
  });

  it("sends the points clicked, and the box dragged", () => {
    const points = [{ x: 1, y: 2, positive: true }];
    expect(pointerPrompt(points, null)).toEqual({ points });
    const box = { type: "box" as const, x: 1, y: 2, w: 3, h: 4 };
    expect(pointerPrompt([], box)).toEqual({ points: [], box });
  });
});

/** A workspace's proposals over a server stand-in (the saver as the workspace wires it). */
function setUp() {
  const server = modelServer(sample(), 41);
  const work = createWorkStore();
  work.getState().load(server.sample, server.etag);
  const saver = createAutosaver(work, server.submit);
  const stop = saver.start();
  const notices: Notice[] = [];
  const selected: string[][] = [];
  const list = vi.fn(async () => INSTALLED);
  const proposals = createProposals({
    work,
    send: server.propose,
    list,
    load: server.load,
    exclusive: (task) => saver.exclusive(task),
    notify: (notice) => notices.push(notice),
    select: (ids) => selected.push([...ids]),
  });
  return { server, work, saver, stop, notices, selected, list, proposals };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("asking for candidates", () => {
  it("adds the candidates to the work on the new revision, selected, unsaved edits kept", async () => {
    const { server, work, saver, notices, selected, proposals } = setUp();
    server.willPropose([candidate()]);
    work.getState().updateAnnotation("a-box", { label: "thing" });
    const asking = proposals.ask({ proposer: "grabcut", stream: "photo", label: "thing", prompt: { points: [] } });
    expect(proposals.state.getState().busy).toEqual({ stream: "photo", proposer: "grabcut" });
    const made = await asking;
    expect(made?.map((a) => a.id)).toEqual(["c-patch"]);
    expect(proposals.state.getState().busy).toBeNull();
    expect(work.getState().etag).toBe('"42"');
    expect(work.getState().work.annotations.map((a) => a.id)).toContain("c-patch");
    expect(selected).toEqual([["c-patch"]]);
    expect(notices.at(-1)?.text).toBe("1 candidate from grabcut: accept (Y) or reject (Shift+Y).");
    // the edit made before asking is saved after it, on the revision the proposal made
    await vi.advanceTimersByTimeAsync(SAVE_DELAY);
    expect(server.submitted.map((s) => s.etag)).toEqual(['"42"']);
    expect(saver.status.getState().status).toEqual({ state: "saved" });
    expect(server.sample.annotations?.find((a) => a.id === "a-box")?.label).toBe("thing");
  });

  it("waits for a save in flight before asking", async () => {
    const { server, work, saver, proposals } = setUp();
    server.willPropose([candidate()]);
    const submit = server.submit.getMockImplementation();
    let land = (): void => undefined;
    const landed = new Promise<void>((resolve) => (land = resolve));
    server.submit.mockImplementationOnce(async (body, etag) => {
      await landed;
      return (submit as NonNullable<typeof submit>)(body, etag);
    });
    work.getState().updateAnnotation("a-box", { label: "thing" });
    const saving = saver.saveNow();
    const asking = proposals.ask({ proposer: "grabcut", stream: "photo", label: "thing", prompt: { points: [] } });
    await vi.advanceTimersByTimeAsync(0);
    expect(server.propose).not.toHaveBeenCalled();
    land();
    await Promise.all([saving, asking]);
    expect(server.propose).toHaveBeenCalledOnce();
    expect(server.submitted.map((s) => s.etag)).toEqual(['"41"']);
    expect(work.getState().etag).toBe('"43"');
    expect(work.getState().work.annotations.find((a) => a.id === "a-box")?.label).toBe("thing");
  });

  it("holds the saves while it asks, then saves the edits made meanwhile on the new revision", async () => {
    const { server, work, saver, proposals } = setUp();
    server.willPropose([candidate()]);
    const propose = server.propose.getMockImplementation();
    let answer = (): void => undefined;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    server.propose.mockImplementationOnce(async (ask) => {
      await answered;
      return (propose as NonNullable<typeof propose>)(ask);
    });
    const asking = proposals.ask({ proposer: "grabcut", stream: "photo", label: "thing", prompt: { points: [] } });
    work.getState().updateAnnotation("a-box", { label: "thing" });
    await vi.advanceTimersByTimeAsync(SAVE_DELAY * 3);
    expect(server.submitted).toEqual([]);
    expect(saver.status.getState().status).toEqual({ state: "unsaved" });
    answer();
    await asking;
    await vi.advanceTimersByTimeAsync(SAVE_DELAY);
    expect(server.submitted.map((s) => s.etag)).toEqual(['"42"']);
    expect(saver.status.getState().status).toEqual({ state: "saved" });
  });

  it("says what the server refused and changes nothing", async () => {
    const { server, work, notices, proposals } = setUp();
    server.willPropose({ status: 422, message: "proposer 'grabcut' needs a prompt: one of box, points" });
    const before = work.getState().work;
    expect(await proposals.ask({ proposer: "grabcut", stream: "photo", prompt: { points: [] } })).toBeNull();
    expect(proposals.state.getState().error).toBe("proposer 'grabcut' needs a prompt: one of box, points");
    expect(notices.at(-1)).toEqual({
      tone: "error",
      text: "grabcut: proposer 'grabcut' needs a prompt: one of box, points",
    });
    expect(work.getState().work).toBe(before);
    expect(server.load).not.toHaveBeenCalled();
  });

  it("sends the image tool's points with its proposer and class, then forgets them", async () => {
    const { server, notices, proposals } = setUp();
    const state = proposals.state.getState();
    expect(await proposals.askWithPointer("photo", null)).toBeNull();
    expect(notices.at(-1)?.text).toBe("Choose a model first (the Model tool's bar).");
    state.choose("grabcut");
    state.setLabel("object");
    expect(await proposals.askWithPointer("photo", null)).toBeNull();
    expect(notices.at(-1)?.text).toMatch(/^Click on the thing/);
    state.addPoint("other", { x: 9, y: 9, positive: true });
    state.addPoint("photo", { x: 10, y: 20, positive: true });
    state.addPoint("photo", { x: 30, y: 40, positive: false });
    server.willPropose([]);
    expect(await proposals.askWithPointer("photo", null)).toEqual([]);
    expect(server.asked).toEqual([
      {
        proposer: "grabcut",
        stream: "photo",
        label: "object",
        prompt: {
          points: [
            { x: 10, y: 20, positive: true },
            { x: 30, y: 40, positive: false },
          ],
        },
        parameters: {},
      },
    ]);
    expect(notices.at(-1)?.text).toBe("grabcut found nothing there.");
    expect(proposals.state.getState().points).toBeNull();
    expect(proposals.state.getState().clearPoints()).toBe(false);
  });

  it("reads the installed proposers once, and again after a failure", async () => {
    const { list, proposals } = setUp();
    list.mockRejectedValueOnce(new Error("HTTP 500"));
    await proposals.list();
    expect(proposals.state.getState().listError).toBe("HTTP 500");
    await Promise.all([proposals.list(), proposals.list()]);
    await proposals.list();
    expect(list).toHaveBeenCalledTimes(2);
    expect(proposals.state.getState().proposers?.map((p) => p.name)).toContain("grabcut");
    expect(proposals.state.getState().listError).toBeNull();
  });
});
