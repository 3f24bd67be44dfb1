"""Agreement of two people's tracks on one video: the per-frame IoU of two tracks over
their interpolated shapes, its mean, and the one-to-one matching of several tracks on each
side by that mean. Pure: no I/O.

A track shows a shape on every frame where `rosetta.core.tracks` says the object is
present (key frames interpolated, absent before the first key frame and from an outside
key frame on). Two tracks are compared on every frame of the union of their spans where
at least one is present: IoU of the two shapes where both are, 0 where only one is;
frames where both are absent are skipped. A track whose last key frame is not outside
stays in view to the stream's end: pass the stream's last frame as `last_frame`, or its
span ends at its last key frame. Box tracks are compared by arithmetic over numpy arrays,
polygon tracks with shapely (``make_valid`` first); cuboid tracks are not compared here.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from rosetta.core.geometry import Track
from rosetta.core.matching import MATCH_IOU, Matching, optimal_matches
from rosetta.core.tracks import densify

Floats = NDArray[np.float64]
Frames = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class TrackAgreement:
    """Per-frame IoU of two tracks: ``frames`` (increasing) where either is present and
    ``ious`` on them (0 where only one is); ``mean_iou`` their mean (NaN without frames)."""

    frames: Frames
    ious: Floats

    @property
    def mean_iou(self) -> float:
        """Mean of the per-frame IoUs (NaN when neither track is ever present)."""
        return float(self.ious.mean()) if self.ious.size else np.nan


@dataclass(frozen=True, eq=False)
class _Presence:
    """Where a track is present: its frames (increasing) and its shape on each, as rows
    ``x, y, w, h`` (boxes) or shapely polygons."""

    kind: str
    frames: Frames
    shapes: NDArray[np.float64] | NDArray[np.object_]

    @classmethod
    def of(cls, track: Track, last_frame: int | None) -> "_Presence":
        if track.kind == "cuboid":
            raise ValueError("cuboid tracks are not compared by image IoU")
        present = [
            key
            for key in densify(track, end=last_frame).keyframes
            if not key.outside and (last_frame is None or key.frame <= last_frame)
        ]
        frames = np.array([key.frame for key in present], dtype=np.int64)
        if track.kind == "box":
            boxes = np.array([(k.x, k.y, k.w, k.h) for k in present], dtype=np.float64)
            return cls("box", frames, boxes.reshape(-1, 4))
        polygons = shapely.make_valid(
            np.array([shapely.Polygon(k.points) for k in present], dtype=object)
        )
        return cls("polygon", frames, polygons)


def track_agreement(
    first: Track, second: Track, *, last_frame: int | None = None
) -> TrackAgreement:
    """Per-frame IoU of two tracks of one shape (boxes or polygons) over the union of
    their spans (see the module's conventions); `last_frame`: the stream's last frame."""
    if first.kind != second.kind:
        raise ValueError(f"a {first.kind} track cannot be compared with a {second.kind} track")
    return _agreement(_Presence.of(first, last_frame), _Presence.of(second, last_frame))


def _agreement(a: _Presence, b: _Presence) -> TrackAgreement:
    frames = np.union1d(a.frames, b.frames)
    ious = np.zeros(frames.size)
    _, in_a, in_b = np.intersect1d(a.frames, b.frames, assume_unique=True, return_indices=True)
    both = np.searchsorted(frames, a.frames[in_a])
    ious[both] = _paired_iou(a, b, in_a, in_b)
    return TrackAgreement(frames, ious)


def _paired_iou(
    a: _Presence, b: _Presence, rows_a: NDArray[np.intp], rows_b: NDArray[np.intp]
) -> Floats:
    """IoU of ``a.shapes[rows_a[k]]`` and ``b.shapes[rows_b[k]]`` for each ``k``."""
    if a.kind == "box":
        x, y, w, h = np.asarray(a.shapes, dtype=np.float64)[rows_a].T
        u, v, s, t = np.asarray(b.shapes, dtype=np.float64)[rows_b].T
        width = np.clip(np.minimum(x + w, u + s) - np.maximum(x, u), 0.0, None)
        height = np.clip(np.minimum(y + h, v + t) - np.maximum(y, v), 0.0, None)
        intersection = width * height
        union = w * h + s * t - intersection
    else:
        first, second = a.shapes[rows_a], b.shapes[rows_b]
        intersection = shapely.area(shapely.intersection(first, second))
        union = shapely.area(first) + shapely.area(second) - intersection
    result: Floats = np.divide(
        intersection, union, out=np.zeros_like(intersection), where=union > 0
    )
    return result


def match_tracks(
    first: Sequence[Track],
    second: Sequence[Track],
    *,
    least: float = MATCH_IOU,
    last_frame: int | None = None,
) -> Matching:
    """Match `first` with `second` one-to-one by mean per-frame IoU (the match's
    ``score``), pairs of at least `least` (in (0, 1]): the most pairs, then the greatest
    total. Tracks of different shapes, or whose spans do not meet, never match."""
    if not 0 < least <= 1:
        raise ValueError(f"least is a mean IoU in (0, 1], got {least}")
    a = [_Presence.of(track, last_frame) for track in first]
    b = [_Presence.of(track, last_frame) for track in second]
    scores = np.full((len(a), len(b)), np.nan)
    spans_a, spans_b = _spans(a), _spans(b)
    meet = (spans_a[:, None, 0] <= spans_b[None, :, 1]) & (
        spans_b[None, :, 0] <= spans_a[:, None, 1]
    )
    for i, j in zip(*np.nonzero(meet), strict=True):
        if a[i].kind == b[j].kind:
            scores[i, j] = _agreement(a[i], b[j]).mean_iou
    return Matching(tuple(optimal_matches(scores, least)), len(a), len(b))


def _spans(presences: list[_Presence]) -> Frames:
    """First and last present frame of each track (rows; an empty span never meets)."""
    spans = np.array(
        [(p.frames[0], p.frames[-1]) if p.frames.size else (1, 0) for p in presences],
        dtype=np.int64,
    )
    return spans.reshape(-1, 2)
