import type { ReactNode } from "react";

import { plural } from "../ui/plural";
import { mediaSummary } from "./mediaSummary";
import { PANES } from "./registry";
import type { Stream } from "./sample";
import { useStreamAnnotations } from "./useStreamAnnotations";

/** What each modality's pane will hold once its tools are built. */
const COMING: Record<Stream["modality"], string> = {
  text: "",
  image: "",
  audio: "The waveform on the sample's clock, with its intervals and transcript segments as regions to play, draw and edit.",
  video: "The player on the sample's clock, frame-exact seeking, and boxes and tracks drawn over the frames.",
  pointcloud: "The sweep in 3D with its cuboids, and their projections into the camera panes.",
  timeseries: "The sensor channels plotted on the sample's clock, with their intervals.",
};

/** One stream of a sample in its own pane, titled with its name and modality. */
export function StreamPane({ stream }: { stream: Stream }) {
  const titleId = `pane-${stream.id}`;
  const annotations = useStreamAnnotations(stream.id);
  const Pane = PANES[stream.modality];
  let body: ReactNode;
  if (Pane !== undefined) body = <Pane stream={stream} />;
  else {
    body = (
      <div className="placeholder">
        <p>{COMING[stream.modality]}</p>
        <p className="muted">
          {plural(annotations.length, "annotation")} on this stream.
        </p>
      </div>
    );
  }
  return (
    <section className={`pane pane-${stream.modality}`} aria-labelledby={titleId} data-stream={stream.id}>
      <header>
        <h2 id={titleId}>{stream.name}</h2>
        <span className="badge">{stream.modality}</span>
        <span className="muted">{mediaSummary(stream)}</span>
      </header>
      <div className="pane-body">{body}</div>
    </section>
  );
}
