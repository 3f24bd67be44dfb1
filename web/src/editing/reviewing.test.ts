import { describe, expect, it } from "vitest";

import type { Sample } from "../work/objects";
import { createWorkStore, type SampleWork } from "../work/store";
import { sample } from "../work/testdata/sample";
import { createFocusStore } from "../workspace/focus";
import { createAutosaver, type Answer } from "./autosave";
import { reviewSelection } from "./commands";
import { createEditorStore, type Notice } from "./editor";
import {
  CHANGED,
  createReviewer,
  reviewMarks,
  UNSAVED,
  type ReviewAnswer,
  type ReviewChange,
  type SampleReview,
} from "./reviewing";

/** The review the server keeps of the test sample: `decisions` on it, at revision `revision`. */
function review(revision: number, status: SampleReview["status"], annotations: SampleReview["annotations"] = []) {
  return { sample: "s1", status, revision, annotations, verdict: null } satisfies SampleReview;
}

const decision = (annotation: string, outcome: "accepted" | "rejected", outdated = false) => ({
  annotation,
  author: "ada",
  decision: outcome,
  reason: null,
  revision: 1,
  current_revision: outdated ? 2 : 1,
  outdated,
  reviewer: "rita",
  at: 0,
});

/** A workspace with a reviewer whose server stand-ins (at the network edge) record what
 * they are sent and answer as told. */
function setUp(reviews: ((change: ReviewChange, etag: string) => ReviewAnswer)[], saves: Answer[] = []) {
  const work = createWorkStore();
  work.getState().load(sample(), '"41"');
  const order: string[] = [];
  const submitted: { body: SampleWork; etag: string }[] = [];
  const saver = createAutosaver(work, async (body, etag) => {
    order.push(`save ${etag}`);
    submitted.push({ body, etag });
    const answer = saves.shift();
    if (answer === undefined) throw new Error("no save answer planned");
    return answer;
  });
  const stop = saver.start();
  const sent: { change: ReviewChange; etag: string }[] = [];
  const notices: Notice[] = [];
  const reviewer = createReviewer({
    work,
    saver,
    send: async (change, etag) => {
      order.push(`review ${etag}`);
      sent.push({ change, etag });
      const answer = reviews.shift();
      if (answer === undefined) throw new Error("no review answer planned");
      return answer(change, etag);
    },
    load: async () => review(41, "in_progress", [decision("a-span", "accepted")]),
    notify: (notice) => notices.push(notice),
  });
  return { work, saver, stop, reviewer, sent, notices, order, submitted };
}

const answered =
  (revision: number, status: SampleReview["status"] = "in_progress") =>
  (change: ReviewChange): ReviewAnswer => ({
    ok: true,
    etag: `"${revision}"`,
    body: review(
      revision,
      status,
      (change.decisions ?? []).map((d) => ({ ...decision(d.annotation, d.decision), reason: d.reason ?? null })),
    ),
  });

describe("review marks", () => {
  it("show each annotation's latest decision, outdated when it changed since", () => {
    const marks = reviewMarks(
      review(5, "review", [decision("a", "accepted"), decision("b", "rejected"), decision("c", "accepted", true)]),
    );
    expect([...marks]).toEqual([
      ["a", "accepted"],
      ["b", "rejected"],
      ["c", "outdated"],
    ]);
    expect(reviewMarks(null).size).toBe(0);
    // the work saved since: "a" is at revision 2 now
    expect(reviewMarks(review(5, "review", [decision("a", "accepted")]), [{ id: "a", revision: 2 }]).get("a")).toBe(
      "outdated",
    );
  });
});

describe("the reviewer", () => {
  it("loads the review", async () => {
    const { reviewer } = setUp([]);
    await reviewer.refresh();
    expect(reviewMarks(reviewer.state.getState().review).get("a-span")).toBe("accepted");
  });

  it("sends decisions with the work's ETag and takes the new one, the reason only on a rejection", async () => {
    const { work, reviewer, sent } = setUp([answered(42), answered(43)]);
    reviewer.state.getState().setReason("  too wide  ");
    expect(await reviewer.decide(["a-box"], "accepted")).toBe(true);
    expect(sent[0]).toEqual({
      change: { decisions: [{ annotation: "a-box", decision: "accepted", reason: null }] },
      etag: '"41"',
    });
    expect(work.getState().etag).toBe('"42"');
    expect(reviewer.state.getState().reason).toBe("  too wide  ");

    expect(await reviewer.decide(["a-box", "a-span"], "rejected")).toBe(true);
    expect(sent[1]?.change.decisions).toEqual([
      { annotation: "a-box", decision: "rejected", reason: "too wide" },
      { annotation: "a-span", decision: "rejected", reason: "too wide" },
    ]);
    expect(sent[1]?.etag).toBe('"42"');
    expect(reviewer.state.getState().reason).toBe("");
    expect(reviewMarks(reviewer.state.getState().review).get("a-span")).toBe("rejected");
  });

  it("saves the work first and reviews it on the ETag of the save", async () => {
    const savedAt42: Answer = {
      ok: true,
      etag: '"42"',
      body: { sample: sample() as Sample, created: 0, updated: 1, deleted: 0, unchanged: 0, stale: 0 },
    };
    const { work, reviewer, order } = setUp([answered(43)], [savedAt42]);
    work.getState().updateAnnotation("a-box", { label: "cup" });
    expect(await reviewer.decide(["a-box"], "accepted")).toBe(true);
    expect(order).toEqual(['save "41"', 'review "42"']);
    expect(work.getState().etag).toBe('"43"');
  });

  it("does not review unsaved work", async () => {
    const refused: Answer = { ok: false, status: 422, body: { error: { type: "rule_violation", message: "no" } } };
    const { work, reviewer, sent, notices } = setUp([], [refused]);
    work.getState().updateAnnotation("a-box", { label: "cup" });
    expect(await reviewer.decide(["a-box"], "accepted")).toBe(false);
    expect(sent).toHaveLength(0);
    expect(notices).toEqual([{ tone: "error", text: UNSAVED }]);
  });

  it("sends a verdict and takes the status it sets; a rejection needs a reason", async () => {
    const { work, reviewer, sent, notices } = setUp([answered(42, "in_progress")]);
    expect(await reviewer.judge("rejected")).toBe(false);
    expect(sent).toHaveLength(0);
    expect(notices[0]?.tone).toBe("error");

    reviewer.state.getState().setVerdictReason("label the flag");
    expect(await reviewer.judge("rejected")).toBe(true);
    expect(sent[0]?.change).toEqual({ verdict: { decision: "rejected", reason: "label the flag" } });
    expect(work.getState().sample?.status).toBe("in_progress");
    expect(work.getState().etag).toBe('"42"');
    expect(reviewer.state.getState().verdictReason).toBe("");
    expect(notices.at(-1)).toEqual({ tone: "info", text: "Sample rejected: it goes back to its annotator." });
  });

  it("on a conflict keeps the ETag, shows the review now and says to reload", async () => {
    const now = review(50, "review", [decision("a-box", "rejected")]);
    const conflict = (): ReviewAnswer => ({
      ok: false,
      status: 409,
      body: { error: { type: "conflict", message: "stale", expected: 41, actual: 50, current: now } },
    });
    const { work, reviewer, notices } = setUp([conflict]);
    expect(await reviewer.judge("accepted")).toBe(false);
    expect(work.getState().etag).toBe('"41"');
    expect(reviewer.state.getState().review).toEqual(now);
    expect(notices).toEqual([{ tone: "error", text: CHANGED }]);
  });
});

describe("reviewing the selection", () => {
  it("sets the selected links' status and sends the selected annotations", () => {
    const work = createWorkStore();
    work.getState().load(sample(), '"1"');
    const focus = createFocusStore();
    const link = work.getState().work.links[0];
    if (link === undefined) throw new Error("the test sample has links");
    focus.getState().select([link.id, "a-box"]);
    const context = { sample: sample(), work, focus, editor: createEditorStore(), ontology: null };
    const decided: [readonly string[], string][] = [];
    reviewSelection(context, "rejected", (ids, outcome) => decided.push([ids, outcome]));
    expect(work.getState().work.links[0]?.status).toBe("rejected");
    expect(decided).toEqual([[["a-box"], "rejected"]]);

    focus.getState().select([]);
    reviewSelection(context, "accepted", (ids, outcome) => decided.push([ids, outcome]));
    expect(decided).toHaveLength(1);
    expect(context.editor.getState().notice?.tone).toBe("error");
  });
});
