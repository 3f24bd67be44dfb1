/**
 * The image pane's Konva stage, one layer each for the image, every annotation at rest,
 * the lit copies of the selected and hovered ones (with a transformer's handles on the
 * selected boxes and the name of the keypoint under the pointer), and the shape being
 * drawn (see `ImagePaneLayers`). The tools turn pointer events into image pixels for
 * `editing/drawing` (the Model tool's for `editing/modelPointer`, the annotations then
 * letting every click through to it, with the points clicked drawn green on the thing
 * and red off it); a click on no shape selects the mask under it, if any.
 */
import type Konva from "konva";
import type { KonvaEventObject } from "konva/lib/Node";
import { useEffect, useMemo, useRef, useState } from "react";
import { Circle, Image as KonvaImage, Label, Layer, Stage, Tag, Text, Transformer } from "react-konva";
import { useStore } from "zustand";

import type { Point } from "../editing/editor";
import { finishPolygon, pointerDown, pointerMove, pointerUp } from "../editing/drawing";
import { useCommandContext, useEditing, useEditor, useReviewMarks } from "../editing/EditingProvider";
import { modelPointerDown, modelPointerUp } from "../editing/modelPointer";
import type { PromptPoint } from "../editing/proposals";
import { MIN_SIZE, resizeBox, type Size } from "../editing/shapes";
import { useStaleLinks } from "../editing/useWorkViews";
import { drawingOrder } from "../image/drawingOrder";
import { pointName } from "../image/keypoints";
import { maskAt, maskBitmap } from "../image/masks";
import type { Annotation } from "../work/objects";
import { useFocus } from "../workspace/Workspace";
import { LitAnnotations, RestingAnnotations, type ActivePoint } from "./ImagePaneLayers";
import { corners, Sketch, type ShapeHandlers } from "./ImagePaneShapes";

export function ImagePaneStage({
  streamId,
  image,
  scale,
  annotations,
}: {
  streamId: string;
  image: HTMLImageElement;
  scale: number;
  /** The stream's boxes, polygons, masks and keypoints. */
  annotations: readonly Annotation[];
}) {
  const context = useCommandContext();
  const { proposals } = useEditing();
  const tool = useEditor((state) => state.tool);
  const prompted = useStore(proposals.state, (state) =>
    state.points?.stream === streamId && state.points.frame === null ? state.points.points : null,
  );
  const drawing = useEditor((state) => (state.drawing?.stream === streamId ? state.drawing : null));
  const pending = useEditor((state) =>
    state.labelling?.for === "new" && state.labelling.stream === streamId ? state.labelling.geometry : null,
  );
  const selected = useFocus((state) => state.selected);
  const hovered = useFocus((state) => state.hovered);
  const stale = useStaleLinks();
  const marks = useReviewMarks();
  const resting = useRef<Konva.Layer>(null);
  const lit = useRef<Konva.Layer>(null);
  const transformer = useRef<Konva.Transformer>(null);
  const drags = useRef(0);
  const [pointed, setPointed] = useState<ActivePoint | null>(null);
  const [active, setActive] = useState<ActivePoint | null>(null);
  const size: Size = useMemo(() => ({ width: image.naturalWidth, height: image.naturalHeight }), [image]);
  const editable = tool === "select";
  const prompting = tool === "model";
  const ordered = useMemo(() => drawingOrder(annotations), [annotations]);
  const masks = useMemo(
    () =>
      ordered.flatMap((a) => (a.geometry.type === "mask" ? [{ id: a.id, bitmap: maskBitmap(a.geometry.rle) }] : [])),
    [ordered],
  );

  const handlers = useMemo<ShapeHandlers>(
    () => ({
      pick: (id, additive, keypoint) => {
        const focus = context.focus.getState();
        if (additive || !focus.selected.includes(id)) focus.select([id], additive);
        setActive(keypoint === undefined ? null : { id, index: keypoint });
      },
      // the moves of one drag undo as one step, the next drag is a step of its own
      change: (id, geometry, live) =>
        context.work
          .getState()
          .updateAnnotation(id, { geometry }, live ? { coalesce: `drag ${drags.current} ${id}` } : {}),
      follow: (node) => {
        const other = node.getLayer() === resting.current ? lit.current : resting.current;
        const twin = other?.findOne((candidate: Konva.Node) => candidate.id() === node.id());
        twin?.setAttrs({ x: node.x(), y: node.y(), scaleX: node.scaleX(), scaleY: node.scaleY() });
      },
      point: (id, index) => setPointed(index === null ? null : { id, index }),
    }),
    [context],
  );

  const boxes = annotations.filter((a) => a.geometry.type === "box" && selected.includes(a.id)).map((a) => a.id);
  const boxKey = editable ? boxes.join(" ") : "";
  useEffect(() => {
    const found =
      boxKey === "" ? [] : (lit.current?.find((node: Konva.Node) => boxKey.split(" ").includes(node.id())) ?? []);
    transformer.current?.nodes(found);
  }, [boxKey, annotations]);

  const point = (event: KonvaEventObject<MouseEvent>): Point | null => {
    const pointer = event.target.getStage()?.getPointerPosition();
    return pointer == null ? null : [pointer.x / scale, pointer.y / scale];
  };
  const down = (event: KonvaEventObject<MouseEvent>): void => {
    const at = point(event);
    if (at === null || event.evt.button !== 0) return;
    if (prompting) {
      modelPointerDown(context, streamId, at, size);
      return;
    }
    const additive = event.evt.shiftKey;
    // no shape took the click: the mask under it, if any (Shift+click under a drawing tool)
    const onStage = event.target === event.target.getStage();
    const mask = onStage && (editable || additive) ? maskAt(masks, at[0], at[1]) : null;
    if (mask !== null) handlers.pick(mask, additive);
    else if (!editable) pointerDown(context, streamId, at, scale);
    else if (onStage && !additive) context.focus.getState().select([]);
  };
  const resized = (event: KonvaEventObject<Event>): void => {
    const node = event.target;
    const annotation = annotations.find((a) => a.id === node.id());
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
    handlers.follow(node);
    handlers.change(annotation.id, box, false);
  };

  // what both layers draw from (each shape compares these props one by one)
  const drawn = { annotations: ordered, stale, marks, scale, size, editable, handlers };
  return (
    <Stage
      width={size.width * scale}
      height={size.height * scale}
      onMouseDown={down}
      onMouseMove={(event) => {
        const at = point(event);
        if (at !== null && !editable) pointerMove(context, streamId, at);
      }}
      onMouseUp={(event) =>
        prompting
          ? modelPointerUp(context, proposals, streamId, {
              size,
              scale,
              negative: event.evt.shiftKey || event.evt.altKey,
              frame: null,
            })
          : pointerUp(context, streamId)
      }
      onDragStart={() => {
        drags.current += 1;
      }}
      onDblClick={() => finishPolygon(context)}
    >
      <Layer scaleX={scale} scaleY={scale} listening={false}>
        <KonvaImage image={image} />
      </Layer>
      <Layer ref={resting} scaleX={scale} scaleY={scale} listening={!prompting}>
        <RestingAnnotations {...drawn} />
      </Layer>
      <Layer ref={lit} scaleX={scale} scaleY={scale} listening={!prompting}>
        <LitAnnotations {...drawn} selected={selected} hovered={hovered} active={active} />
        <Transformer
          ref={transformer}
          rotateEnabled={false}
          keepRatio={false}
          ignoreStroke
          flipEnabled={false}
          onTransform={(event) => handlers.follow(event.target)}
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
        {pointed !== null && <PointName annotations={annotations} pointed={pointed} scale={scale} />}
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
        {prompted?.map((at, index) => <PromptDot key={index} point={at} scale={scale} />)}
      </Layer>
    </Stage>
  );
}

/** A point clicked for a model: green on the thing, red off it. */
function PromptDot({ point, scale }: { point: PromptPoint; scale: number }) {
  return (
    <Circle
      x={point.x}
      y={point.y}
      radius={5 / scale}
      fill={point.positive ? "#12b76a" : "#f04438"}
      stroke="#fff"
      strokeWidth={1.5 / scale}
    />
  );
}

/** The name of the keypoint under the pointer, beside it. */
function PointName({
  annotations,
  pointed,
  scale,
}: {
  annotations: readonly Annotation[];
  pointed: ActivePoint;
  scale: number;
}) {
  const geometry = annotations.find((a) => a.id === pointed.id)?.geometry;
  const at = geometry?.type === "keypoints" ? geometry.points[pointed.index] : undefined;
  if (geometry?.type !== "keypoints" || at === undefined) return null;
  const size = 12 / scale;
  return (
    <Label x={at[0] + 8 / scale} y={at[1] - 8 / scale - size * 1.5} listening={false}>
      <Tag fill="rgba(16, 24, 40, 0.85)" cornerRadius={3 / scale} />
      <Text text={pointName(geometry, pointed.index)} fontSize={size} padding={size * 0.3} fill="#fff" />
    </Label>
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
