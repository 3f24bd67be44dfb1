import { ProposeButton } from "../editing/ProposeMenu";
import { mediaSummary } from "./mediaSummary";
import { PANES } from "./registry";
import type { Stream } from "./sample";

/** One stream of a sample in its own pane, titled with its name and modality (and a
 * button that runs a model on it, where one fits). */
export function StreamPane({ stream }: { stream: Stream }) {
  const titleId = `pane-${stream.id}`;
  const Pane = PANES[stream.modality];
  return (
    <section className={`pane pane-${stream.modality}`} aria-labelledby={titleId} data-stream={stream.id}>
      <header>
        <h2 id={titleId}>{stream.name}</h2>
        <span className="badge">{stream.modality}</span>
        <span className="muted">{mediaSummary(stream)}</span>
        <ProposeButton stream={stream} />
      </header>
      <div className="pane-body">
        <Pane stream={stream} />
      </div>
    </section>
  );
}
