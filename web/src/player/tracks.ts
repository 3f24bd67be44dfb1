/**
 * What a track shows on a frame (or sweep), by the rules of `rosetta.core.tracks.shape_at`:
 * key frames are the truth (frames marked `interpolated` are ignored); before the first key
 * frame and from an outside key frame until the next, the object is absent; between a key
 * frame and the next the shape is interpolated (also towards an outside one), polygons only
 * when both have as many vertices (else the earlier is held); after the last key frame the
 * shape is held. Boxes and polygons move linearly; cuboids move centre and size linearly
 * and turn each angle along the shorter arc.
 */
import type { components } from "../api/schema";

type Schemas = components["schemas"];
type Track = Schemas["Track"];
type TrackFrame = Schemas["TrackFrame"];
type Vec3 = [number, number, number];

/** A track's shape on one frame; `key` when the frame is a key frame, `occluded` as the
 * key frame it comes from says. */
export type TrackShape = (
  | { readonly type: "box"; readonly x: number; readonly y: number; readonly w: number; readonly h: number }
  | { readonly type: "polygon"; readonly points: readonly (readonly [number, number])[] }
  | { readonly type: "cuboid"; readonly center: Vec3; readonly size: Vec3; readonly rotation: Vec3 }
) & { readonly frame: number; readonly key: boolean; readonly occluded: boolean };

const TAU = 2 * Math.PI;

/** The shape of `track` on `frame`, `null` where the object is absent. */
export function shapeAt(track: Track, frame: number): TrackShape | null {
  const keys = track.keyframes.filter((key) => !key.interpolated);
  let index = -1;
  for (let lo = 0, hi = keys.length; lo < hi; ) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as TrackFrame).frame <= frame) {
      index = mid;
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  const key = keys[index];
  if (key === undefined || key.outside) return null;
  const kind = track.shape ?? "box";
  const a = vector(kind, key);
  const next = keys[index + 1];
  const isKey = key.frame === frame;
  let values = a;
  if (!isKey && next !== undefined) {
    const b = vector(kind, next);
    if (b.length === a.length) {
      const t = (frame - key.frame) / (next.frame - key.frame);
      values = a.map((value, i) => {
        let step = (b[i] as number) - value;
        if (kind === "cuboid" && i >= 6) step = arc(step);
        return value + step * t;
      });
    }
  }
  return shapeOf(kind, values, { frame, key: isKey, occluded: key.occluded === true });
}

/** Angle difference taken into `[-π, π)`, the shorter way round (Python's modulo). */
function arc(difference: number): number {
  const shifted = (difference + Math.PI) % TAU;
  return (shifted < 0 ? shifted + TAU : shifted) - Math.PI;
}

function vector(kind: string, key: TrackFrame): number[] {
  if (kind === "box") return [key.x ?? 0, key.y ?? 0, key.w ?? 0, key.h ?? 0];
  if (kind === "polygon") return (key.points ?? []).flat();
  return [...(key.center ?? [0, 0, 0]), ...(key.size ?? [0, 0, 0]), ...(key.rotation ?? [0, 0, 0])];
}

function shapeOf(
  kind: string,
  v: readonly number[],
  about: { frame: number; key: boolean; occluded: boolean },
): TrackShape {
  const at = (i: number): number => v[i] as number;
  if (kind === "box") return { type: "box", x: at(0), y: at(1), w: at(2), h: at(3), ...about };
  if (kind === "polygon") {
    const points: [number, number][] = [];
    for (let i = 0; i + 1 < v.length; i += 2) points.push([at(i), at(i + 1)]);
    return { type: "polygon", points, ...about };
  }
  return {
    type: "cuboid",
    center: [at(0), at(1), at(2)],
    size: [at(3), at(4), at(5)],
    rotation: [at(6), at(7), at(8)],
    ...about,
  };
}

/** The runs of frames `[first, last]` (both in) where `track` shows its object, up to
 * frame `end` (the stream's last): from each key frame that is not outside to the frame
 * before the next key frame, the last one's to `end`. */
export function inView(track: Track, end: number): [number, number][] {
  const keys = track.keyframes.filter((key) => !key.interpolated);
  const runs: [number, number][] = [];
  keys.forEach((key, index) => {
    const last = Math.min((keys[index + 1]?.frame ?? end + 1) - 1, end);
    if (key.outside || key.frame > last) return;
    const previous = runs.at(-1);
    if (previous !== undefined && previous[1] + 1 === key.frame) previous[1] = last;
    else runs.push([key.frame, last]);
  });
  return runs;
}
