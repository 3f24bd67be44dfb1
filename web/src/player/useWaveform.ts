/**
 * A wavesurfer.js waveform bound to the pane's own `<audio>` element (`media`), drawn from
 * precomputed peaks so the file is never downloaded whole, with a regions plugin for the
 * selected intervals and transcript segments (`useRegions` draws the others). The element
 * is kept on the master clock by `PlaybackSync`; wavesurfer only draws it, and a click on
 * the waveform seeks the clock. `useZoom` zooms it (keys, Ctrl+wheel around the pointer); while playing
 * the view follows the play cursor (wavesurfer's auto-scroll, centred).
 */
import { useCallback, useEffect, useRef, useState, type RefObject } from "react";
import WaveSurfer from "wavesurfer.js";
import RegionsPlugin from "wavesurfer.js/plugins/regions";

import { actionOf } from "../editing/keymap";
import { isShortcut } from "../ui/keys";
import { fitOf, scrollKeeping, wheelFactor, zoomBy, zoomText, ZOOM_STEP } from "./zoom";

/** Files up to this long (seconds) are decoded in the browser when they have no peaks. */
export const DECODE_LIMIT = 600;

/** The regions plugin of a waveform. */
export type Regions = ReturnType<typeof RegionsPlugin.create>;

/** A waveform ready to draw on: wavesurfer and its regions plugin. */
export interface Waveform {
  readonly wavesurfer: WaveSurfer;
  readonly regions: Regions;
}

export interface WaveformOptions {
  /** The peaks (`null`: none prepared; `undefined`: still loading). */
  readonly peaks: Float32Array | null | undefined;
  /** The media's length in seconds, when probed. */
  readonly duration: number | null;
  /** A click on the waveform, at media seconds. */
  readonly onSeek: (seconds: number) => void;
}

/** The waveform in `container` for the element in `media` (see the module); `null` until
 * it is loaded, or when it cannot be (no peaks for a long file). */
export function useWaveform(
  container: RefObject<HTMLDivElement | null>,
  media: RefObject<HTMLAudioElement | null>,
  { peaks, duration, onSeek }: WaveformOptions,
): Waveform | null {
  const [waveform, setWaveform] = useState<Waveform | null>(null);
  useEffect(() => {
    const box = container.current;
    const element = media.current;
    if (box === null || element === null || peaks === undefined) return undefined;
    if (peaks === null && (duration === null || duration > DECODE_LIMIT)) return undefined;
    const regions = RegionsPlugin.create();
    const wavesurfer = WaveSurfer.create({
      container: box,
      media: element,
      height: 80,
      normalize: true,
      waveColor: "#98a2b3",
      progressColor: "#2e5bff",
      cursorColor: "#d92d20",
      cursorWidth: 2,
      // a drag draws a region (`useDragToDraw`); a click seeks
      dragToSeek: false,
      autoScroll: true,
      autoCenter: true,
      plugins: [regions],
      ...(peaks === null || duration === null ? {} : { peaks: [peaks], duration }),
    });
    const stops = [
      wavesurfer.on("interaction", (seconds) => onSeek(seconds)),
      wavesurfer.on("ready", () => setWaveform({ wavesurfer, regions })),
    ];
    return () => {
      stops.forEach((stop) => stop());
      setWaveform(null);
      wavesurfer.destroy();
    };
  }, [container, media, peaks, duration, onSeek]);
  return waveform;
}

/** The zoom of a waveform and what changes it. */
export interface Zoom {
  /** Pixels per second of media; `0`: the whole file fits the pane. */
  readonly level: number;
  /** The zoom as it reads beside the waveform (`zoomText`). */
  readonly text: string;
  /** Zoom by `factor`, around the play cursor, or the time under `clientX` when given. */
  by(factor: number, clientX?: number): void;
  /** Back to the whole file. */
  fit(): void;
}

/**
 * Zoom for `waveform` in `container`: the zoom keys of `editing/keymap` (wherever the page
 * has the keyboard) and Ctrl+wheel over the waveform, which zooms around the pointer. The
 * zoom outlives the waveform being made again (new peaks).
 */
export function useZoom(waveform: Waveform | null, container: RefObject<HTMLDivElement | null>): Zoom {
  const [level, setLevel] = useState(0);
  const [text, setText] = useState(zoomText(0, 0, 0));
  // read by the wheel, which may turn faster than React renders
  const current = useRef(0);

  const describe = useCallback(() => {
    if (waveform === null) return;
    const { wavesurfer } = waveform;
    const width = wavesurfer.getWidth();
    setText(zoomText(current.current, fitOf(width, wavesurfer.getDuration()), width));
  }, [waveform]);
  const apply = useCallback(
    (next: number, clientX?: number) => {
      if (waveform === null) return;
      const { wavesurfer } = waveform;
      const total = wavesurfer.getDuration();
      const wrapper = wavesurfer.getWrapper();
      const before = wrapper.getBoundingClientRect();
      const view = wrapper.parentElement?.getBoundingClientRect() ?? before;
      const x = clientX ?? null;
      const seconds = x === null || before.width === 0 ? null : ((x - before.left) / before.width) * total;
      wavesurfer.zoom(next);
      if (seconds !== null && x !== null) {
        wavesurfer.setScroll(scrollKeeping(seconds, x - view.left, wrapper.getBoundingClientRect().width / total));
      }
      current.current = next;
      setLevel(next);
      describe();
    },
    [waveform, describe],
  );
  const by = useCallback(
    (factor: number, clientX?: number) => {
      if (waveform === null) return;
      const { wavesurfer } = waveform;
      const next = zoomBy(current.current, factor, fitOf(wavesurfer.getWidth(), wavesurfer.getDuration()));
      if (next !== current.current) apply(next, clientX);
    },
    [waveform, apply],
  );
  const fit = useCallback(() => apply(0), [apply]);

  // a waveform made again takes the zoom as it was; a wider pane fits more
  useEffect(() => {
    if (waveform === null) return undefined;
    if (current.current > 0) apply(current.current);
    else describe();
    return waveform.wavesurfer.on("resize", describe);
  }, [waveform, apply, describe]);

  useEffect(() => {
    const box = container.current;
    if (box === null) return undefined;
    const onKey = (event: KeyboardEvent): void => {
      if (!isShortcut(event)) return;
      const action = actionOf(event);
      if (action === "zoom-in") by(ZOOM_STEP);
      else if (action === "zoom-out") by(1 / ZOOM_STEP);
      else if (action === "zoom-fit") fit();
      else return;
      event.preventDefault();
    };
    const onWheel = (event: WheelEvent): void => {
      if (!(event.ctrlKey || event.metaKey)) return;
      // not the browser's page zoom
      event.preventDefault();
      by(wheelFactor(event.deltaY, event.deltaMode), event.clientX);
    };
    window.addEventListener("keydown", onKey);
    box.addEventListener("wheel", onWheel, { passive: false });
    return () => {
      window.removeEventListener("keydown", onKey);
      box.removeEventListener("wheel", onWheel);
    };
  }, [container, by, fit]);

  return { level, text, by, fit };
}
