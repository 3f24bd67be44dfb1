/**
 * Drawing a stretch of a waveform with the pointer: a press on the waveform (or on a region
 * that is not selected) and a drag of a few pixels draw a draft region from the press to
 * the pointer; the release hands the stretch over, Escape drops it. A press that does not
 * drag stays a click (it seeks, or selects the region under it). Selected regions keep
 * their own presses: the regions plugin moves and resizes them (`useRegions`).
 *
 * The press is caught on its way down to wavesurfer (capture, on the container), so that
 * neither a region nor wavesurfer acts on it; the click that ends a drag is swallowed.
 */
import { useEffect, type RefObject } from "react";
import type { Region } from "wavesurfer.js/plugins/regions";

import { EDITABLE } from "./useRegions";
import type { Waveform } from "./useWaveform";

/** How far (pixels) the pointer moves before a press becomes a drag. */
const THRESHOLD = 3;

/** The draft region's id (never an annotation's: those have no spaces) and colour. */
const DRAFT = " draft";
const DRAFT_COLOUR = "rgba(46, 91, 255, 0.25)";

interface Gesture {
  readonly pointer: number;
  readonly x: number;
  /** Media seconds where the press was. */
  readonly from: number;
  draft: Region | null;
  cancelled: boolean;
}

/** Whether a press on `path` belongs to a region that moves and resizes. */
function grabsRegion(path: readonly EventTarget[]): boolean {
  return path.some((target) => target instanceof HTMLElement && target.hasAttribute(EDITABLE));
}

/** Swallow the click the browser sends after a drag (the plugin does the same for its own). */
function swallowClick(): void {
  const stop = (event: MouseEvent): void => {
    event.stopPropagation();
    event.preventDefault();
  };
  document.addEventListener("click", stop, { capture: true });
  setTimeout(() => document.removeEventListener("click", stop, { capture: true }), 10);
}

/** Draw on `waveform` (in `container`) by dragging; `onDraw(from, to)` gets each stretch in
 * media seconds, in the order drawn. `null`: drawing is off. */
export function useDragToDraw(
  waveform: Waveform | null,
  container: RefObject<HTMLDivElement | null>,
  onDraw: ((from: number, to: number) => void) | null,
): void {
  useEffect(() => {
    const box = container.current;
    if (waveform === null || box === null || onDraw === null) return undefined;
    const { wavesurfer, regions } = waveform;
    const wrapper = wavesurfer.getWrapper();
    let gesture: Gesture | null = null;

    const timeAt = (clientX: number): number => {
      const { left, width } = wrapper.getBoundingClientRect();
      const share = width > 0 ? (clientX - left) / width : 0;
      return Math.min(Math.max(share, 0), 1) * wavesurfer.getDuration();
    };
    // past the view's edge while zoomed, the view scrolls along
    const follow = (clientX: number): void => {
      const view = wrapper.parentElement;
      if (view === null) return;
      const { left, right } = view.getBoundingClientRect();
      if (clientX > right) view.scrollLeft += clientX - right;
      else if (clientX < left) view.scrollLeft -= left - clientX;
    };
    const stop = (): void => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      window.removeEventListener("pointercancel", stop);
      window.removeEventListener("keydown", key, { capture: true });
      gesture?.draft?.remove();
      gesture = null;
    };
    function move(event: PointerEvent): void {
      if (gesture === null || gesture.cancelled || event.pointerId !== gesture.pointer) return;
      if (gesture.draft === null && Math.abs(event.clientX - gesture.x) < THRESHOLD) return;
      follow(event.clientX);
      const at = timeAt(event.clientX);
      const span = { start: Math.min(at, gesture.from), end: Math.max(at, gesture.from) };
      if (gesture.draft === null) {
        gesture.draft = regions.addRegion({ id: DRAFT, ...span, color: DRAFT_COLOUR, drag: false, resize: false });
        gesture.draft.element?.style.setProperty("pointer-events", "none");
      } else {
        gesture.draft.setOptions(span);
      }
    }
    function up(event: PointerEvent): void {
      if (gesture === null || event.pointerId !== gesture.pointer) return;
      const drawn = gesture.draft !== null && !gesture.cancelled ? gesture.from : null;
      if (gesture.draft !== null || gesture.cancelled) swallowClick();
      stop();
      if (drawn !== null) onDraw?.(drawn, timeAt(event.clientX));
    }
    function key(event: KeyboardEvent): void {
      if (event.key !== "Escape" || gesture === null) return;
      // the drag's, not the workspace's (which would clear the selection)
      event.preventDefault();
      event.stopPropagation();
      gesture.draft?.remove();
      gesture.draft = null;
      gesture.cancelled = true;
    }
    const down = (event: PointerEvent): void => {
      if (event.button !== 0 || gesture !== null || grabsRegion(event.composedPath())) return;
      // below the waves is the scroll bar, when zoomed
      if (event.clientY > wrapper.getBoundingClientRect().bottom) return;
      event.stopPropagation();
      gesture = { pointer: event.pointerId, x: event.clientX, from: timeAt(event.clientX), draft: null, cancelled: false };
      window.addEventListener("pointermove", move);
      window.addEventListener("pointerup", up);
      window.addEventListener("pointercancel", stop);
      window.addEventListener("keydown", key, { capture: true });
    };
    box.addEventListener("pointerdown", down, { capture: true });
    return () => {
      box.removeEventListener("pointerdown", down, { capture: true });
      stop();
    };
  }, [waveform, container, onDraw]);
}
