"""Stream clocks: how a stream's native index (frame, audio sample, sweep, tick) maps to
the sample's reference timeline.

A clock first gives each index a *local* time in seconds, either

- from an exact rate: ``local(i) = offset + i / rate`` (``rate="30000/1001"`` for NTSC
  video, ``"16000"`` for 16 kHz audio, ``"10"`` for a 10 Hz LiDAR), or
- from a timestamp table: ``local(i) = offset + ticks[i] * time_base`` (video PTS read
  from the container with ``time_base="1/90000"``; sensor timestamps in nanoseconds with
  ``time_base="1/1000000000"``; variable frame rates need this form),

and then maps local time to reference time through its sync points: none means the
identity; one point is a constant shift; two or more define a piecewise-linear map
(extrapolated beyond the ends with the slope of the nearest segment), which models drift.
Index ``i`` covers the half-open local interval from its own time to the next index's.

`compile_clock` turns a `Clock` record into a `ClockMap` that does the conversions. Every
scalar conversion is exact: times are `Fraction`s (inputs are anything
`rosetta.core.timebase.exact` takes, so the float ``14.327`` means 14327/1000), positions
are integer ratios, table look-ups bisect integer ticks; no float is involved. A rate
clock is unbounded (negative indices are the frames before its first one); a table knows
its `ClockMap.count` entries, and its last entry's span has no recorded end, so it holds
every later time. The bulk methods take integer nanoseconds (or floats rounded to the
nearest nanosecond) and give the same answers as the scalar ones.
"""

import bisect
import itertools
import math
from fractions import Fraction
from functools import cached_property
from typing import Literal, NamedTuple, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator

from rosetta.core.timebase import ExactRate, ExactTime, TimeLike, exact

SyncSource = Literal["hardware", "timestamps", "audio", "manual"]

#: How a time that falls between two index starts picks an index (see `ClockMap.index_at`).
Rounding = Literal["nearest", "floor", "ceil"]

#: How `ClockMap.snap` moves an interval's ends onto index boundaries.
SnapMode = Literal["outer", "nearest"]

NS_PER_SECOND = 10**9
_INT64 = (-(2**63), 2**63 - 1)
#: Bulk positions are computed in float64 only while they stay far inside its exact range.
_FLOAT_EXACT = 2**52
#: A float64 position is trusted when it lies farther than this (relative to the size of
#: the terms summed) from every index boundary; 32 times the worst rounding error of the
#: two-term sum, so the float decides on which side of the boundary the position lies.
_RELATIVE_TOLERANCE = 2.0**-48


class SyncPoint(BaseModel):
    """Local time ``local`` of the stream is reference time ``reference``.

    ``source`` says how the correspondence was found, ``confidence`` how sure the method
    was (0..1), ``note`` the provenance (which streams, which method, what it measured).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    local: ExactTime
    reference: ExactTime
    source: SyncSource = "manual"
    confidence: float | None = Field(default=None, ge=0, le=1)
    note: str | None = None


class Clock(BaseModel):
    """The clock of one stream: a rate or a timestamp table, an offset, sync points."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    rate: ExactRate | None = None
    time_base: ExactRate | None = None
    ticks: list[int] | None = None
    offset: ExactTime = "0"
    sync: list[SyncPoint] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_form(self) -> "Clock":
        if (self.rate is None) == (self.ticks is None):
            raise ValueError("a clock has either a rate or a timestamp table (ticks), not both")
        if self.ticks is not None:
            if self.time_base is None:
                raise ValueError("a timestamp table needs its time_base (seconds per tick)")
            if not self.ticks:
                raise ValueError("a timestamp table needs at least one tick")
            for index, (before, after) in enumerate(itertools.pairwise(self.ticks)):
                if after <= before:
                    raise ValueError(
                        f"ticks must increase: ticks[{index + 1}] = {after} "
                        f"follows ticks[{index}] = {before}"
                    )
        elif self.time_base is not None:
            raise ValueError("time_base belongs to a timestamp table; a rate clock has none")
        for index, (first, second) in enumerate(itertools.pairwise(self.sync)):
            if exact(second.local) <= exact(first.local) or exact(second.reference) <= exact(
                first.reference
            ):
                raise ValueError(
                    f"sync points must increase in both local and reference time "
                    f"(sync[{index}] then sync[{index + 1}])"
                )
        return self


class _Piece(NamedTuple):
    """One affine piece of the sync map: ``reference = reference_at + slope * (local - local_at)``."""

    local_at: Fraction
    reference_at: Fraction
    slope: Fraction


class _Line(NamedTuple):
    """One affine piece from position to reference time: ``reference = base + step * x``.

    ``x`` is the index (rate clock) or the tick (table); the integers are ``base`` and
    ``step`` as numerator/denominator, kept so the scalar paths never build a `Fraction`.
    """

    base: Fraction
    step: Fraction
    base_num: int
    base_den: int
    step_num: int
    step_den: int


def compile_clock(clock: Clock) -> "ClockMap":
    """The conversions of `clock` (cheap: a few fractions per sync point, no table copy)."""
    return ClockMap(clock)


class ClockMap:
    """Exact conversions between a clock's indices and reference time.

    Reference times are seconds as `Fraction`s; methods taking a time accept anything
    `exact` takes. An index's span is half-open: it begins at `time_of(index)` and ends
    where the next index begins.

    Outside a timestamp table: ``index_at(t, "floor")`` is ``-1`` before the first tick
    and ``count - 1`` from the last tick on (the last entry's span has no recorded end);
    ``index_at(t, "ceil")`` is ``0`` up to the first tick and ``count`` after the last;
    ``index_at(t, "nearest")`` always lies in ``0 .. count - 1``. `time_of` refuses
    indices outside the table. Rate clocks have every integer index.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._ticks = clock.ticks
        #: The number of entries of a timestamp table; ``None`` for a rate clock.
        self.count: int | None = None if clock.ticks is None else len(clock.ticks)
        offset = exact(clock.offset)
        if clock.rate is not None:
            unit = 1 / exact(clock.rate)
        else:
            assert clock.time_base is not None  # the record's validator guarantees it
            unit = exact(clock.time_base)
        points = [(exact(p.local), exact(p.reference)) for p in clock.sync]
        if not points:
            self._pieces = [_Piece(Fraction(0), Fraction(0), Fraction(1))]
        elif len(points) == 1:
            self._pieces = [_Piece(points[0][0], points[0][1], Fraction(1))]
        else:
            self._pieces = [
                _Piece(l0, r0, (r1 - r0) / (l1 - l0))
                for (l0, r0), (l1, r1) in itertools.pairwise(points)
            ]
        # the inner sync points, where one piece hands over to the next
        self._local_breaks = [p.local_at for p in self._pieces[1:]]
        self._reference_breaks = [p.reference_at for p in self._pieces[1:]]
        self._lines = [
            _line(p.reference_at + p.slope * (offset - p.local_at), p.slope * unit)
            for p in self._pieces
        ]
        # piece k applies from position ceil((local_break - offset) / unit) on
        breaks = [(local - offset) / unit for local in self._local_breaks]
        self._position_breaks = [math.ceil(x) for x in breaks]
        self._straddles = self._find_straddles(breaks)

    def __repr__(self) -> str:
        return f"ClockMap({self.clock!r})"

    # -- scalar conversions -------------------------------------------------------------

    def time_of(self, index: int) -> Fraction:
        """The reference time at which `index` begins (exact).

        Raises `IndexError` for an index outside a timestamp table.
        """
        x = self._position_of(index)
        line = self._lines[bisect.bisect_right(self._position_breaks, x)]
        return Fraction(
            line.base_num * line.step_den + line.step_num * x * line.base_den,
            line.base_den * line.step_den,
        )

    def index_at(self, t: TimeLike, rounding: Rounding = "floor") -> int:
        """The index at reference time `t`.

        ``floor``: the index whose span holds `t` (what is on screen at `t`); ``ceil``: the
        first index starting at or after `t`; ``nearest``: the index whose start is closest
        to `t` in reference time, ties going to the earlier one. Outside a table see the
        class docstring.
        """
        time = exact(t)
        num, den = self._position(time)
        if rounding == "floor":
            return self._floor(num, den)
        if rounding == "ceil":
            return self._ceil(num, den)
        if rounding == "nearest":
            return self._nearest(time, num, den)
        raise _bad_rounding(rounding)

    def covering(self, start: TimeLike, end: TimeLike) -> range:
        """The indices whose spans intersect the half-open reference interval ``[start, end)``.

        Empty when ``start == end``; raises `ValueError` when ``end < start``.
        """
        first, last = exact(start), exact(end)
        if last < first:
            raise ValueError(f"interval end ({last}) must not be before its start ({first})")
        lo = self.index_at(first, "floor")
        if self.count is not None:
            lo = max(lo, 0)
        if last == first:
            return range(lo, lo)
        return range(lo, max(lo, self.index_at(last, "ceil")))

    def snap(
        self, start: TimeLike, end: TimeLike, how: SnapMode = "outer"
    ) -> tuple[Fraction, Fraction]:
        """``[start, end)`` with both ends moved onto index boundaries (index start times).

        ``outer`` widens the interval to the spans it intersects (the start of
        `covering`'s first index and the start of the index after its last); ``nearest``
        moves each end to the closest boundary, and an interval that would collapse
        becomes the span of the index holding its midpoint. The result covers the same
        indices however often it is snapped again. Raises `ValueError` for an empty
        interval or when a needed boundary lies outside a timestamp table (a table has no
        boundary before its first tick, and its last entry has no recorded end).
        """
        first, last = exact(start), exact(end)
        if last <= first:
            raise ValueError(f"interval end ({last}) must be after its start ({first})")
        if how == "outer":
            lo, hi = self.index_at(first, "floor"), self.index_at(last, "ceil")
        elif how == "nearest":
            lo, hi = self.index_at(first, "nearest"), self.index_at(last, "nearest")
            if lo == hi:
                lo = self.index_at((first + last) / 2, "floor")
                hi = lo + 1
        else:
            raise ValueError(f"how must be 'outer' or 'nearest', got {how!r}")
        if self.count is not None and (lo < 0 or hi >= self.count):
            raise ValueError(
                f"[{float(first)}, {float(last)}) needs a boundary outside the timestamp table "
                f"(entries start from {float(self.time_of(0))} s to "
                f"{float(self.time_of(self.count - 1))} s; the last one's end is not recorded)"
            )
        return self.time_of(lo), self.time_of(hi)

    def to_reference(self, local: TimeLike) -> Fraction:
        """The reference time of the stream's local time `local` (the sync map; exact)."""
        time = exact(local)
        piece = self._pieces[bisect.bisect_right(self._local_breaks, time)]
        return piece.reference_at + piece.slope * (time - piece.local_at)

    def to_local(self, reference: TimeLike) -> Fraction:
        """The stream's local time at reference time `reference` (inverse of `to_reference`)."""
        time = exact(reference)
        piece = self._pieces[bisect.bisect_right(self._reference_breaks, time)]
        return piece.local_at + (time - piece.reference_at) / piece.slope

    # -- bulk conversions ---------------------------------------------------------------

    def indices_at_ns(self, ns: ArrayLike, rounding: Rounding = "floor") -> NDArray[np.int64]:
        """`index_at` for each reference time given in integer nanoseconds (same answers).

        Positions are estimated in float64 and kept where a rigorous error bound puts them
        clearly inside one index's span; the few that lie within that bound of a boundary
        (and any beyond float64's exact range) are recomputed by the exact scalar path.
        """
        if rounding not in get_args(Rounding):
            raise _bad_rounding(rounding)
        values = _int64_array(ns, "nanoseconds")
        flat = values.ravel()
        out = np.empty(flat.shape, dtype=np.int64)
        if flat.size:
            bulk = self._bulk
            low, high = int(flat.min()), int(flat.max())
            fits = _INT64[0] <= low - bulk.anchor_ns and high - bulk.anchor_ns <= _INT64[1]
            if fits and not bulk.exact_only:
                recheck = self._estimate(flat, rounding, out)
            else:
                recheck = np.ones(flat.shape, dtype=bool)
            for j in np.flatnonzero(recheck).tolist():
                out[j] = self.index_at(Fraction(int(flat[j]), NS_PER_SECOND), rounding)
        return out.reshape(values.shape)

    def indices_at(self, times: ArrayLike, rounding: Rounding = "floor") -> NDArray[np.int64]:
        """`index_at` for an array of reference seconds, each rounded to the nearest nanosecond.

        So a decimal time with at most nine places (``14.327``) means here what it means to
        `index_at`, for times up to about a hundred days; pass integer nanoseconds to
        `indices_at_ns` where that is not enough.
        """
        seconds = np.asarray(times, dtype=np.float64)
        if not np.all(np.isfinite(seconds)):
            raise ValueError("times must be finite seconds")
        ns = np.rint(seconds * NS_PER_SECOND)
        if ns.size and (ns.min() < -(2.0**63) or ns.max() >= 2.0**63):
            raise ValueError("times must lie within 292 years of reference time 0")
        return self.indices_at_ns(ns.astype(np.int64), rounding)

    def times_of(self, indices: ArrayLike) -> NDArray[np.float64]:
        """`time_of` for each index, as float64 seconds within a few ulps of the exact time."""
        wanted = _int64_array(indices, "indices")
        flat = wanted.ravel()
        if self.count is not None and flat.size and not 0 <= flat.min() <= flat.max() < self.count:
            raise IndexError(f"indices must lie in 0..{self.count - 1} (the timestamp table)")
        bulk = self._bulk
        if self._ticks is not None and bulk.ticks is None:  # offsets beyond int64
            return np.array([float(self.time_of(i)) for i in flat.tolist()]).reshape(wanted.shape)
        x = flat if bulk.ticks is None else bulk.ticks[flat]
        piece = np.searchsorted(bulk.breaks, x, side="right")
        seconds: NDArray[np.float64] = bulk.at_start[piece] + bulk.step[piece] * (
            x - bulk.start[piece]
        )
        return seconds.reshape(wanted.shape)

    # -- internals ----------------------------------------------------------------------

    def _position_of(self, index: int) -> int:
        if isinstance(index, bool) or not isinstance(index, int | np.integer):
            raise TypeError(f"an index must be an integer, got {index!r}")
        if self._ticks is None:
            return int(index)
        if not 0 <= index < len(self._ticks):
            raise IndexError(
                f"index {index} is outside the timestamp table (0..{len(self._ticks) - 1})"
            )
        return self._ticks[index]

    def _position(self, time: Fraction) -> tuple[int, int]:
        """The position (index or tick) at reference `time` as ``num / den``, ``den > 0``."""
        line = self._lines[bisect.bisect_right(self._reference_breaks, time)]
        # x = (time - base) / step
        num = (time.numerator * line.base_den - line.base_num * time.denominator) * line.step_den
        return num, time.denominator * line.base_den * line.step_num

    def _floor(self, num: int, den: int) -> int:
        if self._ticks is None:
            return num // den
        return bisect.bisect_right(self._ticks, num // den) - 1

    def _ceil(self, num: int, den: int) -> int:
        if self._ticks is None:
            return -(-num // den)
        return bisect.bisect_left(self._ticks, -(-num // den))

    def _nearest(self, time: Fraction, num: int, den: int) -> int:
        before = self._floor(num, den)
        if self._ticks is not None:
            if before < 0:
                return 0
            if before == len(self._ticks) - 1:
                return before
            start, following = self._ticks[before], self._ticks[before + 1]
        else:
            start, following = before, before + 1
        if start * den == num:
            return before
        midpoint = self._straddles.get(before)
        if midpoint is not None:  # the two starts lie on different pieces of the sync map
            return before + 1 if time > midpoint else before
        return before + 1 if 2 * num > (start + following) * den else before

    def _find_straddles(self, breaks: list[Fraction]) -> dict[int, Fraction]:
        """Index pairs ``(i, i + 1)`` whose starts lie on different sync pieces.

        Between such starts, which one is nearer must be decided in reference time (the
        midpoint of their reference times); elsewhere the position decides it.
        """
        straddles: dict[int, Fraction] = {}
        for x in breaks:
            if self._ticks is None:
                before = math.floor(x)
                if before == x:
                    continue
            else:
                before = bisect.bisect_right(self._ticks, math.floor(x)) - 1
                if before < 0 or before >= len(self._ticks) - 1 or self._ticks[before] == x:
                    continue
            straddles[before] = (self.time_of(before) + self.time_of(before + 1)) / 2
        return straddles

    @cached_property
    def _bulk(self) -> "_BulkTables":
        return _BulkTables(self)

    def _estimate(
        self, ns: NDArray[np.int64], rounding: Rounding, out: NDArray[np.int64]
    ) -> NDArray[np.bool_]:
        """Fill `out` from float64 positions; return where the exact path must decide."""
        bulk = self._bulk
        piece = np.searchsorted(bulk.ns_breaks, ns, side="right")
        scaled = bulk.per_ns[piece] * (ns - bulk.anchor_ns)
        x = scaled + bulk.x_at_anchor[piece]
        tolerance = _RELATIVE_TOLERANCE * (np.abs(scaled) + np.abs(bulk.x_at_anchor[piece]) + 1)
        recheck: NDArray[np.bool_] = ~(np.abs(x) < _FLOAT_EXACT)  # also catches NaN
        x[recheck] = 0.0
        if bulk.ticks is None:  # a rate clock: the boundaries are the integers
            if rounding == "nearest":
                shifted = x - 0.5  # ceil(x - 1/2) is the nearest integer, ties going down
                recheck |= np.abs(shifted - np.rint(shifted)) <= tolerance
                if bulk.straddles.size:
                    near = np.concatenate([bulk.straddles + step for step in (-1, 0, 1)])
                    recheck |= np.isin(np.floor(x), near)
                out[:] = np.ceil(shifted)
            else:
                recheck |= np.abs(x - np.rint(x)) <= tolerance
                out[:] = np.floor(x) if rounding == "floor" else np.ceil(x)
            return recheck
        ticks = bulk.ticks_float
        last = ticks.size - 1
        before = np.searchsorted(ticks, x, side="right") - 1
        below, above = ticks[np.clip(before, 0, last)], ticks[np.clip(before + 1, 0, last)]
        recheck |= (np.abs(x - below) <= tolerance) | (np.abs(above - x) <= tolerance)
        if rounding == "floor":
            out[:] = before
        elif rounding == "ceil":
            out[:] = before + 1
        else:
            midpoint = below + (above - below) / 2
            recheck |= np.abs(x - midpoint) <= tolerance
            if bulk.straddles.size:
                recheck |= np.isin(before, bulk.straddles)
            out[:] = np.clip(np.where(x > midpoint, before + 1, before), 0, last)
        return recheck


class _BulkTables:
    """The float64 and int64 arrays the bulk conversions use, built on the first bulk call.

    Positions are measured from ``x0`` (0 for a rate clock, the first tick for a table)
    and times from ``anchor_ns`` (the first index's start), so that the float64 terms stay
    small even for clocks far from reference time 0.
    """

    def __init__(self, clock: ClockMap) -> None:
        ticks = clock._ticks
        x0 = 0 if ticks is None else ticks[0]
        span = 0 if ticks is None else ticks[-1] - x0
        #: A table too long for int64 offsets: every bulk conversion takes the exact path.
        self.exact_only = span > _INT64[1]
        self.ticks: NDArray[np.int64] | None = None
        self.ticks_float: NDArray[np.float64] = np.zeros(0)
        if ticks is not None and not self.exact_only:
            if _INT64[0] <= x0 and ticks[-1] <= _INT64[1]:
                self.ticks = np.asarray(ticks, dtype=np.int64) - x0
            else:
                self.ticks = np.array([tick - x0 for tick in ticks], dtype=np.int64)
            self.ticks_float = self.ticks.astype(np.float64)
            self.exact_only = span >= _FLOAT_EXACT
        self.anchor_ns = _clamp64(math.floor(clock.time_of(0) * NS_PER_SECOND))
        anchor = Fraction(self.anchor_ns, NS_PER_SECOND)
        lines = clock._lines
        # reference ns -> position: x - x0 = per_ns * (ns - anchor_ns) + x_at_anchor
        self.per_ns: NDArray[np.float64] = np.array(
            [float(1 / (line.step * NS_PER_SECOND)) for line in lines]
        )
        self.x_at_anchor: NDArray[np.float64] = np.array(
            [float((anchor - line.base) / line.step - x0) for line in lines]
        )
        self.ns_breaks = np.array(
            [_clamp64(math.ceil(r * NS_PER_SECOND)) for r in clock._reference_breaks],
            dtype=np.int64,
        )
        self.straddles = np.array(sorted(clock._straddles), dtype=np.int64)
        # position -> seconds: time = at_start + step * (x - x0 - start), from each piece's
        # first position on
        relative = [_clamp64(b - x0) for b in clock._position_breaks]
        self.breaks = np.array(relative, dtype=np.int64)
        self.start = np.array([0, *relative], dtype=np.int64)
        self.step: NDArray[np.float64] = np.array([float(line.step) for line in lines])
        self.at_start: NDArray[np.float64] = np.array(
            [
                float(line.base + line.step * (start + x0))
                for line, start in zip(lines, [0, *relative], strict=True)
            ]
        )


def _line(base: Fraction, step: Fraction) -> _Line:
    return _Line(base, step, base.numerator, base.denominator, step.numerator, step.denominator)


def _int64_array(values: ArrayLike, what: str) -> NDArray[np.int64]:
    array = np.asarray(values)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{what} must be an integer array, got dtype {array.dtype}")
    if array.dtype.kind == "u" and array.size and int(array.max()) > _INT64[1]:
        raise ValueError(f"{what} must fit in int64")
    return array.astype(np.int64)


def _clamp64(value: int) -> int:
    return min(max(value, _INT64[0]), _INT64[1])


def _bad_rounding(rounding: object) -> ValueError:
    return ValueError(f"rounding must be one of {', '.join(get_args(Rounding))}, got {rounding!r}")
