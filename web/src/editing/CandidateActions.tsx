/**
 * The inspector's section on a model's annotation: its provenance (model, version,
 * confidence, proposer, parameters, prompt) and, while it is a candidate awaiting a
 * decision, Accept (Y) and Reject (Shift+Y). Accepting sends the candidate as the work has
 * it now: what the person changed of it goes with the acceptance.
 */
import { useStore } from "zustand";

import type { Annotation } from "../work/objects";
import { isCandidate } from "./candidates";
import { useEditing } from "./EditingProvider";
import { modelName, percent, provenanceOf } from "./provenance";

/** The provenance of `annotation` if a model made it, with the decision's buttons while it
 * is a candidate (nothing for a person's annotation). */
export function CandidateActions({ annotation }: { annotation: Annotation }) {
  const { candidates } = useEditing();
  const deciding = useStore(candidates.state, (state) => state.deciding.includes(annotation.id));
  const provenance = provenanceOf(annotation.source);
  if (provenance === null) return null;
  const open = isCandidate(annotation);
  const parameters = Object.entries(provenance.parameters);
  return (
    <div className="provenance" role="group" aria-label="Model provenance">
      <p>
        <span className={`badge ${open ? "candidate" : "decided"}`}>{open ? "candidate" : "from a model"}</span>{" "}
        <strong>{modelName(provenance)}</strong>
        {provenance.confidence !== null && <> · confidence {percent(provenance.confidence)}</>}
      </p>
      <dl className="facts">
        {provenance.proposer !== null && (
          <>
            <dt>Proposer</dt>
            <dd>{provenance.proposer}</dd>
          </>
        )}
        {provenance.prompt !== "" && (
          <>
            <dt>Prompt</dt>
            <dd>{provenance.prompt}</dd>
          </>
        )}
        {parameters.length > 0 && (
          <>
            <dt>Parameters</dt>
            <dd>{parameters.map(([name, value]) => `${name} ${JSON.stringify(value)}`).join(", ")}</dd>
          </>
        )}
      </dl>
      {open && (
        <p className="verdict">
          <button type="button" disabled={deciding} onClick={() => void candidates.decide(annotation.id, "accept")}>
            Accept <kbd>Y</kbd>
          </button>{" "}
          <button
            type="button"
            className="danger"
            disabled={deciding}
            onClick={() => void candidates.decide(annotation.id, "reject")}
          >
            Reject <kbd>Shift+Y</kbd>
          </button>
          <span className="muted"> Your edits of it go with the acceptance.</span>
        </p>
      )}
    </div>
  );
}
