/**
 * Waveform zoom, in pixels per second of media (wavesurfer's `minPxPerSec`). `0` is "fit":
 * the whole file across the pane; any zoom at or below the pane's fit is fit. Keys step by
 * `ZOOM_STEP`, Ctrl+wheel (or a pinch) by its delta; the view then scrolls so that the
 * time under the pointer stays under it.
 */

/** What one zoom key multiplies the zoom by. */
export const ZOOM_STEP = 2;

/** The closest zoom: one pixel per millisecond. */
export const MAX_PX_PER_SEC = 1000;

/** Wheel pixels that double the zoom (a wheel notch is about 100). */
const WHEEL_DOUBLING = 250;

/** The zoom that fits `duration` seconds into `width` pixels. */
export function fitOf(width: number, duration: number): number {
  return duration > 0 && width > 0 ? width / duration : 0;
}

/** `zoom` multiplied by `factor`, from the fit when it is fit, at most `MAX_PX_PER_SEC`;
 * `0` once it comes back to the fit. */
export function zoomBy(zoom: number, factor: number, fit: number): number {
  const next = Math.min(Math.max(zoom, fit) * factor, MAX_PX_PER_SEC);
  // a hair above the fit reads as the fit, so that zooming out always gets back to it
  return next <= fit * 1.001 ? 0 : next;
}

/** The factor a Ctrl+wheel turn of `deltaY` zooms by (up: in), in pixels or, by
 * `deltaMode` (`WheelEvent`'s), in lines or pages. */
export function wheelFactor(deltaY: number, deltaMode = 0): number {
  const pixels = deltaY * (deltaMode === 1 ? 16 : deltaMode === 2 ? 800 : 1);
  return 2 ** (-pixels / WHEEL_DOUBLING);
}

/** The scroll offset that puts `seconds` at `pointerX` pixels from the view's left edge at
 * `pxPerSec` (never before the start). */
export function scrollKeeping(seconds: number, pointerX: number, pxPerSec: number): number {
  return Math.max(0, seconds * pxPerSec - pointerX);
}

/** How the zoom reads beside the waveform: the magnification over the fit and the stretch
 * of media in view ("×4 · 2.5 s in view"). */
export function zoomText(zoom: number, fit: number, width: number): string {
  const scale = zoom > fit && fit > 0 ? zoom / fit : 1;
  if (scale === 1) return "Whole file";
  const shown = width / zoom;
  const span = shown >= 60 ? `${(shown / 60).toFixed(1)} min` : `${shown >= 10 ? shown.toFixed(0) : shown.toFixed(2)} s`;
  return `×${scale >= 10 ? Math.round(scale) : scale.toFixed(1)} · ${span} in view`;
}
