/**
 * The workspace's master clock: one sample time (seconds on the reference timeline) that
 * play, pause, seek and rate changes drive, and every pane follows.
 *
 * No timers: the clock reads the injected `now()` (milliseconds, `performance.now()` in
 * the browser) when asked. While playing, the time is computed afresh from an anchor,
 * `anchorTime + (now() - anchorNow) / 1000 * rate`, in exact fractions (a `now()` value
 * counts as its shortest decimal), and the anchor moves only on play, pause, seek and
 * rate changes, where it is the exact time of that instant; so nothing accumulates and
 * any number of pauses and rate changes leave the time exactly where elapsed time puts it.
 *
 * The UI calls `tick()` once per animation frame: subscribers then all see one time for
 * that frame. Changes notify at once. `snapshot()` is stable between notifications, for
 * React's `useSyncExternalStore`.
 */
import { Fraction, max, min, type TimeLike } from "./fraction";

/** What happened: a state change, a frame's tick, or playback reaching the end. */
export type ClockEventType = "play" | "pause" | "seek" | "rate" | "duration" | "tick" | "ended";

/** The clock's state at one notification. */
export interface ClockSnapshot {
  readonly time: Fraction;
  readonly playing: boolean;
  readonly rate: Fraction;
  readonly duration: Fraction | null;
}

/** A notification: what happened and the state after it. */
export interface ClockEvent extends ClockSnapshot {
  readonly type: ClockEventType;
}

export type ClockListener = (event: ClockEvent) => void;

export interface MasterClockOptions {
  /** Milliseconds from any fixed origin, increasing (`() => performance.now()`). */
  now: () => number;
  /** The end of the timeline in seconds; `null` (the default) when not known yet. */
  duration?: TimeLike | null;
  /** The playback rate to start with (default 1). */
  rate?: TimeLike;
}

const MS_PER_SECOND = 1000;

/** The master clock (see the module). Times are kept within `[0, duration]`. */
export class MasterClock {
  private readonly now: () => number;
  private readonly listeners = new Set<ClockListener>();
  private anchorTime = Fraction.ZERO;
  private anchorNow = Fraction.ZERO;
  private playingNow = false;
  private rateNow: Fraction;
  private durationNow: Fraction | null;
  private current: ClockSnapshot;

  constructor(options: MasterClockOptions) {
    this.now = options.now;
    this.rateNow = positiveRate(options.rate ?? 1);
    this.durationNow = duration(options.duration ?? null);
    this.current = this.read();
  }

  /** The sample time now (exact). */
  time(): Fraction {
    if (!this.playingNow) {
      return this.anchorTime;
    }
    const elapsed = this.stamp().sub(this.anchorNow).div(MS_PER_SECOND);
    return this.clamp(this.anchorTime.add(elapsed.mul(this.rateNow)));
  }

  /** The sample time now in seconds, as a number (for display and media elements). */
  seconds(): number {
    return this.time().toNumber();
  }

  get playing(): boolean {
    return this.playingNow;
  }

  get rate(): Fraction {
    return this.rateNow;
  }

  get duration(): Fraction | null {
    return this.durationNow;
  }

  /** The state at the last notification (the same object until the next one). */
  snapshot(): ClockSnapshot {
    return this.current;
  }

  /** Start playing from the current time (from 0 when at the end). */
  play(): void {
    if (this.playingNow) {
      return;
    }
    if (this.durationNow !== null && this.anchorTime.ge(this.durationNow)) {
      this.anchorTime = Fraction.ZERO;
    }
    this.anchorNow = this.stamp();
    this.playingNow = true;
    this.emit("play");
  }

  /** Stop at the current time. */
  pause(): void {
    if (!this.playingNow) {
      return;
    }
    this.reanchor();
    this.playingNow = false;
    this.emit("pause");
  }

  /** Jump to sample time `t` (kept within `[0, duration]`); playing goes on from there. */
  seek(t: TimeLike): void {
    this.anchorTime = this.clamp(Fraction.from(t));
    this.anchorNow = this.stamp();
    this.emit("seek");
  }

  /** Play at `rate` times real time from now on (a positive number: 0.5, 1, 2, ...). */
  setRate(rate: TimeLike): void {
    const next = positiveRate(rate);
    this.reanchor();
    this.rateNow = next;
    this.emit("rate");
  }

  /** Set the end of the timeline (when the media's length becomes known). */
  setDuration(value: TimeLike | null): void {
    const time = this.time();
    this.durationNow = duration(value);
    this.anchorTime = this.clamp(time);
    this.anchorNow = this.stamp();
    this.emit("duration");
  }

  /**
   * Tell subscribers the time of this animation frame; when playback has reached the
   * end it stops there and they hear `ended`.
   */
  tick(): void {
    if (this.playingNow && this.durationNow !== null && this.time().ge(this.durationNow)) {
      this.anchorTime = this.durationNow;
      this.playingNow = false;
      this.emit("ended");
      return;
    }
    this.emit("tick");
  }

  /** Call `listener` on every notification; returns the function that stops it. */
  subscribe(listener: ClockListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private stamp(): Fraction {
    return Fraction.from(this.now());
  }

  private reanchor(): void {
    const now = this.stamp();
    if (this.playingNow) {
      const elapsed = now.sub(this.anchorNow).div(MS_PER_SECOND);
      this.anchorTime = this.clamp(this.anchorTime.add(elapsed.mul(this.rateNow)));
    }
    this.anchorNow = now;
  }

  private clamp(time: Fraction): Fraction {
    const low = max(time, Fraction.ZERO);
    return this.durationNow === null ? low : min(low, this.durationNow);
  }

  private read(): ClockSnapshot {
    return {
      time: this.time(),
      playing: this.playingNow,
      rate: this.rateNow,
      duration: this.durationNow,
    };
  }

  private emit(type: ClockEventType): void {
    this.current = this.read();
    const event: ClockEvent = { type, ...this.current };
    for (const listener of [...this.listeners]) {
      listener(event);
    }
  }
}

function positiveRate(value: TimeLike): Fraction {
  const rate = Fraction.from(value);
  if (rate.le(0)) {
    throw new RangeError(`a playback rate must be positive, got ${String(value)}`);
  }
  return rate;
}

function duration(value: TimeLike | null): Fraction | null {
  if (value === null) {
    return null;
  }
  const seconds = Fraction.from(value);
  if (seconds.lt(0)) {
    throw new RangeError(`a duration must not be negative, got ${String(value)}`);
  }
  return seconds;
}
