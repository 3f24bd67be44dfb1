/**
 * The shapes drawn over a video on the frame shown, in the video's pixels (an SVG scaled
 * with the element), and what the pointer does to them. With the select tool a selected
 * track's box is moved by its body and resized by its handles (a polygon's by its
 * vertices); letting go sets a key frame on that frame (`editing/keyframes`). With the box
 * tool a drag on the paused video draws a new track's first key frame and asks for its
 * label; with the Model tool clicks and a drag prompt a model on the frame shown
 * (`editing/modelPointer`). The frame's masks (a model's candidates) are drawn under the
 * outlines (`VideoMasks`). While the video plays a press pauses it and edits nothing: the
 * frame edited is always the frame shown.
 */
import { useRef, useState, type PointerEvent } from "react";
import { useStore } from "zustand";

import { useCommandContext, useEditing, useEditor } from "../editing/EditingProvider";
import type { Point } from "../editing/editor";
import { modelPointerDown, modelPointerUp } from "../editing/modelPointer";
import { changeTrack, dragShape, setKeyFrame, startTrack, type Grip, type KeyShape } from "../editing/keyframes";
import { boxFromDrag, inside, type Size } from "../editing/shapes";
import { labelColour } from "../ui/colour";
import { sameJson, type Annotation } from "../work/objects";
import { useFocus, useWorkspace } from "../workspace/Workspace";
import { PromptDots, VideoMask } from "./VideoMasks";

/** One outline drawn over the video on the frame shown. */
export interface Outline {
  readonly annotation: Annotation;
  /** The shape: a track's on this frame, or a box or polygon of this frame (or of all). */
  readonly shape: KeyShape;
  /** Drawn on its own frame or a track's key frame (solid), else interpolated (dashed). */
  readonly key: boolean;
  /** Whether it is a track's, which a drag gives a key frame on this frame. */
  readonly track: boolean;
}

/** A drag under way on a track's shape. */
interface Drag {
  readonly id: string;
  readonly grip: Grip;
  readonly from: Point;
  readonly start: KeyShape;
  readonly frame: number;
  readonly now: KeyShape;
}

const BOX_GRIPS: readonly (Exclude<Grip, number | "move">)[] = ["nw", "n", "ne", "e", "se", "s", "sw", "w"];
const CURSORS: Readonly<Record<string, string>> = {
  n: "ns-resize",
  s: "ns-resize",
  e: "ew-resize",
  w: "ew-resize",
  nw: "nwse-resize",
  se: "nwse-resize",
  ne: "nesw-resize",
  sw: "nesw-resize",
};

/** The outlines and masks of `streamId` over its video of `size`, on `frame` (`null`:
 * none shown yet). */
export function VideoOverlay({
  streamId,
  outlines,
  masks,
  size,
  frame,
}: {
  streamId: string;
  outlines: readonly Outline[];
  masks: readonly Annotation[];
  size: Size;
  frame: number | null;
}) {
  const context = useCommandContext();
  const { proposals } = useEditing();
  const prompted = useStore(proposals.state, (state) =>
    state.points?.stream === streamId && state.points.frame === frame ? state.points.points : null,
  );
  const { clock } = useWorkspace();
  const selected = useFocus((state) => state.selected);
  const hovered = useFocus((state) => state.hovered);
  const tool = useEditor((state) => state.tool);
  const drawing = useEditor((state) => (state.drawing?.kind === "box" && state.drawing.stream === streamId ? state.drawing : null));
  const pending = useEditor((state) =>
    state.labelling?.for === "new" && state.labelling.stream === streamId && state.labelling.geometry.type === "track"
      ? state.labelling.geometry.keyframes[0]
      : undefined,
  );
  const svg = useRef<SVGSVGElement>(null);
  const [drag, setDrag] = useState<Drag | null>(null);
  const stroke = Math.max(size.width, size.height) / 200;

  /** The video pixel under the pointer. */
  const pixel = (event: PointerEvent): Point | null => {
    const matrix = svg.current?.getScreenCTM();
    if (matrix == null) return null;
    const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
    return [point.x, point.y];
  };
  /** Whether the frame shown may be edited now; a press while playing pauses instead. */
  const still = (): boolean => {
    if (!clock.playing) return frame !== null;
    clock.pause();
    return false;
  };

  const grab = (event: PointerEvent<SVGElement>, outline: Outline, grip: Grip): void => {
    if (event.button !== 0) return;
    event.stopPropagation();
    const { id } = outline.annotation;
    const focus = context.focus.getState();
    if (event.shiftKey) {
      focus.select([id], true);
      return;
    }
    if (!focus.selected.includes(id)) focus.select([id]);
    const from = pixel(event);
    if (!outline.track || tool !== "select" || from === null || !still() || frame === null) return;
    event.currentTarget.setPointerCapture(event.pointerId);
    setDrag({ id, grip, from, start: outline.shape, frame, now: outline.shape });
  };
  const move = (event: PointerEvent): void => {
    const at = pixel(event);
    if (drag === null || at === null) return;
    setDrag({ ...drag, now: dragShape(drag.start, drag.grip, at[0] - drag.from[0], at[1] - drag.from[1], size) });
  };
  const release = (): void => {
    if (drag === null) return;
    setDrag(null);
    if (sameJson(drag.now, drag.start)) return;
    changeTrack(context, streamId, drag.id, (track) => setKeyFrame(track, drag.frame, drag.now));
  };

  const editor = context.editor.getState();
  const prompting = tool === "model";
  const drawDown = (event: PointerEvent<SVGSVGElement>): void => {
    const at = pixel(event);
    if ((tool !== "box" && !prompting) || event.button !== 0 || at === null || !still()) return;
    event.currentTarget.setPointerCapture(event.pointerId);
    if (prompting) modelPointerDown(context, streamId, at, size);
    else editor.draw({ kind: "box", stream: streamId, from: inside(at, size), to: inside(at, size) });
  };
  const drawMove = (event: PointerEvent): void => {
    const at = pixel(event);
    if (drawing !== null && at !== null) editor.draw({ ...drawing, to: inside(at, size) });
    else move(event);
  };
  const drawUp = (event: PointerEvent<SVGSVGElement>): void => {
    if (drawing === null) {
      release();
      return;
    }
    if (prompting) {
      const scale = svg.current?.getScreenCTM()?.a ?? 1;
      const negative = event.shiftKey || event.altKey;
      modelPointerUp(context, proposals, streamId, { size, scale, negative, frame });
      return;
    }
    editor.draw(null);
    const box = boxFromDrag(drawing.from, drawing.to, size);
    if (box !== null && frame !== null) startTrack(context, streamId, frame, box);
  };

  return (
    <svg
      ref={svg}
      className={tool === "box" || prompting ? "video-overlay drawing" : "video-overlay"}
      viewBox={`0 0 ${size.width} ${size.height}`}
      preserveAspectRatio="xMidYMid meet"
      onPointerDown={drawDown}
      onPointerMove={drawMove}
      onPointerUp={drawUp}
      onPointerCancel={() => setDrag(null)}
    >
      {masks.map((annotation) => (
        <VideoMask
          key={annotation.id}
          annotation={annotation}
          lit={selected.includes(annotation.id) || hovered.includes(annotation.id)}
          stroke={stroke}
          pick={(event) => {
            if (event.button !== 0) return;
            event.stopPropagation();
            context.focus.getState().select([annotation.id], event.shiftKey);
          }}
        />
      ))}
      {outlines.map((outline) => {
        const { annotation } = outline;
        const dragged = drag?.id === annotation.id;
        const shape = dragged ? drag.now : outline.shape;
        const key = outline.key || dragged;
        const isSelected = selected.includes(annotation.id);
        const emphasis = isSelected ? 2 : hovered.includes(annotation.id) ? 1.5 : 1;
        const colour = labelColour(annotation.label);
        const points = pointsOf(shape);
        const [x, y] = points[0] ?? [0, 0];
        const editable = isSelected && outline.track && tool === "select";
        return (
          <g
            key={annotation.id}
            data-annotation={annotation.id}
            data-key={key}
            data-selected={isSelected || undefined}
            data-dragging={dragged || undefined}
          >
            <polygon
              className={[key ? "shape key" : "shape interpolated", editable ? "movable" : ""].join(" ").trim()}
              points={points.map((point) => point.join(",")).join(" ")}
              stroke={colour}
              strokeWidth={stroke * emphasis}
              onPointerDown={(event) => grab(event, outline, "move")}
              onMouseEnter={() => context.focus.getState().hover([annotation.id])}
              onMouseLeave={() => context.focus.getState().hover([])}
            >
              <title>{`${annotation.label}${key ? " (key frame)" : " (interpolated)"}`}</title>
            </polygon>
            {key && <rect x={x - stroke * 2} y={y - stroke * 2} width={stroke * 4} height={stroke * 4} fill={colour} />}
            <text x={x + stroke * 3} y={y + stroke * 6} stroke={colour} strokeWidth={stroke} paintOrder="stroke">
              {annotation.label}
            </text>
            {editable && <Handles shape={shape} colour={colour} stroke={stroke} grab={(e, grip) => grab(e, outline, grip)} />}
          </g>
        );
      })}
      {drawing !== null && <Sketch corners={[drawing.from, drawing.to]} stroke={stroke} />}
      {prompted !== null && <PromptDots points={prompted} stroke={stroke} />}
      {pending !== undefined && pending.x != null && pending.y != null && pending.w != null && pending.h != null && (
        <Sketch
          corners={[
            [pending.x, pending.y],
            [pending.x + pending.w, pending.y + pending.h],
          ]}
          stroke={stroke}
        />
      )}
    </svg>
  );
}

/** The handles of a selected track's shape: a box's corners and sides, a polygon's vertices. */
function Handles({
  shape,
  colour,
  stroke,
  grab,
}: {
  shape: KeyShape;
  colour: string;
  stroke: number;
  grab: (event: PointerEvent<SVGElement>, grip: Grip) => void;
}) {
  const half = stroke * 2.5;
  if ("points" in shape) {
    return shape.points.map(([x, y], index) => (
      <circle
        key={index}
        className="handle"
        data-grip={index}
        cx={x}
        cy={y}
        r={half}
        stroke={colour}
        strokeWidth={stroke}
        onPointerDown={(event) => grab(event, index)}
      />
    ));
  }
  return BOX_GRIPS.map((grip) => {
    const x = shape.x + (grip.includes("w") ? 0 : grip.includes("e") ? shape.w : shape.w / 2);
    const y = shape.y + (grip.includes("n") ? 0 : grip.includes("s") ? shape.h : shape.h / 2);
    return (
      <rect
        key={grip}
        className="handle"
        data-grip={grip}
        x={x - half}
        y={y - half}
        width={half * 2}
        height={half * 2}
        stroke={colour}
        strokeWidth={stroke}
        style={{ cursor: CURSORS[grip] }}
        onPointerDown={(event) => grab(event, grip)}
      />
    );
  });
}

/** A box being drawn, or drawn and waiting for its label, from two opposite corners. */
function Sketch({ corners, stroke }: { corners: readonly [Point, Point]; stroke: number }) {
  const [[x1, y1], [x2, y2]] = corners;
  return (
    <rect
      className="sketch"
      x={Math.min(x1, x2)}
      y={Math.min(y1, y2)}
      width={Math.abs(x2 - x1)}
      height={Math.abs(y2 - y1)}
      strokeWidth={stroke}
    />
  );
}

/** A shape's outline as its vertices. */
function pointsOf(shape: KeyShape): readonly Point[] {
  if ("points" in shape) return shape.points;
  const { x, y, w, h } = shape;
  return [
    [x, y],
    [x + w, y],
    [x + w, y + h],
    [x, y + h],
  ];
}
