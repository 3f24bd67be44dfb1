"""Synchronization sources (pure): hardware clocks, rate fits, filling stamps, audio sync points."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rosetta.core.clock import Clock, compile_clock
from rosetta.core.errors import RosettaError
from rosetta.core.sync import (
    OffsetEstimate,
    absolute_clock,
    common_origin,
    fill_missing,
    fit_rate_clock,
    sync_point_from_offset,
)

NS = "1/1000000000"


def estimate(offset: float, confidence: float = 0.8) -> OffsetEstimate:
    return OffsetEstimate(
        offset=offset,
        confidence=confidence,
        second_peak=1 - confidence,
        correlation=0.93,
        overlap=61.5,
        analysis_rate=2000,
        method="fft cross-correlation",
    )


def test_absolute_hardware_stamps_are_shifted_to_the_common_origin() -> None:
    camera = [1_317_042_145_964_389_445, 1_317_042_146_064_389_445]
    lidar = [1_317_042_145_912_000_000, 1_317_042_146_012_000_000]
    origin = common_origin([camera, lidar])

    clock = absolute_clock(camera, NS, origin)

    assert origin == lidar[0]
    assert clock.ticks == camera
    assert Fraction(clock.offset) == Fraction(-origin, 10**9)
    [point] = clock.sync
    assert (point.source, point.local, point.reference) == ("hardware", "0", "0")
    assert str(origin) in (point.note or "")
    assert compile_clock(clock).time_of(0) == Fraction(52_389_445, 10**9)
    assert compile_clock(absolute_clock(lidar, NS, origin)).time_of(1) == Fraction(1, 10)


def test_absolute_clocks_refuse_bad_tables() -> None:
    with pytest.raises(RosettaError, match=r"ticks\[2\] = 20 follows ticks\[1\] = 20"):
        absolute_clock([10, 20, 20], NS, 10)
    with pytest.raises(RosettaError, match="at least one timestamp"):
        absolute_clock([], NS, 0)
    with pytest.raises(RosettaError, match="table 1 is empty"):
        common_origin([[5], []])
    with pytest.raises(RosettaError, match="no timestamp tables"):
        common_origin([])


def test_a_rate_fit_recovers_ntsc_from_rounded_pts() -> None:
    """Frame times of 30000/1001 fps video, rounded to a 90 kHz time base, starting late."""
    pts = np.round(np.arange(300) * 1001 / 30000 * 90000).astype(np.int64) + 123_456

    fit = fit_rate_clock(np.arange(300), pts, time_base="1/90000")

    assert fit.clock.rate == "30000/1001"
    assert Fraction(fit.clock.offset) == Fraction(123_456, 90_000)
    assert fit.max_residual <= 0.5 / 90_000
    assert fit.residuals.shape == (300,)


def test_a_rate_fit_keeps_a_measured_drift_that_the_scatter_resolves() -> None:
    """A 44.1 kHz clock running 20 ppm fast, sampled every second for ten minutes."""
    seconds = np.arange(0, 600 * 44100, 44100)
    times = 5.0 + seconds / (44100 * (1 + 20e-6))

    fit = fit_rate_clock(seconds, times)

    assert Fraction(fit.clock.rate) == pytest.approx(44100 * (1 + 20e-6), abs=1e-6)
    assert Fraction(fit.clock.offset) == pytest.approx(5.0, abs=1e-9)
    assert fit.max_residual < 1e-6


def test_a_rate_fit_with_jitter_settles_on_the_simple_rate_and_reports_the_scatter() -> None:
    rng = np.random.default_rng(1)
    times = 100.0 + np.arange(200) / 10 + rng.uniform(-0.002, 0.002, 200)

    fit = fit_rate_clock(np.arange(200), times)

    assert fit.clock.rate == "10"
    assert Fraction(fit.clock.offset) == pytest.approx(100.0, abs=0.001)
    assert 0.001 < fit.max_residual < 0.0025
    assert fit.max_residual == float(np.max(np.abs(fit.residuals)))


def test_rate_fits_refuse_what_they_cannot_fit() -> None:
    with pytest.raises(RosettaError, match="two different indices"):
        fit_rate_clock([3, 3], [1.0, 2.0])
    with pytest.raises(RosettaError, match="one length"):
        fit_rate_clock([1, 2, 3], [1.0, 2.0])
    with pytest.raises(RosettaError, match="do not increase"):
        fit_rate_clock([1, 2, 3], [3.0, 2.0, 1.0])


def test_fill_missing_interpolates_unset_and_repeated_stamps() -> None:
    ticks = [0, 11000, 12000, 12000, 0, 15000, 14000, 17000, 0]

    filled = fill_missing(ticks)

    assert filled.tolist() == [10000, 11000, 12000, 13000, 14000, 15000, 16000, 17000, 18000]
    assert fill_missing([10, 20, 30]).tolist() == [10, 20, 30]
    with pytest.raises(RosettaError, match="only 1 of 3"):
        fill_missing([0, 10, 10])
    with pytest.raises(RosettaError, match="too many missing stamps"):
        fill_missing([10, 0, 0, 12])


@given(
    st.lists(st.integers(1, 10**6), min_size=2, max_size=40),
    st.lists(st.booleans(), min_size=40, max_size=40),
)
def test_fill_missing_keeps_valid_stamps_and_increases(steps: list[int], lost: list[bool]) -> None:
    """Stamps 1000 ticks apart at least, some set to 0: the valid ones stay, all increase."""
    true = np.cumsum([10**12, *[1000 + s for s in steps]])
    lost = lost[: true.size]
    lost[0] = lost[-1] = False
    recorded = np.where(lost, 0, true)

    filled = fill_missing(recorded)

    assert (np.diff(filled) > 0).all()
    np.testing.assert_array_equal(filled[~np.array(lost)], true[~np.array(lost)])


def test_an_offset_becomes_a_sync_point_that_puts_b_on_a_s_timeline() -> None:
    """b's copy of each sound comes 1.2345678 s later; a's media starts at reference 10 s,
    b's clock starts at local 2 s."""
    point = sync_point_from_offset(
        estimate(1.2345678), against="cam-audio", local_start="2", reference_start=10
    )
    clock = Clock(rate="44100", offset="2", sync=[point])

    assert (point.local, point.reference) == ("3.234568", "10")
    assert (point.source, point.confidence) == ("audio", 0.8)
    assert "against stream 'cam-audio'" in (point.note or "")
    assert "fft cross-correlation at 2000 Hz" in (point.note or "")
    # a sound 7 s into a (reference 17 s) is at 8.2345678 s of b's media, sample 363144
    at = compile_clock(clock).time_of(round(8.234568 * 44100))
    assert at == pytest.approx(17, abs=1 / 44100)


def test_a_negative_offset_and_a_confidence_at_the_ends() -> None:
    point = sync_point_from_offset(estimate(-0.5, confidence=1.0), against="mic")

    assert (point.local, point.reference, point.confidence) == ("-0.5", "0", 1.0)
