/**
 * The sample's streams on its one reference timeline, as `rosetta.core.timeline` sees them:
 * each stream's clock (its own, else its probed frame or sample rate from time 0), its
 * length when known, and the index of a stream at a reference time.
 */
import type { components } from "../api/schema";
import { compileClock, type ClockMap, type ClockSpec, type Rounding } from "./clockMap";
import { Fraction, type TimeLike } from "./fraction";

type Schemas = components["schemas"];
type Stream = Schemas["Stream"];
type Modality = Schemas["Modality"];

/**
 * The rounding `SampleTimeline.indexAt` uses when none is asked for: the frame on screen
 * and the audio sample playing at t; the sweep or sensor reading nearest t.
 */
export const DEFAULT_ROUNDING: Readonly<Record<Modality, Rounding>> = {
  video: "floor",
  audio: "floor",
  pointcloud: "nearest",
  timeseries: "nearest",
  text: "floor",
  image: "floor",
};

/** The stream's clock: its own, else its probed video frame rate or audio sample rate
 * from reference time 0; `null` for streams without either. */
export function streamClock(stream: Stream): ClockSpec | null {
  if (stream.clock) {
    return stream.clock;
  }
  if (stream.modality === "video" && stream.media?.frame_rate) {
    return { rate: stream.media.frame_rate };
  }
  if (stream.modality === "audio" && stream.media?.sample_rate) {
    return { rate: String(stream.media.sample_rate) };
  }
  return null;
}

/** How many indices the stream has, when known: its timestamp table's length, a video's
 * frame count, an audio file's sample count (duration × sample rate, halves to even). */
export function streamLength(stream: Stream): number | null {
  if (stream.clock?.ticks) {
    return stream.clock.ticks.length;
  }
  const media = stream.media;
  if (stream.modality === "video" && media?.frame_count != null) {
    return media.frame_count;
  }
  if (stream.modality === "audio" && media?.duration != null && media.sample_rate) {
    return Number(Fraction.from(media.duration).mul(media.sample_rate).roundHalfEven());
  }
  return null;
}

/** `index` kept to `0 .. length - 1`: clamped for `nearest`, else `null` outside. */
function within(index: number, length: number | null, rounding: Rounding): number | null {
  const last = length === null ? null : length - 1;
  if (rounding === "nearest") {
    if (last !== null && last < 0) {
      return null;
    }
    const clamped = Math.max(index, 0);
    return last === null ? clamped : Math.min(clamped, last);
  }
  if (index < 0 || (last !== null && index > last)) {
    return null;
  }
  return index;
}

interface Entry {
  stream: Stream;
  clock: ClockMap | null;
  length: number | null;
}

/**
 * The streams of one sample with their clocks compiled once (a long timestamp table is
 * read once, not on every frame). Stream ids that are not of the sample are refused with
 * an `Error` naming them.
 */
export class SampleTimeline {
  private readonly entries: ReadonlyMap<string, Entry>;

  constructor(streams: readonly Stream[]) {
    const entries = new Map<string, Entry>();
    for (const stream of streams) {
      const spec = streamClock(stream);
      entries.set(stream.id, {
        stream,
        clock: spec === null ? null : compileClock(spec),
        length: streamLength(stream),
      });
    }
    this.entries = entries;
  }

  /** The compiled clock of `streamId`, `null` when it has none. */
  clock(streamId: string): ClockMap | null {
    return this.entry(streamId).clock;
  }

  /** How many indices `streamId` has, when known (`streamLength`). */
  length(streamId: string): number | null {
    return this.entry(streamId).length;
  }

  /**
   * The index (frame, sample, sweep, row) of `streamId` at reference time `t`, with
   * `rounding` or the modality's `DEFAULT_ROUNDING`. `null` when the stream has no clock
   * or no index qualifies (before the first; past the last of a stream of known length),
   * except that `nearest` clamps to the first or last index (`timeline.frame_at`).
   */
  indexAt(streamId: string, t: TimeLike, rounding?: Rounding): number | null {
    const { stream, clock, length } = this.entry(streamId);
    if (clock === null) {
      return null;
    }
    const how = rounding ?? DEFAULT_ROUNDING[stream.modality];
    return within(clock.indexAt(t, how), length, how);
  }

  /** The exact reference time at which `index` of `streamId` begins. */
  timeOf(streamId: string, index: number): Fraction {
    return this.requireClock(streamId).timeOf(index);
  }

  /** The stream's own (media) time at reference time `t`; `t` itself without a clock. */
  mediaTime(streamId: string, t: TimeLike): Fraction {
    const clock = this.entry(streamId).clock;
    return clock === null ? Fraction.from(t) : clock.toLocal(t);
  }

  /** The reference time of the stream's own time `local`; `local` itself without a clock. */
  sampleTime(streamId: string, local: TimeLike): Fraction {
    const clock = this.entry(streamId).clock;
    return clock === null ? Fraction.from(local) : clock.toReference(local);
  }

  private entry(streamId: string): Entry {
    const entry = this.entries.get(streamId);
    if (entry === undefined) {
      const known = [...this.entries.keys()].join(", ");
      throw new Error(`${JSON.stringify(streamId)} is not a stream of the sample (${known})`);
    }
    return entry;
  }

  private requireClock(streamId: string): ClockMap {
    const { stream, clock } = this.entry(streamId);
    if (clock === null) {
      throw new Error(
        `stream ${JSON.stringify(streamId)} (${stream.modality}) has no clock: give it one, ` +
          "or probe its frame or sample rate",
      );
    }
    return clock;
  }
}
