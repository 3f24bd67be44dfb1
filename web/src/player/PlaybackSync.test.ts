import { describe, expect, it } from "vitest";

import type { components } from "../api/schema";
import { seeded } from "../clock/testdata/random";
import { MasterClock } from "../clock/master";
import { SampleTimeline } from "../clock/timeline";
import { LEADER_TOLERANCE, PlaybackSync, type MediaEventName, type MediaLike } from "./PlaybackSync";

type Stream = components["schemas"]["Stream"];

const FRAME = 0.04;
const TOLERANCE = FRAME / 2;

/**
 * A media element in simulated time: a seek takes `seekLatency` ms (seeking, then
 * `seeked`), playback begins `startLatency` ms after `play()` or after a seek while
 * playing, then advances at its playback rate and stops at its end. `update()` fires the
 * events that became due.
 */
class SimulatedMedia implements MediaLike {
  paused = true;
  private position = 0;
  private rate = 1;
  /** When playback (re)started or will start, ms; `null` while paused. */
  private since: number | null = null;
  private seekDone = Number.NEGATIVE_INFINITY;
  private due: { type: MediaEventName; at: number }[] = [];
  private readonly listeners = new Map<MediaEventName, Set<() => void>>();

  constructor(
    private readonly now: () => number,
    readonly duration: number,
    private readonly startLatency: number,
    private readonly seekLatency: number,
    private readonly refuse = false,
  ) {}

  get seeking(): boolean {
    return this.now() < this.seekDone;
  }

  get readyState(): number {
    return this.seeking ? 1 : 4;
  }

  get currentTime(): number {
    if (this.since === null || this.now() < this.since) return this.position;
    return Math.min(this.position + ((this.now() - this.since) / 1000) * this.rate, this.duration);
  }

  set currentTime(value: number) {
    this.position = value;
    this.seekDone = this.now() + this.seekLatency;
    this.fire("seeking");
    this.due.push({ type: "seeked", at: this.seekDone });
    if (this.since !== null) this.since = this.seekDone + this.startLatency;
  }

  get playbackRate(): number {
    return this.rate;
  }

  set playbackRate(value: number) {
    this.reanchor();
    this.rate = value;
  }

  play(): Promise<void> {
    if (this.refuse) {
      return Promise.reject(new DOMException("no user gesture", "NotAllowedError"));
    }
    if (this.paused) {
      this.paused = false;
      this.since = Math.max(this.now(), this.seekDone) + this.startLatency;
      this.due.push({ type: "playing", at: this.since });
    }
    return Promise.resolve();
  }

  pause(): void {
    this.reanchor();
    this.paused = true;
    this.since = null;
    this.due = this.due.filter((event) => event.type !== "playing");
  }

  addEventListener(type: MediaEventName, listener: () => void): void {
    const set = this.listeners.get(type) ?? new Set();
    set.add(listener);
    this.listeners.set(type, set);
  }

  removeEventListener(type: MediaEventName, listener: () => void): void {
    this.listeners.get(type)?.delete(listener);
  }

  /** Fire the events whose time has come (seeked, playing, ended). */
  update(): void {
    const now = this.now();
    const due = this.due.filter((event) => event.at <= now);
    this.due = this.due.filter((event) => event.at > now);
    due.forEach((event) => this.fire(event.type));
    if (!this.paused && this.currentTime >= this.duration) {
      this.pause();
      this.position = this.duration;
      this.fire("ended");
    }
  }

  private reanchor(): void {
    if (this.since !== null && this.now() >= this.since) {
      this.position = this.currentTime;
      this.since = this.now();
    }
  }

  private fire(type: MediaEventName): void {
    this.listeners.get(type)?.forEach((listener) => listener());
  }
}

const VIDEO: Stream = { id: "cam", name: "camera", modality: "video", media: { frame_rate: "25", frame_count: 250 } };
const AUDIO: Stream = { id: "mic", name: "microphone", modality: "audio", media: { sample_rate: 16000, duration: 10 } };

interface Rig {
  clock: MasterClock;
  sync: PlaybackSync;
  /** Advance simulated time by one animation frame (or `ms`) and tick the clock. */
  frame: (ms?: number) => void;
  run: (seconds: number) => void;
  media: (streamId: string) => SimulatedMedia;
}

function rig(
  streams: readonly Stream[],
  elements: readonly { stream: Stream; latency: number; seek?: number; refuse?: boolean }[],
): Rig {
  let now = 5000;
  const clock = new MasterClock({ now: () => now, duration: 10 });
  const timeline = new SampleTimeline(streams);
  const sync = new PlaybackSync(clock, timeline, TOLERANCE);
  const media = new Map<string, SimulatedMedia>();
  for (const { stream, latency, seek = 0, refuse } of elements) {
    const element = new SimulatedMedia(() => now, stream.media?.duration ?? 10, latency, seek, refuse);
    media.set(stream.id, element);
    sync.attach({ streamId: stream.id, kind: stream.modality === "audio" ? "audio" : "video", element });
  }
  const frame = (ms = 1000 / 60): void => {
    now += ms;
    media.forEach((element) => element.update());
    clock.tick();
  };
  return {
    clock,
    sync,
    frame,
    run: (seconds) => {
      for (let i = 0; i < seconds * 60; i += 1) frame();
    },
    media: (id) => media.get(id) as SimulatedMedia,
  };
}

/** The sample time each element is at, minus the clock's. */
function offsets(r: Rig, ids: readonly string[]): number[] {
  const t = r.clock.seconds();
  return ids.map((id) => r.media(id).currentTime - t);
}

describe("PlaybackSync", () => {
  it("holds the clock while the leading audio starts, then follows it", () => {
    const r = rig([VIDEO, AUDIO], [
      { stream: VIDEO, latency: 10 },
      { stream: AUDIO, latency: 120 },
    ]);
    r.clock.play();
    r.run(0.1);
    expect(r.sync.leader()).toBe("mic");
    expect(r.clock.seconds()).toBeLessThanOrEqual(LEADER_TOLERANCE);
    r.run(1);
    const [video, audio] = offsets(r, ["cam", "mic"]);
    expect(Math.abs(audio as number)).toBeLessThanOrEqual(LEADER_TOLERANCE);
    expect(Math.abs(video as number)).toBeLessThanOrEqual(TOLERANCE / 2);
    expect(r.media("cam").playbackRate).toBe(1);
  });

  it("parks both elements where a paused clock is sought, the video mid-frame", () => {
    const r = rig([VIDEO, AUDIO], [
      { stream: VIDEO, latency: 10 },
      { stream: AUDIO, latency: 10 },
    ]);
    r.clock.seek("3.64");
    expect(r.media("mic").currentTime).toBe(3.64);
    expect(r.media("cam").currentTime).toBeCloseTo(3.66, 12);
    r.clock.play();
    r.run(0.5);
    r.clock.pause();
    const t = r.clock.seconds();
    const frameStart = Math.floor(t / FRAME + 1e-9) * FRAME;
    expect(r.media("cam").currentTime).toBeCloseTo(frameStart + FRAME / 2, 9);
    expect(r.media("cam").paused && r.media("mic").paused).toBe(true);
  });

  it("holds the clock at a seek until every element can play there, then starts them together", () => {
    const r = rig([VIDEO, AUDIO], [
      { stream: VIDEO, latency: 20, seek: 200 },
      { stream: AUDIO, latency: 20, seek: 10 },
    ]);
    r.clock.play();
    r.run(1);
    r.clock.seek(5);
    r.run(0.15);
    expect(r.clock.seconds()).toBe(5);
    expect(r.media("mic").paused).toBe(true);
    r.run(0.2);
    expect(r.clock.seconds()).toBeGreaterThan(5.1);
    for (const offset of offsets(r, ["cam", "mic"])) expect(Math.abs(offset)).toBeLessThanOrEqual(LEADER_TOLERANCE);
  });

  it("keeps every element within a quarter frame of the clock after many seeks while playing", () => {
    const r = rig([VIDEO, AUDIO], [
      { stream: VIDEO, latency: 15, seek: 150 },
      { stream: AUDIO, latency: 90, seek: 20 },
    ]);
    const random = seeded(7);
    r.clock.play();
    let worst = 0;
    for (let i = 0; i < 200; i += 1) {
      r.clock.seek(random() * 6);
      r.run(0.8);
      expect(r.clock.playing).toBe(true);
      for (const offset of offsets(r, ["cam", "mic"])) worst = Math.max(worst, Math.abs(offset));
      if (i % 50 === 0) r.clock.setRate([1, 2, 0.5][(i / 50) % 3] as number);
    }
    expect(worst).toBeLessThanOrEqual(TOLERANCE / 2 + 1e-9);
  });

  it("starts an element when the clock enters its media and leaves it parked before", () => {
    const late: Stream = {
      ...AUDIO,
      clock: { rate: "16000", offset: "0", sync: [{ local: "0", reference: "2", source: "manual" }] },
    };
    const r = rig([VIDEO, late], [
      { stream: VIDEO, latency: 10 },
      { stream: late, latency: 50 },
    ]);
    r.clock.play();
    r.run(1);
    expect(r.sync.leader()).toBe("cam");
    expect(r.media("mic").paused).toBe(true);
    r.run(1.5);
    expect(r.sync.leader()).toBe("mic");
    expect(Math.abs(r.media("mic").currentTime + 2 - r.clock.seconds())).toBeLessThanOrEqual(LEADER_TOLERANCE);
  });

  it("lets the clock run on its own when the browser refuses to play", async () => {
    const r = rig([AUDIO], [{ stream: AUDIO, latency: 10, refuse: true }]);
    r.clock.play();
    r.frame(); // the element is ready at once: asked to play here
    await Promise.resolve(); // the refusal arrives
    r.run(1);
    expect(r.sync.leader()).toBeNull();
    expect(r.clock.seconds()).toBeGreaterThan(0.9);
  });
});
