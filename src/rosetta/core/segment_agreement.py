"""Agreement of two people's temporal segments (intervals, transcript segments: seconds on
the reference timeline) and text spans (code points): one-to-one optimal matching
(`region_agreement.Matching` and its conventions), F1, and the boundary deviation of
matched segments. Pure: no I/O.

Segments and spans are intervals ``[start, end)``; two of them may only match when they
are close, so both sides are sorted together by start and cut wherever nothing before
reaches the next start: only items of one such block are compared, by numpy broadcasting,
and each block is matched on its own. The similarity of a pair (its ``score``) is the
intervals' IoU: overlap over the length of their union, 0 when they do not overlap.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rosetta.core.geometry import Interval, TextSpan, TranscriptSegment
from rosetta.core.matching import Match, Matching, optimal_matches

Segment = Interval | TranscriptSegment
Floats = NDArray[np.float64]
Indices = NDArray[np.intp]
#: Which pairs of a block may match: (starts, ends) of its first and second items → a
#: rows × columns boolean matrix.
Rule = Callable[[Floats, Floats, Floats, Floats], NDArray[np.bool_]]
#: Seconds by which a boundary difference may exceed the tolerance and still be within it:
#: float rounding (1.06 - 1 is 0.06000000000000005), far below any timing that matters.
ROUNDING = 1e-9


@dataclass(frozen=True)
class Deviation:
    """Absolute boundary differences of matched pairs, in the items' unit (seconds for
    segments): mean, median and largest; NaN without pairs."""

    mean: float
    median: float
    max: float

    @classmethod
    def of(cls, differences: Floats) -> "Deviation":
        """The deviation of `differences` (absolute values taken here)."""
        if differences.size == 0:
            return cls(np.nan, np.nan, np.nan)
        values = np.abs(differences)
        return cls(float(values.mean()), float(np.median(values)), float(values.max()))


@dataclass(frozen=True)
class SegmentAgreement:
    """Two sides' segments matched one-to-one (`matching`; scores are temporal IoUs) and
    the deviation of the matched pairs' starts and ends, in seconds."""

    matching: Matching
    start: Deviation
    end: Deviation


def segment_agreement(
    first: Sequence[Segment], second: Sequence[Segment], *, tolerance: float | None = None
) -> SegmentAgreement:
    """Match `first` with `second` and measure their boundaries. With a `tolerance`
    (seconds, ≥ 0) a pair may match when its starts and its ends each differ by at most
    `tolerance` (plus `ROUNDING`; segment F1 at that tolerance); without, when the
    segments overlap."""
    a, b = _bounds(first), _bounds(second)
    if tolerance is None:
        matching = _match(a, b, _overlapping(0.0), reach=0.0)
    elif tolerance >= 0:
        matching = _match(a, b, _within(tolerance + ROUNDING), reach=tolerance + ROUNDING)
    else:
        raise ValueError(f"the tolerance is a number of seconds ≥ 0, got {tolerance}")
    rows = np.array([m.first for m in matching.matches], dtype=np.intp)
    columns = np.array([m.second for m in matching.matches], dtype=np.intp)
    return SegmentAgreement(
        matching=matching,
        start=Deviation.of(a[0][rows] - b[0][columns]),
        end=Deviation.of(a[1][rows] - b[1][columns]),
    )


def exact_span_matching(
    first: Sequence[TextSpan],
    second: Sequence[TextSpan],
    first_labels: Sequence[str] | None = None,
    second_labels: Sequence[str] | None = None,
) -> Matching:
    """Match spans with the same start and end, and the same label when labels are given
    (without labels, labels are ignored): exact-match F1 as CoNLL scores entities."""

    def same(
        starts_a: Floats, ends_a: Floats, starts_b: Floats, ends_b: Floats
    ) -> NDArray[np.bool_]:
        same_bounds: NDArray[np.bool_] = (starts_a[:, None] == starts_b[None, :]) & (
            ends_a[:, None] == ends_b[None, :]
        )
        return same_bounds

    return _match(_bounds(first), _bounds(second), same, 0.0, _labels(first_labels, second_labels))


def overlap_span_matching(
    first: Sequence[TextSpan],
    second: Sequence[TextSpan],
    first_labels: Sequence[str] | None = None,
    second_labels: Sequence[str] | None = None,
    *,
    least_overlap: float = 0.0,
) -> Matching:
    """Match spans that overlap, and whose IoU (shared code points over the code points
    of either) is at least `least_overlap` (in [0, 1]); same label when labels are given."""
    if not 0 <= least_overlap <= 1:
        raise ValueError(f"least_overlap is a ratio in [0, 1], got {least_overlap}")
    return _match(
        _bounds(first),
        _bounds(second),
        _overlapping(least_overlap),
        0.0,
        _labels(first_labels, second_labels),
    )


def _overlapping(least: float) -> Rule:
    def rule(
        starts_a: Floats, ends_a: Floats, starts_b: Floats, ends_b: Floats
    ) -> NDArray[np.bool_]:
        overlap = np.minimum(ends_a[:, None], ends_b[None, :]) - np.maximum(
            starts_a[:, None], starts_b[None, :]
        )
        union = np.maximum(ends_a[:, None], ends_b[None, :]) - np.minimum(
            starts_a[:, None], starts_b[None, :]
        )
        allowed: NDArray[np.bool_] = (overlap > 0) & (overlap >= least * union)
        return allowed

    return rule


def _within(tolerance: float) -> Rule:
    def rule(
        starts_a: Floats, ends_a: Floats, starts_b: Floats, ends_b: Floats
    ) -> NDArray[np.bool_]:
        allowed: NDArray[np.bool_] = (
            np.abs(starts_a[:, None] - starts_b[None, :]) <= tolerance
        ) & (np.abs(ends_a[:, None] - ends_b[None, :]) <= tolerance)
        return allowed

    return rule


def _bounds(items: Sequence[Segment | TextSpan]) -> tuple[Floats, Floats]:
    starts = np.fromiter((item.start for item in items), dtype=np.float64, count=len(items))
    ends = np.fromiter((item.end for item in items), dtype=np.float64, count=len(items))
    return starts, ends


def _labels(
    first: Sequence[str] | None, second: Sequence[str] | None
) -> tuple[NDArray[np.object_], NDArray[np.object_]] | None:
    if first is None and second is None:
        return None
    if first is None or second is None:
        raise ValueError("give labels for both sides or for neither")
    return np.asarray(first, dtype=object), np.asarray(second, dtype=object)


def _match(
    a: tuple[Floats, Floats],
    b: tuple[Floats, Floats],
    rule: Rule,
    reach: float,
    labels: tuple[NDArray[np.object_], NDArray[np.object_]] | None = None,
) -> Matching:
    """Match the intervals `a` with `b` where `rule` allows (and labels are equal), block by
    block; `reach`: how far after its start an item may still match a later-starting one
    beyond its end."""
    (starts_a, ends_a), (starts_b, ends_b) = a, b
    if labels is not None and (len(labels[0]) != len(starts_a) or len(labels[1]) != len(starts_b)):
        raise ValueError("every item needs one label")
    matches: list[Match] = []
    for rows, columns in _blocks(
        starts_a,
        np.maximum(ends_a, starts_a + reach),
        starts_b,
        np.maximum(ends_b, starts_b + reach),
    ):
        sa, ea, sb, eb = starts_a[rows], ends_a[rows], starts_b[columns], ends_b[columns]
        allowed = rule(sa, ea, sb, eb)
        if labels is not None:
            allowed &= labels[0][rows][:, None] == labels[1][columns][None, :]
        overlap = np.minimum(ea[:, None], eb[None, :]) - np.maximum(sa[:, None], sb[None, :])
        union = np.maximum(ea[:, None], eb[None, :]) - np.minimum(sa[:, None], sb[None, :])
        similarity = np.where(allowed, np.maximum(overlap, 0.0) / union, np.nan)
        matches += [
            Match(int(rows[i]), int(columns[j]), score)
            for i, j, score in optimal_matches(similarity, 0.0)
        ]
    matches.sort()
    return Matching(tuple(matches), len(starts_a), len(starts_b))


def _blocks(
    starts_a: Floats, reach_a: Floats, starts_b: Floats, reach_b: Floats
) -> list[tuple[Indices, Indices]]:
    """Cut both sides, sorted together by start, where an item starts after every earlier
    one's reach; the blocks (indexes in `a`, indexes in `b`) that hold items of both."""
    starts = np.concatenate([starts_a, starts_b])
    if starts.size == 0:
        return []
    reaches = np.concatenate([reach_a, reach_b])
    order = np.argsort(starts, kind="stable")
    furthest = np.maximum.accumulate(reaches[order])
    cuts = np.flatnonzero(starts[order][1:] > furthest[:-1]) + 1
    count_a = len(starts_a)
    blocks: list[tuple[Indices, Indices]] = []
    for block in np.split(order, cuts):
        in_a = block < count_a
        if in_a.any() and not in_a.all():
            blocks.append((np.sort(block[in_a]), np.sort(block[~in_a] - count_a)))
    return blocks
