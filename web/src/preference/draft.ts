/**
 * One evaluator's judgement of a preference sample as it is being made, framework-free:
 * the ranking (tiers best first, ties sharing a tier), the pairwise verdict of a
 * two-candidate sample (with its strength), rubric scores per criterion and candidate, and
 * the rationale's text. Every change makes a new draft; `draftBody` is what
 * `PUT /api/samples/{id}/judgement` takes.
 */

/** Tiers of candidate ids, best first; the candidates of one tier are tied. */
export type Ranking = readonly (readonly string[])[];

/** Which of a pair wins: the first shown (`a`), the second (`b`), or neither. */
export type PairChoice = "a" | "b" | "tie";

/** How much better the winner is: 1 slightly, 2 clearly, 3 much. */
export type Strength = 1 | 2 | 3;

/** The pairwise verdict of a two-candidate sample (`a` and `b` in the order shown). */
export interface PairDraft {
  readonly a: string;
  readonly b: string;
  readonly choice: PairChoice;
  readonly strength: Strength | null;
}

/** A rubric criterion's scale, as the ontology defines it. */
export interface Criterion {
  readonly name: string;
  readonly description?: string | null;
  readonly low: number;
  readonly high: number;
  /** Names of some points of the scale, by point. */
  readonly labels: Readonly<Record<string, string>>;
}

/** The judgement being made (see the module). */
export interface Draft {
  readonly ranking: Ranking;
  /** The rankings before each ranking step, for Backspace. */
  readonly steps: readonly Ranking[];
  readonly pair: PairDraft | null;
  /** Scores by `scoreKey(candidate, criterion)`. */
  readonly scores: Readonly<Record<string, number>>;
  readonly rationale: string;
}

/** A judgement as the API sends it back (the parts a draft starts from). */
export interface SavedJudgement {
  readonly ranking?: readonly (readonly string[])[];
  readonly pairs?: readonly {
    readonly a: string;
    readonly b: string;
    readonly choice: PairChoice;
    readonly strength?: number | null;
  }[];
  readonly scores?: readonly { readonly candidate: string; readonly criterion: string; readonly value: number }[];
}

/** The body of `PUT /api/samples/{id}/judgement`. */
export interface JudgementBody {
  pairs: { a: string; b: string; choice: PairChoice; strength: Strength | null }[];
  ranking: string[][];
  scores: { candidate: string; criterion: string; value: number }[];
  rationale: string | null;
  expected_revision: number;
}

/** The key of one candidate's score on one criterion. */
export function scoreKey(candidate: string, criterion: string): string {
  return `${candidate}\u0000${criterion}`;
}

/** The draft a judgement (or none) starts, with the rationale's text `rationale`. */
export function startDraft(saved: SavedJudgement | null, rationale = ""): Draft {
  const pair = saved?.pairs?.[0];
  const strength = pair?.strength;
  return {
    ranking: (saved?.ranking ?? []).map((tier) => [...tier]),
    steps: [],
    pair:
      pair === undefined
        ? null
        : {
            a: pair.a,
            b: pair.b,
            choice: pair.choice,
            strength: strength === 1 || strength === 2 || strength === 3 ? strength : null,
          },
    scores: Object.fromEntries((saved?.scores ?? []).map((s) => [scoreKey(s.candidate, s.criterion), s.value])),
    rationale,
  };
}

function withRanking(draft: Draft, ranking: Ranking): Draft {
  return { ...draft, ranking, steps: [...draft.steps, draft.ranking] };
}

/** `candidate` ranked next, below every tier (taken out of its tier if it was ranked). */
export function rankNext(draft: Draft, candidate: string): Draft {
  const last = draft.ranking.at(-1);
  if (last !== undefined && last.length === 1 && last[0] === candidate) return draft;
  const rest = draft.ranking.map((tier) => tier.filter((id) => id !== candidate)).filter((tier) => tier.length > 0);
  return withRanking(draft, [...rest, [candidate]]);
}

/** The last tier tied with the one before it (nothing to tie: the draft as it is). */
export function tieWithPrevious(draft: Draft): Draft {
  const { ranking } = draft;
  if (ranking.length < 2) return draft;
  const previous = ranking[ranking.length - 2] ?? [];
  const last = ranking[ranking.length - 1] ?? [];
  return withRanking(draft, [...ranking.slice(0, -2), [...previous, ...last]]);
}

/** The last ranking step undone (none: the draft as it is). */
export function undoRanking(draft: Draft): Draft {
  const before = draft.steps.at(-1);
  return before === undefined ? draft : { ...draft, ranking: before, steps: draft.steps.slice(0, -1) };
}

/** The ranking cleared (undoably). */
export function clearRanking(draft: Draft): Draft {
  return draft.ranking.length === 0 ? draft : withRanking(draft, []);
}

/** The pair `a`, `b` (in the order shown) decided `choice`; a tie drops the strength. */
export function choosePair(draft: Draft, a: string, b: string, choice: PairChoice): Draft {
  const strength = choice === "tie" ? null : (draft.pair?.strength ?? null);
  return { ...draft, pair: { a, b, choice, strength } };
}

/** The pair's strength set (a tie or no choice yet: the draft as it is). */
export function setStrength(draft: Draft, strength: Strength): Draft {
  const { pair } = draft;
  if (pair === null || pair.choice === "tie") return draft;
  return { ...draft, pair: { ...pair, strength } };
}

/** `candidate`'s score on `criterion` set to `value`, or an error saying why not. */
export function setScore(draft: Draft, candidate: string, criterion: Criterion, value: number): Draft | string {
  if (!Number.isInteger(value) || value < criterion.low || value > criterion.high) {
    return `${criterion.name} is scored ${criterion.low} to ${criterion.high}`;
  }
  return { ...draft, scores: { ...draft.scores, [scoreKey(candidate, criterion.name)]: value } };
}

/** `candidate`'s score on `criterion` taken away. */
export function clearScore(draft: Draft, candidate: string, criterion: string): Draft {
  const key = scoreKey(candidate, criterion);
  if (!(key in draft.scores)) return draft;
  const scores = { ...draft.scores };
  delete scores[key];
  return { ...draft, scores };
}

/** The ranking in letters: "A > C = B" (`letter` names each candidate). */
export function rankingText(ranking: Ranking, letter: (candidate: string) => string): string {
  return ranking.map((tier) => tier.map(letter).join(" = ")).join(" > ");
}

/** The body that saves `draft` over the judgement at `revision` (`null`: none yet, sent
 * as 0, so a judgement made meanwhile in another tab is a conflict); the scores are sent
 * in the order of `candidates` and `criteria`. */
export function draftBody(
  draft: Draft,
  candidates: readonly string[],
  criteria: readonly Criterion[],
  revision: number | null,
): JudgementBody {
  const scores = candidates.flatMap((candidate) =>
    criteria.flatMap((criterion) => {
      const value = draft.scores[scoreKey(candidate, criterion.name)];
      return value === undefined ? [] : [{ candidate, criterion: criterion.name, value }];
    }),
  );
  const { pair } = draft;
  const rationale = draft.rationale.trim() === "" ? null : draft.rationale;
  return {
    pairs: pair === null ? [] : [{ a: pair.a, b: pair.b, choice: pair.choice, strength: pair.strength }],
    ranking: draft.ranking.map((tier) => [...tier]),
    scores,
    rationale,
    expected_revision: revision ?? 0,
  };
}

/** Whether `draft` says something other than `saved` does (what saving would change). */
export function draftChanged(draft: Draft, saved: Draft): boolean {
  const said = (d: Draft): string =>
    JSON.stringify([d.ranking, d.pair, Object.entries(d.scores).sort(), d.rationale.trim()]);
  return said(draft) !== said(saved);
}
