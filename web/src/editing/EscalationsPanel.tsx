/**
 * Questions to seniors in the side panel: the sample's questions the person sees, each with
 * where it stands and its answer (annotators: the answers to their own), "Ask a senior"
 * (or `Q`) to ask one about the sample or the one object selected, and withdrawing one's
 * own open question.
 */
import { useCallback, useState, type FormEvent } from "react";

import { api } from "../app/api";
import { useSession } from "../app/session";
import { useLoad } from "../app/useLoad";
import { unwrap } from "../api/client";
import { useFocus, useWork, useWorkspace } from "../workspace/Workspace";
import { objectName } from "./describe";
import { Dialog } from "./Dialog";
import { useCommandContext, useEditing } from "./EditingProvider";
import { canWithdraw, escalationState, MAX_QUESTION, textProblem, type Escalation } from "./escalations";
import type { Action } from "./keymap";
import { useActionKey } from "./useEditingKeys";

const ESCALATE: readonly Action[] = ["escalate"];

/** The side panel's "Questions" section. */
export function EscalationsPanel() {
  const { sample } = useWorkspace();
  const context = useCommandContext();
  const { streams } = useEditing();
  const work = useWork((state) => state.work);
  const user = useSession((state) => state.user?.name);
  const [asking, setAsking] = useState(false);
  const [reloads, setReloads] = useState(0);
  const [failure, setFailure] = useState<string | null>(null);
  const reload = useCallback(() => setReloads((n) => n + 1), []);
  const loaded = useLoad(
    async (signal) =>
      unwrap(await api.GET("/api/samples/{sample_id}/escalations", { params: { path: { sample_id: sample.id } }, signal })),
    [sample.id, reloads],
  );
  useEscalateKey(useCallback(() => setAsking(true), []));

  const withdraw = (item: Escalation): void => {
    setFailure(null);
    api
      .POST("/api/escalations/{escalation_id}/withdraw", { params: { path: { escalation_id: item.id } } })
      .then(unwrap)
      .then(reload, (error: unknown) => setFailure(error instanceof Error ? error.message : String(error)));
  };
  const items = loaded.state === "done" ? loaded.data : [];
  return (
    <section className="side-section escalations" aria-label="Questions to seniors">
      <h2>
        Questions <span className="muted">{items.length}</span>
        <button type="button" className="ask" onClick={() => setAsking(true)}>
          Ask a senior <kbd>Q</kbd>
        </button>
      </h2>
      {loaded.state === "failed" && (
        <p className="error" role="alert">
          Could not load the questions: {loaded.error.message}
        </p>
      )}
      <ul className="object-list escalation-list" aria-label="Questions">
        {items.map((item) => (
          <EscalationItem
            key={item.id}
            item={item}
            aboutName={item.about === null ? null : objectName(item.about, work, streams)}
            onSelect={(id) => context.focus.getState().select([id])}
            onWithdraw={canWithdraw(item, user) ? () => withdraw(item) : null}
          />
        ))}
        {loaded.state === "done" && items.length === 0 && (
          <li className="muted">None yet: unsure how to annotate something? Ask a senior.</li>
        )}
      </ul>
      {failure !== null && (
        <p className="error" role="alert">
          {failure}
        </p>
      )}
      {asking && <AskDialog onClose={() => setAsking(false)} onAsked={reload} />}
    </section>
  );
}

/** One question: who asked what (about which object), where it stands, the answer. */
function EscalationItem({
  item,
  aboutName,
  onSelect,
  onWithdraw,
}: {
  item: Escalation;
  aboutName: string | null;
  onSelect: (id: string) => void;
  onWithdraw: (() => void) | null;
}) {
  const { about } = item;
  return (
    <li className="escalation" data-status={item.status}>
      <p className="question">
        <strong>{item.asked_by}</strong>: “{item.question}”
      </p>
      {about !== null && (
        <button type="button" className="quiet object-button" onClick={() => onSelect(about)}>
          about {aboutName}
        </button>
      )}
      <p className="muted state">{escalationState(item)}</p>
      {item.answer !== null && (
        <p className="answer" aria-label="Answer">
          {item.answer}
        </p>
      )}
      {onWithdraw !== null && (
        <button type="button" className="quiet" onClick={onWithdraw}>
          Withdraw
        </button>
      )}
    </li>
  );
}

/** The dialog that asks a question about the sample, or about the one object selected. */
function AskDialog({ onClose, onAsked }: { onClose: () => void; onAsked: () => void }) {
  const { sample } = useWorkspace();
  const { saver, streams } = useEditing();
  const work = useWork((state) => state.work);
  const selected = useFocus((state) => state.selected);
  const about = selected.length === 1 ? (selected[0] ?? null) : null;
  const [question, setQuestion] = useState("");
  const [aboutIt, setAboutIt] = useState(true);
  const [sending, setSending] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  const send = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    const problem = textProblem(question, MAX_QUESTION);
    if (problem !== null) {
      setFailure(problem);
      return;
    }
    setSending(true);
    setFailure(null);
    try {
      const object = about !== null && aboutIt ? about : null;
      if (object !== null) await saver.saveNow(); // the object must be on the server
      unwrap(
        await api.POST("/api/samples/{sample_id}/escalations", {
          params: { path: { sample_id: sample.id } },
          body: { question, about: object },
        }),
      );
      onAsked();
      onClose();
    } catch (error: unknown) {
      setFailure(error instanceof Error ? error.message : String(error));
    } finally {
      setSending(false);
    }
  };
  return (
    <Dialog title="Ask a senior" className="ask-dialog" onClose={onClose}>
      {/* keys typed here are the dialog's, never the workspace's shortcuts */}
      <form
        className="ask-form"
        onSubmit={(event) => void send(event)}
        onKeyDown={(event) => {
          event.stopPropagation();
          if (event.key === "Escape") onClose();
        }}
      >
        <label>
          Question
          <textarea
            autoFocus
            rows={4}
            maxLength={MAX_QUESTION}
            value={question}
            placeholder="What is ambiguous here, and what would you do?"
            onChange={(event) => setQuestion(event.target.value)}
          />
        </label>
        {about !== null && (
          <label className="check">
            <input type="checkbox" checked={aboutIt} onChange={(event) => setAboutIt(event.target.checked)} />
            About {objectName(about, work, streams)}
          </label>
        )}
        {failure !== null && (
          <p className="error" role="alert">
            {failure}
          </p>
        )}
        <span className="actions">
          <button type="submit" disabled={sending}>
            Send the question
          </button>
          <button type="button" className="quiet" onClick={onClose}>
            Cancel
          </button>
        </span>
      </form>
    </Dialog>
  );
}

/** Runs `open` when `Q` (the keymap's "escalate") is pressed in the workspace (its one key
 * handler keeps it from acting while another dialog is open). */
function useEscalateKey(open: () => void): void {
  useActionKey(ESCALATE, () => {
    open();
    return true;
  });
}
