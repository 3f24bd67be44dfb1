"""Temporal helpers: intervals snapped to frames (as floats that keep their frames),
transcript segments from word timings, the word at t, and boundary consensus."""

import json
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import MEDIA
from rosetta.core.clock import Clock, compile_clock
from rosetta.core.geometry import Interval, TranscriptSegment, Word
from rosetta.core.temporal import (
    boundary_consensus,
    segments_from_words,
    snap_interval,
    word_at,
    word_index_at,
)

TIMINGS: dict[str, Any] = json.loads((MEDIA / "audio" / "word_timings.json").read_text())
NTSC = Clock(rate="30000/1001")


def test_snap_an_interval_to_ntsc_frames() -> None:
    snapped = snap_interval(Interval(start=0.01, end=0.05), NTSC)
    # frames 0 and 1 ([0, 1001/30000) and [1001/30000, 2002/30000)) meet [0.01, 0.05)
    assert snapped.start == 0
    assert Fraction(repr(snapped.end)) <= Fraction(2002, 30000)
    assert compile_clock(NTSC).covering(snapped.start, snapped.end) == range(0, 2)
    nearest = snap_interval(Interval(start=0.02, end=0.05), NTSC, "nearest")
    assert compile_clock(NTSC).covering(nearest.start, nearest.end) == range(1, 2)
    # shorter than half a frame: the frame holding its midpoint
    tiny = snap_interval(Interval(start=0.04, end=0.041), compile_clock(NTSC), "nearest")
    assert compile_clock(NTSC).covering(tiny.start, tiny.end) == range(1, 2)


@given(
    st.sampled_from(["30000/1001", "24000/1001", "25", "16000", "44100", "10", "7/3"]),
    st.fractions(min_value=0, max_value=10**4, max_denominator=10**6),
    st.fractions(min_value=Fraction(1, 10**3), max_value=100, max_denominator=10**6),
    st.sampled_from(["outer", "nearest"]),
)
def test_a_snapped_interval_keeps_its_frames_as_floats_and_snaps_to_itself(
    rate: str, start: Fraction, length: Fraction, how: str
) -> None:
    clock = compile_clock(Clock(rate=rate))
    interval = Interval(start=float(start), end=float(start + length))
    snapped = snap_interval(interval, clock, how)  # type: ignore[arg-type]
    exact_snap = clock.snap(interval.start, interval.end, how)  # type: ignore[arg-type]
    assert clock.covering(snapped.start, snapped.end) == clock.covering(*exact_snap)
    assert snap_interval(snapped, clock, how) == snapped  # type: ignore[arg-type]


def test_segments_from_the_fixture_word_timings_split_at_pauses() -> None:
    words = [
        (
            word["word"],
            Fraction(sentence["offset_ms"] + word["start_ms"], 1000),
            Fraction(sentence["offset_ms"] + word["end_ms"], 1000),
        )
        for sentence in TIMINGS["sentences"]
        for word in sentence["words"]
    ]
    segments = segments_from_words(words, max_gap=0.3)
    assert [s.text for s in segments] == [s["text"].rstrip(".") for s in TIMINGS["sentences"]]
    first = TIMINGS["sentences"][1]
    assert segments[1].start == first["offset_ms"] / 1000
    assert segments[1].end == (first["offset_ms"] + first["speech_end_ms"]) / 1000
    assert [w.text for w in segments[2].words or []][-1] == "saucer"
    # the pauses between sentences are 0.591 s and 0.584 s: with max_gap 0.6 one segment
    assert len(segments_from_words(words, max_gap=0.6)) == 1
    assert segments_from_words([], max_gap=1) == []


def test_segments_from_words_refuses_bad_timings() -> None:
    with pytest.raises(ValueError, match=r"word 1 \('b'\) starts at 1/2, before the previous"):
        segments_from_words([("a", 0, 1), ("b", 0.5, 2)], max_gap=1)
    with pytest.raises(ValueError, match=r"word 0 \('a'\) ends at 0 before it starts \(1\)"):
        segments_from_words([("a", 1, 0)], max_gap=1)
    with pytest.raises(ValueError, match="has no duration"):
        segments_from_words([("a", 1, 1)], max_gap=1)
    with pytest.raises(ValueError, match="must not be negative"):
        segments_from_words([("a", 0, 1)], max_gap=-1)


def test_the_word_at_t() -> None:
    segment = TranscriptSegment(
        start=1.0,
        end=3.0,
        text="hello there world",
        words=[
            Word(text="hello", start=1.0, end=1.4),
            Word(text="there", start=1.6, end=2.1),
            Word(text="world", start=2.1, end=3.0),
        ],
    )
    assert word_at(segment, 1) == segment.words[0]  # type: ignore[index]
    assert word_at(segment, "1.4") is None  # the pause after "hello" (ends are exclusive)
    assert word_at(segment, "2.1") == segment.words[2]  # type: ignore[index]
    assert word_index_at(segment, "2.0999") == 1
    assert word_at(segment, 3) is None and word_at(segment, 0.5) is None
    assert word_at(TranscriptSegment(start=0, end=1, text="x"), 0.5) is None


def test_boundary_consensus_of_three_annotators() -> None:
    annotators = {
        "ana": [(0.0, 2.0), (2.5, 4.0), (5.0, 7.0), (8.0, 9.0)],
        "ben": [(0.1, 2.1), (2.4, 4.1), (5.1, 6.9)],  # misses the last segment
        "cho": [(0.04, 1.9), (2.5, 4.6), (5.0, 7.1), (8.1, 9.0), (9.5, 9.9)],  # 4.6: outlier
    }
    result = boundary_consensus(annotators, tolerance=0.15, clock=Clock(rate="25"))
    assert [(c.start, c.end) for c in result] == [
        (0.04, 2.0),
        (2.5, 4.1),
        (5.0, 7.0),
        (8.05, 9.0),
        (9.5, 9.9),
    ]
    first, second, third, fourth, lone = result
    assert [m.annotator for m in first.members] == ["ana", "ben", "cho"]
    assert first.start_spread.mad == pytest.approx(0.04)  # deviations 0.04, 0.06, 0
    assert first.start_spread.max == pytest.approx(0.06)
    assert first.end_spread.max == pytest.approx(0.1)
    # in 25 fps frames: starts at frames 0, 2 (0.1 s -> 2.5 -> tie to 2), 1; median 1
    assert (first.start_spread.max_frames, first.start_spread.mad_frames) == (1, 1.0)
    assert first.outliers == () and first.missing == () and first.support == 1
    assert second.outliers == ("cho",)  # ends at 4.6, half a second after the median 4.1
    assert second.end_spread.max == pytest.approx(0.5)
    assert second.end_spread.max_frames == 13  # frame 115 against 102 (4.1 s: 102.5, a tie)
    assert second.end_spread.mad == pytest.approx(0.1)
    assert third.missing == () and third.outliers == ()
    assert fourth.missing == ("ben",) and fourth.support == pytest.approx(2 / 3)
    assert [(m.annotator, m.index) for m in fourth.members] == [("ana", 3), ("cho", 3)]
    assert lone.missing == ("ana", "ben") and lone.members[0].index == 4
    assert result[0].start_spread.mad_frames is not None
    plain = boundary_consensus(annotators, tolerance=0.15)
    assert plain[0].start_spread.max_frames is None
    assert [(c.start, c.end) for c in plain] == [(c.start, c.end) for c in result]


def test_consensus_pairs_segments_one_to_one_by_overlap() -> None:
    # "b"'s first segment overlaps both of "a"'s but matches the one it overlaps most
    annotators = {"a": [(0, 2), (2, 4)], "b": [(1.5, 4.2), (0, 1.4)]}
    result = boundary_consensus(annotators)
    assert [sorted((m.annotator, m.index) for m in c.members) for c in result] == [
        [("a", 0), ("b", 1)],
        [("a", 1), ("b", 0)],
    ]
    # below min_iou segments stay apart
    apart = boundary_consensus({"a": [(0, 1)], "b": [(0.9, 3)]}, min_iou=0.3)
    assert [len(c.members) for c in apart] == [1, 1]


def test_consensus_of_long_recordings_stays_fast_and_complete() -> None:
    rng = np.random.default_rng(3)
    starts = np.arange(3000) * 2.0
    annotators = {
        name: [
            (float(s + rng.normal(0, 0.05)), float(s + 1.5 + rng.normal(0, 0.05))) for s in starts
        ]
        for name in ("a", "b", "c", "d")
    }
    result = boundary_consensus(annotators)
    assert len(result) == 3000
    assert all(len(c.members) == 4 for c in result)
    assert max(c.start_spread.max for c in result) < 0.5


def test_consensus_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match=r"annotator 'x', segment 1: end \(1\) must be after"):
        boundary_consensus({"x": [(0, 1), (2, 1)]})
    with pytest.raises(ValueError, match="min_iou"):
        boundary_consensus({"x": [(0, 1)]}, min_iou=0)
    assert boundary_consensus({"x": [], "y": []}) == []
