/**
 * The Konva shapes of the image pane, in image pixels inside a layer scaled to the pane:
 * editable boxes and polygons (drag to move, a selected polygon's vertices to reshape),
 * their label tags (with a mark of their review state in review mode), and the shape
 * being drawn. Props only: the pane owns the stores.
 */
import type Konva from "konva";
import type { KonvaEventObject } from "konva/lib/Node";
import { Circle, Label, Line, Rect, Tag, Text } from "react-konva";

import type { Point } from "../editing/editor";
import type { ReviewMark } from "../editing/reviewing";
import { moveVertex, nudge, placeBox, type Box, type Geometry, type Polygon, type Size } from "../editing/shapes";
import { labelColour } from "../ui/colour";
import type { Annotation } from "../work/objects";

/** How a shape is drawn: selected, hovered (a link's end), flagged stale, its review state
 * (`null`: not reviewed, or not in review mode). */
export interface Look {
  readonly selected: boolean;
  readonly hovered: boolean;
  readonly flagged: boolean;
  readonly review: ReviewMark | null;
}

/** The glow around a reviewed shape and the sign on its tag, by review state. */
export const REVIEW_LOOK: Readonly<Record<ReviewMark, { readonly colour: string; readonly sign: string }>> = {
  accepted: { colour: "#12b76a", sign: "✓" },
  rejected: { colour: "#d92d20", sign: "✗" },
  outdated: { colour: "#f79009", sign: "↻" },
};

/** What a shape does when the person works on it (with the select tool). */
export interface ShapeHandlers {
  /** Pointer down on the shape (Shift: add to the selection). */
  readonly pick: (id: string, additive: boolean) => void;
  /** The shape's new geometry (inside the image) after a drag or a vertex move (`live`: mid-drag). */
  readonly change: (id: string, geometry: Geometry, live: boolean) => void;
}

/** Keeps a dragged point inside the image (stage coordinates: pixels times `scale`). */
function bounded(size: Size, scale: number, extent: Point = [0, 0]): (pos: Konva.Vector2d) => Konva.Vector2d {
  return (pos) => ({
    x: Math.min(Math.max(pos.x, 0), (size.width - extent[0]) * scale),
    y: Math.min(Math.max(pos.y, 0), (size.height - extent[1]) * scale),
  });
}

/** A box or polygon annotation, moved and reshaped when `editable` (the select tool). */
export function ShapeView({
  annotation,
  look,
  scale,
  size,
  editable,
  handlers,
}: {
  annotation: Annotation;
  look: Look;
  scale: number;
  size: Size;
  editable: boolean;
  handlers: ShapeHandlers;
}) {
  const geometry = annotation.geometry;
  const colour = labelColour(annotation.label);
  const style = {
    id: annotation.id,
    stroke: colour,
    strokeWidth: (look.selected || look.hovered ? 3.5 : 2) / scale,
    dash: look.flagged ? [8 / scale, 5 / scale] : undefined,
    fill: look.hovered
      ? labelColour(annotation.label, 0.3)
      : look.selected
        ? labelColour(annotation.label, 0.14)
        : "transparent",
    ...(look.review === null
      ? {}
      : { shadowColor: REVIEW_LOOK[look.review].colour, shadowBlur: 8 / scale, shadowOpacity: 1 }),
    draggable: editable,
    onMouseDown: (event: KonvaEventObject<MouseEvent>) => {
      // a drawing tool draws over shapes, but Shift+click still adds one to the selection
      if (!editable && !event.evt.shiftKey) return;
      event.cancelBubble = true;
      handlers.pick(annotation.id, event.evt.shiftKey);
    },
  };
  if (geometry.type === "box") {
    const moved = (event: KonvaEventObject<DragEvent>): void => {
      const node = event.target;
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
}

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
function ShapeTag({
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
  return (
    <Label x={corner[0]} y={tagY} listening={false}>
      <Tag fill={labelColour(annotation.label)} />
      <Text
        text={[look.review === null ? null : REVIEW_LOOK[look.review].sign, look.flagged ? "⚠" : null, annotation.label]
          .filter((part) => part !== null)
          .join(" ")}
        fontSize={size}
        padding={size * 0.25}
        fill="#fff"
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
