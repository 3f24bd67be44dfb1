/**
 * Stream clocks: a stream's native index (frame, audio sample, sweep, tick) ↔ the sample's
 * reference timeline, exactly as `rosetta.core.clock` does it.
 *
 * A clock gives each index a *local* time, from an exact rate
 * (`local(i) = offset + i / rate`, `rate = "30000/1001"`) or from a timestamp table
 * (`local(i) = offset + ticks[i] * time_base`), then maps local time to reference time
 * through its sync points: none is the identity, one a constant shift, two or more a
 * piecewise-linear map (extrapolated with the slope of the nearest segment). Index `i`
 * covers the half-open local span from its own time to the next index's.
 *
 * Every conversion is exact (`Fraction`s and `bigint` positions; no float is involved).
 * A rate clock is unbounded; a table knows its `count` entries and its last entry's span
 * has no recorded end, so it holds every later time.
 */
import type { components } from "../api/schema";
import { ceilDiv, floorDiv, Fraction, type TimeLike } from "./fraction";

type Schemas = components["schemas"];

/** How a time between two index starts picks an index (see `ClockMap.indexAt`). */
export type Rounding = "floor" | "ceil" | "nearest";

/** How `ClockMap.snap` moves an interval's ends onto index boundaries. */
export type SnapMode = "outer" | "nearest";

/**
 * A stream clock as the API sends it (`Schemas["Clock"]`). `offset` may be left out
 * (0); ticks may be `bigint`s where a JSON reader kept them exact.
 */
export interface ClockSpec {
  rate?: Schemas["Clock"]["rate"];
  time_base?: Schemas["Clock"]["time_base"];
  ticks?: readonly (number | bigint)[] | null;
  offset?: string;
  sync?: readonly Pick<Schemas["SyncPoint"], "local" | "reference">[];
}

/** A half-open run of indices `[start, stop)`. */
export interface IndexRange {
  readonly start: number;
  readonly stop: number;
}

const ROUNDINGS: readonly string[] = ["nearest", "floor", "ceil"];

/** One affine piece of the sync map: `reference = referenceAt + slope * (local - localAt)`. */
interface Piece {
  localAt: Fraction;
  referenceAt: Fraction;
  slope: Fraction;
}

/** One affine piece from position to reference time: `reference = base + step * x`. */
interface Line {
  base: Fraction;
  step: Fraction;
}

function bisectRight<T>(items: readonly T[], x: T, less: (a: T, b: T) => boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (less(x, items[mid] as T)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

function bisectLeft<T>(items: readonly T[], x: T, less: (a: T, b: T) => boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (less(items[mid] as T, x)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

const bigLess = (a: bigint, b: bigint): boolean => a < b;
const fractionLess = (a: Fraction, b: Fraction): boolean => a.lt(b);

function positive(value: string, what: string): Fraction {
  const number = Fraction.from(value);
  if (number.le(0)) {
    throw new RangeError(`${what} must be a positive number, got ${JSON.stringify(value)}`);
  }
  return number;
}

function tickOf(value: number | bigint, index: number): bigint {
  if (typeof value === "bigint") {
    return value;
  }
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(
      `ticks[${index}] = ${value} is not an exact integer; read the clock with a JSON ` +
        "parser that keeps large integers (as bigint)",
    );
  }
  return BigInt(value);
}

function indexNumber(index: bigint): number {
  const value = Number(index);
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`index ${index} is beyond the integers a number holds exactly`);
  }
  return value;
}

/** The conversions of `clock` (cheap: a few fractions per sync point, one tick copy). */
export function compileClock(clock: ClockSpec): ClockMap {
  return new ClockMap(clock);
}

/**
 * Exact conversions between a clock's indices and reference time (`Fraction` seconds).
 *
 * Outside a timestamp table: `indexAt(t, "floor")` is -1 before the first tick and
 * `count - 1` from the last tick on; `indexAt(t, "ceil")` is 0 up to the first tick and
 * `count` after the last; `indexAt(t, "nearest")` always lies in `0 .. count - 1`.
 * `timeOf` refuses indices outside the table. Rate clocks have every integer index.
 */
export class ClockMap {
  /** The number of entries of a timestamp table; `null` for a rate clock. */
  readonly count: number | null;
  private readonly ticks: readonly bigint[] | null;
  private readonly pieces: readonly Piece[];
  private readonly localBreaks: readonly Fraction[];
  private readonly referenceBreaks: readonly Fraction[];
  private readonly lines: readonly Line[];
  private readonly positionBreaks: readonly bigint[];
  private readonly straddles: ReadonlyMap<number, Fraction>;

  /** Compiles `clock`; a `RangeError` says what is wrong with a malformed one. */
  constructor(clock: ClockSpec) {
    const hasRate = clock.rate !== undefined && clock.rate !== null;
    const hasTicks = clock.ticks !== undefined && clock.ticks !== null;
    if (hasRate === hasTicks) {
      throw new RangeError("a clock has either a rate or a timestamp table (ticks), not both");
    }
    let unit: Fraction;
    if (hasTicks) {
      const ticks = (clock.ticks ?? []).map(tickOf);
      if (clock.time_base === undefined || clock.time_base === null) {
        throw new RangeError("a timestamp table needs its time_base (seconds per tick)");
      }
      if (ticks.length === 0) {
        throw new RangeError("a timestamp table needs at least one tick");
      }
      for (let i = 1; i < ticks.length; i += 1) {
        if ((ticks[i] as bigint) <= (ticks[i - 1] as bigint)) {
          throw new RangeError(
            `ticks must increase: ticks[${i}] = ${ticks[i]} follows ticks[${i - 1}] = ${ticks[i - 1]}`,
          );
        }
      }
      this.ticks = ticks;
      this.count = ticks.length;
      unit = positive(clock.time_base, "time_base");
    } else {
      if (clock.time_base !== undefined && clock.time_base !== null) {
        throw new RangeError("time_base belongs to a timestamp table; a rate clock has none");
      }
      this.ticks = null;
      this.count = null;
      unit = Fraction.ONE.div(positive(clock.rate as string, "rate"));
    }
    const offset = Fraction.from(clock.offset ?? "0");
    const points = (clock.sync ?? []).map((p) => [
      Fraction.from(p.local),
      Fraction.from(p.reference),
    ]);
    for (let i = 1; i < points.length; i += 1) {
      const [l0, r0] = points[i - 1] as [Fraction, Fraction];
      const [l1, r1] = points[i] as [Fraction, Fraction];
      if (l1.le(l0) || r1.le(r0)) {
        throw new RangeError(
          `sync points must increase in both local and reference time (sync[${i - 1}] then sync[${i}])`,
        );
      }
    }
    if (points.length === 0) {
      this.pieces = [{ localAt: Fraction.ZERO, referenceAt: Fraction.ZERO, slope: Fraction.ONE }];
    } else if (points.length === 1) {
      const [localAt, referenceAt] = points[0] as [Fraction, Fraction];
      this.pieces = [{ localAt, referenceAt, slope: Fraction.ONE }];
    } else {
      this.pieces = points.slice(1).map((point, i) => {
        const [l0, r0] = points[i] as [Fraction, Fraction];
        const [l1, r1] = point as [Fraction, Fraction];
        return { localAt: l0, referenceAt: r0, slope: r1.sub(r0).div(l1.sub(l0)) };
      });
    }
    // the inner sync points, where one piece hands over to the next
    this.localBreaks = this.pieces.slice(1).map((p) => p.localAt);
    this.referenceBreaks = this.pieces.slice(1).map((p) => p.referenceAt);
    this.lines = this.pieces.map((p) => ({
      base: p.referenceAt.add(p.slope.mul(offset.sub(p.localAt))),
      step: p.slope.mul(unit),
    }));
    // piece k applies from position ceil((localBreak - offset) / unit) on
    const breaks = this.localBreaks.map((local) => local.sub(offset).div(unit));
    this.positionBreaks = breaks.map((x) => x.ceil());
    this.straddles = this.findStraddles(breaks);
  }

  /** The reference time at which `index` begins; a `RangeError` outside a table. */
  timeOf(index: number): Fraction {
    const x = this.positionOf(index);
    const line = this.lines[bisectRight(this.positionBreaks, x, bigLess)] as Line;
    return line.base.add(line.step.mul(x));
  }

  /**
   * The index at reference time `t`. `floor`: the index whose span holds `t` (what is on
   * screen at `t`); `ceil`: the first index starting at or after `t`; `nearest`: the
   * index whose start is closest to `t` in reference time, ties going to the earlier.
   */
  indexAt(t: TimeLike, rounding: Rounding = "floor"): number {
    const time = Fraction.from(t);
    const [num, den] = this.position(time);
    if (rounding === "floor") {
      return this.floorIndex(num, den);
    }
    if (rounding === "ceil") {
      return this.ceilIndex(num, den);
    }
    if (rounding === "nearest") {
      return this.nearestIndex(time, num, den);
    }
    throw badRounding(rounding);
  }

  /**
   * The indices whose spans intersect the half-open reference interval `[start, end)`;
   * empty when `start == end`, a `RangeError` when `end < start`.
   */
  covering(start: TimeLike, end: TimeLike): IndexRange {
    const first = Fraction.from(start);
    const last = Fraction.from(end);
    if (last.lt(first)) {
      throw new RangeError(`interval end (${last}) must not be before its start (${first})`);
    }
    let lo = this.indexAt(first, "floor");
    if (this.count !== null) {
      lo = Math.max(lo, 0);
    }
    if (last.eq(first)) {
      return { start: lo, stop: lo };
    }
    return { start: lo, stop: Math.max(lo, this.indexAt(last, "ceil")) };
  }

  /**
   * `[start, end)` with both ends moved onto index boundaries. `outer` widens it to the
   * spans it intersects; `nearest` moves each end to the closest boundary, and an
   * interval that would collapse becomes the span of the index holding its midpoint.
   * A `RangeError` for an empty interval or a boundary outside a timestamp table.
   */
  snap(start: TimeLike, end: TimeLike, how: SnapMode = "outer"): [Fraction, Fraction] {
    const first = Fraction.from(start);
    const last = Fraction.from(end);
    if (last.le(first)) {
      throw new RangeError(`interval end (${last}) must be after its start (${first})`);
    }
    let lo: number;
    let hi: number;
    if (how === "outer") {
      lo = this.indexAt(first, "floor");
      hi = this.indexAt(last, "ceil");
    } else if (how === "nearest") {
      lo = this.indexAt(first, "nearest");
      hi = this.indexAt(last, "nearest");
      if (lo === hi) {
        lo = this.indexAt(first.add(last).div(2), "floor");
        hi = lo + 1;
      }
    } else {
      throw new RangeError(`how must be 'outer' or 'nearest', got ${JSON.stringify(how)}`);
    }
    if (this.count !== null && (lo < 0 || hi >= this.count)) {
      throw new RangeError(
        `[${first.toNumber()}, ${last.toNumber()}) needs a boundary outside the timestamp table ` +
          `(entries start from ${this.timeOf(0).toNumber()} s to ` +
          `${this.timeOf(this.count - 1).toNumber()} s; the last one's end is not recorded)`,
      );
    }
    return [this.timeOf(lo), this.timeOf(hi)];
  }

  /** The reference time of the stream's local time `local` (the sync map; exact). */
  toReference(local: TimeLike): Fraction {
    const time = Fraction.from(local);
    const piece = this.pieces[bisectRight(this.localBreaks, time, fractionLess)] as Piece;
    return piece.referenceAt.add(piece.slope.mul(time.sub(piece.localAt)));
  }

  /** The stream's local time at reference time `reference` (inverse of `toReference`). */
  toLocal(reference: TimeLike): Fraction {
    const time = Fraction.from(reference);
    const piece = this.pieces[bisectRight(this.referenceBreaks, time, fractionLess)] as Piece;
    return piece.localAt.add(time.sub(piece.referenceAt).div(piece.slope));
  }

  private positionOf(index: number): bigint {
    if (!Number.isSafeInteger(index)) {
      throw new TypeError(`an index must be an integer, got ${index}`);
    }
    if (this.ticks === null) {
      return BigInt(index);
    }
    if (index < 0 || index >= this.ticks.length) {
      throw new RangeError(
        `index ${index} is outside the timestamp table (0..${this.ticks.length - 1})`,
      );
    }
    return this.ticks[index] as bigint;
  }

  /** The position (index or tick) at reference `time` as `num / den`, `den > 0`. */
  private position(time: Fraction): [bigint, bigint] {
    const line = this.lines[bisectRight(this.referenceBreaks, time, fractionLess)] as Line;
    // x = (time - base) / step
    const num = (time.num * line.base.den - line.base.num * time.den) * line.step.den;
    return [num, time.den * line.base.den * line.step.num];
  }

  private floorIndex(num: bigint, den: bigint): number {
    if (this.ticks === null) {
      return indexNumber(floorDiv(num, den));
    }
    return bisectRight(this.ticks, floorDiv(num, den), bigLess) - 1;
  }

  private ceilIndex(num: bigint, den: bigint): number {
    if (this.ticks === null) {
      return indexNumber(ceilDiv(num, den));
    }
    return bisectLeft(this.ticks, ceilDiv(num, den), bigLess);
  }

  private nearestIndex(time: Fraction, num: bigint, den: bigint): number {
    const before = this.floorIndex(num, den);
    let start: bigint;
    let following: bigint;
    if (this.ticks !== null) {
      if (before < 0) {
        return 0;
      }
      if (before === this.ticks.length - 1) {
        return before;
      }
      start = this.ticks[before] as bigint;
      following = this.ticks[before + 1] as bigint;
    } else {
      start = BigInt(before);
      following = start + 1n;
    }
    if (start * den === num) {
      return before;
    }
    const midpoint = this.straddles.get(before);
    if (midpoint !== undefined) {
      // the two starts lie on different pieces of the sync map
      return time.gt(midpoint) ? before + 1 : before;
    }
    return 2n * num > (start + following) * den ? before + 1 : before;
  }

  /**
   * Index pairs `(i, i + 1)` whose starts lie on different sync pieces: between them,
   * which one is nearer is decided in reference time (the midpoint of their times).
   */
  private findStraddles(breaks: readonly Fraction[]): Map<number, Fraction> {
    const straddles = new Map<number, Fraction>();
    for (const x of breaks) {
      let before: number;
      if (this.ticks === null) {
        if (x.den === 1n) {
          continue;
        }
        before = indexNumber(x.floor());
      } else {
        before = bisectRight(this.ticks, x.floor(), bigLess) - 1;
        if (before < 0 || before >= this.ticks.length - 1 || x.eq(this.ticks[before] as bigint)) {
          continue;
        }
      }
      straddles.set(
        before,
        this.timeOf(before)
          .add(this.timeOf(before + 1))
          .div(2),
      );
    }
    return straddles;
  }
}

function badRounding(rounding: unknown): RangeError {
  return new RangeError(
    `rounding must be one of ${ROUNDINGS.join(", ")}, got ${JSON.stringify(rounding)}`,
  );
}
