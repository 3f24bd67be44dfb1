import { useMemo } from "react";

import { mediaUrl } from "../app/api";
import { useLoad } from "../app/useLoad";
import { labelColour } from "../ui/colour";
import { LoadState } from "../ui/feedback";
import { Legend } from "../ui/Legend";
import { runs, type Highlight } from "./spans";
import { useStreamAnnotations } from "./useStreamAnnotations";
import type { PaneProps } from "./registry";

/** A text stream with its span annotations highlighted in their labels' colours (read only). */
export function TextPane({ stream }: PaneProps) {
  const annotations = useStreamAnnotations(stream.id);
  const text = useLoad(async (signal) => stream.text ?? (await fetchText(stream.id, signal)), [stream.id, stream.text]);
  const spans = useMemo(
    () =>
      annotations.flatMap((annotation): Highlight[] =>
        annotation.geometry.type === "span"
          ? [{ id: annotation.id, label: annotation.label, start: annotation.geometry.start, end: annotation.geometry.end }]
          : [],
      ),
    [annotations],
  );
  if (text.state !== "done") return <LoadState loaded={text} what="the text" />;
  return (
    <>
      <p className="text-body">
        {runs(text.data, spans).map((run) => {
          const top = run.spans[0];
          if (top === undefined) return <span key={run.start}>{run.text}</span>;
          return (
            <mark
              key={run.start}
              data-annotations={run.spans.map((span) => span.id).join(" ")}
              title={run.spans.map((span) => span.label).join(", ")}
              className={run.spans.length > 1 ? "nested" : undefined}
              style={{ background: labelColour(top.label, 0.2), borderColor: labelColour(top.label) }}
            >
              {run.text}
            </mark>
          );
        })}
      </p>
      <Legend labels={spans.map((span) => span.label)} what="span" />
    </>
  );
}

async function fetchText(streamId: string, signal: AbortSignal): Promise<string> {
  const response = await fetch(mediaUrl(streamId), { signal, credentials: "same-origin" });
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${mediaUrl(streamId)}`);
  return response.text();
}
