import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useEffect, useMemo, useRef, type MouseEvent } from "react";

import type { Schemas } from "../api/client";
import { mediaUrl } from "../app/api";
import { useLoad } from "../app/useLoad";
import { askNewLabel } from "../editing/commands";
import { useCommandContext, useEditor, useReviewMarks } from "../editing/EditingProvider";
import type { ReviewMark } from "../editing/reviewing";
import { useStaleLinks } from "../editing/useWorkViews";
import { useActiveWords } from "../player/useActiveWords";
import { rowAt, textRows, type TextRow } from "../text/rows";
import { TextModel } from "../text/spans";
import { labelColour } from "../ui/colour";
import { LoadState } from "../ui/feedback";
import { Legend } from "../ui/Legend";
import type { Annotation, Link } from "../work/objects";
import { useFocus } from "../workspace/Workspace";
import { flagSigns, flagWords } from "./flagSigns";
import type { PaneProps } from "./registry";
import { runs, spansInRows, textOffset, type Highlight, type Run } from "./spans";
import { useReveal } from "./useReveal";
import { useStreamAnnotations } from "./useStreamAnnotations";
import { reveal, useFollow, usePinnedRow } from "./virtualRows";

type TextSpan = Schemas["TextSpan"];

/** The id of the span being labelled (selected, its label not yet picked). */
const PENDING = "";
/** The id of the pseudo-spans marking the transcript words being spoken now. */
const SPOKEN = " spoken";
/** A line of the text in pixels (`.text-body`: 1.05rem × 1.9) and about how many UTF-16
 * units fill one, to guess a row's height before it is drawn. */
const LINE_HEIGHT = 32;
const LINE_LENGTH = 70;
/** The space above the first row and below the last, in pixels (room for the outlines of
 * the spans selected or hovered there). */
const EDGE = 4;

/** A text stream with its span annotations highlighted in their labels' colours (ringed by
 * their review state in review mode, signed ✓ ✗ ↻ ⚠ like the image's tags). Only the rows
 * in view are drawn (`text/rows`). Selecting text (snapped to whole grapheme clusters,
 * stored in code points) opens the label picker for a new span; a click on a span selects
 * its annotation (Shift: adds it); a span picked elsewhere is scrolled into view, and so
 * are the transcript words being spoken while the sample plays. */
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
  const rows = useMemo(() => textRows(model.offsets, model.graphemes), [model]);
  const root = useRef<HTMLDivElement>(null);
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
  const spoken = useActiveWords(streamId, text);
  const annotatedRows = useMemo(() => spansInRows(rows, spans), [rows, spans]);
  const spokenRows = useMemo(
    () => spansInRows(rows, spoken.map((word): Highlight => ({ id: SPOKEN, label: "", start: word.start, end: word.end }))),
    [rows, spoken],
  );

  const { rangeExtractor, pin } = usePinnedRow();
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => root.current,
    estimateSize: (index) => estimateHeight(rows[index]),
    paddingStart: EDGE,
    paddingEnd: EDGE,
    overscan: 3,
    rangeExtractor,
  });
  useFollow(virtualizer, spoken[0] === undefined ? null : rowAt(rows, spoken[0].start));
  const spanById = useMemo(() => new Map(spans.map((span) => [span.id, span])), [spans]);
  useReveal(
    (id) => id !== PENDING && spanById.has(id),
    (id) => {
      const span = spanById.get(id);
      if (span !== undefined && root.current !== null) {
        reveal(virtualizer, root.current, rowAt(rows, span.start), `mark[data-annotations~="${CSS.escape(id)}"]`);
      }
    },
  );

  // the press began in the text (its target), so its release, wherever it happens, ends a
  // selection; the row it began in stays drawn meanwhile
  const pressed = useRef<Element | null>(null);
  const onMouseDown = (event: MouseEvent): void => {
    const target = event.target as Element;
    pressed.current = target;
    const row = target.closest<HTMLElement>("[data-index]")?.dataset.index;
    pin(row === undefined ? null : Number(row));
    // Shift+click on a span adds it to the selection; the browser would extend the text selection
    if (event.shiftKey && target.closest("mark") !== null) event.preventDefault();
  };
  useEffect(() => {
    const released = (event: globalThis.MouseEvent): void => {
      const began = pressed.current;
      pressed.current = null;
      pin(null);
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
  }, [context, model, streamId, pin]);

  const shown = spans.filter((span) => span.id !== PENDING);
  const selectedIds = useMemo(() => new Set(selected), [selected]);
  const hoveredIds = useMemo(() => new Set(hovered), [hovered]);
  const looks = useMemo(() => ({ selectedIds, hoveredIds, stale, marks }), [selectedIds, hoveredIds, stale, marks]);
  const { offsets } = model;
  return (
    <>
      <div
        ref={root}
        className="text-body"
        onMouseDown={onMouseDown}
        data-rows={rows.length}
        data-active-word={spoken
          .map((word) => text.slice(offsets.toUtf16(word.start), offsets.toUtf16(word.end)))
          .join(" ")}
      >
        <div className="text-rows" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[item.index] as TextRow;
            return (
              <RowView
                key={item.key}
                index={item.index}
                y={item.start}
                measure={virtualizer.measureElement}
                row={row}
                text={text.slice(row.utf16Start, row.utf16End)}
                annotated={annotatedRows.get(item.index)}
                spoken={spokenRows.get(item.index)}
                looks={looks}
              />
            );
          })}
        </div>
      </div>
      <Legend labels={shown.map((span) => span.label)} what="span" />
    </>
  );
}

/** About how tall `row` is drawn, before it is measured. */
function estimateHeight(row: TextRow | undefined): number {
  const length = row === undefined ? 0 : row.utf16End - row.utf16Start;
  return LINE_HEIGHT * Math.max(1, Math.ceil(length / LINE_LENGTH));
}

/** What the runs' looks depend on beyond the runs themselves. */
interface Looks {
  readonly selectedIds: ReadonlySet<string>;
  readonly hoveredIds: ReadonlySet<string>;
  /** The stale links by the annotations they concern. */
  readonly stale: ReadonlyMap<string, readonly Link[]>;
  /** The review marks shown, by annotation. */
  readonly marks: ReadonlyMap<string, ReviewMark>;
}

interface RowViewProps {
  readonly index: number;
  /** Where the row is drawn in the list, in pixels from its top. */
  readonly y: number;
  readonly measure: (element: Element | null) => void;
  readonly row: TextRow;
  readonly text: string;
  /** The spans crossing the row and the words being spoken in it, from its start. */
  readonly annotated: readonly Highlight[] | undefined;
  readonly spoken: readonly Highlight[] | undefined;
  readonly looks: Looks;
}

/** One row of the text, its UTF-16 start in `data-offset` (for reading selections back,
 * `spans.textOffset`), cut into runs by the spans and spoken words crossing it. */
const RowView = memo(function RowView({ index, y, measure, row, text, annotated, spoken, looks }: RowViewProps) {
  const pieces = useMemo(() => runs(text, [...(annotated ?? []), ...(spoken ?? [])]), [text, annotated, spoken]);
  const { selectedIds, hoveredIds, stale, marks } = looks;
  return (
    <div
      ref={measure}
      className="text-row"
      data-index={index}
      data-offset={row.utf16Start}
      style={{ transform: `translateY(${y}px)` }}
    >
      {pieces.map((run) => {
        const ids = annotatedIds(run);
        const top = ids[0];
        const ending = run.spans.filter((span) => span.id !== SPOKEN && span.id !== PENDING && span.end === run.end);
        return (
          <RunView
            key={run.start}
            run={run}
            isSelected={ids.some((id) => selectedIds.has(id))}
            isHovered={ids.some((id) => hoveredIds.has(id))}
            isFlagged={ids.some((id) => stale.has(id))}
            mark={top === undefined ? undefined : marks.get(top)}
            signs={ending.map((span) => flagSigns(marks.get(span.id), stale.has(span.id))).join("")}
          />
        );
      })}
    </div>
  );
});

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
  /** The signs (`flagSigns`) of the annotations that end with it, drawn after it. */
  readonly signs: string;
}

/** One run of the text, plain or marked; memoised so a selection change redraws only the
 * runs whose state it changes. */
const RunView = memo(function RunView({ run, isSelected, isHovered, isFlagged, mark, signs }: RunViewProps) {
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
      data-signs={signs === "" ? undefined : signs}
      title={labels.join(", ") + flagWords(mark, isFlagged)}
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
  return anchor === null || focus === null ? null : model.spanFromSelection(anchor, focus);
}

async function fetchText(streamId: string, signal: AbortSignal): Promise<string> {
  const response = await fetch(mediaUrl(streamId), { signal, credentials: "same-origin" });
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${mediaUrl(streamId)}`);
  return response.text();
}
