"""Synchronization sources: how a stream's clock is found from what was recorded.

- **Hardware timestamps** (PTP-style absolute times, e.g. nanoseconds since the epoch):
  `absolute_clock` keeps the table and shifts it by the sample's origin, the earliest
  first timestamp over its streams (`common_origin`), so reference time 0 is that instant.
- **Timestamp interpolation**: `fit_rate_clock` fits an exact rate and offset to measured
  times (least squares, the rate rationalised), reporting the residuals; `fill_missing`
  replaces unset or non-increasing stamps (an IMU whose ``header.stamp`` is 0 or repeats)
  by linear interpolation between the valid ones.
- **Audio alignment**: `rosetta.media.align` estimates an `OffsetEstimate` between two
  recordings of one event; `sync_point_from_offset` turns it into a `SyncPoint` with its
  provenance.

Everything here is pure: numbers in, records out.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rosetta.core.clock import Clock, SyncPoint
from rosetta.core.errors import RosettaError
from rosetta.core.timebase import TimeLike, exact, format_exact

#: The finest time (seconds) a fitted rate is held to, however exact the times are.
MIN_TOLERANCE = 1e-9


@dataclass(frozen=True)
class OffsetEstimate:
    """How much later the same sound occurs in recording *b* than in recording *a*.

    ``offset`` (seconds): a sound at time ``t`` of *a* (from its first sample) is at time
    ``t + offset`` of *b*, i.e. ``b(t) = a(t - offset)``; it is positive when *b* started
    recording before *a*. ``confidence`` (0..1) is ``1 - second_peak``: how far the chosen
    correlation peak stands above the best competing one (``second_peak``, as a fraction of
    the chosen peak's height); near 0 the recordings do not pin down one offset.
    ``correlation`` is the Pearson correlation of the two signals over their overlap at
    that offset (-1..1; negative when one recording has inverted polarity), ``overlap``
    the overlap in seconds, ``analysis_rate`` the rate (Hz) they were compared at.
    """

    offset: float
    confidence: float
    second_peak: float
    correlation: float
    overlap: float
    analysis_rate: int
    method: str


def sync_point_from_offset(
    estimate: OffsetEstimate,
    *,
    against: str,
    local_start: TimeLike = 0,
    reference_start: TimeLike = 0,
) -> SyncPoint:
    """The sync point that puts recording *b* on the timeline of *a* (stream `against`).

    *a*'s first sample is at reference time `reference_start`; *b*'s first sample is at
    local time `local_start` of *b*'s clock. The same instant is *b*'s local time
    ``local_start + offset``, so that local time is `reference_start`. The offset is kept
    to the microsecond (the estimate is not finer).
    """
    offset = exact(round(estimate.offset, 6))
    return SyncPoint(
        local=format_exact(exact(local_start) + offset),
        reference=format_exact(exact(reference_start)),
        source="audio",
        confidence=round(min(max(estimate.confidence, 0.0), 1.0), 4),
        note=(
            f"{estimate.method} at {estimate.analysis_rate} Hz against stream {against!r}: "
            f"offset {estimate.offset:+.6f} s, confidence {estimate.confidence:.3f} "
            f"(best other peak {estimate.second_peak:.3f} of the chosen one), "
            f"correlation {estimate.correlation:.3f} over {estimate.overlap:.1f} s"
        ),
    )


# --- hardware timestamps --------------------------------------------------------------------


def common_origin(tables: Iterable[Sequence[int]]) -> int:
    """The earliest first timestamp of `tables` (ticks in one shared time base)."""
    firsts = []
    for number, table in enumerate(tables):
        if len(table) == 0:
            raise RosettaError(f"timestamp table {number} is empty; it has no first timestamp")
        firsts.append(int(table[0]))
    if not firsts:
        raise RosettaError("no timestamp tables to take a common origin from")
    return min(firsts)


def absolute_clock(ticks: Sequence[int], time_base: TimeLike, origin_ticks: int) -> Clock:
    """The clock of absolute hardware timestamps `ticks`, with the instant `origin_ticks`
    (same time base; usually `common_origin` of the sample's tables) at reference time 0.

    The table is kept as recorded and shifted by ``offset = -origin_ticks * time_base``;
    a sync point at 0 records the hardware source. Ticks must increase (see `fill_missing`).
    """
    base = exact(time_base)
    table = [int(tick) for tick in ticks]
    _require_increasing(table)
    origin = int(origin_ticks)
    return Clock(
        ticks=table,
        time_base=format_exact(base),
        offset=format_exact(-origin * base),
        sync=[
            SyncPoint(
                local="0",
                reference="0",
                source="hardware",
                note=(
                    f"absolute hardware timestamps (time base {format_exact(base)} s); "
                    f"reference 0 is tick {origin}"
                ),
            )
        ],
    )


def _require_increasing(ticks: Sequence[int]) -> None:
    if not ticks:
        raise RosettaError("a timestamp table needs at least one timestamp")
    i = first_step_back(np.asarray(ticks, dtype=np.int64))
    if i is not None:
        raise RosettaError(
            f"timestamps must increase: ticks[{i}] = {ticks[i]} follows ticks[{i - 1}] = "
            f"{ticks[i - 1]} (fill_missing interpolates unset or repeated stamps)"
        )


def first_step_back(ticks: NDArray[np.int64]) -> int | None:
    """The first index whose tick does not exceed the one before, if any."""
    bad = np.flatnonzero(np.diff(ticks) <= 0)
    return None if bad.size == 0 else int(bad[0]) + 1


# --- timestamp interpolation ----------------------------------------------------------------


class RateFit(NamedTuple):
    """A rate clock fitted to measured times, and how far the times lie from it."""

    clock: Clock
    #: Measured minus fitted time of each index, in seconds.
    residuals: NDArray[np.float64]

    @property
    def max_residual(self) -> float:
        """The largest distance (seconds) of a measured time from the fitted clock."""
        return float(np.max(np.abs(self.residuals)))


def fit_rate_clock(
    indices: ArrayLike,
    times: ArrayLike,
    *,
    time_base: TimeLike = 1,
    tolerance: float | None = None,
) -> RateFit:
    """The rate clock ``local(i) = offset + i / rate`` closest to measured `times`.

    `times` are in units of `time_base` seconds (integer nanoseconds with
    ``time_base="1/1000000000"``; seconds by default). The line is fitted by least
    squares; its rate is rationalised to the simplest fraction (the smallest denominator
    bound of `Fraction.limit_denominator`) that moves no fitted time over the indices'
    span by more than `tolerance` seconds, by default the RMS of the times around the line
    (at least `MIN_TOLERANCE`): exact stamps of a 400 Hz sensor give ``400``, NTSC frame
    times ``30000/1001``, jittery ones the simple rate their scatter cannot tell apart
    from the fit. The offset is then refitted for that rate and kept to the nanosecond.
    Times are taken relative to the first one, so absolute epoch stamps keep their
    precision.
    """
    index = np.asarray(indices, dtype=np.int64)
    measured = np.asarray(times)
    if index.ndim != 1 or measured.shape != index.shape:
        raise RosettaError(
            f"indices and times must be two sequences of one length, got shapes "
            f"{index.shape} and {measured.shape}"
        )
    if np.unique(index).size < 2:
        raise RosettaError("fitting a rate needs times at two different indices at least")
    base = exact(time_base)
    if measured.dtype.kind in "iu":
        first = int(measured[0])
        relative = (measured.astype(np.int64) - first).astype(np.float64) * float(base)
    elif measured.dtype.kind == "f":
        first = measured[0].item()
        relative = (measured - measured[0]) * float(base)
    else:
        raise RosettaError(f"times must be numbers, got an array of {measured.dtype}")
    origin = exact(first) * base
    position = index.astype(np.float64)
    slope, intercept = (float(c) for c in np.polyfit(position, relative, 1))
    if not slope > 0:
        raise RosettaError(f"the times do not increase with the index (fitted slope {slope} s)")
    scatter = float(np.sqrt(np.mean(np.square(relative - intercept - slope * position))))
    allowed = max(scatter if tolerance is None else tolerance, MIN_TOLERANCE)
    span = float(index.max() - index.min())
    # moving the rate by d moves the time of the span's far end by about span * d / rate²
    rate = _simplest(Fraction(1 / slope), allowed * (1 / slope) ** 2 / span)
    nominal = index / float(rate)
    shift = float(np.mean(relative - nominal))
    clock = Clock(
        rate=format_exact(rate),
        offset=format_exact(origin + Fraction(round(shift * 1e9), 10**9)),
    )
    return RateFit(clock=clock, residuals=relative - nominal - shift)


def _simplest(value: Fraction, within: float) -> Fraction:
    """The closest fraction to `value` under the smallest denominator bound that comes
    within `within` of it (the error of `limit_denominator` never grows with the bound)."""
    low, high = 1, value.denominator
    while low < high:
        middle = (low + high) // 2
        if abs(float(value.limit_denominator(middle) - value)) <= within:
            high = middle
        else:
            low = middle + 1
    return value.limit_denominator(low)


def fill_missing(ticks: ArrayLike) -> NDArray[np.int64]:
    """`ticks` with every missing stamp replaced by linear interpolation over the index.

    A stamp is missing when it is 0 or less (unset) or does not increase past the last
    valid stamp before it (a repeat, or a step back). Missing stamps between valid ones
    are interpolated; those before the first or after the last valid one are extrapolated
    with the mean step of the valid ones. Valid stamps are kept exactly.
    """
    table = np.asarray(ticks, dtype=np.int64)
    if table.ndim != 1:
        raise RosettaError(f"expected one sequence of timestamps, got shape {table.shape}")
    stamped = np.where(table > 0, table, 0)
    before = np.concatenate(([0], np.maximum.accumulate(stamped)[:-1]))
    valid = (table > 0) & (table > before)
    where = np.flatnonzero(valid)
    if where.size == table.size:
        return table.copy()
    if where.size < 2:
        raise RosettaError(
            f"only {where.size} of {table.size} timestamps are set and increasing; "
            "interpolating needs two at least"
        )
    anchor = int(table[where[0]])
    known = (table[where] - anchor).astype(np.float64)
    step = known[-1] / float(where[-1] - where[0])
    positions = np.arange(table.size, dtype=np.float64)
    filled = np.interp(positions, where, known)
    head, tail = positions < where[0], positions > where[-1]
    filled[head] = (positions[head] - where[0]) * step
    filled[tail] = known[-1] + (positions[tail] - where[-1]) * step
    out = np.round(filled).astype(np.int64) + anchor
    out[where] = table[where]
    crowded = first_step_back(out)
    if crowded is not None:
        raise RosettaError(
            f"stamps {crowded - 1} and {crowded} are {out[crowded] - out[crowded - 1]} ticks apart "
            "after filling: too many missing stamps between two valid ones to give each its "
            "own tick"
        )
    return out
