/**
 * What the virtualised lists of the panes (the text's rows, the transcript's segments)
 * share on top of `@tanstack/react-virtual`: whether a row is in view, bringing one into
 * view (a selection made elsewhere), keeping the row being spoken in view while the
 * sample plays, and keeping the row a text selection began in drawn while it is dragged.
 */
import { defaultRangeExtractor, type Range, type Virtualizer } from "@tanstack/react-virtual";
import { useCallback, useEffect, useRef } from "react";

import { useWorkspace } from "../workspace/Workspace";

/** A virtualised list scrolled by an element of its own. */
export type Rows = Virtualizer<HTMLDivElement, Element>;

/** Whether row `index` of `rows` lies wholly inside the list's visible part (read from
 * the list's element when it has one: a scroll just made shows there at once). */
export function isInView(
  rows: Pick<Rows, "measurementsCache" | "scrollOffset" | "scrollRect" | "scrollElement">,
  index: number,
): boolean {
  const item = rows.measurementsCache[index];
  const list = rows.scrollElement;
  const top = list?.scrollTop ?? rows.scrollOffset ?? 0;
  const height = list?.clientHeight ?? rows.scrollRect?.height ?? 0;
  return item !== undefined && item.start >= top && item.end <= top + height;
}

/** How many frames `reveal` waits for the row it scrolled to be drawn. */
const REVEAL_FRAMES = 10;

/**
 * Brings row `index` into view (centred, unless it is in view already), then, once it is
 * drawn, the element `selector` finds in `list` (`scrollIntoView`, nearest: the page too
 * scrolls if the list is out of it).
 */
export function reveal(rows: Rows, list: HTMLElement, index: number, selector: string): void {
  if (!isInView(rows, index)) rows.scrollToIndex(index, { align: "center" });
  let frames = 0;
  const show = (): void => {
    const element = list.querySelector(selector);
    if (element !== null) element.scrollIntoView({ block: "nearest", inline: "nearest" });
    else if (++frames < REVEAL_FRAMES) requestAnimationFrame(show);
  };
  requestAnimationFrame(show);
}

/**
 * Keeps row `index` (the row being spoken; `null`: none) in view, while the clock plays and
 * when it stops or jumps. Once the person scrolls the list themselves during playback
 * (wheel, touch, or dragging its scroll bar), it stops following until playback starts
 * again or jumps (a seek).
 */
export function useFollow(rows: Rows, index: number | null): void {
  const { clock } = useWorkspace();
  const following = useRef(true);
  useEffect(
    () =>
      clock.subscribe((event) => {
        if (event.type === "play" || event.type === "seek") following.current = true;
      }),
    [clock],
  );
  const list = rows.scrollElement;
  useEffect(() => {
    if (list === null) return;
    const away = (event: Event): void => {
      if (clock.playing && (event.type !== "pointerdown" || event.target === list)) following.current = false;
    };
    const kinds = ["wheel", "touchmove", "pointerdown"] as const;
    for (const kind of kinds) list.addEventListener(kind, away, { passive: true });
    return () => {
      for (const kind of kinds) list.removeEventListener(kind, away);
    };
  }, [list, clock]);
  useEffect(() => {
    if (index !== null && following.current && !isInView(rows, index)) {
      rows.scrollToIndex(index, { align: "auto" });
    }
  }, [rows, index]);
}

/**
 * A range extractor that also draws one pinned row (the row a text selection began in,
 * while the mouse is down), so a selection dragged far keeps its anchor; `pin(index)`
 * pins a row, `pin(null)` none.
 */
export function usePinnedRow(): { rangeExtractor: (range: Range) => number[]; pin: (index: number | null) => void } {
  const pinned = useRef<number | null>(null);
  const rangeExtractor = useCallback((range: Range): number[] => {
    const shown = defaultRangeExtractor(range);
    const index = pinned.current;
    if (index === null || index >= range.count || shown.includes(index)) return shown;
    return [...shown, index].sort((a, b) => a - b);
  }, []);
  const pin = useCallback((index: number | null): void => {
    pinned.current = index;
  }, []);
  return { rangeExtractor, pin };
}
