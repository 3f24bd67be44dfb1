import { useCallback, useEffect, useMemo, useRef, type KeyboardEvent, type RefObject } from "react";
import { useStore, type StoreApi } from "zustand";

import { ApiError } from "../api/client";
import { useSession } from "../app/session";
import { useEditing } from "../editing/EditingProvider";
import { useActionKey } from "../editing/useEditingKeys";
import { loadSample } from "../panes/sample";
import { plural } from "../ui/plural";
import { useWorkspace } from "../workspace/Workspace";
import {
  choosePair,
  rankingText,
  rankNext,
  setStrength,
  startDraft,
  tieWithPrevious,
  undoRanking,
  type Criterion,
  type Strength,
} from "./draft";
import { criterionOf, createJudging, judgementSender, judgingBody, unsaved, type JudgingState } from "./judging";
import { rankingCommand } from "./keys";
import { RubricGrid } from "./RubricGrid";
import { judgementSaver } from "./saving";
import { judgementOf, rationaleText, type PreferenceParts } from "./sample";

const STRENGTHS: readonly { value: Strength; name: string }[] = [
  { value: 1, name: "slightly" },
  { value: 2, name: "clearly" },
  { value: 3, name: "much" },
];

/** The keymap actions the panel carries out: `judge` focuses it, `save` saves it too. */
const JUDGE_ACTIONS = ["judge", "save"] as const;

/** Whether a key press is Ctrl+S (⌘S), the workspace's save key. */
function isSaveKey(event: KeyboardEvent): boolean {
  return (event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "s";
}

/**
 * The caller's judgement of the preference sample, keyboard first: `C` focuses the
 * ranking, where the candidates' letters rank them best first, `=` ties the last with the
 * one before and Backspace undoes (a two-candidate sample: the letter of the better one or
 * `=`, then 1–3 for how much better); Tab goes on to the rubric grid (arrows move, digits
 * score) and the rationale. Ctrl+S saves the work and the judgement
 * (`PUT /api/samples/{id}/judgement`, `saving.ts`); the sample is then read again into the
 * workspace (undo history, clock and the panel's state kept), so the rationale shows as a
 * text stream whose phrases can be labelled and linked.
 */
export function JudgementPanel({ parts }: { parts: PreferenceParts }) {
  const { sample, work, reread } = useWorkspace();
  const { saver, ontology } = useEditing();
  const me = useSession((state) => state.user?.name ?? null);
  // once per workspace (its work store) and evaluator, not per `sample`: the sample read
  // again after a save keeps the draft as typed and the rubric grid's cell
  const judging = useMemo(() => {
    const mine = judgementOf(sample, me);
    return createJudging(startDraft(mine, rationaleText(sample, mine)), mine?.revision ?? null);
  }, [work, me]);
  const ids = useMemo(() => parts.candidates.map((c) => c.candidate.id), [parts]);
  const letters = useMemo(() => new Map(parts.candidates.map((c) => [c.candidate.id, c.letter])), [parts]);
  const criteria = useMemo<readonly Criterion[]>(() => (ontology?.rubric ?? []).map(criterionOf), [ontology]);
  const ranking = useRef<HTMLDivElement>(null);
  // read by the saver when it sends: the saver itself lasts as long as the panel's state,
  // so a save asked for while one is in flight is queued behind it
  const shape = useRef({ ids, criteria });
  useEffect(() => {
    shape.current = { ids, criteria };
  }, [ids, criteria]);

  const save = useMemo(
    () =>
      judgementSaver({
        judging,
        saveWork: () => saver.saveNow(),
        blocked: () => (work.getState().conflict === null ? null : "resolve the conflict of the work first"),
        exclusive: (task) => saver.exclusive(task),
        body: (state) => judgingBody(state, shape.current.ids, shape.current.criteria),
        send: judgementSender(sample.id),
        reread: async () => {
          const fresh = await loadSample(sample.id);
          reread(fresh.sample, fresh.etag);
        },
        problemOf,
      }),
    [judging, saver, work, sample.id, reread],
  );

  useActionKey(
    JUDGE_ACTIONS,
    useCallback(
      (action) => {
        if (action === "save") void save();
        else ranking.current?.focus();
        return true;
      },
      [save],
    ),
  );

  const onKeyDown = (event: KeyboardEvent): void => {
    if (!isSaveKey(event)) return;
    event.preventDefault();
    event.stopPropagation();
    void save();
  };

  return (
    <section className="judgement side-section" aria-label="Judgement" onKeyDown={onKeyDown}>
      <h2>
        Your judgement <JudgingStatusLine judging={judging} />
      </h2>
      {ids.length === 2 ? (
        <PairChoice judging={judging} ids={ids} boxRef={ranking} />
      ) : (
        <RankingBox judging={judging} ids={ids} letters={letters} boxRef={ranking} />
      )}
      {criteria.length > 0 && <RubricGrid judging={judging} ids={ids} letters={letters} criteria={criteria} />}
      <Refusal judging={judging} />
      <Rationale judging={judging} />
      <div className="judgement-actions">
        <button type="button" onClick={() => void save()}>
          Save judgement <kbd>Ctrl</kbd>+<kbd>S</kbd>
        </button>
      </div>
      <OtherJudgements parts={parts} me={me} letters={letters} />
    </section>
  );
}

/** What went wrong with a save, in words. */
function problemOf(error: unknown): string {
  if (error instanceof ApiError && error.status === 409) {
    return "your judgement was changed elsewhere since this page read it: reload the page";
  }
  return error instanceof Error ? error.message : String(error);
}

function JudgingStatusLine({ judging }: { judging: StoreApi<JudgingState> }) {
  const status = useStore(judging, (state) => state.status);
  const problem = useStore(judging, (state) => state.problem);
  const changed = useStore(judging, unsaved);
  const revision = useStore(judging, (state) => state.revision);
  const text =
    status === "saving"
      ? "Saving…"
      : status === "failed"
        ? `Not saved: ${problem ?? "unknown error"}`
        : changed
          ? "Unsaved changes"
          : revision === null
            ? "Not judged yet"
            : `Saved (revision ${revision})`;
  return (
    <span role="status" aria-label="Judgement state" className={`badge judging-${status}${changed ? " judging-changed" : ""}`}>
      {text}
    </span>
  );
}

/** The ranking, typed with the candidates' letters; shows the ranking as it stands. */
function RankingBox({
  judging,
  ids,
  letters,
  boxRef,
}: {
  judging: StoreApi<JudgingState>;
  ids: readonly string[];
  letters: ReadonlyMap<string, string>;
  boxRef: RefObject<HTMLDivElement | null>;
}) {
  const ranked = useStore(judging, (state) => state.draft.ranking);
  const letter = (id: string): string => letters.get(id) ?? "?";
  const placed = new Set(ranked.flat());
  const left = ids.filter((id) => !placed.has(id));
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    const command = rankingCommand(event, ids.length);
    if (command === null || command.kind === "strength") return;
    event.preventDefault();
    event.stopPropagation();
    const { edit } = judging.getState();
    if (command.kind === "leave") event.currentTarget.blur();
    else if (command.kind === "tie") edit(tieWithPrevious);
    else if (command.kind === "undo") edit(undoRanking);
    else {
      const id = ids[command.index];
      if (id !== undefined) edit((draft) => rankNext(draft, id));
    }
  };
  const text = rankingText(ranked, letter);
  return (
    <div
      ref={boxRef}
      className="ranking-box"
      role="group"
      aria-label="Ranking"
      tabIndex={0}
      onKeyDown={onKeyDown}
      data-ranking={text}
    >
      <p className="ranking-line" aria-live="polite">
        {text === "" ? <span className="muted">Best first: type {ids.map(letter).join(", ")}</span> : text}
      </p>
      <p className="muted ranking-hint">
        {left.length > 0 && <>Not ranked: {left.map(letter).join(", ")} · </>}
        <kbd>=</kbd> ties the last with the one before · <kbd>Backspace</kbd> undoes
        {ranked.length === 0 && (
          <>
            {" "}
            · press <kbd>C</kbd> to come here
          </>
        )}
      </p>
      <div className="ranking-buttons">
        {ids.map((id) => (
          <button
            key={id}
            type="button"
            className="tool"
            tabIndex={-1}
            onClick={() => judging.getState().edit((d) => rankNext(d, id))}
          >
            {letter(id)}
          </button>
        ))}
        <button type="button" className="tool" tabIndex={-1} onClick={() => judging.getState().edit(tieWithPrevious)}>
          =
        </button>
        <button type="button" className="tool" tabIndex={-1} onClick={() => judging.getState().edit(undoRanking)}>
          Undo
        </button>
      </div>
    </div>
  );
}

/** A two-candidate sample's verdict: A or B better (or a tie), and by how much. */
function PairChoice({
  judging,
  ids,
  boxRef,
}: {
  judging: StoreApi<JudgingState>;
  ids: readonly string[];
  boxRef: RefObject<HTMLDivElement | null>;
}) {
  const pair = useStore(judging, (state) => state.draft.pair);
  const [a, b] = ids as readonly [string, string];
  const choose = (choice: "a" | "b" | "tie"): void => judging.getState().edit((d) => choosePair(d, a, b, choice));
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    const command = rankingCommand(event, 2);
    if (command === null) return;
    event.preventDefault();
    event.stopPropagation();
    const { edit } = judging.getState();
    if (command.kind === "leave") event.currentTarget.blur();
    else if (command.kind === "tie") choose("tie");
    else if (command.kind === "undo") edit((d) => ({ ...d, pair: null }));
    else if (command.kind === "strength") edit((d) => setStrength(d, command.value));
    else choose(command.index === 0 ? "a" : "b");
  };
  const choices = [
    { choice: "a", name: "A is better" },
    { choice: "tie", name: "Tie" },
    { choice: "b", name: "B is better" },
  ] as const;
  return (
    <div ref={boxRef} className="ranking-box" role="group" aria-label="Pairwise choice" tabIndex={0} onKeyDown={onKeyDown}>
      <div className="ranking-buttons">
        {choices.map(({ choice, name }) => (
          <button
            key={choice}
            type="button"
            className="tool"
            tabIndex={-1}
            aria-pressed={pair?.choice === choice}
            onClick={() => choose(choice)}
          >
            {name}
          </button>
        ))}
      </div>
      <div className="ranking-buttons" role="group" aria-label="Strength">
        {STRENGTHS.map(({ value, name }) => (
          <button
            key={value}
            type="button"
            className="tool"
            tabIndex={-1}
            aria-pressed={pair?.strength === value}
            disabled={pair === null || pair.choice === "tie"}
            onClick={() => judging.getState().edit((d) => setStrength(d, value))}
          >
            {value} {name}
          </button>
        ))}
      </div>
      <p className="muted ranking-hint">
        <kbd>A</kbd> or <kbd>B</kbd>: the better one · <kbd>=</kbd> a tie · <kbd>1</kbd>–<kbd>3</kbd> how much better
      </p>
    </div>
  );
}

/** Why the last key was refused (a score off the scale), until the next change. */
function Refusal({ judging }: { judging: StoreApi<JudgingState> }) {
  const problem = useStore(judging, (state) => (state.status === "failed" ? null : state.problem));
  return problem === null ? null : <p className="error">{problem}</p>;
}

function Rationale({ judging }: { judging: StoreApi<JudgingState> }) {
  const text = useStore(judging, (state) => state.draft.rationale);
  return (
    <label className="rationale-field">
      <span>Rationale</span>
      <textarea
        aria-label="Rationale"
        rows={3}
        value={text}
        placeholder="Why this order? Once saved, select its phrases to link them to what they are about."
        onChange={(event) => {
          const { value } = event.target;
          judging.getState().edit((draft) => ({ ...draft, rationale: value }));
        }}
      />
    </label>
  );
}

/** The other judgements the caller may see (reviewers and above see everyone's). */
function OtherJudgements({
  parts,
  me,
  letters,
}: {
  parts: PreferenceParts;
  me: string | null;
  letters: ReadonlyMap<string, string>;
}) {
  const { sample } = useWorkspace();
  const others = (sample.judgements ?? []).filter((judgement) => judgement.author !== me);
  if (others.length === 0 || parts.candidates.length === 0) return null;
  const letter = (id: string): string => letters.get(id) ?? "?";
  return (
    <div className="other-judgements">
      <h3>Other judgements</h3>
      <ul aria-label="Other judgements">
        {others.map((judgement) => (
          <li key={judgement.id}>
            <strong>{judgement.author ?? "someone"}</strong>:{" "}
            {rankingText(judgement.ranking ?? [], letter) || "no ranking"}
            {(judgement.scores ?? []).length > 0 && (
              <span className="muted"> · {plural((judgement.scores ?? []).length, "score")}</span>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
