import { describe, expect, it } from "vitest";

import { FrameTable } from "../clock/frames";
import { compileClock } from "../clock/clockMap";
import { workOf, type Link, type Sample } from "./objects";
import {
  createWorkStore,
  isDirty,
  linkStatuses,
  myChanges,
  type SubmittedWork,
  type WorkState,
} from "./store";
import type { Edit, WorkSequence, WorkStep } from "./testdata/workCase";
import { CASES } from "./testdata/workCases";

/** Make the store call `edit` names. */
function perform(state: WorkState, [method, ...args]: Edit): void {
  const [first, second] = args as [never, never];
  switch (method) {
    case "updateAnnotation":
      return state.updateAnnotation(first, second);
    case "deleteAnnotation":
      return state.deleteAnnotation(first);
    case "addAnnotation":
      state.addAnnotation(first);
      return;
    case "addLink":
      state.addLink(first);
      return;
    case "updateLink":
      return state.updateLink(first, second);
    case "setLinkStatus":
      return state.setLinkStatus(first, second);
    case "undo":
    case "redo":
      if (!state[method]()) {
        throw new Error(`${method} did nothing: ${JSON.stringify(state.skipped)}`);
      }
      return;
    default:
      throw new Error(`the cases name an edit the test does not know: ${method}`);
  }
}

function replay(step: WorkStep) {
  const store = createWorkStore();
  store.getState().load(step.read, step.etag);
  for (const edit of step.edits) {
    perform(store.getState(), edit);
  }
  return store;
}

const accepted = CASES.steps.filter((step) => step.status === 200);
const [refused] = CASES.steps.filter((step) => step.status === 409);

describe("submissions the real app accepted", () => {
  it.each(accepted.map((step) => [step.name, step] as const))("%s", (_, step) => {
    const store = replay(step);
    // the store sends what the server took
    expect(store.getState().submission()).toEqual(step.body);
    // and foresaw the status the server gave every link
    const answer = step.answer as SubmittedWork;
    const foreseen = linkStatuses(store.getState());
    const mine = new Map(store.getState().work.links.map((l: Link) => [l.id, l.status]));
    for (const link of answer.sample.links ?? []) {
      expect(foreseen.get(link.id)?.status ?? mine.get(link.id), link.id).toBe(link.status);
    }
    expect(answer.stale).toBe([...foreseen.values()].filter((s) => s.status === "stale").length);
    // taking the answer leaves a clean store on the server's sample and ETag
    store.getState().applySubmitted(answer, step.answerEtag as string);
    expect(isDirty(store.getState())).toBe(false);
    expect(store.getState().work).toEqual(workOf(answer.sample));
    expect(store.getState().etag).toBe(step.answerEtag);
  });

  it("covers deletions, creations, stale and proposed links", () => {
    const counts = accepted.map((step) => step.answer as SubmittedWork);
    expect(counts.some((c) => c.deleted > 0 && c.stale === 0)).toBe(true);
    expect(counts.some((c) => c.created > 0)).toBe(true);
    expect(counts.filter((c) => c.stale > 0).length).toBeGreaterThanOrEqual(2);
  });
});

describe("a submission on an old revision", () => {
  it("gets the real 409, whose sample the store diffs and merges", () => {
    const step = refused as WorkStep;
    const store = replay(step);
    expect(store.getState().submission()).toEqual(step.body);
    const conflict = store.getState().applyConflict(step.answer);
    const error = (step.answer as { error: { actual: number; current: Sample } }).error;
    expect(conflict.etag).toBe(`"${error.actual}"`);
    const byId = new Map(conflict.items.map((item) => [item.id, item]));
    expect(byId.get("portrait.shuttle")).toMatchObject({
      mine: "updated",
      theirs: null,
      clash: false,
    });
    expect(byId.get("web.cup")).toMatchObject({ mine: null, theirs: "created" });
    expect(conflict.items.every((item) => !item.clash)).toBe(true);
    store.getState().resolveConflict({});
    const state = store.getState();
    const theirs = workOf(error.current);
    expect(state.base).toEqual(theirs);
    expect(myChanges(state).map((c) => [c.id, c.mineFields])).toEqual([
      ["portrait.shuttle", ["label"]],
    ]);
    const shuttle = state.work.annotations.find((a) => a.id === "portrait.shuttle");
    const current = theirs.annotations.find((a) => a.id === "portrait.shuttle");
    expect(shuttle).toEqual({ ...current, label: "car" });
  });
});

describe("undo and redo across saves, through the real app", () => {
  it.each(CASES.sequences.map((sequence) => [sequence.name, sequence] as const))(
    "%s",
    (_, sequence: WorkSequence) => {
      const store = createWorkStore();
      store.getState().load(sequence.read, sequence.etag);
      for (const round of sequence.rounds) {
        for (const edit of round.edits) {
          perform(store.getState(), edit);
        }
        // the store sends what the server took (and found to be the work before the step,
        // or after it: the generator checks)
        expect(store.getState().submission()).toEqual(round.body);
        store.getState().applySubmitted(round.answer, round.answerEtag);
        expect(isDirty(store.getState())).toBe(false);
        expect(store.getState().work).toEqual(workOf(round.answer.sample));
      }
      // the step stays in the history after every save
      expect(store.getState().past).toHaveLength(1);
      expect(store.getState().skipped).toEqual([]);
    },
  );

  it("brings back a deleted box under its old id, which the server creates again", () => {
    const [deleted] = CASES.sequences;
    const [, undone] = deleted?.rounds ?? [];
    const sample = undone?.answer.sample;
    expect(undone?.answer.created).toBe(2);
    expect(sample?.annotations?.find((a) => a.id === "portrait.astronaut")?.revision).toBe(1);
    const entity = sample?.entities?.find((e) => e.id === "portrait.the-astronaut");
    expect(entity?.members).toContain("portrait.astronaut");
    expect(sample?.links?.find((l) => l.id === "portrait.mentions-astronaut")).toMatchObject({
      target: "portrait.astronaut",
      status: "proposed",
      revision: 1,
    });
  });
});

describe("the frame table of the demo video", () => {
  it("agrees with the frame clock the server sends beside it", () => {
    const table = new FrameTable(CASES.frames);
    const clock = compileClock(CASES.frames.clock);
    expect(table.count).toBe(CASES.frames.ticks.length);
    CASES.frames.seconds.forEach((seconds, i) => {
      expect(table.spanOf(i).start.toNumber()).toBe(seconds);
      expect(table.frameAt(table.spanOf(i).start)).toBe(i);
      expect(clock.indexAt(table.seekTime(i))).toBe(i);
    });
    expect(table.frameAt(table.end)).toBe(table.count - 1);
  });
});
