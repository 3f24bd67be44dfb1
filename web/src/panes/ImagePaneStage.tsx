/**
 * The image pane's Konva stage, one layer each for the image, the annotations' shapes
 * (with a transformer's handles on the selected boxes) and the shape being drawn. The
 * tools turn pointer events into image pixels for `editing/drawing`.
 */
import type Konva from "konva";
import type { KonvaEventObject } from "konva/lib/Node";
import { useEffect, useMemo, useRef } from "react";
import { Image as KonvaImage, Layer, Stage, Transformer } from "react-konva";

import type { Point } from "../editing/editor";
import { finishPolygon, pointerDown, pointerMove, pointerUp } from "../editing/drawing";
import { useCommandContext, useEditor, useReviewMarks } from "../editing/EditingProvider";
import { area, MIN_SIZE, resizeBox, type Size } from "../editing/shapes";
import { useStaleLinks } from "../editing/useWorkViews";
import type { Annotation } from "../work/objects";
import { useFocus } from "../workspace/Workspace";
import { corners, ShapeView, Sketch, type ShapeHandlers } from "./ImagePaneShapes";

export function ImagePaneStage({
  streamId,
  image,
  scale,
  shapes,
}: {
  streamId: string;
  image: HTMLImageElement;
  scale: number;
  shapes: readonly Annotation[];
}) {
  const context = useCommandContext();
  const tool = useEditor((state) => state.tool);
  const drawing = useEditor((state) => (state.drawing?.stream === streamId ? state.drawing : null));
  const pending = useEditor((state) =>
    state.labelling?.for === "new" && state.labelling.stream === streamId ? state.labelling.geometry : null,
  );
  const selected = useFocus((state) => state.selected);
  const hovered = useFocus((state) => state.hovered);
  const stale = useStaleLinks();
  const marks = useReviewMarks();
  const layer = useRef<Konva.Layer>(null);
  const transformer = useRef<Konva.Transformer>(null);
  const size: Size = useMemo(() => ({ width: image.naturalWidth, height: image.naturalHeight }), [image]);
  const editable = tool === "select";
  const ordered = useMemo(() => [...shapes].sort((a, b) => area(b.geometry) - area(a.geometry)), [shapes]);

  const handlers = useMemo<ShapeHandlers>(
    () => ({
      pick: (id, additive) => {
        const focus = context.focus.getState();
        if (additive || !focus.selected.includes(id)) focus.select([id], additive);
      },
      change: (id, geometry, live) =>
        context.work.getState().updateAnnotation(id, { geometry }, live ? { coalesce: `drag ${id}` } : {}),
    }),
    [context],
  );

  const boxes = shapes.filter((a) => a.geometry.type === "box" && selected.includes(a.id)).map((a) => a.id);
  const boxKey = editable ? boxes.join(" ") : "";
  useEffect(() => {
    const found =
      boxKey === "" ? [] : (layer.current?.find((node: Konva.Node) => boxKey.split(" ").includes(node.id())) ?? []);
    transformer.current?.nodes(found);
  }, [boxKey, shapes]);

  const point = (event: KonvaEventObject<MouseEvent>): Point | null => {
    const pointer = event.target.getStage()?.getPointerPosition();
    return pointer == null ? null : [pointer.x / scale, pointer.y / scale];
  };
  const down = (event: KonvaEventObject<MouseEvent>): void => {
    const at = point(event);
    if (at === null || event.evt.button !== 0) return;
    if (!editable) pointerDown(context, streamId, at, scale);
    else if (event.target === event.target.getStage() && !event.evt.shiftKey) context.focus.getState().select([]);
  };
  const resized = (event: KonvaEventObject<Event>): void => {
    const node = event.target;
    const annotation = shapes.find((a) => a.id === node.id());
    if (annotation?.geometry.type !== "box") return;
    const box = resizeBox(
      annotation.geometry,
      node.x(),
      node.y(),
      node.width() * node.scaleX(),
      node.height() * node.scaleY(),
      size,
    );
    node.setAttrs({ scaleX: 1, scaleY: 1, x: box.x, y: box.y, width: box.w, height: box.h });
    handlers.change(annotation.id, box, false);
  };

  return (
    <Stage
      width={size.width * scale}
      height={size.height * scale}
      onMouseDown={down}
      onMouseMove={(event) => {
        const at = point(event);
        if (at !== null && !editable) pointerMove(context, streamId, at);
      }}
      onMouseUp={() => pointerUp(context, streamId)}
      onDblClick={() => finishPolygon(context)}
    >
      <Layer scaleX={scale} scaleY={scale} listening={false}>
        <KonvaImage image={image} />
      </Layer>
      <Layer ref={layer} scaleX={scale} scaleY={scale}>
        {ordered.map((annotation) => (
          <ShapeView
            key={annotation.id}
            annotation={annotation}
            look={{
              selected: selected.includes(annotation.id),
              hovered: hovered.includes(annotation.id),
              flagged: stale.has(annotation.id),
              review: marks.get(annotation.id) ?? null,
            }}
            scale={scale}
            size={size}
            editable={editable}
            handlers={handlers}
          />
        ))}
        <Transformer
          ref={transformer}
          rotateEnabled={false}
          keepRatio={false}
          ignoreStroke
          flipEnabled={false}
          onTransformEnd={resized}
          boundBoxFunc={(old, next) =>
            next.width < MIN_SIZE * scale ||
            next.height < MIN_SIZE * scale ||
            next.x < -0.5 ||
            next.y < -0.5 ||
            next.x + next.width > size.width * scale + 0.5 ||
            next.y + next.height > size.height * scale + 0.5
              ? old
              : next
          }
        />
      </Layer>
      <Layer scaleX={scale} scaleY={scale} listening={false}>
        {drawing?.kind === "box" && (
          <Sketch points={corners(boxOf(drawing.from, drawing.to))} closed pointer={null} scale={scale} />
        )}
        {drawing?.kind === "polygon" && (
          <Sketch points={drawing.points} closed={false} pointer={drawing.pointer} scale={scale} />
        )}
        {pending?.type === "box" && <Sketch points={corners(pending)} closed pointer={null} scale={scale} />}
        {pending?.type === "polygon" && <Sketch points={pending.points} closed pointer={null} scale={scale} />}
      </Layer>
    </Stage>
  );
}

function boxOf(from: Point, to: Point): { x: number; y: number; w: number; h: number } {
  return {
    x: Math.min(from[0], to[0]),
    y: Math.min(from[1], to[1]),
    w: Math.abs(to[0] - from[0]),
    h: Math.abs(to[1] - from[1]),
  };
}
