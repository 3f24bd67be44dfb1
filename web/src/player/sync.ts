/**
 * The rules that keep media elements on the master clock, as pure functions of numbers
 * and the sample's timeline (`PlaybackSync` applies them to real elements).
 *
 * - Where an element belongs at sample time t: its stream's media time (`mediaPosition`),
 *   inside `[0, duration)` or parked at the nearer end.
 * - Frame-exact parking (`parkingTime`): a paused video is put in the middle of the frame
 *   its clock says is on screen at t, so the element's float time lands inside that frame
 *   however it rounds.
 * - The leader (`pickLeader`): while playing, one element is the hardware clock the master
 *   clock follows, an audio element before a video one.
 * - Followers (`correction`): any other element drifting more than the tolerance is sped
 *   up or slowed down a little (proportionally, at most `MAX_NUDGE`), and re-seeked only
 *   when it is off by more than `RESEEK_SECONDS`, because a seek silences audio and
 *   restarts video decoding from a key frame.
 */
import type { FrameTable } from "../clock/frames";
import type { Fraction, TimeLike } from "../clock/fraction";
import type { SampleTimeline } from "../clock/timeline";

/** A follower off by more than this (seconds) is re-seeked instead of nudged. */
export const RESEEK_SECONDS = 0.5;
/** A nudge changes the playback rate by this fraction per second of drift ... */
export const NUDGE_GAIN = 5;
/** ... and by at most this fraction. */
export const MAX_NUDGE = 0.25;
/** How far into the last frame of a timestamp table a paused video is put (seconds). */
const LAST_FRAME_INSET = 0.001;
/** The tolerance when the sample has no video: 20 ms, half a frame at 25 fps. */
export const DEFAULT_TOLERANCE = 0.02;

/** Where an element of a stream belongs: media seconds, and whether they are inside it. */
export interface MediaPosition {
  /** The media time, kept within `[0, duration]`. */
  readonly seconds: number;
  /** Whether the unclamped media time lies in `[0, duration)` (always, without a duration). */
  readonly inside: boolean;
}

/** Where the element of `streamId` belongs at sample time `t` (`duration`: its length in
 * media seconds, `null` when unknown). */
export function mediaPosition(
  timeline: SampleTimeline,
  streamId: string,
  t: TimeLike,
  duration: number | null,
): MediaPosition {
  const local = timeline.mediaTime(streamId, t).toNumber();
  const end = duration ?? Number.POSITIVE_INFINITY;
  return { seconds: Math.min(Math.max(local, 0), end), inside: local >= 0 && local < end };
}

/**
 * The frame of video `streamId` on screen at sample time `t` by its clock, kept within
 * the video (the first frame before it starts, the last after it ends); `null` for a
 * stream without a clock.
 */
export function frameOnScreen(timeline: SampleTimeline, streamId: string, t: TimeLike): number | null {
  return timeline.indexAt(streamId, t, "floor") ?? timeline.indexAt(streamId, t, "nearest");
}

/**
 * Where to seek a paused video to show the frame on screen at `t`: the middle of that
 * frame, from the frame table when there is one (`FrameTable.seekTime`), else from the
 * stream's clock; the plain media time for a stream without a clock.
 */
export function parkingTime(
  timeline: SampleTimeline,
  streamId: string,
  t: TimeLike,
  frames: FrameTable | null,
  duration: number | null,
): number {
  const frame = frameOnScreen(timeline, streamId, t);
  if (frame === null) return mediaPosition(timeline, streamId, t, duration).seconds;
  if (frames !== null && frame < frames.count) return frames.seekTime(frame);
  const start = timeline.mediaTime(streamId, timeline.timeOf(streamId, frame));
  const count = timeline.clock(streamId)?.count ?? null;
  if (count !== null && frame + 1 >= count) {
    // the last entry of a timestamp table has no recorded end: a millisecond into it
    return start.toNumber() + LAST_FRAME_INSET;
  }
  const end = timeline.mediaTime(streamId, timeline.timeOf(streamId, frame + 1));
  return start.add(end).div(2).toNumber();
}

/** The sample time of frame `frame + delta` of video `streamId` from the frame on screen
 * at `t` (its exact start), kept within the video; `null` without a clock. */
export function stepFrame(timeline: SampleTimeline, streamId: string, t: TimeLike, delta: number): Fraction | null {
  const frame = frameOnScreen(timeline, streamId, t);
  if (frame === null) return null;
  const length = timeline.length(streamId);
  const last = length === null ? Number.MAX_SAFE_INTEGER : length - 1;
  return timeline.timeOf(streamId, Math.min(Math.max(frame + delta, 0), last));
}

/** Half the shortest frame period of the sample's videos, else `DEFAULT_TOLERANCE`. */
export function frameTolerance(timeline: SampleTimeline, videoIds: readonly string[]): number {
  const periods = videoIds.flatMap((id) => {
    if (timeline.clock(id) === null) return [];
    return [timeline.timeOf(id, 1).sub(timeline.timeOf(id, 0)).toNumber()];
  });
  return periods.length === 0 ? DEFAULT_TOLERANCE : Math.min(...periods) / 2;
}

/** What the sync knows of a registered element when choosing the leader. */
export interface LeaderCandidate {
  readonly kind: "audio" | "video";
  /** Asked to play and inside its media (starting or running). */
  readonly active: boolean;
}

/** The index of the element the clock follows: the first active audio element, else the
 * first active video element; `null` when none is active. */
export function pickLeader(candidates: readonly LeaderCandidate[]): number | null {
  for (const kind of ["audio", "video"] as const) {
    const index = candidates.findIndex((candidate) => candidate.kind === kind && candidate.active);
    if (index >= 0) return index;
  }
  return null;
}

/** What to do with a follower: keep playing at `playbackRate`, or re-seek it. */
export type Correction = { readonly kind: "rate"; readonly playbackRate: number } | { readonly kind: "seek" };

/**
 * The correction of a follower that is `drift` seconds ahead of where it belongs (behind
 * when negative), playing at clock rate `rate`: the plain rate within `tolerance`, a
 * proportional nudge up to `RESEEK_SECONDS`, a seek beyond.
 */
export function correction(drift: number, rate: number, tolerance: number): Correction {
  const size = Math.abs(drift);
  if (size > RESEEK_SECONDS) return { kind: "seek" };
  if (size <= tolerance) return { kind: "rate", playbackRate: rate };
  const nudge = Math.min(Math.max(drift * NUDGE_GAIN, -MAX_NUDGE), MAX_NUDGE);
  return { kind: "rate", playbackRate: rate * (1 - nudge) };
}
