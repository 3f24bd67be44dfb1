"""Matching two people's annotations of one sample: which geometries denote the same
object, and a greedy one-to-one pairing, best match first. Pure: no I/O. The workflow's
agreement (`rosetta.core.workflow.agreement`) and gold scoring
(`rosetta.core.gold_scoring`) both match this way.

Agreement measures describe a matching as `Matching` (``first`` is the reference:
precision is the share of ``second`` matched, recall the share of ``first``, so F1 ``=
2·matches / (len(first) + len(second))`` is symmetric; a ratio whose denominator is 0 is
NaN). `optimal_pairs` is the maximum-weight one-to-one matching (scipy's
`linear_sum_assignment`) that agreement measures use; `greedy_pairs` the cheaper best-first
pairing of the workflow's routing and gold feedback.

Two geometries match when they are of the same type and: boxes and polygons on the same
frame with IoU of at least `MATCH_IOU`; text spans, intervals and transcript segments
overlapping; any other geometries always.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment

from rosetta.core.geometry import Box, Geometry, Interval, Polygon, TextSpan, TranscriptSegment

#: The least intersection over union at which two boxes or polygons are the same object.
MATCH_IOU = 0.5

T = TypeVar("T")
U = TypeVar("U")


def similarity(g: Geometry, h: Geometry) -> float | None:
    """How alike two geometries are (higher is more, at most 1), ``None`` when they do
    not match."""
    if g.type != h.type:
        return None
    if isinstance(g, Box | Polygon) and isinstance(h, Box | Polygon):
        if g.frame != h.frame:
            return None
        found = iou(g, h)
        return found if found >= MATCH_IOU else None
    if isinstance(g, TextSpan | Interval | TranscriptSegment) and isinstance(
        h, TextSpan | Interval | TranscriptSegment
    ):
        overlap = min(g.end, h.end) - max(g.start, h.start)
        if overlap <= 0:
            return None
        return overlap / (max(g.end, h.end) - min(g.start, h.start))
    return 1.0


def greedy_pairs(
    first: Sequence[T], second: Sequence[U], similar: Callable[[T, U], float | None]
) -> list[tuple[int, int]]:
    """The pairs (index in `first`, index in `second`) that `similar` matches, each item
    in at most one pair, taken best first (ties: higher indexes first)."""
    scored = sorted(
        (
            (score, i, j)
            for i, a in enumerate(first)
            for j, b in enumerate(second)
            if (score := similar(a, b)) is not None
        ),
        reverse=True,
    )
    used_first: set[int] = set()
    used_second: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for _, i, j in scored:
        if i not in used_first and j not in used_second:
            used_first.add(i)
            used_second.add(j)
            pairs.append((i, j))
    return pairs


def optimal_pairs(scores: ArrayLike, *, least: float = 0.0) -> list[tuple[int, int]]:
    """The one-to-one pairs (row, column) of the `scores` matrix (rows × columns, NaN where
    a pair may not match) that maximise the total score (scipy's `linear_sum_assignment`),
    keeping only pairs scoring at least `least`; sorted by row."""
    matrix = np.asarray(scores, dtype=float)
    if matrix.ndim != 2:
        raise ValueError("scores is a rows x columns matrix")
    if matrix.size == 0:
        return []
    allowed = ~np.isnan(matrix) & (matrix >= least)
    # A forbidden pair costs more than every allowed one together, so the assignment takes
    # as many allowed pairs as it can before weighing scores; it is dropped afterwards.
    floor = -(np.abs(np.where(allowed, matrix, 0.0)).sum() + 1.0)
    rows, columns = linear_sum_assignment(np.where(allowed, matrix, floor), maximize=True)
    return [
        (int(row), int(column))
        for row, column in zip(rows, columns, strict=True)
        if allowed[row, column]
    ]


class Match(NamedTuple):
    """One matched pair: indexes into ``first`` and ``second`` and their similarity."""

    first: int
    second: int
    score: float


@dataclass(frozen=True)
class Matching:
    """A one-to-one matching of ``first_count`` reference items with ``second_count``
    compared ones; ``matches`` sorted by their index in ``first``."""

    matches: tuple[Match, ...]
    first_count: int
    second_count: int

    @property
    def unmatched_first(self) -> tuple[int, ...]:
        """Indexes of ``first`` without a match (misses against a reference)."""
        return _unmatched(self.first_count, [m.first for m in self.matches])

    @property
    def unmatched_second(self) -> tuple[int, ...]:
        """Indexes of ``second`` without a match (false alarms against a reference)."""
        return _unmatched(self.second_count, [m.second for m in self.matches])

    @property
    def precision(self) -> float:
        """Share of ``second`` matched (NaN when ``second`` is empty)."""
        return ratio(len(self.matches), self.second_count)

    @property
    def recall(self) -> float:
        """Share of ``first`` matched (NaN when ``first`` is empty)."""
        return ratio(len(self.matches), self.first_count)

    @property
    def f1(self) -> float:
        """``2·matches / (first_count + second_count)`` (NaN when both are empty)."""
        return ratio(2 * len(self.matches), self.first_count + self.second_count)

    @property
    def mean_score(self) -> float:
        """Mean similarity of the matches (NaN without any)."""
        return float(np.mean([m.score for m in self.matches])) if self.matches else np.nan


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when the denominator is 0."""
    return numerator / denominator if denominator else np.nan


def _unmatched(count: int, matched: list[int]) -> tuple[int, ...]:
    return tuple(np.setdiff1d(np.arange(count), matched).tolist())


def optimal_matches(similarity: NDArray[np.float64], least: float) -> list[Match]:
    """The largest one-to-one matching of `similarity` (rows × columns, NaN: may not
    match; values in [0, 1]) keeping pairs of at least `least`, of greatest total
    similarity among the largest; sorted by row."""
    pairs = optimal_pairs(similarity, least=least)
    return [Match(i, j, float(similarity[i, j])) for i, j in pairs]


def similarity_matrix(
    first: Sequence[T], second: Sequence[U], similar: Callable[[T, U], float | None]
) -> np.ndarray:
    """`similar` of every pair as a len(first) × len(second) matrix, NaN where it is ``None``."""
    matrix = np.full((len(first), len(second)), np.nan)
    for i, a in enumerate(first):
        for j, b in enumerate(second):
            score = similar(a, b)
            if score is not None:
                matrix[i, j] = score
    return matrix


def iou(first: Box | Polygon, second: Box | Polygon) -> float:
    """The intersection over union of two regions (frames aside): two boxes by arithmetic,
    far cheaper than shapely, which measures the rest (0 when both are empty)."""
    if isinstance(first, Box) and isinstance(second, Box):
        width = min(first.x + first.w, second.x + second.w) - max(first.x, second.x)
        height = min(first.y + first.h, second.y + second.h) - max(first.y, second.y)
        overlap = max(width, 0.0) * max(height, 0.0)
        union = first.area() + second.area() - overlap
        return 0.0 if union == 0 else overlap / union
    a, b = _shape(first), _shape(second)
    area = shapely.union(a, b).area
    return 0.0 if area == 0 else float(shapely.intersection(a, b).area / area)


def _shape(geometry: Box | Polygon) -> shapely.Geometry:
    if isinstance(geometry, Box):
        return shapely.box(geometry.x, geometry.y, geometry.x + geometry.w, geometry.y + geometry.h)
    return shapely.make_valid(shapely.Polygon(geometry.points))
