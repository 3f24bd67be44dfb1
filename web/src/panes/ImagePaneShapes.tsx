/**
 * The Konva shapes of the image pane, in image pixels inside a layer scaled to the pane:
 * editable boxes and polygons (drag to move, a selected polygon's vertices to reshape),
 * their label tags (with a mark of their review state in review mode; a model's candidate
 * dashed, its tag white with "model" and the confidence), and the shape being drawn; and
 * what the views of masks and keypoints share with them (`ViewProps`, `sameView`,
 * `picking`, `bounded`, `candidateDash`). Props only: the pane owns the stores.
 *
 * Each annotation is drawn twice when it is selected or hovered: at rest on the big layer
 * of every annotation, and lit (its look selected or hovered) on the small lit layer
 * above it, so that a selection redraws the small layer alone. The lit copy does not take
 * the pointer (a smaller shape under a selected one stays clickable); the copy at rest
 * does, and the lit one follows it when it is dragged (the two nodes share the
 * annotation's id, `ShapeHandlers.follow`), as the copy at rest follows the lit one when
 * the transformer on the lit one resizes it.
 */
import type Konva from "konva";
import type { KonvaEventObject } from "konva/lib/Node";
import { memo } from "react";
import { Circle, Label, Line, Rect, Tag, Text } from "react-konva";

import { candidateBadge } from "../editing/candidates";
import type { Point } from "../editing/editor";
import type { ReviewMark } from "../editing/reviewing";
import { moveVertex, nudge, placeBox, type Box, type Geometry, type Polygon, type Size } from "../editing/shapes";
import { labelColour } from "../ui/colour";
import type { Annotation } from "../work/objects";
import { REVIEW_LOOK, signed } from "./flagSigns";

/** How a shape is drawn: selected, hovered (a link's end), flagged stale, its review state
 * (`null`: not reviewed, or not in review mode). */
export interface Look {
  readonly selected: boolean;
  readonly hovered: boolean;
  readonly flagged: boolean;
  readonly review: ReviewMark | null;
}

/** What a shape does when the person works on it (with the select tool). */
export interface ShapeHandlers {
  /** Pointer down on the shape (Shift: add to the selection); on a keypoint, its index. */
  readonly pick: (id: string, additive: boolean, keypoint?: number) => void;
  /** The shape's new geometry (inside the image) after a drag or a vertex move (`live`: mid-drag). */
  readonly change: (id: string, geometry: Geometry, live: boolean) => void;
  /** `node` was moved or resized by hand: its twin on the other layer takes its place. */
  readonly follow: (node: Konva.Node) => void;
  /** The pointer is over keypoint `index` of annotation `id` (`null`: it left). */
  readonly point: (id: string, index: number | null) => void;
}

/** What every drawn annotation takes. */
export interface ViewProps {
  readonly annotation: Annotation;
  readonly look: Look;
  readonly scale: number;
  readonly size: Size;
  readonly editable: boolean;
  readonly handlers: ShapeHandlers;
}

/** Whether a view's props draw the same (for `memo`: a look is a fresh object each time). */
export function sameView(before: ViewProps, after: ViewProps): boolean {
  return (
    before.annotation === after.annotation &&
    before.scale === after.scale &&
    before.size === after.size &&
    before.editable === after.editable &&
    before.handlers === after.handlers &&
    before.look.selected === after.look.selected &&
    before.look.hovered === after.look.hovered &&
    before.look.flagged === after.look.flagged &&
    before.look.review === after.look.review
  );
}

/** The dash of a candidate's outline (in image pixels at `scale`). */
export function candidateDash(scale: number): number[] {
  return [4 / scale, 3 / scale];
}

/** Keeps a dragged point inside the image (stage coordinates: pixels times `scale`). */
export function bounded(size: Size, scale: number, extent: Point = [0, 0]): (pos: Konva.Vector2d) => Konva.Vector2d {
  return (pos) => ({
    x: Math.min(Math.max(pos.x, 0), (size.width - extent[0]) * scale),
    y: Math.min(Math.max(pos.y, 0), (size.height - extent[1]) * scale),
  });
}

/** The glow of a shape in review mode (none outside it). */
export function reviewGlow(look: Look, scale: number): Partial<Konva.ShapeConfig> {
  return look.review === null
    ? {}
    : {
        shadowColor: REVIEW_LOOK[look.review].colour,
        shadowBlur: 8 / scale,
        shadowOpacity: 1,
      };
}

/** Pointer down on an annotation: picks it with the select tool, or with Shift+click under
 * a drawing tool (which otherwise draws over shapes). */
export function picking(
  id: string,
  editable: boolean,
  handlers: ShapeHandlers,
  keypoint?: number,
): (event: KonvaEventObject<MouseEvent>) => void {
  return (event) => {
    if (!editable && !event.evt.shiftKey) return;
    event.cancelBubble = true;
    handlers.pick(id, event.evt.shiftKey, keypoint);
  };
}

/** A box or polygon annotation, moved and reshaped when `editable` (the select tool). */
export const ShapeView = memo(function ShapeView({ annotation, look, scale, size, editable, handlers }: ViewProps) {
  const geometry = annotation.geometry;
  const colour = labelColour(annotation.label);
  const lit = look.selected || look.hovered;
  const style = {
    id: annotation.id,
    stroke: colour,
    strokeWidth: (lit ? 3.5 : 2) / scale,
    dash: look.flagged
      ? [8 / scale, 5 / scale]
      : candidateBadge(annotation) !== null
        ? candidateDash(scale)
        : undefined,
    fill: look.hovered
      ? labelColour(annotation.label, 0.3)
      : look.selected
        ? labelColour(annotation.label, 0.14)
        : "transparent",
    ...reviewGlow(look, scale),
    perfectDrawEnabled: false,
    listening: !lit,
    draggable: editable && !lit,
    onMouseDown: picking(annotation.id, editable, handlers),
    onDragMove: (event: KonvaEventObject<DragEvent>) => handlers.follow(event.target),
  };
  if (geometry.type === "box") {
    const moved = (event: KonvaEventObject<DragEvent>): void => {
      const node = event.target;
      handlers.follow(node);
      handlers.change(annotation.id, placeBox(geometry, node.x(), node.y(), size), false);
    };
    return (
      <>
        <Rect
          {...style}
          x={geometry.x}
          y={geometry.y}
          width={geometry.w}
          height={geometry.h}
          dragBoundFunc={bounded(size, scale, [geometry.w, geometry.h])}
          onDragEnd={moved}
        />
        <ShapeTag annotation={annotation} corner={[geometry.x, geometry.y]} scale={scale} look={look} />
      </>
    );
  }
  if (geometry.type !== "polygon") return null;
  const moved = (event: KonvaEventObject<DragEvent>): void => {
    const node = event.target;
    const [dx, dy] = [node.x(), node.y()];
    node.position({ x: 0, y: 0 });
    handlers.follow(node);
    handlers.change(annotation.id, nudge(geometry, dx, dy, size), false);
  };
  const xs = geometry.points.map((point) => point[0]);
  const ys = geometry.points.map((point) => point[1]);
  return (
    <>
      <Line {...style} points={geometry.points.flat()} closed onDragEnd={moved} />
      <ShapeTag
        annotation={annotation}
        corner={[Math.min(...xs), Math.min(...ys)]}
        scale={scale}
        look={look}
      />
      {editable && look.selected && (
        <Vertices polygon={geometry} id={annotation.id} colour={colour} scale={scale} size={size} handlers={handlers} />
      )}
    </>
  );
}, sameView);

/** The draggable vertices of a selected polygon. */
function Vertices({
  polygon,
  id,
  colour,
  scale,
  size,
  handlers,
}: {
  polygon: Polygon;
  id: string;
  colour: string;
  scale: number;
  size: Size;
  handlers: ShapeHandlers;
}) {
  const drag = (index: number, live: boolean) => (event: KonvaEventObject<DragEvent>) => {
    const node = event.target;
    handlers.change(id, moveVertex(polygon, index, [node.x(), node.y()], size), live);
  };
  return (
    <>
      {polygon.points.map(([x, y], index) => (
        <Circle
          key={index}
          x={x}
          y={y}
          radius={5 / scale}
          fill="#fff"
          stroke={colour}
          strokeWidth={2 / scale}
          draggable
          dragBoundFunc={bounded(size, scale)}
          onMouseDown={(event) => {
            event.cancelBubble = true;
          }}
          onDragMove={drag(index, true)}
          onDragEnd={drag(index, false)}
        />
      ))}
    </>
  );
}

/** A shape's label on a coloured tag above its top-left corner (⚠ when a link of it is
 * stale; ✓, ✗ or ↻ when it is accepted, rejected or outdated in review). */
export function ShapeTag({
  annotation,
  corner,
  scale,
  look,
}: {
  annotation: Annotation;
  corner: Point;
  scale: number;
  look: Look;
}) {
  const size = 12 / scale;
  const tagHeight = size * 1.5;
  const tagY = corner[1] >= tagHeight ? corner[1] - tagHeight : corner[1];
  const colour = labelColour(annotation.label);
  const badge = candidateBadge(annotation);
  const text = signed(annotation.label, look.review ?? undefined, look.flagged);
  return (
    <Label x={corner[0]} y={tagY} listening={false}>
      {badge === null ? (
        <Tag fill={colour} perfectDrawEnabled={false} />
      ) : (
        <Tag
          fill="#fff"
          stroke={colour}
          strokeWidth={1 / scale}
          dash={candidateDash(scale)}
          perfectDrawEnabled={false}
        />
      )}
      <Text
        text={badge === null ? text : `${text} · ${badge}`}
        fontSize={size}
        padding={size * 0.25}
        fill={badge === null ? "#fff" : colour}
        perfectDrawEnabled={false}
      />
    </Label>
  );
}

/** The shape being drawn, or a finished one waiting for its label. */
export function Sketch({
  points,
  closed,
  pointer,
  scale,
}: {
  points: readonly Point[];
  closed: boolean;
  pointer: Point | null;
  scale: number;
}) {
  const path = pointer === null ? points : [...points, pointer];
  return (
    <>
      <Line
        points={path.flat()}
        closed={closed}
        stroke="#2e5bff"
        strokeWidth={2 / scale}
        dash={[6 / scale, 4 / scale]}
        fill={closed ? "rgba(46, 91, 255, 0.12)" : undefined}
      />
      {!closed &&
        points.map(([x, y], index) => (
          <Circle key={index} x={x} y={y} radius={(index === 0 ? 6 : 4) / scale} fill="#2e5bff" />
        ))}
    </>
  );
}

/** The corners of `box` in drawing order, for a `Sketch`. */
export function corners(box: Pick<Box, "x" | "y" | "w" | "h">): Point[] {
  return [
    [box.x, box.y],
    [box.x + box.w, box.y],
    [box.x + box.w, box.y + box.h],
    [box.x, box.y + box.h],
  ];
}
