import { useCallback, useMemo, useRef } from "react";

import type { Fraction } from "../clock/fraction";
import { footprint, viewBox, type ScreenPoint } from "../player/birdsEye";
import "../player/player.css";
import { shapeAt } from "../player/tracks";
import { useClockListener, useClockValue } from "../player/usePlayback";
import { labelColour } from "../ui/colour";
import { Legend } from "../ui/Legend";
import { useFocus, useWorkspace } from "../workspace/Workspace";
import type { PaneProps } from "./registry";
import type { Annotation } from "./sample";
import { useStreamAnnotations } from "./useStreamAnnotations";

type Vec3 = readonly [number, number, number];

/** A cuboid to draw on the sweep shown. */
interface Footprint {
  readonly annotation: Annotation;
  readonly center: Vec3;
  readonly size: Vec3;
  readonly yaw: number;
  /** A cuboid of its own or a track's key sweep (solid), else interpolated (dashed). */
  readonly key: boolean;
}

const RING_METRES = 10;

/**
 * A point-cloud stream seen from above (`player/birdsEye`): its cuboids and the shapes of
 * its cuboid tracks on the sweep at the master clock's time (the nearest sweep), key sweeps
 * solid and interpolated ones dashed, each with its heading; rings every 10 m around the
 * sensor. Clicking a cuboid selects it. For tests the root carries `data-sweep` and
 * `data-time` (the clock's sample time), written on every clock notification.
 */
export function PointCloudPane({ stream }: PaneProps) {
  const { timeline } = useWorkspace();
  const select = useFocus((state) => state.select);
  const hover = useFocus((state) => state.hover);
  const selected = useFocus((state) => state.selected);
  const hovered = useFocus((state) => state.hovered);
  const root = useRef<HTMLDivElement>(null);
  const annotations = useStreamAnnotations(stream.id);
  const sweepAt = useCallback((time: Fraction) => timeline.indexAt(stream.id, time), [timeline, stream.id]);
  const sweep = useClockValue(sweepAt);
  // written straight to the DOM on every clock notification, so both agree at any instant
  const showTime = useCallback(
    (time: Fraction) => {
      if (root.current === null) return;
      root.current.dataset.time = String(time.toNumber());
      root.current.dataset.sweep = String(timeline.indexAt(stream.id, time) ?? "");
    },
    [timeline, stream.id],
  );
  useClockListener(showTime);

  const box = useMemo(() => viewBox(everyCorner(annotations)), [annotations]);
  const shown = footprintsOn(annotations, sweep);
  const [left, top, side] = box;
  const rings = Array.from({ length: Math.ceil(side / RING_METRES) }, (_, i) => (i + 1) * RING_METRES);
  const line = side / 300;
  return (
    <div ref={root} className="player player-pointcloud">
      <svg className="birds-eye" viewBox={box.join(" ")} role="img" aria-label={`${stream.name} from above`}>
        {rings.map((radius) => (
          <circle key={radius} className="ring" r={radius} strokeWidth={line} />
        ))}
        <polygon points={`0,${-side / 40} ${side / 80},${side / 80} ${-side / 80},${side / 80}`} fill="#e2e8f0" />
        {shown.map(({ annotation, center, size, yaw, key }) => {
          const { corners, front } = footprint(center, size, yaw);
          const colour = labelColour(annotation.label);
          const emphasis = selected.includes(annotation.id) ? 2.5 : hovered.includes(annotation.id) ? 1.8 : 1;
          const middle = { u: -center[1], v: -center[0] };
          return (
            <g
              key={annotation.id}
              className={key ? "cuboid key" : "cuboid interpolated"}
              data-annotation={annotation.id}
              onClick={(event) => select([annotation.id], event.shiftKey)}
              onMouseEnter={() => hover([annotation.id])}
              onMouseLeave={() => hover([])}
            >
              <title>{`${annotation.label}${key ? "" : " (interpolated)"}`}</title>
              <polygon
                points={pointsOf(corners)}
                fill={labelColour(annotation.label, 0.25)}
                stroke={colour}
                strokeWidth={line * emphasis}
              />
              <line x1={middle.u} y1={middle.v} x2={front.u} y2={front.v} stroke={colour} strokeWidth={line * emphasis} />
              <text x={front.u} y={front.v - line * 4} fontSize={line * 12} textAnchor="middle">
                {annotation.label}
              </text>
            </g>
          );
        })}
        <text x={left + line * 6} y={top + line * 16} fontSize={line * 12}>
          {sweep === null ? "no sweep" : `sweep ${sweep}`}
        </text>
      </svg>
      <Legend labels={shown.map((each) => each.annotation.label)} what="cuboid" />
    </div>
  );
}

/** The cuboids on `sweep`: standing ones always, tracks' shapes where present. */
function footprintsOn(annotations: readonly Annotation[], sweep: number | null): Footprint[] {
  return annotations.flatMap((annotation): Footprint[] => {
    const { geometry } = annotation;
    if (geometry.type === "cuboid") {
      return [{ annotation, center: geometry.center, size: geometry.size, yaw: geometry.rotation[2], key: true }];
    }
    if (geometry.type !== "track" || geometry.shape !== "cuboid" || sweep === null) return [];
    const shape = shapeAt(geometry, sweep);
    if (shape === null || shape.type !== "cuboid") return [];
    return [{ annotation, center: shape.center, size: shape.size, yaw: shape.rotation[2], key: shape.key }];
  });
}

/** Every corner any cuboid or key sweep of a track reaches, to fit the view once. */
function everyCorner(annotations: readonly Annotation[]): ScreenPoint[] {
  return annotations.flatMap(({ geometry }): ScreenPoint[] => {
    if (geometry.type === "cuboid") return footprint(geometry.center, geometry.size, geometry.rotation[2]).corners;
    if (geometry.type !== "track" || geometry.shape !== "cuboid") return [];
    return geometry.keyframes.flatMap((key) =>
      key.center && key.size ? footprint(key.center, key.size, key.rotation?.[2] ?? 0).corners : [],
    );
  });
}

function pointsOf(points: readonly ScreenPoint[]): string {
  return points.map(({ u, v }) => `${u},${v}`).join(" ");
}
