import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Sample } from "../work/objects";
import { createWorkStore, type SampleWork } from "../work/store";
import { sample } from "../work/testdata/sample";
import { createAutosaver, SAVE_DELAY, type Answer } from "./autosave";

/** A server stand-in at the network edge: records each submission, answers as told. */
function server(answers: ((body: SampleWork, etag: string) => Answer)[]) {
  const sent: { body: SampleWork; etag: string; keepalive: boolean }[] = [];
  const send = vi.fn(async (body: SampleWork, etag: string, options: { keepalive: boolean }) => {
    sent.push({ body, etag, keepalive: options.keepalive });
    const answer = answers.shift();
    if (answer === undefined) throw new Error("no answer planned");
    return answer(body, etag);
  });
  return { send, sent };
}

/** The 200 a submission gets: the sample with the body's work, at revision `revision`. */
const saved =
  (revision: number) =>
  (body: SampleWork): Answer => ({
    ok: true,
    etag: `"${revision}"`,
    body: { sample: { ...sample(), ...body } as Sample, created: 0, updated: 1, deleted: 0, unchanged: 0, stale: 0 },
  });

function setUp(answers: ((body: SampleWork, etag: string) => Answer)[]) {
  const work = createWorkStore();
  work.getState().load(sample(), '"41"');
  const { send, sent } = server(answers);
  const saver = createAutosaver(work, send);
  const stop = saver.start();
  const state = () => saver.status.getState().status;
  return { work, saver, stop, sent, state };
}

const move = (x: number) => ({ geometry: { type: "box" as const, x, y: 20, w: 100, h: 200 } });

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("autosave", () => {
  it("saves a second after the last edit, with the ETag read", async () => {
    const { work, sent, state } = setUp([saved(42)]);
    work.getState().updateAnnotation("a-box", move(11));
    await vi.advanceTimersByTimeAsync(SAVE_DELAY - 10);
    work.getState().updateAnnotation("a-box", move(12));
    await vi.advanceTimersByTimeAsync(SAVE_DELAY - 10);
    expect(sent).toHaveLength(0);
    expect(state()).toEqual({ state: "unsaved" });
    await vi.advanceTimersByTimeAsync(20);
    expect(sent.map((s) => s.etag)).toEqual(['"41"']);
    expect(sent[0]?.body.annotations?.find((a) => a.id === "a-box")?.geometry).toMatchObject({ x: 12 });
    expect(state()).toEqual({ state: "saved" });
    expect(work.getState().etag).toBe('"42"');
  });

  it("saves edits made while a save was in flight afterwards, on the new ETag", async () => {
    const { work, sent, state, saver } = setUp([saved(42), saved(43)]);
    work.getState().updateAnnotation("a-box", move(11));
    const first = saver.saveNow(); // its answer comes after this test's next lines
    work.getState().updateAnnotation("a-box", move(13));
    expect(state()).toEqual({ state: "saving" });
    await first;
    expect(state()).toEqual({ state: "unsaved" });
    await vi.advanceTimersByTimeAsync(SAVE_DELAY);
    expect(sent.map((s) => s.etag)).toEqual(['"41"', '"42"']);
    expect(state()).toEqual({ state: "saved" });
  });

  it("stops at a conflict until it is resolved, then saves the merge", async () => {
    const theirs = {
      ...sample(),
      annotations: sample().annotations?.map((a) => (a.id === "a-words" ? { ...a, label: "person", revision: 2 } : a)),
    };
    const { work, sent, state } = setUp([
      () => ({
        ok: false,
        status: 409,
        body: { error: { type: "conflict", message: "stale", current: theirs, actual: 44 } },
      }),
      saved(45),
    ]);
    work.getState().updateAnnotation("a-box", move(11));
    await vi.advanceTimersByTimeAsync(SAVE_DELAY);
    expect(state()).toEqual({ state: "conflict" });
    work.getState().updateAnnotation("a-box", move(12));
    await vi.advanceTimersByTimeAsync(SAVE_DELAY * 3);
    expect(sent).toHaveLength(1);
    work.getState().resolveConflict({});
    await vi.advanceTimersByTimeAsync(SAVE_DELAY);
    expect(sent.map((s) => s.etag)).toEqual(['"41"', '"44"']);
    expect(state()).toEqual({ state: "saved" });
  });

  it("shows a refusal and tries again on the next edit", async () => {
    const refused: Answer = {
      ok: false,
      status: 422,
      body: { error: { type: "rule_violation", message: "annotation 'a-box': geometry: inside-bounds" } },
    };
    const { work, sent, state } = setUp([() => refused, saved(42)]);
    work.getState().updateAnnotation("a-box", move(11));
    await vi.advanceTimersByTimeAsync(SAVE_DELAY);
    expect(state()).toEqual({ state: "failed", message: "annotation 'a-box': geometry: inside-bounds" });
    work.getState().updateAnnotation("a-box", move(12));
    await vi.advanceTimersByTimeAsync(SAVE_DELAY);
    expect(sent).toHaveLength(2);
    expect(state()).toEqual({ state: "saved" });
  });

  it("is saved again when the edits are undone, and flushes on leaving with keepalive", async () => {
    const { work, sent, state, saver, stop } = setUp([saved(42)]);
    work.getState().updateAnnotation("a-box", move(11));
    work.getState().undo();
    expect(state()).toEqual({ state: "saved" });
    await vi.advanceTimersByTimeAsync(SAVE_DELAY);
    expect(sent).toHaveLength(0);
    work.getState().updateAnnotation("a-box", move(12));
    saver.flush();
    stop();
    await vi.advanceTimersByTimeAsync(SAVE_DELAY);
    expect(sent.map((s) => s.keepalive)).toEqual([true]);
  });
});
