/**
 * Key-frame editing of video tracks (boxes or polygons, pixels, by frame index of their
 * stream), by the rules of `rosetta.core.tracks` and `core/geometry.Track`:
 *
 * - Pure operations (`setKeyFrame`, `addKeyFrame`, `deleteKeyFrame`, `toggleOutside`,
 *   `newTrack`) give a new track. Like `with_keyframe`, a changed key frame drops the
 *   frames marked `interpolated` of the segments it bounds, which no longer hold.
 * - `checkTrack` refuses what the server's submission would (`inside-bounds` and the
 *   track's own rules), naming the frame, so an edit that would not save is not made.
 * - Commands apply them to the selected tracks of a video stream through the work store
 *   (one undo step each), turning a refusal into a notice.
 *
 * Key frames are stored in hundredths of a pixel, a box rounded by its edges, so a shape
 * inside the frame stays inside and the stored JSON carries no float noise.
 */
import type { components } from "../api/schema";
import { shapeAt, type TrackShape } from "../player/tracks";
import { WorkError } from "../work/edits";
import type { Annotation, Sample } from "../work/objects";
import { askNewLabel, attempt, type CommandContext } from "./commands";
import type { Point } from "./editor";
import { moveVertex, nudge, placeBox, resizeBox, type Box, type Polygon, type Size } from "./shapes";

type Schemas = components["schemas"];
export type Track = Schemas["Track"];
export type TrackFrame = Schemas["TrackFrame"];

/** A key frame's shape: a box's `x, y, w, h` or a polygon's vertices, in pixels. */
export type KeyShape =
  | { readonly x: number; readonly y: number; readonly w: number; readonly h: number }
  | { readonly points: readonly Point[] };

/** What the server checks a track against: the frame's size in pixels and the stream's
 * frame count (`null`: not known here, not checked). */
export interface TrackBounds {
  readonly width: number;
  readonly height: number;
  readonly frames: number | null;
}

/** How far a shape may stick out of the frame (`core/validation.EPSILON`). */
const EPSILON = 1e-6;

const round = (value: number): number => Math.round(value * 100) / 100;

/** The key frames of `track` (not the frames filled in by interpolation), in frame order. */
export function keyFrames(track: Track): TrackFrame[] {
  return track.keyframes.filter((key) => key.interpolated !== true);
}

/** The key frame of `track` on `frame`, if there is one. */
export function keyFrameAt(track: Track, frame: number): TrackFrame | undefined {
  return keyFrames(track).find((key) => key.frame === frame);
}

/** The nearest key frame before (`-1`) or after (`1`) `frame`, `null` when there is none. */
export function neighbourKey(track: Track, frame: number, direction: -1 | 1): number | null {
  const frames = keyFrames(track).map((key) => key.frame);
  const found = direction < 0 ? frames.filter((f) => f < frame).at(-1) : frames.find((f) => f > frame);
  return found ?? null;
}

/** A new box track with one key frame, `box` on `frame`. */
export function newTrack(box: { x: number; y: number; w: number; h: number }, frame: number): Track {
  return { type: "track", keyframes: [{ frame, x: box.x, y: box.y, w: box.w, h: box.h, outside: false }] };
}

/** `track` with `shape` as the key frame on `frame` (in view; a key frame there keeps its
 * `occluded`, a new one takes it from the frame before). */
export function setKeyFrame(track: Track, frame: number, shape: KeyShape): Track {
  requireShape(track, shape);
  const existing = keyFrameAt(track, frame);
  const occluded = existing === undefined ? shapeAt(track, frame)?.occluded === true : null;
  const key: TrackFrame = {
    ...(existing ?? { frame }),
    ...fieldsOf(rounded(shape)),
    outside: false,
    ...(occluded === true ? { occluded } : {}),
  };
  return placed(track, key);
}

/** `track` with a key frame on `frame` holding the shape shown there (interpolated or
 * held); where the object is absent, the shape it had last (before the first key frame,
 * the first one's), in view. */
export function addKeyFrame(track: Track, frame: number): Track {
  if (keyFrameAt(track, frame) !== undefined) throw new WorkError(`frame ${frame} is a key frame already`);
  const shown = shapeAt(track, frame);
  return setKeyFrame(track, frame, shown === null ? shapeOf(heldKey(track, frame)) : keyShapeOf(shown));
}

/** `track` without its key frame on `frame`; a track keeps one key frame at least. */
export function deleteKeyFrame(track: Track, frame: number): Track {
  const keys = keyFrames(track);
  if (!keys.some((key) => key.frame === frame)) throw new WorkError(`frame ${frame} is not a key frame`);
  if (keys.length === 1) {
    throw new WorkError(`frame ${frame} is the track's only key frame: delete the track instead`);
  }
  return { ...track, keyframes: withoutFills(track, frame).filter((key) => key.frame !== frame) };
}

/** `track` with the object leaving view on `frame` (an outside key frame there, with the
 * shape shown there), or, where it is absent or a key frame is outside, coming back. */
export function toggleOutside(track: Track, frame: number): Track {
  const existing = keyFrameAt(track, frame);
  if (existing !== undefined) return placed(track, { ...existing, outside: !existing.outside });
  const shown = shapeAt(track, frame);
  if (shown === null) return addKeyFrame(track, frame);
  return placed(track, { ...fieldsOf(rounded(keyShapeOf(shown))), frame, outside: true });
}

/**
 * Throws a `WorkError` for what the server refuses of `track` on a stream of `bounds`: no
 * key frame, frames not increasing or past the last one, a first frame marked
 * interpolated, an outside frame marked interpolated, missing fields, a size that is not
 * positive, a shape outside the frame.
 */
export function checkTrack(track: Track, bounds: TrackBounds): void {
  const kind = track.shape ?? "box";
  if (kind === "cuboid") throw new WorkError("a cuboid track cannot sit on a video stream");
  if (track.keyframes.length === 0) throw new WorkError("a track needs one key frame at least");
  if (track.keyframes[0]?.interpolated === true) throw new WorkError("a track's first frame must be a key frame");
  track.keyframes.forEach((key, index) => {
    const where = `key frame ${key.frame}`;
    const previous = track.keyframes[index - 1];
    if (!Number.isInteger(key.frame) || key.frame < 0) throw new WorkError(`${where}: not a frame index`);
    if (previous !== undefined && key.frame <= previous.frame) {
      throw new WorkError(`key frames must be in increasing frame order (${previous.frame} then ${key.frame})`);
    }
    if (bounds.frames !== null && key.frame >= bounds.frames) {
      throw new WorkError(`${where} is past the last frame (${bounds.frames - 1})`);
    }
    if (key.interpolated === true && key.outside) throw new WorkError(`${where}: an interpolated frame cannot be outside`);
    if (kind === "box") checkBox(key, where, bounds);
    else checkPolygon(key, where, bounds);
  });
}

function checkBox(key: TrackFrame, where: string, { width, height }: TrackBounds): void {
  const { x, y, w, h } = key;
  if (x == null || y == null || w == null || h == null) throw new WorkError(`${where}: a box needs x, y, w and h`);
  if (w <= 0 || h <= 0) throw new WorkError(`${where}: the box's width and height must be positive`);
  if (x < -EPSILON || y < -EPSILON || x + w > width + EPSILON || y + h > height + EPSILON) {
    throw new WorkError(`${where}: box x=${x} y=${y} w=${w} h=${h} must lie inside the ${width}x${height} frame`);
  }
}

function checkPolygon(key: TrackFrame, where: string, { width, height }: TrackBounds): void {
  const points = key.points ?? [];
  if (points.length < 3) throw new WorkError(`${where}: a polygon needs three vertices or more`);
  for (const [x, y] of points) {
    if (!(-EPSILON <= x && x <= width + EPSILON && -EPSILON <= y && y <= height + EPSILON)) {
      throw new WorkError(`${where}: point (${x}, ${y}) is outside the ${width}x${height} frame`);
    }
  }
}

/** The frames of `track` without the interpolated ones between the key frames around
 * `frame` (they were computed from a key frame that changes). */
function withoutFills(track: Track, frame: number): TrackFrame[] {
  const low = neighbourKey(track, frame, -1) ?? -1;
  const high = neighbourKey(track, frame, 1) ?? Number.POSITIVE_INFINITY;
  return track.keyframes.filter((key) => !(key.interpolated === true && low < key.frame && key.frame < high));
}

/** `track` with `key` in its place, replacing any frame on the same frame. */
function placed(track: Track, key: TrackFrame): Track {
  const frames = withoutFills(track, key.frame).filter((each) => each.frame !== key.frame);
  const at = frames.findIndex((each) => each.frame > key.frame);
  frames.splice(at < 0 ? frames.length : at, 0, key);
  return { ...track, keyframes: frames };
}

/** The key frame whose shape stands for the object where it is absent: the one whose
 * segment holds `frame` (an outside one), or the first. */
function heldKey(track: Track, frame: number): TrackFrame {
  const keys = keyFrames(track);
  return keys.filter((key) => key.frame <= frame).at(-1) ?? (keys[0] as TrackFrame);
}

function requireShape(track: Track, shape: KeyShape): void {
  const kind = track.shape ?? "box";
  const given = "points" in shape ? "polygon" : "box";
  if (kind !== given) throw new WorkError(`a ${kind} track takes ${kind} key frames, not a ${given}`);
}

function shapeOf(key: TrackFrame): KeyShape {
  if (key.points != null) return { points: key.points };
  return { x: key.x ?? 0, y: key.y ?? 0, w: key.w ?? 0, h: key.h ?? 0 };
}

function fieldsOf(shape: KeyShape): Partial<TrackFrame> {
  if ("points" in shape) return { points: shape.points.map(([x, y]): [number, number] => [x, y]) };
  return { x: shape.x, y: shape.y, w: shape.w, h: shape.h };
}

/** A track's shape on a frame as a key frame's. */
function keyShapeOf(shape: TrackShape): KeyShape {
  if (shape.type === "polygon") return { points: shape.points };
  if (shape.type !== "box") throw new WorkError("only box and polygon tracks are edited on a video");
  return { x: shape.x, y: shape.y, w: shape.w, h: shape.h };
}

/** `shape` in hundredths of a pixel; a box by its edges, so it stays inside the frame. */
function rounded(shape: KeyShape): KeyShape {
  if ("points" in shape) return { points: shape.points.map(([x, y]) => [round(x), round(y)]) };
  const [left, top] = [round(shape.x), round(shape.y)];
  return { x: left, y: top, w: round(round(shape.x + shape.w) - left), h: round(round(shape.y + shape.h) - top) };
}

/** What a drag on a track's shape holds: the whole shape, a box's side or corner (by
 * compass point, `n` the top side), or a polygon's vertex (by index). */
export type Grip = "move" | "n" | "s" | "e" | "w" | "ne" | "nw" | "se" | "sw" | number;

/** `shape` after dragging its `grip` by `dx, dy` pixels, inside a frame of `size` (a
 * side dragged past the opposite one flips the box; it keeps `shapes.MIN_SIZE`). */
export function dragShape(shape: KeyShape, grip: Grip, dx: number, dy: number, size: Size): KeyShape {
  if ("points" in shape) {
    const polygon: Polygon = { type: "polygon", points: shape.points.map(([x, y]): [number, number] => [x, y]) };
    if (typeof grip !== "number") {
      const moved = nudge(polygon, dx, dy, size);
      return moved.type === "polygon" ? { points: moved.points } : shape;
    }
    const point = shape.points[grip];
    return point === undefined ? shape : { points: moveVertex(polygon, grip, [point[0] + dx, point[1] + dy], size).points };
  }
  if (typeof grip === "number") return shape;
  const box: Box = { type: "box", ...shape };
  if (grip === "move") {
    const { x, y, w, h } = placeBox(box, shape.x + dx, shape.y + dy, size);
    return { x, y, w, h };
  }
  const left = shape.x + (grip.includes("w") ? dx : 0);
  const right = shape.x + shape.w + (grip.includes("e") ? dx : 0);
  const top = shape.y + (grip.includes("n") ? dy : 0);
  const bottom = shape.y + shape.h + (grip.includes("s") ? dy : 0);
  const { x, y, w, h } = resizeBox(box, left, top, right - left, bottom - top, size);
  return { x, y, w, h };
}

// --- commands -------------------------------------------------------------------------------

/** A key-frame edit at the frame shown. */
export type KeyFrameEdit = "add" | "delete" | "outside";

const EDITS: Readonly<Record<KeyFrameEdit, (track: Track, frame: number) => Track>> = {
  add: addKeyFrame,
  delete: deleteKeyFrame,
  outside: toggleOutside,
};

/** What the server checks tracks on video stream `streamId` against; `null` for a stream
 * that is not a video with a known size. */
export function trackBounds(sample: Sample, streamId: string): TrackBounds | null {
  const stream = (sample.streams ?? []).find((each) => each.id === streamId);
  const { width, height, frame_count: frames } = stream?.media ?? {};
  if (stream?.modality !== "video" || width == null || height == null) return null;
  return { width, height, frames: frames ?? null };
}

/** The selected annotations on `streamId` that are box or polygon tracks. */
export function selectedTracks(context: CommandContext, streamId: string): Annotation[] {
  const selected = context.focus.getState().selected;
  return context.work
    .getState()
    .work.annotations.filter(
      (a) => a.stream === streamId && selected.includes(a.id) && a.geometry.type === "track" && a.geometry.shape !== "cuboid",
    );
}

/** Give annotation `id` (a track on `streamId`) the track `change` makes of it, checked
 * as the server would; whether it was done (else a notice says why). */
export function changeTrack(
  context: CommandContext,
  streamId: string,
  id: string,
  change: (track: Track) => Track,
): boolean {
  return attempt(context, () => {
    const annotation = context.work.getState().work.annotations.find((a) => a.id === id);
    if (annotation?.geometry.type !== "track") throw new WorkError(`annotation ${JSON.stringify(id)} is not a track`);
    const bounds = trackBounds(context.sample, streamId);
    if (bounds === null) throw new WorkError("the video's size is not known, so its tracks cannot be edited");
    const track = change(annotation.geometry);
    checkTrack(track, bounds);
    context.work.getState().updateAnnotation(id, { geometry: track });
  });
}

/** Make `edit` on `frame` of every selected track of `streamId`; whether there was one. */
export function editKeyFrames(context: CommandContext, streamId: string, frame: number, edit: KeyFrameEdit): boolean {
  const tracks = selectedTracks(context, streamId);
  for (const track of tracks) changeTrack(context, streamId, track.id, (t) => EDITS[edit](t, frame));
  return tracks.length > 0;
}

/** The nearest key frame of the selected tracks of `streamId` before (`-1`) or after (`1`)
 * `frame`; `null` when there is none. */
export function adjacentKeyFrame(
  context: CommandContext,
  streamId: string,
  frame: number,
  direction: -1 | 1,
): number | null {
  const found = selectedTracks(context, streamId).flatMap((a) =>
    a.geometry.type === "track" ? (neighbourKey(a.geometry, frame, direction) ?? []) : [],
  );
  if (found.length === 0) return null;
  return direction < 0 ? Math.max(...found) : Math.min(...found);
}

/** Ask for the label of a new track on `streamId`: `box` on `frame`, its one key frame. */
export function startTrack(
  context: CommandContext,
  streamId: string,
  frame: number,
  box: { x: number; y: number; w: number; h: number },
): void {
  askNewLabel(context, streamId, newTrack(box, frame));
}
