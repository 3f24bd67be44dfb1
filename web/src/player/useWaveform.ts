/**
 * A wavesurfer.js waveform bound to the pane's own `<audio>` element (`media`), drawn from
 * precomputed peaks so the file is never downloaded whole, with the stream's intervals and
 * transcript segments as regions (regions plugin). The element is kept on the master clock
 * by `PlaybackSync`; wavesurfer only draws it, and a click on the waveform seeks the clock.
 */
import { useEffect, useMemo, useRef, useState, type RefObject } from "react";
import WaveSurfer from "wavesurfer.js";
import RegionsPlugin, { type Region } from "wavesurfer.js/plugins/regions";

import { labelColour } from "../ui/colour";

/** At most this many regions carry their label as text on the waveform. */
const LABELLED_REGIONS = 200;

/** Files up to this long (seconds) are decoded in the browser when they have no peaks. */
export const DECODE_LIMIT = 600;

/** One region to draw: an annotation's span in media seconds. */
export interface RegionSpec {
  readonly id: string;
  readonly label: string;
  readonly start: number;
  readonly end: number;
}

type Regions = ReturnType<typeof RegionsPlugin.create>;

export interface WaveformOptions {
  /** The peaks (`null`: none prepared; `undefined`: still loading). */
  readonly peaks: Float32Array | null | undefined;
  /** The media's length in seconds, when probed. */
  readonly duration: number | null;
  /** A click or drag on the waveform, at media seconds. */
  readonly onSeek: (seconds: number) => void;
}

/** The waveform in `container` for the element in `media` (see the module); `null` until
 * it is made, or when it cannot be (no peaks for a long file). */
export function useWaveform(
  container: RefObject<HTMLDivElement | null>,
  media: RefObject<HTMLAudioElement | null>,
  { peaks, duration, onSeek }: WaveformOptions,
): Regions | null {
  const [regions, setRegions] = useState<Regions | null>(null);
  useEffect(() => {
    const box = container.current;
    const element = media.current;
    if (box === null || element === null || peaks === undefined) return undefined;
    if (peaks === null && (duration === null || duration > DECODE_LIMIT)) return undefined;
    const plugin = RegionsPlugin.create();
    const wavesurfer = WaveSurfer.create({
      container: box,
      media: element,
      height: 80,
      normalize: true,
      waveColor: "#98a2b3",
      progressColor: "#2e5bff",
      cursorColor: "#d92d20",
      cursorWidth: 2,
      dragToSeek: true,
      plugins: [plugin],
      ...(peaks === null || duration === null ? {} : { peaks: [peaks], duration }),
    });
    const stop = wavesurfer.on("interaction", (seconds) => onSeek(seconds));
    setRegions(plugin);
    return () => {
      stop();
      setRegions(null);
      wavesurfer.destroy();
    };
  }, [container, media, peaks, duration, onSeek]);
  return regions;
}

/**
 * Draw `specs` as regions of `regions`, coloured by label, stronger where `selected` or
 * `hovered`; a click on one calls `onPick(id, additive)`, hovering `onHover([id])`. A
 * selection change restyles only the regions whose state it changes.
 */
export function useRegions(
  regions: Regions | null,
  specs: readonly RegionSpec[],
  selected: readonly string[],
  hovered: readonly string[],
  onPick: (id: string, additive: boolean) => void,
  onHover: (ids: readonly string[]) => void,
): void {
  const [drawn, setDrawn] = useState<ReadonlyMap<string, Region>>(new Map());
  useEffect(() => {
    if (regions === null) return undefined;
    const made = new Map<string, Region>();
    for (const spec of specs) {
      const region = regions.addRegion({
        id: spec.id,
        start: spec.start,
        end: spec.end,
        color: labelColour(spec.label, 0.15),
        drag: false,
        resize: false,
        // wavesurfer lays each labelled region out against every earlier one (quadratic
        // layout reads); beyond a few hundred the labels are unreadable anyway: the colour
        // and the tooltip name the class
        content: specs.length <= LABELLED_REGIONS ? spec.label : undefined,
      });
      if (specs.length > LABELLED_REGIONS) region.element?.setAttribute("title", spec.label);
      region.element?.setAttribute("data-annotation", spec.id);
      region.on("click", (event) => onPick(spec.id, event.shiftKey));
      region.on("over", () => onHover([spec.id]));
      region.on("leave", () => onHover([]));
      made.set(spec.id, region);
    }
    setDrawn(made);
    return () => made.forEach((region) => region.remove());
  }, [regions, specs, onPick, onHover]);

  const selectedIds = useMemo(() => new Set(selected), [selected]);
  const hoveredIds = useMemo(() => new Set(hovered), [hovered]);
  // what was styled last: only regions whose state changes since are restyled
  const styled = useRef<Styled>({ drawn: new Map(), selected: new Set(), hovered: new Set() });
  useEffect(() => {
    const before = styled.current;
    // new regions are drawn plain: only the selected or hovered among them need restyling
    const changed =
      before.drawn === drawn
        ? [...before.selected, ...before.hovered, ...selectedIds, ...hoveredIds]
        : [...selectedIds, ...hoveredIds];
    const labels = new Map(specs.map((spec) => [spec.id, spec.label]));
    for (const id of new Set(changed)) {
      const region = drawn.get(id);
      if (region === undefined) continue;
      const on = selectedIds.has(id);
      const alpha = on ? 0.45 : hoveredIds.has(id) ? 0.32 : 0.15;
      region.setOptions({ color: labelColour(labels.get(id) ?? "", alpha) });
      region.element?.toggleAttribute("data-selected", on);
    }
    styled.current = { drawn, selected: selectedIds, hovered: hoveredIds };
  }, [drawn, specs, selectedIds, hoveredIds]);
}

/** The regions and the selection they were last styled for. */
interface Styled {
  readonly drawn: ReadonlyMap<string, Region>;
  readonly selected: ReadonlySet<string>;
  readonly hovered: ReadonlySet<string>;
}
