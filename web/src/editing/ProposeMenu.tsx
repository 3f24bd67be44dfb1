/**
 * A stream pane's "Propose…" button and dialog: run a model on the whole stream, one that
 * needs no prompt (speech activity, a transcriber) or one given a text (a transcript to
 * align): the proposers that work on the stream's modality this way (one that cannot run
 * here is offered disabled, with the reason), the class of what it proposes, and the
 * text. The candidates it makes are selected; a failure is shown in the dialog.
 */
import { useEffect, useId, useMemo, useState, type FormEvent } from "react";

import type { Stream } from "../panes/sample";
import { Dialog } from "./Dialog";
import { useEditing } from "./EditingProvider";
import { classesFor, proposersFor, takesMenu, usableClass, type ProposerInfo } from "./proposals";
import { ProposerOptions, useProposals, useProposers } from "./ProposalTool";

/** The proposers the menu offers on `stream`. */
function offeredOn(all: readonly ProposerInfo[] | null, stream: Stream): ProposerInfo[] {
  return proposersFor(all ?? [], stream.modality).filter(takesMenu);
}

/** The pane header's button that opens the dialog (nothing when no proposer that fits can
 * run here, or the workspace is read only). */
export function ProposeButton({ stream }: { stream: Stream }) {
  const { ontology } = useEditing();
  const all = useProposers();
  const [open, setOpen] = useState(false);
  const offered = useMemo(() => offeredOn(all, stream), [all, stream]);
  if (ontology === null || offered.every((p) => p.unavailable !== null)) return null;
  return (
    <>
      <button type="button" className="quiet propose" onClick={() => setOpen(true)}>
        Propose…
      </button>
      {open && <ProposeDialog stream={stream} offered={offered} onClose={() => setOpen(false)} />}
    </>
  );
}

function ProposeDialog({
  stream,
  offered,
  onClose,
}: {
  stream: Stream;
  offered: readonly ProposerInfo[];
  onClose: () => void;
}) {
  const { proposals, ontology } = useEditing();
  const busy = useProposals((state) => state.busy);
  const [name, setName] = useState(() => offered.find((p) => p.unavailable === null)?.name ?? "");
  const [label, setLabel] = useState<string | null>(proposals.state.getState().label);
  const [text, setText] = useState("");
  const [failure, setFailure] = useState<string | null>(null);
  const ids = { model: useId(), label: useId(), text: useId() };
  const proposer = offered.find((p) => p.name === name) ?? null;
  const classes = useMemo(
    () => (ontology === null || proposer === null ? [] : classesFor(ontology, proposer)),
    [ontology, proposer],
  );
  useEffect(() => {
    if (ontology !== null && proposer !== null) setLabel((now) => usableClass(ontology, proposer, now));
  }, [ontology, proposer]);
  const needsText = proposer !== null && proposer.prompt_required && proposer.prompts.includes("text");

  const run = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (proposer === null) return;
    if (needsText && text.trim() === "") {
      setFailure(`${proposer.name} needs a text.`);
      return;
    }
    setFailure(null);
    const prompt = text.trim() === "" ? { points: [] } : { points: [], text: text.trim() };
    const ask = { proposer: proposer.name, stream: stream.id, label, prompt, parameters: {} };
    const made = await proposals.ask(ask);
    if (made === null) setFailure(proposals.state.getState().error);
    else onClose();
  };
  return (
    <Dialog title={`Propose on ${stream.name}`} className="propose-dialog" onClose={onClose}>
      {/* keys typed here are the dialog's, never the workspace's shortcuts */}
      <form
        className="propose-form"
        onSubmit={(event) => void run(event)}
        onKeyDown={(event) => {
          event.stopPropagation();
          if (event.key === "Escape") onClose();
        }}
      >
        <label htmlFor={ids.model}>Model</label>
        <select id={ids.model} autoFocus value={name} onChange={(event) => setName(event.target.value)}>
          <ProposerOptions offered={offered} />
        </select>
        {proposer !== null && <p className="muted description">{proposer.description}</p>}
        <label htmlFor={ids.label}>Class</label>
        <select
          id={ids.label}
          value={label ?? ""}
          disabled={classes.length === 0}
          onChange={(event) => setLabel(event.target.value)}
        >
          {classes.length === 0 && <option value="">No class fits</option>}
          {classes.map((cls) => (
            <option key={cls} value={cls}>
              {cls}
            </option>
          ))}
        </select>
        {proposer?.prompts.includes("text") === true && (
          <>
            <label htmlFor={ids.text}>{needsText ? "Text" : "Text (optional)"}</label>
            <textarea
              id={ids.text}
              rows={3}
              value={text}
              placeholder={needsText ? "The words said, to align with the audio" : "A hint for the model"}
              onChange={(event) => setText(event.target.value)}
            />
          </>
        )}
        {offered
          .filter((p) => p.unavailable !== null)
          .map((p) => (
            <p key={p.name} className="muted unavailable">
              {p.name} cannot run here: {p.unavailable}
            </p>
          ))}
        {busy !== null && (
          <p className="proposal-busy" role="status">
            {busy.proposer} is working…
          </p>
        )}
        {failure !== null && busy === null && (
          <p className="error" role="alert">
            {failure}
          </p>
        )}
        <span className="actions">
          <button type="submit" disabled={proposer === null || proposer.unavailable !== null || busy !== null}>
            Propose
          </button>
          <button type="button" className="quiet" onClick={onClose}>
            Cancel
          </button>
        </span>
      </form>
    </Dialog>
  );
}
