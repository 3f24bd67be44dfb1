/**
 * A stream's annotations as regions of its waveform, kept cheap for thousands of them:
 * every region but the selected ones is a plain element of one layer (`regionLayer`),
 * drawn without reading layout; the selected ones are the regions plugin's, which moves
 * them by dragging and resizes them by their edges. A change of the annotations draws,
 * removes and changes only the regions whose spec changed; a change of the selection or
 * hover only those whose state it changes (a region selected moves to the plugin, one
 * left goes back to the layer).
 *
 * A region shows its label (up to `LABELLED_REGIONS` regions a stream, in rows so that
 * regions over each other keep theirs apart), its review state (a bar in the state's
 * colour, `data-review`), a dashed outline when a stale link concerns it
 * (`data-flagged`), and a tooltip saying all of it; each carries `data-annotation`. A
 * click selects the shortest region under the pointer, and clicks again there the ones
 * over or under it (`pickAt`); the selected ones (`data-selected`, the `EDITABLE`
 * attribute) move and resize, and Escape puts one being dragged back where it was.
 */
import { useEffect, useLayoutEffect, useMemo, useRef } from "react";
import type { Region } from "wavesurfer.js/plugins/regions";

import type { Edge } from "../editing/segments";
import {
  dressRegion,
  labelLanes,
  regionColour,
  RegionLayer,
  tagElement,
  type Look,
  type RegionDress,
  type Shown,
} from "./regionLayer";
import type { Waveform } from "./useWaveform";

/** At most this many regions carry their label as text on the waveform. */
const LABELLED_REGIONS = 200;

/** The shortest a resize leaves a region, in seconds. */
const MIN_SECONDS = 0.01;

/** The attribute of the regions that move and resize (the selected ones). */
export const EDITABLE = "data-selected";

/** One annotation's region: its span in media seconds and how it looks. */
export interface RegionSpec extends RegionDress {
  readonly id: string;
  readonly start: number;
  readonly end: number;
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

/**
 * Draw `specs` as regions of `waveform` (see the module), `selected` and `hovered` as the
 * focus has them, with `handlers` for what the person does to them. They are drawn before
 * the browser paints the render that gave them.
 */
export function useRegions(
  waveform: Waveform | null,
  specs: readonly RegionSpec[],
  selected: readonly string[],
  hovered: readonly string[],
  handlers: RegionHandlers,
): void {
  const latest = useRef(handlers);
  useEffect(() => {
    latest.current = handlers;
  }, [handlers]);

  const views = useRef<RegionViews | null>(null);
  useLayoutEffect(() => {
    if (waveform === null) return undefined;
    const made = new RegionViews(waveform, latest);
    views.current = made;
    return () => {
      made.destroy();
      views.current = null;
    };
  }, [waveform]);

  const selectedIds = useMemo(() => new Set(selected), [selected]);
  const hoveredIds = useMemo(() => new Set(hovered), [hovered]);
  useLayoutEffect(() => {
    views.current?.show(specs, { selected: selectedIds, hovered: hoveredIds });
  }, [waveform, specs, selectedIds, hoveredIds]);
}

interface Focus {
  readonly selected: ReadonlySet<string>;
  readonly hovered: ReadonlySet<string>;
}

/** A region drawn: by the plain layer, or by the plugin while it is selected. */
interface Drawn extends Shown {
  readonly spec: RegionSpec;
  readonly view: { readonly plain: HTMLElement } | { readonly region: Region };
}

const sameLook = (a: Look, b: Look): boolean => a.selected === b.selected && a.hovered === b.hovered;

const sameSpec = (a: RegionSpec, b: RegionSpec): boolean =>
  a === b ||
  (a.start === b.start &&
    a.end === b.end &&
    a.label === b.label &&
    a.tag === b.tag &&
    a.title === b.title &&
    a.review?.state === b.review?.state &&
    a.flagged === b.flagged &&
    a.editable === b.editable);

/** The regions of one waveform, drawn and listened to (see the module). */
class RegionViews {
  private readonly drawn = new Map<string, Drawn>();
  private readonly layer: RegionLayer;
  private readonly duration: number;
  private specs: readonly RegionSpec[] = [];
  private focus: Focus = { selected: new Set(), hovered: new Set() };
  private readonly stops: (() => void)[];

  constructor(
    private readonly waveform: Waveform,
    private readonly handlers: { readonly current: RegionHandlers },
  ) {
    const wrapper = waveform.wavesurfer.getWrapper();
    this.duration = waveform.wavesurfer.getDuration();
    this.layer = new RegionLayer(wrapper, this.duration);
    this.stops = [...this.listenToLayer(), ...this.listenToEdits()];
  }

  /** Draw `specs` with `focus`: all of them when they changed, else those whose look did. */
  show(specs: readonly RegionSpec[], focus: Focus): void {
    const before = this.focus;
    this.focus = focus;
    if (specs === this.specs) {
      for (const id of new Set([...before.selected, ...before.hovered, ...focus.selected, ...focus.hovered])) {
        const known = this.drawn.get(id);
        if (known !== undefined) this.put(known.spec, known.lane);
      }
      return;
    }
    this.specs = specs;
    const wanted = new Set(specs.map((spec) => spec.id));
    for (const [id, known] of this.drawn) {
      if (wanted.has(id)) continue;
      this.erase(known);
      this.drawn.delete(id);
    }
    const lanes = specs.length <= LABELLED_REGIONS ? labelLanes(specs) : null;
    const fresh = document.createDocumentFragment();
    for (const spec of specs) this.put(spec, lanes?.get(spec.id) ?? null, fresh);
    this.layer.element.appendChild(fresh);
  }

  destroy(): void {
    this.stops.forEach((stop) => stop());
    this.drawn.forEach((known) => this.erase(known));
    this.drawn.clear();
    this.layer.remove();
  }

  /** Draw `spec` as the focus has it, with its tag in row `lane`; new plain elements go into `fresh`. */
  private put(spec: RegionSpec, lane: number | null, fresh?: ParentNode): void {
    const look = { selected: this.focus.selected.has(spec.id), hovered: this.focus.hovered.has(spec.id) };
    const editable = look.selected && spec.editable;
    let known = this.drawn.get(spec.id);
    if (known !== undefined && ("region" in known.view) !== editable) {
      this.erase(known);
      known = undefined;
    }
    const next = { spec, look, lane };
    if (known === undefined) {
      const view = editable ? { region: this.edit(next) } : { plain: this.layer.draw(next, fresh) };
      this.drawn.set(spec.id, { ...next, view });
      return;
    }
    if (!(sameSpec(known.spec, spec) && known.lane === lane && sameLook(known.look, look))) {
      if ("plain" in known.view) this.layer.redraw(known.view.plain, next, known);
      else restyle(known.view.region, next, known);
    }
    this.drawn.set(spec.id, { ...next, view: known.view });
  }

  /** The plugin's region for `shown`, selected: it moves and resizes. */
  private edit({ spec, look, lane }: Shown): Region {
    const made = this.waveform.regions.addRegion({
      id: spec.id,
      start: spec.start,
      end: spec.end,
      color: regionColour(spec.label, look),
      drag: true,
      resize: true,
      minLength: MIN_SECONDS,
      content: lane === null ? undefined : tagElement(spec.tag, lane),
    });
    const element = made.element;
    if (element !== null) {
      element.setAttribute("data-annotation", spec.id);
      element.setAttribute(EDITABLE, "");
      dressRegion(element, spec, null);
    }
    made.on("over", () => this.handlers.current.hover([spec.id]));
    made.on("leave", () => this.handlers.current.hover([]));
    return made;
  }

  private erase(known: Drawn): void {
    if ("plain" in known.view) known.view.plain.remove();
    else known.view.region.remove();
  }

  /** A click on region `id` at `clientX` picks the region there (`pickAt`). */
  private pick(id: string, clientX: number, additive: boolean): void {
    if (!this.drawn.get(id)?.spec.editable) return;
    const { left, width } = this.waveform.wavesurfer.getWrapper().getBoundingClientRect();
    const t = width > 0 ? ((clientX - left) / width) * this.duration : 0;
    const drawn = [...this.drawn.values()];
    const spans = drawn.filter(({ spec }) => spec.editable).map(({ spec }) => spec);
    const selected = drawn.filter(({ look }) => look.selected).map(({ spec }) => spec.id);
    this.handlers.current.pick(pickAt(spans, t, selected, additive) ?? id, additive);
  }

  /** Clicks on the plain regions, and the pointer over the editable ones. */
  private listenToLayer(): (() => void)[] {
    const element = this.layer.element;
    const editableAt = (target: EventTarget | null): string | null => {
      const id = this.layer.idAt(target);
      return id !== null && this.drawn.get(id)?.spec.editable ? id : null;
    };
    const click = (event: MouseEvent): void => {
      const id = this.layer.idAt(event.target);
      if (id !== null) this.pick(id, event.clientX, event.shiftKey);
    };
    const over = (event: MouseEvent): void => {
      const id = editableAt(event.target);
      if (id !== null) this.handlers.current.hover([id]);
    };
    const out = (event: MouseEvent): void => {
      const id = editableAt(event.target);
      if (id !== null && this.layer.idAt(event.relatedTarget) !== id) this.handlers.current.hover([]);
    };
    element.addEventListener("click", click);
    element.addEventListener("mouseover", over);
    element.addEventListener("mouseout", out);
    return [
      () => element.removeEventListener("click", click),
      () => element.removeEventListener("mouseover", over),
      () => element.removeEventListener("mouseout", out),
    ];
  }

  /**
   * Clicks, moves and resizes of the plugin's (selected) regions: a click picks, the end of
   * a move or resize asks `change`; Escape during one puts the region back and ends it.
   */
  private listenToEdits(): (() => void)[] {
    const { regions } = this.waveform;
    let editing: Region | null = null;
    const restore = (region: Region): void => {
      const known = this.drawn.get(region.id);
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
        if (!region.isRemoved) region.setOptions({ drag: true, resize: true });
      };
      window.addEventListener("pointerup", giveBack, { once: true });
    }
    return [
      regions.on("region-clicked", (region, event) => this.pick(region.id, event.clientX, event.shiftKey)),
      regions.on("region-update", (region) => {
        if (editing === region || !this.drawn.has(region.id)) return;
        editing = region;
        window.addEventListener("keydown", escape, { capture: true });
      }),
      regions.on("region-updated", (region, edge) => {
        if (editing !== region) return;
        settle();
        if (!this.handlers.current.change(region.id, region.start, region.end, edge)) restore(region);
      }),
      settle,
    ];
  }
}

/** Change the plugin's `region`, drawn as `before`, to show `shown`. */
function restyle(region: Region, { spec, look, lane }: Shown, before: Shown): void {
  // against the spec drawn, not the region's span, which a drag under way moves
  if (spec.start !== before.spec.start || spec.end !== before.spec.end) {
    region.setOptions({ start: spec.start, end: spec.end });
  }
  const colour = regionColour(spec.label, look);
  if (colour !== regionColour(before.spec.label, before.look)) region.setOptions({ color: colour });
  if (region.element !== null) dressRegion(region.element, spec, before.spec);
  if (lane !== before.lane || spec.tag !== before.spec.tag) {
    region.setContent(lane === null ? undefined : tagElement(spec.tag, lane));
  }
}
