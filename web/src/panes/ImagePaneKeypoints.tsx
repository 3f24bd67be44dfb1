/**
 * A keypoints annotation on the image pane: a dot per point that is there (hidden ones
 * hollow), its label tag at the points' top-left corner. With the select tool a point is
 * dragged to move it (kept inside the image; one undo step per drag); pressing a point
 * selects the annotation and makes that point the active one, drawn larger while the
 * annotation is lit. The pointer over a point names it (`ShapeHandlers.point`).
 */
import type { KonvaEventObject } from "konva/lib/Node";
import { memo } from "react";
import { Circle } from "react-konva";

import { cornerOf, drawnPoints, moveKeypoint } from "../image/keypoints";
import { labelColour } from "../ui/colour";
import { bounded, picking, sameView, ShapeTag, type ViewProps } from "./ImagePaneShapes";

/** A keypoints annotation; `active`: the index of its active point (`null`: none). */
export const KeypointsView = memo(function KeypointsView({
  annotation,
  look,
  scale,
  size,
  editable,
  handlers,
  active,
}: ViewProps & { readonly active: number | null }) {
  const geometry = annotation.geometry;
  if (geometry.type !== "keypoints") return null;
  const colour = labelColour(annotation.label);
  const lit = look.selected || look.hovered;
  const corner = cornerOf(geometry);
  const drag = (index: number, live: boolean) => (event: KonvaEventObject<DragEvent>) => {
    const node = event.target;
    handlers.change(annotation.id, moveKeypoint(geometry, index, [node.x(), node.y()], size), live);
  };
  return (
    <>
      {drawnPoints(geometry).map(({ index, x, y, hidden }) => {
        const activePoint = lit && index === active;
        return (
          <Circle
            key={index}
            x={x}
            y={y}
            radius={(activePoint ? 7 : lit ? 5 : 4) / scale}
            fill={hidden || activePoint ? "#fff" : colour}
            stroke={hidden || activePoint ? colour : "#fff"}
            strokeWidth={(activePoint ? 3 : 1.5) / scale}
            perfectDrawEnabled={false}
            // the dots at rest take the pointer, the lit ones above them follow
            listening={!lit}
            draggable={editable && !lit}
            dragBoundFunc={bounded(size, scale)}
            onMouseDown={picking(annotation.id, editable, handlers, index)}
            onMouseEnter={() => handlers.point(annotation.id, index)}
            onMouseLeave={() => handlers.point(annotation.id, null)}
            onDragMove={drag(index, true)}
            onDragEnd={drag(index, false)}
          />
        );
      })}
      {corner !== null && <ShapeTag annotation={annotation} corner={corner} scale={scale} look={look} />}
    </>
  );
}, (before, after) => before.active === after.active && sameView(before, after));
