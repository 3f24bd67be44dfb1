/**
 * Intervals and transcript segments of one audio stream as the waveform edits them: a
 * drag that draws one, a region moved, an edge of one dragged. The waveform speaks in the
 * stream's own (media) seconds; the geometry is stored in the sample's reference seconds
 * (`core/geometry.Interval`, `TranscriptSegment`), so every time goes through the
 * timeline's clock of the stream and onto the stream's nearest sample boundary.
 *
 * What comes out is what the server accepts (`core/validation.py`): `0 <= start < end`,
 * inside the stretch the stream covers on the reference timeline. Arithmetic is exact (`Fraction`), so a moved segment keeps its
 * length and its words their places in it; a transcript's words must stay inside it
 * (`TranscriptSegment`'s rule), so a resize that would leave one out is refused with a
 * `WorkError` naming the word.
 */
import { Fraction, max, min } from "../clock/fraction";
import type { SampleTimeline } from "../clock/timeline";
import { WorkError } from "../work/edits";
import type { Annotation } from "../work/objects";

type Geometry = Annotation["geometry"];
/** An interval: `[start, end)` reference seconds. */
export type Interval = Extract<Geometry, { type: "interval" }>;
/** The geometries the waveform draws as regions: intervals and transcript segments. */
export type TimedGeometry = Extract<Geometry, { type: "interval" | "transcript" }>;
/** The edge of a region a resize moved. */
export type Edge = "start" | "end";

/** Whether `geometry` is drawn on the waveform (an interval or a transcript segment). */
export function isTimed(geometry: Geometry): geometry is TimedGeometry {
  return geometry.type === "interval" || geometry.type === "transcript";
}

const seconds = (t: Fraction): string => `${t.toNumber()} s`;

/** The segments of one audio stream of a sample, as the waveform edits them (see the module). */
export class StreamSegments {
  /** The earliest reference time a segment may start at. */
  readonly first: Fraction;
  /** The latest reference time a segment may end at. */
  readonly last: Fraction;

  /** The stream `streamId` of `timeline`, `duration` media seconds long. */
  constructor(
    private readonly timeline: SampleTimeline,
    private readonly streamId: string,
    duration: number,
  ) {
    const length = Fraction.from(duration);
    this.first = max(Fraction.ZERO, timeline.sampleTime(streamId, Fraction.ZERO));
    this.last = timeline.sampleTime(streamId, length);
  }

  /** The reference time of media second `media`, on the stream's nearest sample boundary,
   * kept between `first` and `last`. */
  at(media: number): Fraction {
    const reference = this.timeline.sampleTime(this.streamId, Math.max(media, 0));
    const clock = this.timeline.clock(this.streamId);
    if (clock === null) return this.inside(reference);
    const index = clock.indexAt(reference, "nearest");
    // a timestamp table knows its own entries only
    const known = clock.count === null ? index : Math.min(Math.max(index, 0), clock.count - 1);
    return this.inside(clock.timeOf(known));
  }

  /** The interval a drag from media second `from` to `to` draws (either way round);
   * `null` when nothing is left of it on the stream's samples. */
  draw(from: number, to: number): Interval | null {
    const start = this.at(Math.min(from, to));
    const end = this.at(Math.max(from, to));
    return start.lt(end) ? { type: "interval", start: start.toNumber(), end: end.toNumber() } : null;
  }

  /** `geometry` moved to start near media second `start`: its length kept, stopped where
   * an end meets the stream's, and a transcript's words moved with it. */
  move<G extends TimedGeometry>(geometry: G, start: number): G {
    const from = Fraction.from(geometry.start);
    const to = Fraction.from(geometry.end);
    if (this.last.sub(this.first).lt(to.sub(from))) {
      throw new WorkError(`the ${geometry.type} is longer than the stream, so it cannot move`);
    }
    const shift = min(max(this.at(start).sub(from), this.first.sub(from)), this.last.sub(to));
    const moved = (t: number): number => Fraction.from(t).add(shift).toNumber();
    const times = { start: from.add(shift).toNumber(), end: to.add(shift).toNumber() };
    if (geometry.type === "interval" || geometry.words == null) return { ...geometry, ...times };
    const words = geometry.words.map((word) => ({ ...word, start: moved(word.start), end: moved(word.end) }));
    return { ...geometry, ...times, words };
  }

  /** `geometry` with its `edge` moved to media second `media`; a `WorkError` when it would
   * end before it starts, or leave one of a transcript's words outside. */
  resize<G extends TimedGeometry>(geometry: G, edge: Edge, media: number): G {
    const start = edge === "start" ? this.at(media) : Fraction.from(geometry.start);
    const end = edge === "end" ? this.at(media) : Fraction.from(geometry.end);
    if (end.le(start)) {
      throw new WorkError(`the ${geometry.type} must end after it starts (${seconds(start)})`);
    }
    if (geometry.type === "transcript") {
      const outside = (geometry.words ?? []).find(
        (word) => Fraction.from(word.start).lt(start) || Fraction.from(word.end).gt(end),
      );
      if (outside !== undefined) {
        throw new WorkError(
          `the transcript segment must keep its words: “${outside.text}” [${outside.start}, ${outside.end}) s ` +
            `would fall outside [${seconds(start)}, ${seconds(end)})`,
        );
      }
    }
    return { ...geometry, start: start.toNumber(), end: end.toNumber() };
  }

  private inside(t: Fraction): Fraction {
    return min(max(t, this.first), this.last);
  }
}
