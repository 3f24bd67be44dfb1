import { describe, expect, it } from "vitest";

import {
  choosePair,
  clearScore,
  draftBody,
  draftChanged,
  rankingText,
  rankNext,
  setScore,
  setStrength,
  startDraft,
  tieWithPrevious,
  undoRanking,
  type Criterion,
  type Draft,
} from "./draft";

const ACCURACY: Criterion = { name: "accuracy", low: 1, high: 5, labels: { 1: "wrong", 5: "all true" } };
const TONE: Criterion = { name: "tone", low: 1, high: 5, labels: {} };
const LETTERS: Record<string, string> = { c1: "A", c2: "B", c3: "C" };
const letter = (id: string): string => LETTERS[id] ?? "?";

function rank(...ids: string[]): Draft {
  return ids.reduce((draft, id) => (id === "=" ? tieWithPrevious(draft) : rankNext(draft, id)), startDraft(null));
}

describe("ranking", () => {
  it("puts candidates in the order their keys are pressed, best first", () => {
    const draft = rank("c2", "c3", "c1");
    expect(draft.ranking).toEqual([["c2"], ["c3"], ["c1"]]);
    expect(rankingText(draft.ranking, letter)).toBe("B > C > A");
  });

  it("ties the last candidate with the one before on =", () => {
    const draft = rank("c2", "c3", "=", "c1");
    expect(draft.ranking).toEqual([["c2", "c3"], ["c1"]]);
    expect(rankingText(draft.ranking, letter)).toBe("B = C > A");
    expect(tieWithPrevious(rank("c1")).ranking).toEqual([["c1"]]);
  });

  it("moves a candidate ranked again to the end, and undoes step by step", () => {
    const draft = rank("c1", "c2", "c1");
    expect(draft.ranking).toEqual([["c2"], ["c1"]]);
    expect(rankNext(draft, "c1")).toBe(draft);
    const undone = undoRanking(draft);
    expect(undone.ranking).toEqual([["c1"], ["c2"]]);
    expect(undoRanking(undoRanking(undone)).ranking).toEqual([]);
    expect(undoRanking(startDraft(null)).ranking).toEqual([]);
  });

  it("undoes a tie back to two tiers", () => {
    expect(undoRanking(rank("c1", "c2", "=")).ranking).toEqual([["c1"], ["c2"]]);
  });
});

describe("pairs and scores", () => {
  it("keeps the strength of a win and drops it on a tie", () => {
    let draft = choosePair(startDraft(null), "c1", "c2", "b");
    draft = setStrength(draft, 3);
    expect(draft.pair).toEqual({ a: "c1", b: "c2", choice: "b", strength: 3 });
    draft = choosePair(draft, "c1", "c2", "tie");
    expect(draft.pair?.strength).toBeNull();
    expect(setStrength(draft, 2)).toBe(draft);
  });

  it("refuses scores off the criterion's scale, naming it", () => {
    expect(setScore(startDraft(null), "c1", ACCURACY, 6)).toBe("accuracy is scored 1 to 5");
    expect(setScore(startDraft(null), "c1", ACCURACY, 0)).toBe("accuracy is scored 1 to 5");
    const scored = setScore(startDraft(null), "c1", ACCURACY, 4) as Draft;
    expect(clearScore(scored, "c1", "accuracy").scores).toEqual({});
  });
});

describe("draftBody", () => {
  it("sends ranking, the pair, scores in candidate and criterion order, the rationale", () => {
    let draft = rank("c2", "c3", "c1");
    draft = setScore(draft, "c3", TONE, 2) as Draft;
    draft = setScore(draft, "c1", ACCURACY, 1) as Draft;
    draft = setScore(draft, "c1", TONE, 5) as Draft;
    draft = { ...draft, rationale: "A says the cup is blue." };
    expect(draftBody(draft, ["c1", "c2", "c3"], [ACCURACY, TONE], 4)).toEqual({
      pairs: [],
      ranking: [["c2"], ["c3"], ["c1"]],
      scores: [
        { candidate: "c1", criterion: "accuracy", value: 1 },
        { candidate: "c1", criterion: "tone", value: 5 },
        { candidate: "c3", criterion: "tone", value: 2 },
      ],
      rationale: "A says the cup is blue.",
      expected_revision: 4,
    });
  });

  it("sends no rationale for blank text, and a pair with its strength", () => {
    const draft = setStrength(choosePair({ ...startDraft(null), rationale: "  " }, "c1", "c2", "a"), 2);
    const body = draftBody(draft, ["c1", "c2"], [], null);
    expect(body.rationale).toBeNull();
    expect(body.expected_revision).toBe(0);
    expect(body.pairs).toEqual([{ a: "c1", b: "c2", choice: "a", strength: 2 }]);
  });

  it("starts from a saved judgement, and tells a changed draft from it", () => {
    const saved = startDraft(
      {
        ranking: [["c2"], ["c1"]],
        pairs: [{ a: "c1", b: "c2", choice: "b", strength: 2 }],
        scores: [{ candidate: "c1", criterion: "accuracy", value: 2 }],
      },
      "why",
    );
    expect(saved.ranking).toEqual([["c2"], ["c1"]]);
    expect(saved.pair).toEqual({ a: "c1", b: "c2", choice: "b", strength: 2 });
    expect(saved.scores).toEqual({ "c1\u0000accuracy": 2 });
    expect(draftChanged(saved, saved)).toBe(false);
    expect(draftChanged({ ...saved, rationale: "why not" }, saved)).toBe(true);
    expect(draftChanged(rankNext(saved, "c2"), saved)).toBe(true);
  });
});
