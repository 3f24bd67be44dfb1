"""Temporal annotation helpers: intervals snapped to a stream's frames, transcript segments
built from word timings, and the consensus of segment boundaries across annotators.

Times are seconds on the sample's reference timeline. Inputs take anything
`rosetta.core.timebase.exact` takes; results that become geometry are floats, as the
geometry stores them.
"""

import bisect
import heapq
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from rosetta.core.clock import Clock, ClockMap, SnapMode, compile_clock
from rosetta.core.geometry import Interval, TranscriptSegment, Word
from rosetta.core.timebase import TimeLike, exact


def snap_interval(interval: Interval, clock: Clock | ClockMap, how: SnapMode = "outer") -> Interval:
    """`interval` with its ends on the index boundaries of `clock` (see `ClockMap.snap`).

    The exact boundaries become floats that stay inside the same frames: the start rounds
    up and the end down (each float read as its shortest decimal, as `exact` reads it), so
    the result covers the same indices as the exact snap, and snapping it again returns it
    unchanged. Raises `ValueError` where `ClockMap.snap` does.
    """
    clock_map = clock if isinstance(clock, ClockMap) else compile_clock(clock)
    start, end = clock_map.snap(interval.start, interval.end, how)
    return Interval(start=_float_at_or_after(start), end=_float_at_or_before(end))


def segments_from_words(
    words: Iterable[tuple[str, TimeLike, TimeLike]], max_gap: TimeLike
) -> list[TranscriptSegment]:
    """Transcript segments from timed words ``(text, start, end)`` in time order.

    A new segment begins wherever the pause between one word's end and the next word's
    start is longer than `max_gap` seconds. A segment's text is its words joined by
    spaces and it spans its first word's start to its last word's end. Raises
    `ValueError` naming the word when words overlap, run backwards, or a segment would
    have no duration.
    """
    gap = exact(max_gap)
    if gap < 0:
        raise ValueError(f"max_gap must not be negative, got {max_gap!r}")
    groups: list[list[Word]] = []
    previous_end: Fraction | None = None
    for position, (text, start, end) in enumerate(words):
        first, last = exact(start), exact(end)
        if last < first:
            raise ValueError(
                f"word {position} ({text!r}) ends at {last} before it starts ({first})"
            )
        if previous_end is not None and first < previous_end:
            raise ValueError(
                f"word {position} ({text!r}) starts at {first}, before the previous word ends "
                f"({previous_end}); words must be in time order and must not overlap"
            )
        if previous_end is None or first - previous_end > gap:
            groups.append([])
        groups[-1].append(Word(text=text, start=float(first), end=float(last)))
        previous_end = last
    segments = []
    for group in groups:
        if group[-1].end <= group[0].start:
            raise ValueError(f"the segment of words {[w.text for w in group]} has no duration")
        text = " ".join(word.text for word in group)
        segments.append(
            TranscriptSegment(start=group[0].start, end=group[-1].end, text=text, words=group)
        )
    return segments


def word_index_at(segment: TranscriptSegment, t: TimeLike) -> int | None:
    """The position in ``segment.words`` of the word whose ``[start, end)`` holds `t`."""
    words = segment.words or []
    time = exact(t)
    index = bisect.bisect_right(words, time, key=lambda word: exact(word.start)) - 1
    if index < 0 or time >= exact(words[index].end):
        return None
    return index


def word_at(segment: TranscriptSegment, t: TimeLike) -> Word | None:
    """The word of `segment` whose ``[start, end)`` holds `t`, if any (exact comparisons)."""
    index = word_index_at(segment, t)
    return None if index is None or segment.words is None else segment.words[index]


@dataclass(frozen=True)
class Member:
    """One annotator's segment in a consensus: ``index`` is its position in their input."""

    annotator: str
    index: int
    start: float
    end: float


@dataclass(frozen=True)
class Spread:
    """How far the annotators' values of one boundary lie from its median.

    ``mad`` is the median absolute deviation and ``max`` the largest, in seconds; the
    ``*_frames`` fields are the same in whole indices of the clock given to
    `boundary_consensus` (each value and the median taken to their nearest index), else
    ``None``.
    """

    mad: float
    max: float
    mad_frames: float | None = None
    max_frames: int | None = None


@dataclass(frozen=True)
class Consensus:
    """One segment as the annotators agree on it.

    ``start`` and ``end`` are the medians of the members' boundaries (the mean of the two
    middle ones for an even count); ``members`` are the matched segments, one per
    annotator at most, in annotator order; ``missing`` the annotators without one;
    ``outliers`` the members (annotator names) with a boundary farther than the
    tolerance from its median.
    """

    start: float
    end: float
    start_spread: Spread
    end_spread: Spread
    members: tuple[Member, ...]
    missing: tuple[str, ...]
    outliers: tuple[str, ...]

    @property
    def support(self) -> float:
        """The share of annotators who marked this segment (0..1)."""
        return len(self.members) / (len(self.members) + len(self.missing))


def boundary_consensus(
    annotators: Mapping[str, Sequence[tuple[TimeLike, TimeLike]]],
    *,
    min_iou: float = 0.3,
    tolerance: float = 0.1,
    clock: Clock | ClockMap | None = None,
) -> list[Consensus]:
    """Segment-level consensus of several annotators' segment boundaries.

    `annotators` maps each annotator to their segments ``(start, end)`` in seconds (the
    segments of one annotator should not overlap each other). Segments are matched
    across annotators one annotator at a time, in name order: each annotator's segments
    are assigned one-to-one to the segments found so far (each represented by the median
    of its members' boundaries) by maximum total temporal IoU
    (`scipy.optimize.linear_sum_assignment`), taking only pairs with IoU >= `min_iou`; a
    segment left unassigned starts a new one. Only overlapping pairs are considered
    (found by a sweep over sorted boundaries) and the assignment is solved separately for
    each group of mutually overlapping segments, so long recordings cost about
    ``n log n``, not ``n²``.

    For each matched segment it reports the median start and end, their spread (median
    absolute and maximum deviation in seconds, and in frames of `clock` when given), the
    members, the annotators who missed it, and the outliers: members whose start or end
    lies more than `tolerance` seconds from the median. Results are in order of median
    start. An annotator with no segments counts as missing everywhere.
    """
    if not 0 < min_iou <= 1:
        raise ValueError(f"min_iou must lie in (0, 1], got {min_iou}")
    clock_map = clock if clock is None or isinstance(clock, ClockMap) else compile_clock(clock)
    names = sorted(annotators)
    clusters: list[list[Member]] = []
    for name in names:
        members = [_member(name, index, segment) for index, segment in enumerate(annotators[name])]
        found = [_median_span(cluster) for cluster in clusters]
        matched = _match([(member.start, member.end) for member in members], found, min_iou)
        for mine, theirs in matched:
            clusters[theirs].append(members[mine])
        taken = {mine for mine, _ in matched}
        clusters += [[member] for index, member in enumerate(members) if index not in taken]
    results = [_consensus(cluster, names, tolerance, clock_map) for cluster in clusters]
    return sorted(results, key=lambda result: (result.start, result.end))


def _member(annotator: str, index: int, segment: tuple[TimeLike, TimeLike]) -> Member:
    start, end = exact(segment[0]), exact(segment[1])
    if end <= start:
        raise ValueError(
            f"annotator {annotator!r}, segment {index}: end ({end}) must be after start ({start})"
        )
    return Member(annotator, index, float(start), float(end))


def _median_span(cluster: list[Member]) -> tuple[float, float]:
    return (
        float(np.median([member.start for member in cluster])),
        float(np.median([member.end for member in cluster])),
    )


def _iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    overlap = min(a[1], b[1]) - max(a[0], b[0])
    if overlap <= 0:
        return 0.0
    return overlap / (max(a[1], b[1]) - min(a[0], b[0]))


def _overlapping_pairs(
    left: Sequence[tuple[float, float]], right: Sequence[tuple[float, float]]
) -> list[tuple[int, int]]:
    """Every pair ``(i, j)`` with ``left[i]`` and ``right[j]`` overlapping, by one sweep.

    Intervals enter in start order; each is paired with the other side's intervals still
    open (those ending after it starts), which a heap by end time keeps current.
    """
    entries = sorted(
        [(start, 0, i, end) for i, (start, end) in enumerate(left)]
        + [(start, 1, j, end) for j, (start, end) in enumerate(right)]
    )
    open_: tuple[list[tuple[float, int]], list[tuple[float, int]]] = ([], [])
    pairs = []
    for start, side, index, end in entries:
        other = open_[1 - side]
        while other and other[0][0] <= start:
            heapq.heappop(other)
        for _, partner in other:
            pairs.append((index, partner) if side == 0 else (partner, index))
        heapq.heappush(open_[side], (end, index))
    return pairs


def _match(
    left: Sequence[tuple[float, float]], right: Sequence[tuple[float, float]], min_iou: float
) -> list[tuple[int, int]]:
    """A one-to-one matching of `left` to `right` of maximum total IoU, pairs >= `min_iou`."""
    scored = [(i, j, _iou(left[i], right[j])) for i, j in _overlapping_pairs(left, right)]
    scored = [(i, j, iou) for i, j, iou in scored if iou >= min_iou]
    if not scored:
        return []
    size = len(left) + len(right)
    rows = [i for i, _, _ in scored]
    columns = [len(left) + j for _, j, _ in scored]
    graph = coo_matrix((np.ones(len(scored)), (rows, columns)), shape=(size, size))
    _, component = connected_components(graph, directed=False)
    groups: dict[int, list[tuple[int, int, float]]] = {}
    for pair in scored:
        groups.setdefault(int(component[pair[0]]), []).append(pair)
    matched = []
    for pairs in groups.values():
        lefts = sorted({i for i, _, _ in pairs})
        rights = sorted({j for _, j, _ in pairs})
        row_of = {i: row for row, i in enumerate(lefts)}
        column_of = {j: column for column, j in enumerate(rights)}
        scores = np.zeros((len(lefts), len(rights)))
        for i, j, iou in pairs:
            scores[row_of[i], column_of[j]] = iou
        for row, column in zip(*linear_sum_assignment(scores, maximize=True), strict=True):
            if scores[row, column] >= min_iou:
                matched.append((lefts[row], rights[column]))
    return matched


def _consensus(
    cluster: list[Member], names: list[str], tolerance: float, clock: ClockMap | None
) -> Consensus:
    start, end = _median_span(cluster)
    starts = np.array([member.start for member in cluster])
    ends = np.array([member.end for member in cluster])
    present = {member.annotator for member in cluster}
    outliers = tuple(
        member.annotator
        for member in cluster
        if abs(member.start - start) > tolerance or abs(member.end - end) > tolerance
    )
    return Consensus(
        start=start,
        end=end,
        start_spread=_spread(starts, start, clock),
        end_spread=_spread(ends, end, clock),
        members=tuple(cluster),
        missing=tuple(name for name in names if name not in present),
        outliers=outliers,
    )


def _spread(values: NDArray[np.float64], median: float, clock: ClockMap | None) -> Spread:
    deviation = np.abs(values - median)
    if clock is None:
        return Spread(mad=float(np.median(deviation)), max=float(deviation.max()))
    centre = clock.index_at(median, "nearest")
    frames = np.array([abs(clock.index_at(value, "nearest") - centre) for value in values.tolist()])
    return Spread(
        mad=float(np.median(deviation)),
        max=float(deviation.max()),
        mad_frames=float(np.median(frames)),
        max_frames=int(frames.max()),
    )


def _float_at_or_after(value: Fraction) -> float:
    """The smallest float whose exact (shortest decimal) value is at least `value`."""
    result = float(value)
    while exact(result) < value:  # float() rounds to nearest: at most one step
        result = math.nextafter(result, math.inf)
    return result


def _float_at_or_before(value: Fraction) -> float:
    """The largest float whose exact (shortest decimal) value is at most `value`."""
    result = float(value)
    while exact(result) > value:  # float() rounds to nearest: at most one step
        result = math.nextafter(result, -math.inf)
    return result
