import { useMemo } from "react";

import { StreamPane } from "../panes/StreamPane";
import { useWorkspace } from "../workspace/Workspace";
import { JudgementPanel } from "./JudgementPanel";
import "./preference.css";
import { preferenceParts, type PreferenceParts } from "./sample";

/**
 * A preference sample's workspace: the prompt's streams on top, the candidates side by
 * side in columns lettered A, B, C… in the order the API gives them (the caller's
 * presentation order; model names only where the API sends them), the judgement panel, and
 * the rationales saved with judgements. Every stream is shown by its modality's pane, so
 * spans and regions are drawn, selected and linked as anywhere else, and time-based
 * candidates play together on the workspace's one clock.
 */
export function PreferenceView() {
  const { sample } = useWorkspace();
  const parts = useMemo(() => preferenceParts(sample), [sample]);
  return (
    <div className="preference">
      <section className="prompt" aria-label="Prompt">
        <h2 className="part-title">Prompt</h2>
        <div className="panes">
          {parts.prompt.map((stream) => (
            <StreamPane key={stream.id} stream={stream} />
          ))}
        </div>
      </section>
      <div
        className="candidates"
        role="list"
        aria-label="Candidates"
        style={{ gridTemplateColumns: `repeat(${Math.max(parts.candidates.length, 1)}, minmax(0, 1fr))` }}
      >
        {parts.candidates.map(({ candidate, letter, streams }) => (
          <section
            key={candidate.id}
            role="listitem"
            className="candidate"
            aria-label={`Candidate ${letter}`}
            data-candidate={candidate.id}
          >
            <header>
              <span className="candidate-letter">{letter}</span>
              {candidate.model != null && (
                <span className="badge model-name" title="Model (shown to reviewers, or where the project reveals models)">
                  {candidate.model}
                  {candidate.model_version != null && ` ${candidate.model_version}`}
                </span>
              )}
            </header>
            {streams.map((stream) => (
              <StreamPane key={stream.id} stream={stream} />
            ))}
          </section>
        ))}
      </div>
      <JudgementPanel parts={parts} />
      <Rationales parts={parts} />
    </div>
  );
}

/** The rationale streams of the judgements shown, each in a text pane (select a phrase,
 * label it `rationale-phrase`, and link it to what it is about). */
function Rationales({ parts }: { parts: PreferenceParts }) {
  if (parts.rationales.length === 0) return null;
  return (
    <section className="rationales" aria-label="Rationales">
      <h2 className="part-title">Rationales</h2>
      <p className="muted">
        Select a phrase of a rationale, label it, then Shift+click the span or region it is about and press{" "}
        <kbd>L</kbd> to link them.
      </p>
      {parts.rationales.map(({ stream, judgement }) => (
        <div key={stream.id} className="rationale" data-author={judgement.author ?? ""}>
          <StreamPane stream={stream} />
          {judgement.author != null && <p className="muted rationale-author">by {judgement.author}</p>}
        </div>
      ))}
    </section>
  );
}
