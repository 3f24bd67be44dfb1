/**
 * One sample's workspace state, shared by its panes through React context: the work store
 * (`work/store`, loaded with the sample and its ETag), the master clock (`clock/master`)
 * with the sample's timeline (`clock/timeline`), and the focus store (`focus`).
 *
 * `WorkspaceProvider` makes them once per sample and, while the clock plays, ticks it once
 * per animation frame. Panes read them with the hooks below; a pane re-renders only for
 * what its selector picks.
 */
import { createContext, useContext, useEffect, useMemo, useSyncExternalStore, type ReactNode } from "react";
import { useStore, type StoreApi } from "zustand";

import { MasterClock, type ClockSnapshot } from "../clock/master";
import { SampleTimeline } from "../clock/timeline";
import type { Sample } from "../work/objects";
import { createWorkStore, type WorkState } from "../work/store";
import { createFocusStore, type FocusState } from "./focus";

export interface Workspace {
  readonly sample: Sample;
  readonly work: StoreApi<WorkState>;
  readonly clock: MasterClock;
  readonly timeline: SampleTimeline;
  readonly focus: StoreApi<FocusState>;
}

const WorkspaceContext = createContext<Workspace | null>(null);

/** The longest of the sample's streams in seconds (`media.duration`), `null` if none says. */
export function sampleDuration(sample: Sample): number | null {
  const durations = (sample.streams ?? []).flatMap((stream) => {
    const seconds = stream.media?.duration;
    return typeof seconds === "number" && seconds > 0 ? [seconds] : [];
  });
  return durations.length === 0 ? null : Math.max(...durations);
}

/** The workspace of `sample` as read with `etag`, for the panes inside. */
export function WorkspaceProvider({ sample, etag, children }: { sample: Sample; etag: string; children: ReactNode }) {
  const workspace = useMemo<Workspace>(() => {
    const work = createWorkStore();
    work.getState().load(sample, etag);
    return {
      sample,
      work,
      clock: new MasterClock({ now: () => performance.now(), duration: sampleDuration(sample) }),
      timeline: new SampleTimeline(sample.streams ?? []),
      focus: createFocusStore(),
    };
  }, [sample, etag]);

  useEffect(() => {
    const { clock } = workspace;
    let frame = 0;
    const step = (): void => {
      clock.tick();
      frame = clock.playing ? requestAnimationFrame(step) : 0;
    };
    const unsubscribe = clock.subscribe((event) => {
      if (event.type === "play" && frame === 0) frame = requestAnimationFrame(step);
    });
    return () => {
      unsubscribe();
      cancelAnimationFrame(frame);
      clock.pause();
    };
  }, [workspace]);

  return <WorkspaceContext.Provider value={workspace}>{children}</WorkspaceContext.Provider>;
}

/** The workspace of the sample shown (inside `WorkspaceProvider` only). */
export function useWorkspace(): Workspace {
  const workspace = useContext(WorkspaceContext);
  if (workspace === null) throw new Error("useWorkspace is used outside a WorkspaceProvider");
  return workspace;
}

/** The master clock's state, re-rendering on every change and, while playing, every frame. */
export function useClockSnapshot(): ClockSnapshot {
  const { clock } = useWorkspace();
  return useSyncExternalStore(
    (notify) => clock.subscribe(notify),
    () => clock.snapshot(),
  );
}

/** What `select` picks of the work store's state. */
export function useWork<T>(select: (state: WorkState) => T): T {
  return useStore(useWorkspace().work, select);
}

/** What `select` picks of the focus store's state. */
export function useFocus<T>(select: (state: FocusState) => T): T {
  return useStore(useWorkspace().focus, select);
}
