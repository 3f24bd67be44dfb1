"""Exact clocks: round trips, monotonicity, rounding semantics, sync maps, snapping and bulk
conversions, by property tests over rate clocks and timestamp tables, and by hand."""

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rosetta.core.clock import Clock, ClockMap, Rounding, SyncPoint, compile_clock
from rosetta.core.timebase import format_exact

ROUNDINGS: tuple[Rounding, ...] = ("floor", "ceil", "nearest")
NS = 10**9

rates = st.sampled_from(
    [Fraction(30000, 1001), Fraction(44100), Fraction(16000), Fraction(10), Fraction(100)]
) | st.fractions(min_value=Fraction(1, 10), max_value=200_000, max_denominator=10**4).filter(
    lambda rate: rate > 0
)
offsets = st.fractions(min_value=-100, max_value=100, max_denominator=10**6) | st.integers(
    -(10**5), 10**5
).map(lambda ms: Fraction(ms, 1000))  # whole milliseconds put index starts on whole nanoseconds


@st.composite
def sync_points(draw: st.DrawFn) -> list[SyncPoint]:
    """Up to four sync points, increasing in both times, slopes from 1/2 to 2 (drift)."""
    locals_ = sorted(
        draw(
            st.sets(st.fractions(min_value=-50, max_value=5000, max_denominator=10**4), max_size=4)
        )
    )
    if not locals_:
        return []
    slopes = draw(
        st.lists(
            st.fractions(min_value=Fraction(1, 2), max_value=2, max_denominator=10**5),
            min_size=len(locals_) - 1,
            max_size=len(locals_) - 1,
        )
    )
    references = [draw(st.fractions(min_value=-50, max_value=50, max_denominator=10**4))]
    for (before, after), slope in zip(itertools.pairwise(locals_), slopes, strict=True):
        references.append(references[-1] + slope * (after - before))
    return [
        SyncPoint(local=format_exact(local), reference=format_exact(reference))
        for local, reference in zip(locals_, references, strict=True)
    ]


@st.composite
def rate_clocks(draw: st.DrawFn) -> ClockMap:
    clock = Clock(
        rate=format_exact(draw(rates)), offset=format_exact(draw(offsets)), sync=draw(sync_points())
    )
    return compile_clock(clock)


@st.composite
def table_clocks(draw: st.DrawFn) -> ClockMap:
    """VFR-like tables: jittered steps, a container or nanosecond time base, any start."""
    first = draw(st.integers(-(10**6), 10**9))
    steps = draw(st.lists(st.integers(1, 5000), min_size=0, max_size=60))
    time_base = draw(
        st.sampled_from(
            [Fraction(1, 90000), Fraction(1, NS), Fraction(1, 1000), Fraction(1, 48000)]
        )
        | st.fractions(min_value=Fraction(1, 10**6), max_value=1, max_denominator=10**6).filter(
            lambda base: base > 0
        )
    )
    clock = Clock(
        time_base=format_exact(time_base),
        ticks=list(itertools.accumulate(steps, initial=first)),
        offset=format_exact(draw(offsets)),
        sync=draw(sync_points()),
    )
    return compile_clock(clock)


clocks = rate_clocks() | table_clocks()


def _indices(clock: ClockMap) -> st.SearchStrategy[int]:
    if clock.count is None:
        return st.integers(-(10**5), 10**7)
    return st.integers(0, clock.count - 1)


def _times(clock: ClockMap) -> st.SearchStrategy[Fraction]:
    """Times around the clock's indices: index starts, points inside spans, and for a
    table points up to a second before its first and after its last entry."""
    fractions = st.fractions(min_value=0, max_value=1, max_denominator=10**6)
    last = None if clock.count is None else clock.count - 1
    if last is None or last >= 1:
        spans = st.integers(-(10**5), 10**7) if last is None else st.integers(0, last - 1)
        inside = st.tuples(spans, fractions).map(
            lambda pair: (
                clock.time_of(pair[0])
                + pair[1] * (clock.time_of(pair[0] + 1) - clock.time_of(pair[0]))
            )
        )
    else:
        inside = st.nothing()
    times = inside | _indices(clock).map(clock.time_of)
    if last is not None:
        times |= fractions.map(lambda u: clock.time_of(0) - u)
        times |= fractions.map(lambda u: clock.time_of(last) + u)
    return times


@given(clocks, st.data())
def test_an_index_start_maps_back_to_the_index_under_every_rounding(
    clock: ClockMap, data: st.DataObject
) -> None:
    index = data.draw(_indices(clock))
    start = clock.time_of(index)
    for rounding in ROUNDINGS:
        assert clock.index_at(start, rounding) == index
    assert clock.index_at(format_exact(start), "floor") == index  # the string form too


@given(clocks, st.data())
def test_time_of_strictly_increases(clock: ClockMap, data: st.DataObject) -> None:
    index = data.draw(_indices(clock))
    if clock.count is not None and index == clock.count - 1:
        index -= 1
    if index >= 0 or clock.count is None:
        assert clock.time_of(index) < clock.time_of(index + 1)


@given(clocks, st.data())
def test_index_at_is_monotone_and_means_what_its_rounding_says(
    clock: ClockMap, data: st.DataObject
) -> None:
    first, second = sorted(data.draw(st.lists(_times(clock), min_size=2, max_size=2)))
    for rounding in ROUNDINGS:
        assert clock.index_at(first, rounding) <= clock.index_at(second, rounding)
    t = first
    floor, ceil, nearest = (clock.index_at(t, rounding) for rounding in ROUNDINGS)
    last = None if clock.count is None else clock.count - 1
    if floor >= 0:
        assert clock.time_of(floor) <= t
    if last is None or floor + 1 <= last:
        assert t < clock.time_of(floor + 1)
    if last is None or ceil <= last:
        assert t <= clock.time_of(ceil)
    if ceil >= 1:
        assert clock.time_of(ceil - 1) < t
    # nearest: no index starts closer to t in reference time, ties to the earlier one
    candidates = [i for i in range(floor - 1, floor + 3) if i >= 0 or last is None]
    candidates = [i for i in candidates if last is None or i <= last]
    best = min(candidates, key=lambda i: (abs(clock.time_of(i) - t), i))
    assert nearest == best


@given(clocks, st.fractions(min_value=-(10**4), max_value=10**4, max_denominator=10**9))
def test_the_sync_map_and_its_inverse_round_trip_exactly(clock: ClockMap, x: Fraction) -> None:
    assert clock.to_local(clock.to_reference(x)) == x
    assert clock.to_reference(clock.to_local(x)) == x


def _interval(clock: ClockMap, data: st.DataObject) -> tuple[Fraction, Fraction]:
    """An interval that needs no boundary outside a table."""
    times = _times(clock)
    if clock.count is not None:
        low, high = clock.time_of(0), clock.time_of(clock.count - 1)
        times = times.filter(lambda t: low <= t <= high)
    start, end = sorted(data.draw(st.lists(times, min_size=2, max_size=2, unique=True)))
    return start, end


@given(clocks, st.data())
def test_snapping_is_stable_and_keeps_the_covered_indices(
    clock: ClockMap, data: st.DataObject
) -> None:
    if clock.count is not None and clock.count < 2:
        return
    start, end = _interval(clock, data)
    outer = clock.snap(start, end)
    assert clock.snap(*outer) == outer
    assert clock.covering(*outer) == clock.covering(start, end)
    assert outer[0] <= start and end <= outer[1]
    nearest = clock.snap(start, end, "nearest")
    assert clock.snap(*nearest, how="nearest") == nearest
    assert nearest[0] < nearest[1]


@given(clocks, clocks, st.data())
def test_an_interval_snaps_to_the_same_frames_of_another_stream_however_it_travels(
    a: ClockMap, b: ClockMap, data: st.DataObject
) -> None:
    if a.count is not None and a.count < 2:
        return
    start, end = _interval(a, data)
    on_a = a.covering(start, end)
    back = (a.time_of(on_a.start), a.time_of(on_a.stop))
    assert back == a.snap(start, end)
    assert b.covering(*back) == b.covering(*a.snap(start, end))


@settings(deadline=None)
@given(clocks, st.data())
def test_bulk_conversions_give_the_scalar_answers(clock: ClockMap, data: st.DataObject) -> None:
    indices = data.draw(st.lists(_indices(clock), min_size=1, max_size=20))
    starts = [clock.time_of(i) for i in indices]
    # nanoseconds on and around index starts, where a float estimate would go wrong
    boundary_ns = [int(s * NS) + d for s in starts for d in (-1, 0, 1)]
    low, high = int(min(starts) * NS) - NS, int(max(starts) * NS) + NS
    random_ns = data.draw(st.lists(st.integers(low, high), max_size=40))
    ns = np.array(boundary_ns + random_ns, dtype=np.int64)
    for rounding in ROUNDINGS:
        expected = [clock.index_at(Fraction(int(v), NS), rounding) for v in ns]
        assert clock.indices_at_ns(ns, rounding).tolist() == expected
    # floats read to the nanosecond: exact for millisecond decimals up to about 11 days
    low_ms, high_ms = max(low // 10**6, -(10**9)), min(high // 10**6, 10**9)
    millis = np.array(data.draw(st.lists(st.integers(low_ms, max(low_ms, high_ms)), max_size=20)))
    for rounding in ROUNDINGS:
        expected = [clock.index_at(f"{int(v)}/1000", rounding) for v in millis]
        assert clock.indices_at(millis / 1000, rounding).tolist() == expected
    times = clock.times_of(np.array(indices))
    np.testing.assert_allclose(times, [float(s) for s in starts], rtol=1e-13, atol=1e-12)


def test_ntsc_frame_at_14_327_seconds_is_429() -> None:
    clock = compile_clock(Clock(rate="30000/1001"))
    # by hand: frame i starts at i * 1001 / 30000 s
    assert clock.time_of(429) == Fraction(429 * 1001, 30000) == Fraction("14.3143")
    assert clock.time_of(430) == Fraction(430 * 1001, 30000)  # 14.34766...
    assert 429 * 1001 <= 14327 * 30 < 430 * 1001  # 14.327 * 30000 / 1001 = 429.38...
    assert clock.index_at(14.327) == 429
    assert clock.index_at(14.327, "ceil") == 430
    assert clock.index_at(14.327, "nearest") == 429  # 14.327 - 14.3143 < 14.3477 - 14.327


def test_float_frame_arithmetic_misses_a_boundary_the_exact_clock_gets() -> None:
    clock = compile_clock(Clock(rate="30000/1001"))
    t = 1.001  # exactly the start of frame 30 (30 * 1001 / 30000)
    assert clock.time_of(30) == Fraction("1.001")
    assert int(t * 29.97) == 29  # the usual shortcut
    assert int(t * (30000 / 1001)) == 29  # even with the right rate as a float
    assert clock.index_at(t) == 30
    assert clock.indices_at(np.array([t, 100.1]))[0] == 30
    assert int(100.1 * 29.97) == 2999 and clock.index_at(100.1) == 3000


def test_a_table_outside_its_range() -> None:
    clock = compile_clock(Clock(time_base="1/90000", ticks=[9000, 12000, 18000], offset="1"))
    assert clock.count == 3
    assert [clock.time_of(i) for i in range(3)] == [
        Fraction(11, 10),
        Fraction(17, 15),
        Fraction(6, 5),
    ]
    assert clock.index_at(1, "floor") == -1
    assert clock.index_at(1, "ceil") == 0
    assert clock.index_at(1, "nearest") == 0
    assert clock.index_at(50, "floor") == 2  # the last entry holds every later time
    assert clock.index_at(50, "ceil") == 3
    assert clock.index_at(50, "nearest") == 2
    assert clock.covering(0, 1) == range(0)
    assert clock.covering(0, "1.15") == range(0, 2)
    assert clock.covering(7, 8) == range(2, 3)
    with pytest.raises(IndexError, match=r"outside the timestamp table \(0\.\.2\)"):
        clock.time_of(3)
    with pytest.raises(IndexError):
        clock.time_of(-1)
    with pytest.raises(ValueError, match="boundary outside the timestamp table"):
        clock.snap("1.15", 2)
    with pytest.raises(ValueError, match="boundary outside the timestamp table"):
        clock.snap(1, "1.15")
    assert clock.snap("1.15", "1.16") == (Fraction(17, 15), Fraction(6, 5))
    assert clock.indices_at_ns(np.array([10**9, 50 * 10**9]), "ceil").tolist() == [0, 3]
    with pytest.raises(IndexError):
        clock.times_of(np.array([0, 3]))


def test_a_rate_clock_is_unbounded() -> None:
    clock = compile_clock(Clock(rate="10", offset="0.05"))
    assert clock.count is None
    assert clock.time_of(-1) == Fraction("-0.05")
    assert clock.index_at(0) == -1
    assert clock.covering(-1, 0) == range(-11, 0)


def test_one_sync_point_shifts_and_two_model_drift() -> None:
    shifted = compile_clock(Clock(rate="25", sync=[SyncPoint(local="2", reference="2.5")]))
    assert shifted.time_of(0) == Fraction("0.5")
    assert shifted.index_at("0.54") == 1
    # the stream's clock runs 100 ppm slow: one local hour is 3600.36 reference seconds
    drifting = compile_clock(
        Clock(
            rate="30000/1001",
            sync=[
                SyncPoint(local="0", reference="0.1"),
                SyncPoint(local="3600", reference="3600.46", source="audio", confidence=0.9),
            ],
        )
    )
    assert drifting.to_reference(1800) == Fraction("1800.28")
    frame = 107892  # local 107892 * 1001 / 30000 = 3599.9964 s
    assert (
        drifting.time_of(frame)
        == Fraction("0.1") + Fraction("3599.9964") * Fraction("3600.36") / 3600
    )
    assert drifting.index_at(drifting.time_of(frame)) == frame
    # reference 3600 s is local (3600 - 0.1) / 1.0001 s, frame floor(local * 30000 / 1001)
    local = (3600 - Fraction("0.1")) * 3600 / Fraction("3600.36")
    assert math.floor(local * Fraction(30000, 1001)) == 107878
    assert drifting.index_at(3600) == 107878  # without the drift it would be 107892
    assert compile_clock(Clock(rate="30000/1001")).index_at(3600) == 107892


def test_nearest_across_a_sync_break_is_decided_in_reference_time() -> None:
    # frames at local 0, 1, 2, ...; the map's slope changes from 1 to 3 at local 0.5
    clock = compile_clock(
        Clock(
            rate="1",
            sync=[
                SyncPoint(local="0", reference="0"),
                SyncPoint(local="0.5", reference="0.5"),
                SyncPoint(local="1.5", reference="3.5"),
            ],
        )
    )
    assert (clock.time_of(0), clock.time_of(1)) == (0, 2)
    # t = 0.9 is local 0.7 (nearer local 1) but nearer frame 0 in reference time
    assert clock.to_local("0.9") == Fraction(19, 30)
    assert clock.index_at("0.9", "nearest") == 0
    assert clock.index_at("1.1", "nearest") == 1
    assert clock.index_at(1, "nearest") == 0  # a tie goes to the earlier frame
    ns = np.array([900_000_000, 1_000_000_000, 1_100_000_000])
    assert clock.indices_at_ns(ns, "nearest").tolist() == [0, 0, 1]


def test_a_long_vfr_table_in_bulk_matches_the_scalar_path() -> None:
    rng = np.random.default_rng(7)
    # an hour of 30 fps video with jittered PTS (time base 1/90000), starting at PTS 1234
    ticks = (1234 + np.cumsum(rng.integers(2700, 3300, 108_000))).tolist()
    clock = compile_clock(Clock(time_base="1/90000", ticks=ticks, offset="-0.2"))
    ns = rng.integers(-(10**9), 3700 * NS, 20_000)
    ns[:1000] = (np.asarray(ticks[:1000]) * NS) // 90000 - 200_000_000  # starts (floored)
    for rounding in ROUNDINGS:
        expected = [clock.index_at(Fraction(int(v), NS), rounding) for v in ns]
        assert clock.indices_at_ns(ns, rounding).tolist() == expected


def test_nanosecond_timestamps_since_the_epoch_keep_their_precision() -> None:
    first = 1_700_000_000_123_456_789
    ticks = [first + i * 10_000_000 + (i % 3) for i in range(1000)]  # 100 Hz, 1-2 ns jitter
    clock = compile_clock(
        Clock(time_base="1/1000000000", ticks=ticks, offset=format_exact(Fraction(-first, NS)))
    )
    relative = np.array(ticks, dtype=np.int64) - first
    assert clock.indices_at_ns(relative).tolist() == list(range(1000))
    assert clock.indices_at_ns(relative - 1).tolist() == list(range(-1, 999))
    assert clock.times_of(np.array([999]))[0] == pytest.approx(9.99, abs=1e-12)


def test_bad_arguments_are_refused_clearly() -> None:
    clock = compile_clock(Clock(rate="25"))
    with pytest.raises(ValueError, match="rounding must be one of nearest, floor, ceil"):
        clock.index_at(1, "round")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must not be before its start"):
        clock.covering(2, 1)
    with pytest.raises(ValueError, match="must be after its start"):
        clock.snap(1, 1)
    with pytest.raises(ValueError, match="how must be"):
        clock.snap(1, 2, "inner")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="finite"):
        clock.indices_at(np.array([np.nan]))
    with pytest.raises(TypeError, match="integer array"):
        clock.indices_at_ns(np.array([1.5]))
    with pytest.raises(TypeError, match="an index must be an integer"):
        clock.time_of(1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="expected a number"):
        clock.index_at("soon")
    assert clock.covering(1, 1) == range(25, 25)
