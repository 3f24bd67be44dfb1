/**
 * The hooks time panes use: the sample's `PlaybackSync` (one per master clock), an
 * element kept on it, and values of the clock that re-render a pane only when they change.
 */
import { useCallback, useEffect, useRef, useSyncExternalStore, type RefObject } from "react";

import type { Fraction } from "../clock/fraction";
import type { MasterClock } from "../clock/master";
import { useWorkspace, type Workspace } from "../workspace/Workspace";
import { PlaybackSync, type MediaMember } from "./PlaybackSync";
import { frameTolerance } from "./sync";

const syncs = new WeakMap<MasterClock, PlaybackSync>();

/** The workspace's playback sync, made on first use; its tolerance is half a frame of the
 * sample's fastest video. */
export function playbackSync(workspace: Workspace): PlaybackSync {
  let sync = syncs.get(workspace.clock);
  if (sync === undefined) {
    const videos = (workspace.sample.streams ?? []).filter((stream) => stream.modality === "video");
    const tolerance = frameTolerance(workspace.timeline, videos.map((stream) => stream.id));
    sync = new PlaybackSync(workspace.clock, workspace.timeline, tolerance);
    syncs.set(workspace.clock, sync);
  }
  return sync;
}

/** Keep the media element in `ref` on the workspace's clock while the pane is mounted
 * (attached again when the frame table or duration arrive). */
export function useMediaSync(
  ref: RefObject<HTMLMediaElement | null>,
  { streamId, kind, frames = null, duration = null }: Omit<MediaMember, "element">,
): void {
  // one per clock: a workspace showing its sample read again keeps it, and the element on it
  const sync = playbackSync(useWorkspace());
  useEffect(() => {
    const element = ref.current;
    if (element === null) return undefined;
    return sync.attach({ streamId, kind, element, frames, duration });
  }, [sync, ref, streamId, kind, frames, duration]);
}

/**
 * `select(time)` of the clock's current time, re-rendering only when the value changes
 * by `equal` (not on every animation frame). `select` should be stable (`useCallback`).
 */
export function useClockValue<T>(select: (time: Fraction) => T, equal: (a: T, b: T) => boolean = Object.is): T {
  const { clock } = useWorkspace();
  const last = useRef<{ select: (time: Fraction) => T; value: T } | null>(null);
  const subscribe = useCallback((notify: () => void) => clock.subscribe(notify), [clock]);
  const read = (): T => {
    const value = select(clock.snapshot().time);
    const previous = last.current;
    if (previous !== null && previous.select === select && equal(previous.value, value)) return previous.value;
    last.current = { select, value };
    return value;
  };
  return useSyncExternalStore(subscribe, read);
}

/** Call `listener` with the clock's time now and on every change and animation frame, for
 * updates made straight to the DOM (cursors, data attributes). */
export function useClockListener(listener: (time: Fraction) => void): void {
  const { clock } = useWorkspace();
  useEffect(() => {
    listener(clock.time());
    return clock.subscribe(() => listener(clock.time()));
  }, [clock, listener]);
}
