"""Matching two people's annotations of one sample: which geometries denote the same
object, and a greedy one-to-one pairing, best match first. Pure: no I/O. The workflow's
agreement (`rosetta.core.workflow.agreement`) and gold scoring
(`rosetta.core.gold_scoring`) both match this way.

Two geometries match when they are of the same type and: boxes and polygons on the same
frame with IoU of at least `MATCH_IOU`; text spans, intervals and transcript segments
overlapping; any other geometries always.
"""

from collections.abc import Callable, Sequence
from typing import TypeVar

import shapely

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
        iou = _iou(_shape(g), _shape(h))
        return iou if iou >= MATCH_IOU else None
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


def _shape(geometry: Box | Polygon) -> shapely.Geometry:
    if isinstance(geometry, Box):
        return shapely.box(geometry.x, geometry.y, geometry.x + geometry.w, geometry.y + geometry.h)
    return shapely.make_valid(shapely.Polygon(geometry.points))


def _iou(first: shapely.Geometry, second: shapely.Geometry) -> float:
    union = shapely.union(first, second).area
    return 0.0 if union == 0 else float(shapely.intersection(first, second).area / union)
