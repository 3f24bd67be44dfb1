/**
 * The review queue's "Open questions": what annotators escalated, oldest first, each
 * answered inline by a reviewer; for managers also the answered questions not yet in a
 * guideline, each added to the guideline of a class or relation type picked from the
 * project's ontology (a new ontology version, the version seen checked).
 */
import { useCallback, useEffect, useMemo, useState, type FormEvent, type ReactNode } from "react";

import { api } from "../app/api";
import { Link } from "../app/Link";
import { samplePath } from "../app/router";
import { useLoad } from "../app/useLoad";
import { unwrap, type Schemas } from "../api/client";
import {
  clarifiesAs,
  clarifyBody,
  clarifyTargets,
  escalationState,
  guidelineOf,
  MAX_ANSWER,
  targetKey,
  targetOf,
  textProblem,
  type Escalation,
  type GuidelineTarget,
} from "../editing/escalations";
import { OntologyIndex } from "../ontology/ontology";
import { plural } from "../ui/plural";

type Status = Schemas["Escalation"]["status"];

/** How many questions a page asks for. */
const PAGE = 50;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The "Open questions" section of project `project` (shown as `name`) for a person with
 * `role` there (reviewers and above). */
export function OpenQuestions({ project, name, role }: { project: string; name: string; role: string }) {
  const clarifies = clarifiesAs(role);
  const open = usePages(project, "open", null, true);
  const unclarified = usePages(project, "answered", false, clarifies);
  const answered = (item: Escalation): void => {
    open.drop(item.id);
    if (clarifies) unclarified.add(item);
  };
  return (
    <section aria-label="Open questions">
      <h2>Open questions</h2>
      <p className="muted">
        Annotators ask when a sample is ambiguous: answer them here
        {clarifies && "; add a good answer to a class's or relation's guideline so everyone reads it"}.
      </p>
      <Pages pages={open} empty="No question waits for an answer." what="open question">
        {(item) => <AnswerForm item={item} project={name} onAnswered={answered} />}
      </Pages>
      {clarifies && (
        <>
          <h3>Answered, not yet in a guideline</h3>
          <Clarifier project={project} name={name} pages={unclarified} />
        </>
      )}
    </section>
  );
}

/** One open question with its answer field. */
function AnswerForm({
  item,
  project,
  onAnswered,
}: {
  item: Escalation;
  project: string;
  onAnswered: (item: Escalation) => void;
}) {
  const [answer, setAnswer] = useState("");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const send = (event: FormEvent): void => {
    event.preventDefault();
    const problem = textProblem(answer, MAX_ANSWER);
    if (problem !== null) {
      setFailure(problem);
      return;
    }
    setBusy(true);
    setFailure(null);
    api
      .POST("/api/escalations/{escalation_id}/answer", {
        params: { path: { escalation_id: item.id } },
        body: { answer },
      })
      .then(unwrap)
      .then(onAnswered, (error: unknown) => setFailure(message(error)))
      .finally(() => setBusy(false));
  };
  return (
    <>
      <Asked item={item} project={project} />
      <form className="answer-form" onSubmit={send}>
        <textarea
          aria-label="Answer"
          rows={2}
          maxLength={MAX_ANSWER}
          value={answer}
          placeholder="How to annotate it, and why"
          onChange={(event) => setAnswer(event.target.value)}
        />
        <button type="submit" disabled={busy}>
          Answer
        </button>
      </form>
      {failure !== null && (
        <p className="error" role="alert">
          {failure}
        </p>
      )}
    </>
  );
}

/** The answered questions not yet in a guideline, each with a picker of the guidelines it
 * can clarify. */
function Clarifier({ project, name, pages }: { project: string; name: string; pages: Paged }) {
  const loaded = useLoad(
    async (signal) =>
      new OntologyIndex(unwrap(await api.GET("/api/projects/{project}/ontology", { params: { path: { project } }, signal }))),
    [project],
  );
  const [version, setVersion] = useState<number | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const ontology = loaded.state === "done" ? loaded.data : null;
  const targets = useMemo(() => (ontology === null ? [] : clarifyTargets(ontology)), [ontology]);
  const seen = version ?? ontology?.version ?? null;
  const clarified = (item: Escalation): void => {
    pages.drop(item.id);
    if (item.clarified == null) return;
    setVersion(item.clarified.version);
    setDone(`Added to ${guidelineOf(item.clarified)}: “${item.question}”`);
  };
  return (
    <>
      {done !== null && (
        <p className="muted" role="status">
          {done}
        </p>
      )}
      {loaded.state === "failed" && (
        <p className="error" role="alert">
          Could not load the ontology: {loaded.error.message}
        </p>
      )}
      <Pages pages={pages} empty="Every answer is in a guideline, or kept as it is." what="answered question">
        {(item) =>
          seen === null ? (
            <Asked item={item} project={name} />
          ) : (
            <ClarifyForm item={item} project={name} targets={targets} version={seen} onClarified={clarified} />
          )
        }
      </Pages>
    </>
  );
}

/** One answered question and where to add it. */
function ClarifyForm({
  item,
  project,
  targets,
  version,
  onClarified,
}: {
  item: Escalation;
  project: string;
  targets: readonly GuidelineTarget[];
  version: number;
  onClarified: (item: Escalation) => void;
}) {
  const [chosen, setChosen] = useState("");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const send = (event: FormEvent): void => {
    event.preventDefault();
    const target = targetOf(chosen);
    if (target === null) {
      setFailure("Choose the class or relation whose guideline it clarifies.");
      return;
    }
    setBusy(true);
    setFailure(null);
    api
      .POST("/api/escalations/{escalation_id}/clarify", {
        params: { path: { escalation_id: item.id } },
        body: clarifyBody(target, version),
      })
      .then(unwrap)
      .then(onClarified, (error: unknown) => setFailure(message(error)))
      .finally(() => setBusy(false));
  };
  return (
    <>
      <Asked item={item} project={project} />
      <p className="answer" aria-label="Answer">
        {item.answer} <span className="muted">({escalationState(item)})</span>
      </p>
      <form className="clarify-form" onSubmit={send}>
        <select aria-label="Guideline to clarify" value={chosen} onChange={(event) => setChosen(event.target.value)}>
          <option value="">Add to the guideline of…</option>
          {targets.map((target) => (
            <option key={targetKey(target)} value={targetKey(target)}>
              {target.kind === "relation" ? `relation ${target.name}` : target.name}
            </option>
          ))}
        </select>
        <button type="submit" disabled={busy}>
          Add to the guideline
        </button>
      </form>
      {failure !== null && (
        <p className="error" role="alert">
          {failure}
        </p>
      )}
    </>
  );
}

/** Who asked what, on which sample (a link opening it, the object asked about selected). */
function Asked({ item, project }: { item: Escalation; project: string }) {
  return (
    <>
      <p className="question">
        <strong>{item.asked_by}</strong>: “{item.question}”
      </p>
      <p className="muted">
        on <Link href={samplePath(item.sample, project, item.about ?? undefined)}>{item.sample}</Link>
        {item.about !== null && <> · about {item.about}</>}
      </p>
    </>
  );
}

/** A list of paged questions, with "Load more" while there are more. */
function Pages({
  pages,
  empty,
  what,
  children,
}: {
  pages: Paged;
  empty: string;
  what: string;
  children: (item: Escalation) => ReactNode;
}) {
  return (
    <>
      {pages.items.length > 0 && (
        <p className="muted">
          {plural(pages.items.length, what)}
          {pages.more && " so far"}
        </p>
      )}
      <ul className="queue questions">
        {pages.items.map((item) => (
          <li key={item.id} data-escalation={item.id}>
            {children(item)}
          </li>
        ))}
      </ul>
      {!pages.busy && pages.items.length === 0 && pages.failure === null && <p className="muted">{empty}</p>}
      {pages.more && (
        <button type="button" onClick={pages.loadMore} disabled={pages.busy}>
          Load more
        </button>
      )}
      {pages.failure !== null && (
        <p className="error" role="alert">
          Could not load the questions: {pages.failure}
        </p>
      )}
    </>
  );
}

/** Questions read a page at a time, changed locally as they are answered or clarified. */
interface Paged {
  readonly items: readonly Escalation[];
  readonly more: boolean;
  readonly busy: boolean;
  readonly failure: string | null;
  loadMore(): void;
  /** Take a question out of the list (answered, clarified). */
  drop(id: string): void;
  /** Put a question at the end of the list (just answered). */
  add(item: Escalation): void;
}

/** The project's questions with `status` (and, when given, already `clarified` or not), a
 * page at a time; none asked for when not `enabled`. */
function usePages(project: string, status: Status, clarified: boolean | null, enabled: boolean): Paged {
  const [items, setItems] = useState<readonly Escalation[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [busy, setBusy] = useState(enabled);
  const [failure, setFailure] = useState<string | null>(null);
  const load = useCallback(
    (after: string | null, signal?: AbortSignal): void => {
      setBusy(true);
      setFailure(null);
      const query = {
        status,
        limit: PAGE,
        ...(clarified === null ? {} : { clarified }),
        ...(after === null ? {} : { cursor: after }),
      };
      api
        .GET("/api/projects/{project}/escalations", { params: { path: { project }, query }, signal })
        .then(unwrap)
        .then(
          (page) => {
            if (signal?.aborted) return;
            setItems((shown) => (after === null ? page.items : [...shown, ...page.items]));
            setCursor(page.next_cursor);
          },
          (error: unknown) => {
            if (!signal?.aborted) setFailure(message(error));
          },
        )
        .finally(() => {
          if (!signal?.aborted) setBusy(false);
        });
    },
    [project, status, clarified],
  );
  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    load(null, controller.signal);
    return () => controller.abort();
  }, [load, enabled]);
  return {
    items,
    more: cursor !== null,
    busy,
    failure,
    loadMore: () => {
      if (cursor !== null) load(cursor);
    },
    drop: (id) => setItems((shown) => shown.filter((item) => item.id !== id)),
    add: (item) => setItems((shown) => [...shown.filter((other) => other.id !== item.id), item]),
  };
}
