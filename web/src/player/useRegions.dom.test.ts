// @vitest-environment jsdom
import { cleanup, renderHook } from "@testing-library/react";
import { afterEach, describe, expect, it, vi, type Mock } from "vitest";
import type { Region, RegionParams } from "wavesurfer.js/plugins/regions";

import { useRegions, type RegionHandlers, type RegionSpec } from "./useRegions";
import type { Waveform } from "./useWaveform";

/** The waveform's length in seconds, and its wrapper's width on the page in pixels. */
const DURATION = 100;
const WIDTH = 1000;

/** The plugin's region, as far as `useRegions` uses it. */
class FakeRegion {
  element: HTMLElement | null = document.createElement("div");
  isRemoved = false;
  readonly id: string;
  start: number;
  end: number;
  options: RegionParams;
  constructor(params: RegionParams, into: HTMLElement) {
    this.id = params.id ?? "";
    this.start = params.start;
    this.end = params.end ?? params.start;
    this.options = params;
    if (params.content instanceof HTMLElement) this.element?.append(params.content);
    into.append(this.element as HTMLElement);
  }
  on(): () => void {
    return () => undefined;
  }
  setOptions(options: Partial<RegionParams>): void {
    this.options = { ...this.options, ...options };
    this.start = options.start ?? this.start;
    this.end = options.end ?? this.end;
  }
  setContent(content: RegionParams["content"]): void {
    this.element?.replaceChildren(...(content instanceof HTMLElement ? [content] : []));
  }
  remove(): void {
    this.isRemoved = true;
    this.element?.remove();
    this.element = null;
  }
}

/** A waveform whose plugin keeps its regions in a container of the wrapper, and the
 * regions the plugin was asked for. */
function fakeWaveform(): { waveform: Waveform; wrapper: HTMLElement; made: FakeRegion[] } {
  const wrapper = document.createElement("div");
  const plugin = document.createElement("div");
  wrapper.append(plugin);
  document.body.replaceChildren(wrapper);
  wrapper.getBoundingClientRect = () => new DOMRect(0, 0, WIDTH, 80);
  const made: FakeRegion[] = [];
  const regions = {
    addRegion: (params: RegionParams): Region => {
      const region = new FakeRegion(params, plugin);
      made.push(region);
      return region as unknown as Region;
    },
    on: () => () => undefined,
  };
  const wavesurfer = { getWrapper: () => wrapper, getDuration: () => DURATION };
  return { waveform: { wavesurfer, regions } as unknown as Waveform, wrapper, made };
}

function spec(id: string, start: number, end: number, changes: Partial<RegionSpec> = {}): RegionSpec {
  const dress = { label: "speech", tag: "speech", title: `speech ${id}`, review: null, flagged: false };
  return { id, start, end, ...dress, editable: true, ...changes };
}

function handlers(): { [K in keyof RegionHandlers]: Mock<RegionHandlers[K]> } {
  return { pick: vi.fn(), hover: vi.fn(), change: vi.fn(() => true) };
}

interface Props {
  specs: readonly RegionSpec[];
  selected: readonly string[];
  hovered: readonly string[];
}

function draw(waveform: Waveform, props: Props, on: RegionHandlers = handlers()) {
  return renderHook(({ specs, selected, hovered }: Props) => useRegions(waveform, specs, selected, hovered, on), {
    initialProps: props,
  });
}

const regionsOf = (root: HTMLElement, id: string): HTMLElement[] => [
  ...root.querySelectorAll<HTMLElement>(`[data-annotation="${id}"]`),
];

afterEach(cleanup);

describe("useRegions", () => {
  it("draws 2,000 regions as plain elements placed by percentages, none by the plugin", () => {
    const { waveform, wrapper, made } = fakeWaveform();
    const specs = Array.from({ length: 2000 }, (_, i) => spec(`s-${i}`, i * 0.05, i * 0.05 + 0.04));
    draw(waveform, { specs, selected: [], hovered: [] });
    const drawn = wrapper.querySelectorAll<HTMLElement>("[data-annotation]");
    expect(drawn).toHaveLength(2000);
    expect(made).toHaveLength(0);
    const last = regionsOf(wrapper, "s-1999")[0] as HTMLElement;
    expect(parseFloat(last.style.left)).toBeCloseTo(99.95, 9);
    expect(parseFloat(last.style.right)).toBeCloseTo(0.01, 9);
    expect(last.title).toBe("speech s-1999");
    // past 200 regions, no tags
    expect(last.textContent).toBe("");
  });

  it("hands a selected region to the plugin to edit, and takes it back when left", () => {
    const { waveform, wrapper, made } = fakeWaveform();
    const accepted = { tag: "✓ speech", review: { state: "accepted", colour: "#12b76a" } };
    const specs = [spec("turn", 0, 3), spec("words", 0.5, 2.5, accepted)];
    const { rerender } = draw(waveform, { specs, selected: [], hovered: [] });
    const plain = regionsOf(wrapper, "words")[0] as HTMLElement;
    expect(plain.getAttribute("data-review")).toBe("accepted");
    expect(plain.textContent).toBe("✓ speech");

    rerender({ specs, selected: ["words"], hovered: [] });
    const asked = made.map((region) => [region.id, region.options.drag, region.options.resize]);
    expect(asked).toEqual([["words", true, true]]);
    const [editable, ...others] = regionsOf(wrapper, "words");
    expect(others).toHaveLength(0);
    expect(editable?.hasAttribute("data-selected")).toBe(true);
    expect(editable?.getAttribute("data-review")).toBe("accepted");
    // its tag keeps its row under the turn's
    expect(editable?.textContent).toBe("✓ speech");
    expect((editable?.firstElementChild as HTMLElement).style.paddingTop).toBe("1.8em");

    // dragged half-way, then hovered: the drag keeps it where it is
    made[0]?.setOptions({ end: 2.9 });
    rerender({ specs, selected: ["words"], hovered: ["words"] });
    expect([made[0]?.start, made[0]?.end]).toEqual([0.5, 2.9]);

    rerender({ specs, selected: [], hovered: [] });
    expect(made[0]?.isRemoved).toBe(true);
    const back = regionsOf(wrapper, "words");
    expect(back).toHaveLength(1);
    expect(back[0]?.hasAttribute("data-selected")).toBe(false);
    expect(back[0]?.style.backgroundColor).toBe(plain.style.backgroundColor);
  });

  it("changes only the regions whose spec or look changed", () => {
    const { waveform, wrapper } = fakeWaveform();
    const specs = [spec("a", 0, 1), spec("b", 1, 2), spec("c", 2, 3)];
    const { rerender } = draw(waveform, { specs, selected: [], hovered: [] });
    const [a, b, c] = ["a", "b", "c"].map((id) => regionsOf(wrapper, id)[0] as HTMLElement);
    const colour = a?.style.backgroundColor;

    // equal copies, one flagged, one gone, one hovered
    const next = [spec("a", 0, 1), spec("b", 1, 2, { flagged: true, title: "speech b (⚠ stale link)" })];
    rerender({ specs: next, selected: [], hovered: ["a"] });
    expect(regionsOf(wrapper, "a")[0]).toBe(a);
    expect(regionsOf(wrapper, "b")[0]).toBe(b);
    expect(c?.isConnected).toBe(false);
    expect(b?.hasAttribute("data-flagged")).toBe(true);
    expect(b?.title).toBe("speech b (⚠ stale link)");
    expect(a?.style.backgroundColor).not.toBe(colour);
    expect(b?.style.backgroundColor).toBe(colour);

    // moved: placed again
    rerender({ specs: [spec("a", 50, 60), next[1] as RegionSpec], selected: [], hovered: [] });
    expect([a?.style.left, a?.style.right, a?.style.backgroundColor]).toEqual(["50%", "40%", colour]);
  });

  it("picks the shortest region under a click, and hovers the editable ones", () => {
    const { waveform, wrapper } = fakeWaveform();
    const on = handlers();
    const specs = [spec("turn", 0, 30), spec("word", 10, 15), spec(" pending", 40, 50, { editable: false })];
    draw(waveform, { specs, selected: [], hovered: [] }, on);
    const turn = regionsOf(wrapper, "turn")[0] as HTMLElement;
    // 120 px of 1,000 across 100 s: 12 s, inside the word
    turn.dispatchEvent(new MouseEvent("click", { bubbles: true, clientX: 120, shiftKey: true }));
    expect(on.pick).toHaveBeenCalledWith("word", true);
    turn.dispatchEvent(new MouseEvent("click", { bubbles: true, clientX: 250 }));
    expect(on.pick).toHaveBeenLastCalledWith("turn", false);

    turn.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
    expect(on.hover).toHaveBeenLastCalledWith(["turn"]);
    turn.dispatchEvent(new MouseEvent("mouseout", { bubbles: true, relatedTarget: wrapper }));
    expect(on.hover).toHaveBeenLastCalledWith([]);

    // the new interval waiting for its label takes neither
    const pending = regionsOf(wrapper, " pending")[0] as HTMLElement;
    pending.dispatchEvent(new MouseEvent("click", { bubbles: true, clientX: 450 }));
    pending.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
    expect(on.pick).toHaveBeenCalledTimes(2);
    expect(on.hover).toHaveBeenCalledTimes(2);
  });

  it("takes its layer and the plugin's regions off the waveform when it goes", () => {
    const { waveform, wrapper, made } = fakeWaveform();
    const { unmount } = draw(waveform, { specs: [spec("a", 0, 1), spec("b", 1, 2)], selected: ["b"], hovered: [] });
    expect(wrapper.querySelectorAll("[data-annotation]")).toHaveLength(2);
    unmount();
    expect(wrapper.querySelectorAll("[data-annotation]")).toHaveLength(0);
    expect(wrapper.querySelector('[part="plain-regions"]')).toBeNull();
    expect(made[0]?.isRemoved).toBe(true);
  });
});
