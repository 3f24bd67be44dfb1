import { describe, expect, it } from "vitest";

import { ApiError } from "../api/client";
import { draftBody, rankNext, scoreKey, setScore, startDraft, type Criterion, type JudgementBody } from "./draft";
import { createJudging, unsaved, type JudgingState } from "./judging";
import { judgementSaver, type JudgementSaving } from "./saving";

const IDS = ["c1", "c2"];
const ACCURACY: Criterion = { name: "accuracy", low: 1, high: 5, labels: {} };

/** A promise with its resolve and reject at hand. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

/** Lets pending promise callbacks run. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** A saver over a fresh panel state whose server answers each PUT when the test says,
 * recording the bodies sent, the rereads and how many PUTs were in flight at most. */
function setUp(overrides: Partial<JudgementSaving> = {}) {
  const judging = createJudging(startDraft(null), null);
  const sent: JudgementBody[] = [];
  const answers: ReturnType<typeof deferred<{ revision: number }>>[] = [];
  let inFlight = 0;
  let most = 0;
  let rereads = 0;
  const save = judgementSaver({
    judging,
    saveWork: async () => undefined,
    blocked: () => null,
    exclusive: (task) => task(),
    body: (state: JudgingState) => draftBody(state.draft, IDS, [ACCURACY], state.revision),
    send: async (body) => {
      sent.push(body);
      inFlight += 1;
      most = Math.max(most, inFlight);
      const answer = deferred<{ revision: number }>();
      answers.push(answer);
      try {
        return await answer.promise;
      } finally {
        inFlight -= 1;
      }
    },
    reread: async () => {
      rereads += 1;
    },
    problemOf: (error) => (error instanceof ApiError ? `HTTP ${error.status}` : String(error)),
    ...overrides,
  });
  return { judging, save, sent, answers, most: () => most, rereads: () => rereads };
}

const type = (judging: ReturnType<typeof setUp>["judging"], text: string): void =>
  judging.getState().edit((draft) => ({ ...draft, rationale: text }));

describe("saving the judgement", () => {
  it("keeps what is typed while the save is in flight, and the rubric cell", async () => {
    const { judging, save, sent, answers, rereads } = setUp();
    judging.getState().edit((draft) => rankNext(draft, "c2"));
    judging.getState().setCell({ row: 0, column: 1 });
    type(judging, "B says it better");

    const saving = save();
    await settle();
    expect(judging.getState().status).toBe("saving");
    type(judging, "B says it better, and shorter");
    judging.getState().edit((draft) => setScore(draft, "c2", ACCURACY, 4));
    answers[0]?.resolve({ revision: 1 });
    await saving;

    const state = judging.getState();
    expect(sent.map((body) => body.rationale)).toEqual(["B says it better"]);
    expect(state.draft.rationale).toBe("B says it better, and shorter");
    expect(state.draft.scores[scoreKey("c2", "accuracy")]).toBe(4);
    expect(state.saved.rationale).toBe("B says it better");
    expect(state.revision).toBe(1);
    expect(state.status).toBe("idle");
    expect(unsaved(state)).toBe(true);
    expect(state.cell).toEqual({ row: 0, column: 1 });
    expect(rereads()).toBe(1);
  });

  it("queues a save asked for while one is in flight and sends it at the new revision", async () => {
    const { judging, save, sent, answers, most, rereads } = setUp();
    type(judging, "first");
    const first = save();
    await settle();
    type(judging, "second");
    const second = save();
    await settle();
    expect(sent).toHaveLength(1);

    answers[0]?.resolve({ revision: 1 });
    await settle();
    expect(sent).toHaveLength(2);
    expect(sent[1]).toMatchObject({ rationale: "second", expected_revision: 1 });
    answers[1]?.resolve({ revision: 2 });
    await Promise.all([first, second]);

    expect(most()).toBe(1);
    expect(rereads()).toBe(2);
    expect(judging.getState()).toMatchObject({ revision: 2, status: "idle" });
    expect(unsaved(judging.getState())).toBe(false);
  });

  it("sends nothing when nothing changed, and a queued save with nothing new sends nothing", async () => {
    const { judging, save, sent, answers } = setUp();
    await save();
    expect(sent).toHaveLength(0);
    type(judging, "once");
    const first = save();
    await settle();
    const again = save();
    answers[0]?.resolve({ revision: 1 });
    await Promise.all([first, again]);
    expect(sent).toHaveLength(1);
  });

  it("shows a refused save, drops the queue, and keeps the draft for the next attempt", async () => {
    const { judging, save, sent, answers, rereads } = setUp();
    type(judging, "stale");
    const first = save();
    await settle();
    const queued = save();
    answers[0]?.reject(new ApiError(409, { error: { type: "conflict" } }));
    await Promise.all([first, queued]);
    expect(sent).toHaveLength(1);
    expect(judging.getState()).toMatchObject({ status: "failed", problem: "HTTP 409", revision: null });
    expect(judging.getState().draft.rationale).toBe("stale");
    expect(rereads()).toBe(0);
  });

  it("does not send while the work has a conflict", async () => {
    const { judging, save, sent } = setUp({ blocked: () => "resolve the conflict of the work first" });
    type(judging, "why");
    await save();
    expect(sent).toHaveLength(0);
    expect(judging.getState()).toMatchObject({ status: "failed", problem: "resolve the conflict of the work first" });
  });
});
