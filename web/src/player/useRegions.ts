/**
 * A stream's annotations as regions of its waveform (wavesurfer's regions plugin), kept
 * cheap for thousands of them: a change of the annotations adds, removes and updates only
 * the regions whose spec changed, and a change of the selection or hover restyles only the
 * regions whose state it changes.
 *
 * A region shows its label (up to `LABELLED_REGIONS` regions a stream), its review state
 * (a bar in the state's colour, `data-review`), a dashed outline when a stale link
 * concerns it (`data-flagged`), and a tooltip saying all of it. A click selects the shortest
 * region under the pointer, and clicks again there the ones over or under it (`pickAt`); the
 * selected ones (`data-selected`, the `EDITABLE` attribute) can be moved by dragging and
 * resized by their edges, and Escape puts one being dragged back where it was.
 */
import { useEffect, useMemo, useRef } from "react";
import type { Region } from "wavesurfer.js/plugins/regions";

import type { Edge } from "../editing/segments";
import { labelColour } from "../ui/colour";
import type { Regions } from "./useWaveform";

/** At most this many regions carry their label as text on the waveform. */
const LABELLED_REGIONS = 200;

/** The shortest a resize leaves a region, in seconds. */
const MIN_SECONDS = 0.01;

/** The attribute of the regions that move and resize (the selected ones). */
export const EDITABLE = "data-selected";

/** One annotation's region: its span in media seconds and how it looks. */
export interface RegionSpec {
  readonly id: string;
  readonly label: string;
  readonly start: number;
  readonly end: number;
  /** The text on the region (its label, with the signs of its state). */
  readonly tag: string;
  /** The tooltip. */
  readonly title: string;
  /** Its review state and that state's colour, when it has been reviewed. */
  readonly review: { readonly state: string; readonly colour: string } | null;
  /** Whether a stale link concerns it. */
  readonly flagged: boolean;
  /** Whether it can be selected and edited (not a new one waiting for its label). */
  readonly editable: boolean;
}

/** What the regions do when the person works on them. */
export interface RegionHandlers {
  /** A click on region `id` (Shift: add to the selection). */
  readonly pick: (id: string, additive: boolean) => void;
  /** The pointer is over these regions (`[]`: none). */
  readonly hover: (ids: readonly string[]) => void;
  /** Region `id` was moved (`edge` undefined) or resized to `[start, end)` media seconds;
   * whether the change was taken (else the region goes back). */
  readonly change: (id: string, start: number, end: number, edge: Edge | undefined) => boolean;
}

interface Drawn {
  readonly region: Region;
  spec: RegionSpec;
  readonly labelled: boolean;
}

interface Look {
  readonly selected: boolean;
  readonly hovered: boolean;
}

const PLAIN: Look = { selected: false, hovered: false };

const sameSpec = (a: RegionSpec, b: RegionSpec): boolean =>
  a.start === b.start &&
  a.end === b.end &&
  a.label === b.label &&
  a.tag === b.tag &&
  a.title === b.title &&
  a.review?.state === b.review?.state &&
  a.flagged === b.flagged &&
  a.editable === b.editable;

/**
 * The region a click at media second `t` picks among `spans`: the shortest holding `t`;
 * clicked again where the one selected is, the next longer (round again after the
 * longest), so that regions drawn over each other can all be reached. With `additive`
 * (Shift), the shortest one not selected yet. `null` when none holds `t`.
 */
export function pickAt(
  spans: readonly Pick<RegionSpec, "id" | "start" | "end">[],
  t: number,
  selected: readonly string[],
  additive = false,
): string | null {
  const holding = spans
    .filter((span) => span.start <= t && t < span.end)
    .sort((a, b) => a.end - a.start - (b.end - b.start) || a.start - b.start || (a.id < b.id ? -1 : 1));
  if (additive) return (holding.find((span) => !selected.includes(span.id)) ?? holding[0])?.id ?? null;
  const at = selected.length === 1 ? holding.findIndex((span) => span.id === selected[0]) : -1;
  return holding[(at + 1) % holding.length]?.id ?? null;
}

/** Give `region` what `spec` says besides its span and colour, where it differs from
 * `before` (`null`: a new region, its tag already on it). */
function dress(region: Region, spec: RegionSpec, labelled: boolean, before: RegionSpec | null): void {
  const element = region.element;
  if (element === null) return;
  if (labelled && before !== null && spec.tag !== before.tag) region.setContent(spec.tag);
  if (spec.title !== before?.title) element.title = spec.title;
  if (spec.review?.state !== before?.review?.state) {
    element.style.boxShadow = spec.review === null ? "" : `inset 0 -4px 0 ${spec.review.colour}`;
    if (spec.review === null) element.removeAttribute("data-review");
    else element.setAttribute("data-review", spec.review.state);
  }
  if (spec.flagged !== (before?.flagged ?? false)) {
    element.style.outline = spec.flagged ? "2px dashed #b54708" : "";
    element.style.outlineOffset = spec.flagged ? "-2px" : "";
    element.toggleAttribute("data-flagged", spec.flagged);
  }
}

/** Style `region` for `look`: stronger when selected or hovered; editable when selected. */
function style(region: Region, spec: RegionSpec, look: Look): void {
  const alpha = look.selected ? 0.45 : look.hovered ? 0.32 : 0.15;
  const editable = look.selected && spec.editable;
  region.setOptions({ color: labelColour(spec.label, alpha), drag: editable, resize: editable });
  region.element?.toggleAttribute(EDITABLE, look.selected);
  // over the regions it lies on, so that its edges can be taken
  region.element?.style.setProperty("z-index", look.selected ? "1" : "");
  // one not selected is drawn over: the waveform's cursor
  if (!editable) region.element?.style.setProperty("cursor", "");
}

/**
 * Draw `specs` as regions of `regions` (see the module), `selected` and `hovered` as the
 * focus has them, with `handlers` for what the person does to them.
 */
export function useRegions(
  regions: Regions | null,
  specs: readonly RegionSpec[],
  selected: readonly string[],
  hovered: readonly string[],
  handlers: RegionHandlers,
): void {
  const drawn = useRef(new Map<string, Drawn>());
  // the looks given that are not plain, by id
  const looks = useRef(new Map<string, Look>());
  const latest = useRef(handlers);
  useEffect(() => {
    latest.current = handlers;
  }, [handlers]);

  // the regions go with their plugin
  useEffect(() => {
    const made = drawn.current;
    const given = looks.current;
    return () => {
      made.forEach(({ region }) => region.remove());
      made.clear();
      given.clear();
    };
  }, [regions]);

  const labelled = specs.length <= LABELLED_REGIONS;
  useEffect(() => {
    if (regions === null) return;
    const made = drawn.current;
    const wanted = new Map(specs.map((spec) => [spec.id, spec]));
    for (const [id, { region, labelled: was }] of made) {
      // wavesurfer lays each labelled region out against every earlier one (quadratic
      // layout reads): past a few hundred the colour and the tooltip name the class
      if (wanted.has(id) && was === labelled) continue;
      region.remove();
      made.delete(id);
      looks.current.delete(id);
    }
    for (const spec of specs) {
      const known = made.get(spec.id);
      if (known === undefined) {
        made.set(spec.id, { region: addRegion(regions, spec, labelled, latest, made), spec, labelled });
      } else if (known.spec !== spec && !sameSpec(known.spec, spec)) {
        const { region } = known;
        if (region.start !== spec.start || region.end !== spec.end) region.setOptions({ start: spec.start, end: spec.end });
        dress(region, spec, labelled, known.spec);
        known.spec = spec;
        // plain in its (new) colour: restyled below if it is selected or hovered
        looks.current.delete(spec.id);
        style(region, spec, PLAIN);
      } else {
        known.spec = spec;
      }
    }
  }, [regions, specs, labelled]);

  const selectedIds = useMemo(() => new Set(selected), [selected]);
  const hoveredIds = useMemo(() => new Set(hovered), [hovered]);
  useEffect(() => {
    if (regions === null) return;
    const given = looks.current;
    for (const id of new Set([...given.keys(), ...selectedIds, ...hoveredIds])) {
      const known = drawn.current.get(id);
      if (known === undefined) continue;
      const look = { selected: selectedIds.has(id), hovered: hoveredIds.has(id) };
      const before = given.get(id) ?? PLAIN;
      if (look.selected === before.selected && look.hovered === before.hovered) continue;
      style(known.region, known.spec, look);
      if (look.selected || look.hovered) given.set(id, look);
      else given.delete(id);
    }
  }, [regions, specs, selectedIds, hoveredIds]);

  useRegionEdits(regions, drawn, looks, latest);
}

function addRegion(
  regions: Regions,
  spec: RegionSpec,
  labelled: boolean,
  latest: { readonly current: RegionHandlers },
  made: ReadonlyMap<string, Drawn>,
): Region {
  const region = regions.addRegion({
    id: spec.id,
    start: spec.start,
    end: spec.end,
    color: labelColour(spec.label, 0.15),
    drag: false,
    resize: false,
    minLength: MIN_SECONDS,
    content: labelled ? spec.tag : undefined,
  });
  region.element?.setAttribute("data-annotation", spec.id);
  region.element?.style.setProperty("cursor", "");
  dress(region, spec, false, null);
  const hover = (ids: readonly string[]): void => {
    if (made.get(spec.id)?.spec.editable) latest.current.hover(ids);
  };
  region.on("over", () => hover([spec.id]));
  region.on("leave", () => hover([]));
  return region;
}

/**
 * Clicks, moves and resizes of the regions, through the plugin's events: a click picks, the
 * end of a move or resize asks `change`; Escape during one puts the region back and ends it.
 */
function useRegionEdits(
  regions: Regions | null,
  drawn: { readonly current: ReadonlyMap<string, Drawn> },
  looks: { readonly current: ReadonlyMap<string, Look> },
  latest: { readonly current: RegionHandlers },
): void {
  useEffect(() => {
    if (regions === null) return undefined;
    let editing: Region | null = null;
    const restore = (region: Region): void => {
      const known = drawn.current.get(region.id);
      if (known !== undefined) region.setOptions({ start: known.spec.start, end: known.spec.end });
    };
    const settle = (): void => {
      window.removeEventListener("keydown", escape, { capture: true });
      editing = null;
    };
    function escape(event: KeyboardEvent): void {
      if (event.key !== "Escape" || editing === null) return;
      // the drag's, not the workspace's (which would clear the selection)
      event.preventDefault();
      event.stopPropagation();
      const region = editing;
      settle();
      // without its tools the plugin ends the drag with no update-end; the release gives them back
      region.setOptions({ drag: false, resize: false });
      restore(region);
      const giveBack = (): void => {
        const known = drawn.current.get(region.id);
        if (known?.region === region) style(region, known.spec, looks.current.get(region.id) ?? PLAIN);
      };
      window.addEventListener("pointerup", giveBack, { once: true });
    }
    const stops = [
      regions.on("region-clicked", (region, event) => {
        if (!drawn.current.get(region.id)?.spec.editable || region.element === null) return;
        const { left, width } = region.element.getBoundingClientRect();
        const t = region.start + (width > 0 ? (event.clientX - left) / width : 0) * (region.end - region.start);
        const spans = [...drawn.current.values()].filter(({ spec }) => spec.editable).map(({ spec }) => spec);
        const selected = [...looks.current].filter(([, look]) => look.selected).map(([id]) => id);
        latest.current.pick(pickAt(spans, t, selected, event.shiftKey) ?? region.id, event.shiftKey);
      }),
      regions.on("region-update", (region) => {
        if (editing === region || !drawn.current.has(region.id)) return;
        editing = region;
        window.addEventListener("keydown", escape, { capture: true });
      }),
      regions.on("region-updated", (region, edge) => {
        if (editing !== region) return;
        settle();
        if (!latest.current.change(region.id, region.start, region.end, edge)) restore(region);
      }),
    ];
    return () => {
      stops.forEach((stop) => stop());
      settle();
    };
  }, [regions, drawn, looks, latest]);
}
