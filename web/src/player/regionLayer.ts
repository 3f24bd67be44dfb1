/**
 * How a waveform's regions look, and the plain layer that draws every region but the ones
 * being edited: one element per region, placed by its span as percentages of wavesurfer's
 * wrapper, so zooming and scrolling move it with no script and drawing it never reads
 * layout (wavesurfer's regions plugin reads the view's width once per region it adds, a
 * forced layout each: seconds for 2,000). The selected regions are the plugin's, which
 * moves and resizes them (`useRegions`); both kinds are dressed here alike.
 *
 * The elements live in wavesurfer's shadow root, out of the page's style sheets' reach: the
 * layer brings its own (`STYLE`), and each element carries inline only what is its own.
 */
import { labelColour } from "../ui/colour";

/** What a region shows besides its span and colour. */
export interface RegionDress {
  readonly label: string;
  /** The text on the region (its label, with the signs of its state). */
  readonly tag: string;
  /** The tooltip. */
  readonly title: string;
  /** Its review state and that state's colour, when it has been reviewed. */
  readonly review: { readonly state: string; readonly colour: string } | null;
  /** Whether a stale link concerns it. */
  readonly flagged: boolean;
}

/** How strongly a region is drawn. */
export interface Look {
  readonly selected: boolean;
  readonly hovered: boolean;
}

/** A span in media seconds. */
export interface Span {
  readonly id: string;
  readonly start: number;
  readonly end: number;
}

/** The label rows a region's tag may sit in (0 at the top), beyond which tags share the last. */
const LANES = 3;

/** A label row's height, in ems of the tag's font. */
const LANE_HEIGHT = 1.6;

/** The layer's style sheet, for its regions and every region's tag (the plugin's too). */
const STYLE = `
.plain-region {
  position: absolute; top: 0; height: 100%; border-radius: 2px; box-sizing: border-box; pointer-events: all;
}
.region-tag { padding: 0.2em 0.4em; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
`;

/** The colour of a region labelled `label` drawn with `look`. */
export function regionColour(label: string, look: Look): string {
  return labelColour(label, look.selected ? 0.45 : look.hovered ? 0.32 : 0.15);
}

/**
 * The row of each span's tag, so that the tags of spans lying over each other do not
 * cover each other: each span, from the earliest, takes the first row free at its start
 * (the longest first where several start together), the last row once all are taken.
 */
export function labelLanes(spans: readonly Span[]): Map<string, number> {
  const ordered = [...spans].sort((a, b) => a.start - b.start || b.end - a.end || (a.id < b.id ? -1 : 1));
  const freeFrom: number[] = [];
  const lanes = new Map<string, number>();
  for (const span of ordered) {
    let lane = freeFrom.findIndex((end) => end <= span.start);
    if (lane === -1) lane = freeFrom.length < LANES ? freeFrom.length : LANES - 1;
    freeFrom[lane] = Math.max(freeFrom[lane] ?? 0, span.end);
    lanes.set(span.id, lane);
  }
  return lanes;
}

/** A region's tag `text` in row `lane`, cut at the region's edges. */
export function tagElement(text: string, lane: number): HTMLElement {
  const tag = document.createElement("div");
  tag.className = "region-tag";
  tag.setAttribute("part", "region-content");
  tag.textContent = text;
  // padding, not margin: the plugin sets its regions' tags' margins
  if (lane > 0) tag.style.paddingTop = `${0.2 + lane * LANE_HEIGHT}em`;
  return tag;
}

/** Give `element` what `dress` says besides its tag, where it differs from `before`
 * (`null`: a new element). */
export function dressRegion(element: HTMLElement, dress: RegionDress, before: RegionDress | null): void {
  if (dress.title !== before?.title) element.title = dress.title;
  if (dress.review?.state !== before?.review?.state) {
    element.style.boxShadow = dress.review === null ? "" : `inset 0 -4px 0 ${dress.review.colour}`;
    if (dress.review === null) element.removeAttribute("data-review");
    else element.setAttribute("data-review", dress.review.state);
  }
  if (dress.flagged !== (before?.flagged ?? false)) {
    element.style.outline = dress.flagged ? "2px dashed #b54708" : "";
    element.style.outlineOffset = dress.flagged ? "-2px" : "";
    element.toggleAttribute("data-flagged", dress.flagged);
  }
}

/** A region as it is drawn: its span and dress, how strongly, and the row of its tag
 * (`null`: no tag). */
export interface Shown {
  readonly spec: Span & RegionDress;
  readonly look: Look;
  readonly lane: number | null;
}

/**
 * The plain layer over the waveform in `wrapper` (wavesurfer's, as wide as the zoomed
 * waveform), `duration` seconds across: regions are drawn, changed and removed here by
 * their element, which carries `data-annotation` (the region's id).
 */
export class RegionLayer {
  readonly element: HTMLDivElement;

  constructor(
    wrapper: HTMLElement,
    private readonly duration: number,
  ) {
    this.element = document.createElement("div");
    this.element.setAttribute("part", "plain-regions");
    // under the plugin's regions (z-index 5, the selected ones) and the play cursor (5)
    this.element.style.cssText = "position: absolute; inset: 0; z-index: 4; pointer-events: none";
    const style = document.createElement("style");
    style.textContent = STYLE;
    this.element.appendChild(style);
    wrapper.appendChild(this.element);
  }

  /** A new element for `region`, placed in `into` (the layer, or a fragment added to it). */
  draw({ spec, look, lane }: Shown, into: ParentNode = this.element): HTMLElement {
    const element = document.createElement("div");
    element.className = "plain-region";
    element.setAttribute("data-annotation", spec.id);
    // one parse for what is its own
    element.style.cssText = `${this.placement(spec)}; background-color: ${regionColour(spec.label, look)}`;
    dressRegion(element, spec, null);
    if (lane !== null) element.appendChild(tagElement(spec.tag, lane));
    into.appendChild(element);
    return element;
  }

  /** Change `element`, drawn as `before`, to show `shown`. */
  redraw(element: HTMLElement, { spec, look, lane }: Shown, before: Shown): void {
    if (spec.start !== before.spec.start || spec.end !== before.spec.end) {
      element.style.left = `${this.left(spec)}%`;
      element.style.right = `${this.right(spec)}%`;
    }
    const colour = regionColour(spec.label, look);
    if (colour !== regionColour(before.spec.label, before.look)) element.style.backgroundColor = colour;
    dressRegion(element, spec, before.spec);
    if (lane !== before.lane || spec.tag !== before.spec.tag) {
      element.replaceChildren(...(lane === null ? [] : [tagElement(spec.tag, lane)]));
    }
  }

  /** The id of the region an event's `target` is in (`null`: none of this layer's). */
  idAt(target: EventTarget | null): string | null {
    if (!(target instanceof Element) || !this.element.contains(target)) return null;
    return target.closest("[data-annotation]")?.getAttribute("data-annotation") ?? null;
  }

  /** Take the layer off the waveform. */
  remove(): void {
    this.element.remove();
  }

  // as the plugin places its regions: percentages of the wrapper, left and right
  private left(span: Span): number {
    return (span.start / this.duration) * 100;
  }

  private right(span: Span): number {
    return ((this.duration - span.end) / this.duration) * 100;
  }

  private placement(span: Span): string {
    return `left: ${this.left(span)}%; right: ${this.right(span)}%`;
  }
}
