import { memo, useEffect, useMemo, useRef, type MouseEvent } from "react";

import type { Schemas } from "../api/client";
import { mediaUrl } from "../app/api";
import { useLoad } from "../app/useLoad";
import { askNewLabel } from "../editing/commands";
import { useCommandContext, useEditor, useReviewMarks } from "../editing/EditingProvider";
import type { ReviewMark } from "../editing/reviewing";
import { useStaleLinks } from "../editing/useWorkViews";
import { useActiveWords } from "../player/useActiveWords";
import { TextModel } from "../text/spans";
import { labelColour } from "../ui/colour";
import { LoadState } from "../ui/feedback";
import { Legend } from "../ui/Legend";
import type { Annotation } from "../work/objects";
import { useFocus } from "../workspace/Workspace";
import type { PaneProps } from "./registry";
import { runs, textOffset, type Highlight, type Run } from "./spans";
import { useStreamAnnotations } from "./useStreamAnnotations";

type TextSpan = Schemas["TextSpan"];

/** The id of the span being labelled (selected, its label not yet picked). */
const PENDING = "";
/** The id of the pseudo-spans marking the transcript words being spoken now. */
const SPOKEN = " spoken";

/** A text stream with its span annotations highlighted in their labels' colours (ringed by
 * their review state in review mode). Selecting text (snapped to whole grapheme clusters,
 * stored in code points) opens the label picker for a new span; a click on a span selects
 * its annotation (Shift: adds it). */
export function TextPane({ stream }: PaneProps) {
  const annotations = useStreamAnnotations(stream.id);
  const text = useLoad(async (signal) => stream.text ?? (await fetchText(stream.id, signal)), [stream.id, stream.text]);
  if (text.state !== "done") return <LoadState loaded={text} what="the text" />;
  return <TextBody streamId={stream.id} text={text.data} annotations={annotations} />;
}

function TextBody({
  streamId,
  text,
  annotations,
}: {
  streamId: string;
  text: string;
  annotations: readonly Annotation[];
}) {
  const context = useCommandContext();
  const model = useMemo(() => new TextModel(text), [text]);
  const root = useRef<HTMLParagraphElement>(null);
  const selected = useFocus((state) => state.selected);
  const hovered = useFocus((state) => state.hovered);
  const stale = useStaleLinks();
  const marks = useReviewMarks();
  const pending = useEditor((state) =>
    state.labelling?.for === "new" && state.labelling.stream === streamId ? state.labelling.geometry : null,
  );
  const spans = useMemo(() => {
    const found = annotations.flatMap((annotation): Highlight[] =>
      annotation.geometry.type === "span"
        ? [
            {
              id: annotation.id,
              label: annotation.label,
              start: annotation.geometry.start,
              end: annotation.geometry.end,
            },
          ]
        : [],
    );
    return pending?.type === "span"
      ? [...found, { id: PENDING, label: "", start: pending.start, end: pending.end }]
      : found;
  }, [annotations, pending]);

  // the press began in the text (its target), so its release, wherever it happens, ends a selection
  const pressed = useRef<Element | null>(null);
  const onMouseDown = (event: MouseEvent): void => {
    pressed.current = event.target as Element;
    // Shift+click on a span adds it to the selection; the browser would extend the text selection
    if (event.shiftKey && (event.target as Element).closest("mark") !== null) event.preventDefault();
  };
  useEffect(() => {
    const released = (event: globalThis.MouseEvent): void => {
      const began = pressed.current;
      pressed.current = null;
      const body = root.current;
      if (began === null || body === null) return;
      const span = selectedSpan(body, model);
      if (span !== null) {
        window.getSelection()?.removeAllRanges();
        askNewLabel(context, streamId, span);
        return;
      }
      const mark = began.closest<HTMLElement>("mark[data-annotations]");
      const id = mark?.dataset.annotations?.split(" ")[0];
      if (mark?.contains(event.target as Node) === true && id !== undefined && id !== PENDING) {
        context.focus.getState().select([id], event.shiftKey);
      }
    };
    window.addEventListener("mouseup", released);
    return () => window.removeEventListener("mouseup", released);
  }, [context, model, streamId]);

  const spoken = useActiveWords(streamId, text);
  const lit = useMemo(
    () => [
      ...spans,
      ...spoken.map((word): Highlight => ({ id: SPOKEN, label: "", start: word.start, end: word.end })),
    ],
    [spans, spoken],
  );
  const shown = spans.filter((span) => span.id !== PENDING);
  const pieces = useMemo(() => runs(text, lit), [text, lit]);
  const selectedIds = useMemo(() => new Set(selected), [selected]);
  const hoveredIds = useMemo(() => new Set(hovered), [hovered]);
  return (
    <>
      <p
        ref={root}
        className="text-body"
        onMouseDown={onMouseDown}
        data-active-word={spoken.map((word) => [...text].slice(word.start, word.end).join("")).join(" ")}
      >
        {pieces.map((run) => {
          const ids = annotatedIds(run);
          const top = ids[0];
          return (
            <RunView
              key={run.start}
              run={run}
              isSelected={ids.some((id) => selectedIds.has(id))}
              isHovered={ids.some((id) => hoveredIds.has(id))}
              isFlagged={ids.some((id) => stale.has(id))}
              mark={top === undefined ? undefined : marks.get(top)}
            />
          );
        })}
      </p>
      <Legend labels={shown.map((span) => span.label)} what="span" />
    </>
  );
}

/** The ids of the annotations covering `run` (not the spoken words), innermost first. */
function annotatedIds(run: Run): string[] {
  return run.spans.filter((span) => span.id !== SPOKEN).map((span) => span.id);
}

interface RunViewProps {
  readonly run: Run;
  readonly isSelected: boolean;
  readonly isHovered: boolean;
  /** One of its annotations has a stale link. */
  readonly isFlagged: boolean;
  /** The review state of its innermost annotation (the one a click selects). */
  readonly mark: ReviewMark | undefined;
}

/** One run of the text, plain or marked; memoised so a selection change redraws only the
 * runs whose state it changes. */
const RunView = memo(function RunView({ run, isSelected, isHovered, isFlagged, mark }: RunViewProps) {
  const spoken = run.spans.some((span) => span.id === SPOKEN);
  const annotated = run.spans.filter((span) => span.id !== SPOKEN);
  const top = annotated[0];
  if (top === undefined) return <span className={spoken ? "spoken" : undefined}>{run.text}</span>;
  const ids = annotated.map((span) => span.id);
  const classes = [
    run.spans.length > 1 ? "nested" : "",
    ids.includes(PENDING) ? "pending" : "",
    isSelected ? "selected" : "",
    isHovered ? "hovered" : "",
    isFlagged ? "flagged" : "",
    mark === undefined ? "" : `review-${mark}`,
    spoken ? "spoken" : "",
  ].filter((name) => name !== "");
  const labels = annotated.filter((span) => span.id !== PENDING).map((span) => span.label);
  return (
    <mark
      data-annotations={ids.join(" ")}
      title={labels.join(", ") + (isFlagged ? " (⚠ stale link)" : "") + (mark === undefined ? "" : ` (${mark})`)}
      className={classes.length === 0 ? undefined : classes.join(" ")}
      style={
        top.id === PENDING
          ? undefined
          : { background: labelColour(top.label, 0.2), borderColor: labelColour(top.label) }
      }
    >
      {run.text}
    </mark>
  );
});

/** The span the document's selection makes in the text `body` shows (whole clusters, code
 * points), or `null` when the selection is empty or lies outside it. */
function selectedSpan(body: HTMLElement, model: TextModel): TextSpan | null {
  const selection = window.getSelection();
  if (selection === null || selection.isCollapsed || selection.anchorNode === null || selection.focusNode === null) {
    return null;
  }
  const anchor = textOffset(body, selection.anchorNode, selection.anchorOffset);
  const focus = textOffset(body, selection.focusNode, selection.focusOffset);
  return model.spanFromSelection(anchor, focus);
}

async function fetchText(streamId: string, signal: AbortSignal): Promise<string> {
  const response = await fetch(mediaUrl(streamId), { signal, credentials: "same-origin" });
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${mediaUrl(streamId)}`);
  return response.text();
}
