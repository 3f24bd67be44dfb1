/**
 * What the video overlay draws for masks and the Model tool, in the video's pixels: the
 * masks of the frame shown (a model's GrabCut or SAM candidates), each its pixels in the
 * class colour, half transparent (more when selected or hovered), a model's candidate in a
 * dashed frame tagged "model" with its confidence; and the points clicked for a model on
 * this frame, green on the thing and red off it. A press on a mask's box selects it (with
 * the select tool; Shift adds it), as a press on a box does.
 */
import { useMemo, type PointerEvent } from "react";

import { candidateBadge } from "../editing/candidates";
import type { PromptPoint } from "../editing/proposals";
import { maskCanvas } from "../image/maskCanvas";
import { maskBitmap } from "../image/masks";
import { labelColour } from "../ui/colour";
import type { Annotation } from "../work/objects";

/** A mask annotation over the video (nothing for an empty one). */
export function VideoMask({
  annotation,
  lit,
  stroke,
  pick,
}: {
  annotation: Annotation;
  lit: boolean;
  stroke: number;
  pick: (event: PointerEvent<SVGElement>) => void;
}) {
  const geometry = annotation.geometry;
  const colour = labelColour(annotation.label);
  const bitmap = geometry.type === "mask" ? maskBitmap(geometry.rle) : null;
  const href = useMemo(() => (bitmap === null ? null : maskCanvas(bitmap, colour)?.toDataURL()), [bitmap, colour]);
  if (bitmap === null || href == null) return null;
  const badge = candidateBadge(annotation);
  return (
    <g data-annotation={annotation.id} data-lit={lit || undefined} className="mask">
      <image
        onPointerDown={pick}
        href={href}
        x={bitmap.left}
        y={bitmap.top}
        width={bitmap.boxWidth}
        height={bitmap.boxHeight}
        preserveAspectRatio="none"
        opacity={lit ? 0.8 : 0.45}
      />
      {badge !== null && (
        <rect
          x={bitmap.left}
          y={bitmap.top}
          width={bitmap.boxWidth}
          height={bitmap.boxHeight}
          fill="none"
          stroke={colour}
          strokeWidth={stroke * (lit ? 1.5 : 1)}
          strokeDasharray={`${stroke * 4} ${stroke * 3}`}
          pointerEvents="none"
        />
      )}
      <text
        x={bitmap.left + stroke * 3}
        y={bitmap.top + stroke * 6}
        stroke={colour}
        strokeWidth={stroke}
        paintOrder="stroke"
      >
        {badge === null ? annotation.label : `${annotation.label} · ${badge}`}
      </text>
    </g>
  );
}

/** The points clicked for a model on the frame shown. */
export function PromptDots({ points, stroke }: { points: readonly PromptPoint[]; stroke: number }) {
  return (
    <g className="prompt-points" pointerEvents="none">
      {points.map((point, index) => (
        <circle
          key={index}
          cx={point.x}
          cy={point.y}
          r={stroke * 2.5}
          fill={point.positive ? "#12b76a" : "#f04438"}
          stroke="#fff"
          strokeWidth={stroke * 0.75}
        />
      ))}
    </g>
  );
}
