/**
 * A mask annotation on the image pane: its pixels in the class colour, half transparent,
 * on a canvas painted once (`image/maskCanvas`) and shown as a Konva image at its bounding
 * box; lit (selected or hovered) it is more opaque and glows; a model's candidate has a
 * dashed frame around its bounding box. Masks do not take the pointer: the stage finds
 * the mask under a click on the decoded pixels (`image/masks` `maskAt`), not on the box.
 */
import { memo } from "react";
import { Image as KonvaImage, Rect } from "react-konva";

import { isCandidate } from "../editing/candidates";
import { maskCanvas } from "../image/maskCanvas";
import { maskBitmap } from "../image/masks";
import { labelColour } from "../ui/colour";
import { candidateDash, reviewGlow, sameView, ShapeTag, type ViewProps } from "./ImagePaneShapes";

/** How opaque a mask is drawn at rest and lit. */
const OPACITY = { rest: 0.45, lit: 0.8 };

/** A mask annotation (nothing for an empty one). */
export const MaskView = memo(function MaskView({ annotation, look, scale }: ViewProps) {
  const geometry = annotation.geometry;
  if (geometry.type !== "mask") return null;
  const bitmap = maskBitmap(geometry.rle);
  const colour = labelColour(annotation.label);
  const canvas = maskCanvas(bitmap, colour);
  if (canvas === null) return null;
  const lit = look.selected || look.hovered;
  return (
    <>
      <KonvaImage
        image={canvas}
        x={bitmap.left}
        y={bitmap.top}
        width={bitmap.boxWidth}
        height={bitmap.boxHeight}
        opacity={lit ? OPACITY.lit : OPACITY.rest}
        listening={false}
        perfectDrawEnabled={false}
        {...(lit ? { shadowColor: colour, shadowBlur: 12 / scale, shadowOpacity: 1 } : reviewGlow(look, scale))}
      />
      {isCandidate(annotation) && (
        <Rect
          x={bitmap.left}
          y={bitmap.top}
          width={bitmap.boxWidth}
          height={bitmap.boxHeight}
          stroke={colour}
          strokeWidth={(lit ? 2.5 : 1.5) / scale}
          dash={candidateDash(scale)}
          listening={false}
          perfectDrawEnabled={false}
        />
      )}
      <ShapeTag annotation={annotation} corner={[bitmap.left, bitmap.top]} scale={scale} look={look} />
    </>
  );
}, sameView);
