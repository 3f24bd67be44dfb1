/**
 * A video's frame table (`GET /api/streams/{id}/frames`, `rosetta.media.frames.FrameTable`):
 * every frame's presentation timestamp, exactly, for frame-exact stepping and look-up.
 *
 * Frame `i` is shown over the half-open media time span `[ticks[i] * time_base,
 * ticks[i + 1] * time_base)`; the last frame until `start + duration`. Media time is the
 * stream's own time (`SampleTimeline.mediaTime`), which is the PTS in seconds when the
 * stream's clock came from this table (its offset is frame 0's PTS).
 */
import { Fraction, type TimeLike } from "./fraction";

/** The JSON of `GET /api/streams/{id}/frames` (the fields this module reads). */
export interface FrameTableJson {
  time_base: string;
  ticks: readonly (number | bigint)[];
  keyframes: readonly number[];
  duration: string;
  constant_rate: string | null;
}

/** The media time span of one frame; `end` is where the next frame (or the video) ends. */
export interface FrameSpan {
  readonly start: Fraction;
  readonly end: Fraction;
}

/** Frame look-ups over one frame table, by binary search over integer ticks. */
export class FrameTable {
  /** Seconds per tick. */
  readonly timeBase: Fraction;
  /** The indices of the frames a decoder can start at, increasing. */
  readonly keyframes: readonly number[];
  /** From the start of the first frame to the end of the last, seconds. */
  readonly duration: Fraction;
  /** The frame rate when every frame lasts exactly as long, else `null`. */
  readonly constantRate: Fraction | null;
  private readonly ticks: readonly bigint[];

  /** Reads `json`; an `Error` names the first field that is not what the API sends. */
  constructor(json: FrameTableJson) {
    this.timeBase = Fraction.from(json.time_base);
    if (this.timeBase.le(0)) {
      throw new RangeError(`frame table: time_base must be positive, got ${json.time_base}`);
    }
    if (json.ticks.length === 0) {
      throw new RangeError("frame table: ticks must list at least one frame");
    }
    this.ticks = json.ticks.map((tick, i) => {
      if (typeof tick === "number" && !Number.isSafeInteger(tick)) {
        throw new RangeError(`frame table: ticks[${i}] = ${tick} is not an exact integer`);
      }
      const value = BigInt(tick);
      if (i > 0 && value <= BigInt(json.ticks[i - 1] as number | bigint)) {
        throw new RangeError(
          `frame table: ticks must increase (ticks[${i}] = ${value} follows ${json.ticks[i - 1]})`,
        );
      }
      return value;
    });
    this.keyframes = [...json.keyframes];
    this.duration = Fraction.from(json.duration);
    this.constantRate = json.constant_rate === null ? null : Fraction.from(json.constant_rate);
  }

  /** How many frames the table holds. */
  get count(): number {
    return this.ticks.length;
  }

  /** The media time of frame 0's start. */
  get start(): Fraction {
    return this.timeBase.mul(this.ticks[0] as bigint);
  }

  /** The media time where the last frame ends. */
  get end(): Fraction {
    return this.start.add(this.duration);
  }

  /**
   * The frame shown at media time `t`: the one whose `[pts, next pts)` holds it. `null`
   * before the first frame; the last frame from its start on (it stays on screen).
   */
  frameAt(t: TimeLike): number | null {
    const position = Fraction.from(t).div(this.timeBase).floor();
    let lo = 0;
    let hi = this.ticks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (position < (this.ticks[mid] as bigint)) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo === 0 ? null : lo - 1;
  }

  /** The media time span of frame `index`; a `RangeError` outside the table. */
  spanOf(index: number): FrameSpan {
    if (!Number.isInteger(index) || index < 0 || index >= this.ticks.length) {
      throw new RangeError(`frame ${index} is outside the table (0..${this.ticks.length - 1})`);
    }
    const start = this.timeBase.mul(this.ticks[index] as bigint);
    const next = this.ticks[index + 1];
    return { start, end: next === undefined ? this.end : this.timeBase.mul(next) };
  }

  /**
   * Where to seek a media element to show frame `index`: the middle of its span, as
   * seconds, so that the element's float time lands inside the frame however it rounds.
   */
  seekTime(index: number): number {
    const { start, end } = this.spanOf(index);
    return start.add(end).div(2).toNumber();
  }
}
