/**
 * One sample's workspace state, shared by its panes through React context: the work store
 * (`work/store`, loaded with the sample and its ETag), the master clock (`clock/master`)
 * with the sample's timeline (`clock/timeline`), and the focus store (`focus`).
 *
 * `WorkspaceProvider` makes them once per sample and, while the clock plays, ticks it once
 * per animation frame; `reread` shows the sample as read again after a change made outside
 * the work (such as a judgement's rationale, a new text stream) in the same workspace, so
 * the undo history, the clock, playback and the selection stay. Panes read them with the
 * hooks below; a pane re-renders only for what its selector picks.
 */
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  useSyncExternalStore,
  type ReactNode,
} from "react";
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
  /**
   * Show `sample` as read again (with its `etag`) after a change made outside the work: in
   * this workspace when its time-based streams are the ones shown (`sameTimedStreams`):
   * the work store takes it (`refresh`: unsaved edits on top, the undo history kept), the
   * clock, playback and focus stay; else in a fresh workspace (the page's `reopen`). A
   * `WorkError` while a conflict of the work is open.
   */
  readonly reread: (sample: Sample, etag: string) => void;
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

/** The modalities whose streams play on the clock. */
const TIMED_MODALITIES: ReadonlySet<string> = new Set(["audio", "video", "timeseries", "pointcloud"]);

/** Whether samples `a` and `b` have the same streams on the clock (time-based ones, or any
 * with a clock of its own), so one can be shown in place of the other on the same clock. */
export function sameTimedStreams(a: Sample, b: Sample): boolean {
  const timed = (sample: Sample): string =>
    JSON.stringify(
      (sample.streams ?? [])
        .filter((stream) => TIMED_MODALITIES.has(stream.modality) || stream.clock != null)
        .map((stream) => [stream.id, stream.modality, stream.uri ?? null, stream.media ?? null, stream.clock ?? null]),
    );
  return a.id === b.id && timed(a) === timed(b);
}

/** Shows nothing new: a workspace whose page cannot reopen it. */
function cannotReopen(): void {
  throw new Error("this workspace cannot be reopened");
}

/** The workspace of `sample` as read with `etag`, for the panes inside (`reopen`: how the
 * page shows the sample read again in a fresh workspace, when `reread` cannot keep this one). */
export function WorkspaceProvider({
  sample,
  etag,
  reopen = cannotReopen,
  children,
}: {
  sample: Sample;
  etag: string;
  reopen?: (sample: Sample, etag: string) => void;
  children: ReactNode;
}) {
  // what lives as long as the workspace: made again only for a sample the page reads anew
  const lasting = useMemo(() => {
    const work = createWorkStore();
    work.getState().load(sample, etag);
    return {
      work,
      clock: new MasterClock({ now: () => performance.now(), duration: sampleDuration(sample) }),
      focus: createFocusStore(),
      first: { sample, timeline: new SampleTimeline(sample.streams ?? []) },
    };
  }, [sample, etag]);
  // the sample as `reread` last showed it in this workspace
  const [reread, setReread] = useState<{ of: typeof lasting; sample: Sample; timeline: SampleTimeline } | null>(null);
  const shown = reread !== null && reread.of === lasting ? reread : lasting.first;

  const rereadHere = useCallback(
    (next: Sample, nextEtag: string) => {
      const before = lasting.work.getState().sample;
      if (before === null || !sameTimedStreams(before, next)) {
        reopen(next, nextEtag);
        return;
      }
      lasting.work.getState().refresh(next, nextEtag);
      setReread({ of: lasting, sample: next, timeline: new SampleTimeline(next.streams ?? []) });
    },
    [lasting, reopen],
  );
  const workspace = useMemo<Workspace>(
    () => ({
      sample: shown.sample,
      timeline: shown.timeline,
      work: lasting.work,
      clock: lasting.clock,
      focus: lasting.focus,
      reread: rereadHere,
    }),
    [lasting, shown, rereadHere],
  );

  const { clock } = lasting;
  useEffect(() => {
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
  }, [clock]);

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
