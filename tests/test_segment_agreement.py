"""Segment and span agreement: boundary deviation and segment F1 on the demo narration's
real word timings, hand-counted small cases, seqeval's published span example, and the
block-wise matching against one matching of the whole matrix."""

import json
from typing import Any

import numpy as np
import pytest

from conftest import MEDIA
from rosetta.core.geometry import Interval, TextSpan
from rosetta.core.matching import Matching, optimal_matches
from rosetta.core.region_agreement import per_class
from rosetta.core.segment_agreement import (
    ROUNDING,
    Deviation,
    exact_span_matching,
    overlap_span_matching,
    segment_agreement,
)

TIMINGS: dict[str, Any] = json.loads((MEDIA / "audio" / "word_timings.json").read_text())


def _words() -> list[Interval]:
    """The narration's 29 words on its timeline (seconds)."""
    return [
        Interval(
            start=(s["offset_ms"] + w["start_ms"]) / 1000, end=(s["offset_ms"] + w["end_ms"]) / 1000
        )
        for s in TIMINGS["sentences"]
        for w in s["words"]
    ]


WORDS = _words()


def _redrawn() -> list[Interval]:
    """A second annotator's words: each boundary moved by up to 20 ms (starts) or 30 ms
    (ends), word 5 ("suit") left out, and a word heard in the pause after sentence 1."""
    moved = [
        Interval(
            start=max(0.0, w.start + ((k * 7) % 5 - 2) * 0.01),
            end=w.end + ((k * 3) % 5 - 2) * 0.015,
        )
        for k, w in enumerate(WORDS)
    ]
    return [*moved[:5], *moved[6:], Interval(start=3.2, end=3.4)]


REDRAWN = _redrawn()
#: Which of WORDS each of REDRAWN redraws (None: the extra word).
SOURCE = [*range(5), *range(6, len(WORDS)), None]


def test_segment_f1_and_boundary_deviation_at_a_tolerance_on_the_word_timings() -> None:
    tolerance = 0.025  # no boundary moved by exactly this much
    found = segment_agreement(WORDS, REDRAWN, tolerance=tolerance)
    expected = [
        (i, j)
        for j, i in enumerate(SOURCE)
        if i is not None
        and abs(WORDS[i].start - REDRAWN[j].start) <= tolerance
        and abs(WORDS[i].end - REDRAWN[j].end) <= tolerance
    ]
    assert [(m.first, m.second) for m in found.matching.matches] == expected
    assert 5 < len(expected) < 28
    n = len(expected)
    assert found.matching.f1 == pytest.approx(2 * n / (len(WORDS) + len(REDRAWN)), abs=1e-12)
    starts = np.array([WORDS[i].start - REDRAWN[j].start for i, j in expected])
    ends = np.array([WORDS[i].end - REDRAWN[j].end for i, j in expected])
    for deviation, differences in ((found.start, starts), (found.end, ends)):
        assert deviation.mean == pytest.approx(np.abs(differences).mean(), abs=1e-9)
        assert deviation.median == pytest.approx(np.median(np.abs(differences)), abs=1e-9)
        assert deviation.max == pytest.approx(np.abs(differences).max(), abs=1e-9)
        assert deviation.max <= tolerance


def test_overlap_matching_pairs_each_redrawn_word_with_its_own() -> None:
    found = segment_agreement(WORDS, REDRAWN)
    assert [(m.first, m.second) for m in found.matching.matches] == [
        (i, j) for j, i in enumerate(SOURCE) if i is not None
    ]
    assert found.matching.unmatched_first == (5,)
    assert found.matching.unmatched_second == (len(REDRAWN) - 1,)
    moved = np.array([[WORDS[i].start, WORDS[i].end] for i in SOURCE if i is not None])
    drawn = np.array([[w.start, w.end] for w in REDRAWN[:-1]])
    assert found.start.max == pytest.approx(np.abs(moved[:, 0] - drawn[:, 0]).max(), abs=1e-9)
    assert found.end.mean == pytest.approx(np.abs(moved[:, 1] - drawn[:, 1]).mean(), abs=1e-9)
    overlap = np.minimum(moved[:, 1], drawn[:, 1]) - np.maximum(moved[:, 0], drawn[:, 0])
    union = np.maximum(moved[:, 1], drawn[:, 1]) - np.minimum(moved[:, 0], drawn[:, 0])
    assert found.matching.mean_score == pytest.approx((overlap / union).mean(), abs=1e-9)


@pytest.mark.parametrize("tolerance", [None, 0.03, 0.2])
def test_block_wise_matching_equals_one_matching_of_the_whole_matrix(
    tolerance: float | None,
) -> None:
    # three annotators' words against the reference at once: many overlapping candidates
    second = REDRAWN + [
        Interval(start=w.start + 0.04 * (k % 3), end=w.end + 0.05) for k, w in enumerate(WORDS)
    ]
    found = segment_agreement(WORDS, second, tolerance=tolerance).matching
    a = np.array([[w.start, w.end] for w in WORDS])
    b = np.array([[w.start, w.end] for w in second])
    overlap = np.minimum(a[:, None, 1], b[None, :, 1]) - np.maximum(a[:, None, 0], b[None, :, 0])
    union = np.maximum(a[:, None, 1], b[None, :, 1]) - np.minimum(a[:, None, 0], b[None, :, 0])
    if tolerance is None:
        allowed = overlap > 0
    else:
        within = tolerance + ROUNDING
        allowed = (np.abs(a[:, None, 0] - b[None, :, 0]) <= within) & (
            np.abs(a[:, None, 1] - b[None, :, 1]) <= within
        )
    whole = optimal_matches(np.where(allowed, np.maximum(overlap, 0) / union, np.nan), 0.0)
    assert len(found.matches) == len(whole)
    assert sum(m.score for m in found.matches) == pytest.approx(
        sum(m.score for m in whole), abs=1e-9
    )


def test_segment_f1_by_hand() -> None:
    """Starts 0, 1, 2 against 0.05, 1.2, 2.1 and ends 1, 2, 3 against 0.95, 2, 3.1: at
    0.15 s the first and the last pair match (the middle start is 0.2 s off), so P = R =
    F1 = 2/3; start deviations 0.05 and 0.1, end deviations 0.05 and 0.1."""
    first = [Interval(start=0, end=1), Interval(start=1, end=2), Interval(start=2, end=3)]
    second = [
        Interval(start=0.05, end=0.95),
        Interval(start=1.2, end=2),
        Interval(start=2.1, end=3.1),
    ]
    found = segment_agreement(first, second, tolerance=0.15)
    assert [(m.first, m.second) for m in found.matching.matches] == [(0, 0), (2, 2)]
    assert found.matching.f1 == found.matching.precision == pytest.approx(2 / 3)
    assert found.start == Deviation(pytest.approx(0.075), pytest.approx(0.075), pytest.approx(0.1))  # type: ignore[arg-type]
    assert found.end.max == pytest.approx(0.1) and found.end.mean == pytest.approx(0.075)
    assert segment_agreement(first, second, tolerance=0.25).matching.f1 == 1.0


def test_optimal_matching_at_a_tolerance_keeps_both_pairs() -> None:
    """b1 lies within 0.06 s of both a1 and a2, b2 only of a2: a best-first pairing that
    takes a2-b1 (the closer pair) loses a1; the optimal one keeps a1-b1 and a2-b2."""
    first = [Interval(start=0, end=1), Interval(start=0.1, end=1.1)]
    second = [Interval(start=0.06, end=1.06), Interval(start=0.15, end=1.15)]
    found = segment_agreement(first, second, tolerance=0.06)
    assert [(m.first, m.second) for m in found.matching.matches] == [(0, 0), (1, 1)]
    # a1-b1's ends differ by 1.06 - 1 = 0.06000000000000005 s: within, rounding aside
    assert segment_agreement(first[:1], second[:1], tolerance=0.06).matching.f1 == 1.0
    assert segment_agreement(first[:1], second[:1], tolerance=0.0599).matching.f1 == 0.0


def test_nothing_on_either_side() -> None:
    found = segment_agreement([], [Interval(start=0, end=1)])
    assert found.matching == Matching((), 0, 1)
    assert found.matching.precision == 0.0 and np.isnan(found.matching.recall)
    assert np.isnan(found.start.mean) and np.isnan(found.end.max)
    with pytest.raises(ValueError, match="tolerance"):
        segment_agreement([], [], tolerance=-1)


# --- text spans -----------------------------------------------------------------------------

#: seqeval's README (github.com/chakki-works/seqeval): y_true ``O O O B-MISC I-MISC I-MISC
#: O B-PER I-PER`` and y_pred ``O O B-MISC I-MISC I-MISC I-MISC O B-PER I-PER`` give F1
#: 0.50, MISC 0.00 and PER 1.00. As spans over token indexes (our spans count code points;
#: the unit does not matter here): MISC [3, 6) and PER [7, 9) against MISC [2, 6), PER [7, 9).
SEQEVAL_TRUE = ([TextSpan(start=3, end=6), TextSpan(start=7, end=9)], ["MISC", "PER"])
SEQEVAL_PRED = ([TextSpan(start=2, end=6), TextSpan(start=7, end=9)], ["MISC", "PER"])


def test_exact_span_f1_reproduces_seqevals_example() -> None:
    (true, true_labels), (pred, pred_labels) = SEQEVAL_TRUE, SEQEVAL_PRED
    found = exact_span_matching(true, pred, true_labels, pred_labels)
    assert (found.precision, found.recall, found.f1) == (0.5, 0.5, 0.5)
    misc, person = per_class(true_labels, pred_labels, found)
    assert (misc.label, misc.f1, person.label, person.f1) == ("MISC", 0.0, "PER", 1.0)
    # overlapping spans match; MISC's IoU is 3/4
    assert overlap_span_matching(true, pred, true_labels, pred_labels).f1 == 1.0
    assert overlap_span_matching(true, pred, least_overlap=0.75).f1 == 1.0
    assert overlap_span_matching(true, pred, least_overlap=0.8).f1 == 0.5


def test_span_labels_count_only_when_given() -> None:
    """The demo's first sentence: "An astronaut" [0, 12) PERSON, "an orange suit" [16, 30)
    CLOTHING, "a flag" [45, 51) OBJECT. The second annotator marked "astronaut" [3, 12)
    PERSON, "an orange suit" as OBJECT and "a flag" as OBJECT twice over."""
    text = TIMINGS["sentences"][0]["text"]
    first = [TextSpan(start=0, end=12), TextSpan(start=16, end=30), TextSpan(start=45, end=51)]
    second = [
        TextSpan(start=3, end=12),
        TextSpan(start=16, end=30),
        TextSpan(start=45, end=51),
        TextSpan(start=45, end=51),
    ]
    assert [s.extract(text) for s in first] == ["An astronaut", "an orange suit", "a flag"]
    labels_a = ["PERSON", "CLOTHING", "OBJECT"]
    labels_b = ["PERSON", "OBJECT", "OBJECT", "OBJECT"]
    with_labels = exact_span_matching(first, second, labels_a, labels_b)
    assert [(m.first, m.second) for m in with_labels.matches] == [(2, 2)]
    without = exact_span_matching(first, second)
    assert [(m.first, m.second) for m in without.matches] == [(1, 1), (2, 2)]
    assert without.f1 == pytest.approx(4 / 7) and without.unmatched_second == (0, 3)
    overlapping = overlap_span_matching(first, second, labels_a, labels_b)
    assert [(m.first, m.second, m.score) for m in overlapping.matches] == [
        (0, 0, 9 / 12),
        (2, 2, 1.0),
    ]
    with pytest.raises(ValueError, match="both sides"):
        exact_span_matching(first, second, labels_a)
    with pytest.raises(ValueError, match="one label"):
        exact_span_matching(first, second, labels_a, labels_b[:2])
    with pytest.raises(ValueError, match="least_overlap"):
        overlap_span_matching(first, second, least_overlap=1.5)
