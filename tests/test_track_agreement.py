"""Track agreement on the CVAT video fixture's box track and a polygon track made of the
fixture's point coordinates: per-frame IoU against shapely on `shape_at`'s shapes, the
union of spans, and matching several tracks on each side."""

import numpy as np
import pytest
import shapely

from conftest import SHARED
from rosetta.core.geometry import Box, Polygon, Track, TrackFrame
from rosetta.core.track_agreement import match_tracks, track_agreement
from rosetta.core.tracks import shape_at
from rosetta.formats.cvat_video import read_tracks

FIXTURE = (
    SHARED / "fixtures" / "formats" / "cvat_video" / "openvinotoolkit__datumaro" / "annotations.xml"
)
#: The fixture's box track: a box on frame 10, interpolated towards frame 13, where it
#: leaves view (and an outside key frame on 16); the task's frames run to 19.
BOXES = next(read_tracks(FIXTURE)).geometry
LAST_FRAME = 19
#: The fixture's points track (frames 10 and 13) as the vertices of a polygon track that
#: stays in view until the outside key frame on 16.
POLYGONS = Track(
    shape="polygon",
    keyframes=[
        TrackFrame(frame=10, points=[(21.95, 8.00), (2.55, 15.09), (2.23, 3.16)]),
        TrackFrame(frame=13, points=[(21.95, 8.00), (9.55, 15.09), (5.23, 1.16)]),
        TrackFrame(frame=16, points=[(21.95, 8.00), (9.55, 15.09), (5.23, 1.16)], outside=True),
    ],
)


def _moved(
    track: Track, dx: float = 0.0, dy: float = 0.0, frames: int = 0, grow: float = 1.0
) -> Track:
    """`track` moved by (dx, dy) pixels and `frames` frames, boxes `grow` times as wide."""
    keys = []
    for key in track.keyframes:
        change: dict[str, object]
        if key.points is not None:
            change = {"points": [(x + dx, y + dy) for x, y in key.points]}
        else:
            assert key.x is not None and key.y is not None and key.w is not None
            change = {"x": key.x + dx, "y": key.y + dy, "w": key.w * grow}
        keys.append(key.model_copy(update={**change, "frame": key.frame + frames}))
    return Track(shape=track.shape, keyframes=keys)


def _shapely_iou(track: Track, other: Track, frame: int) -> float:
    """IoU of the two tracks' shapes on `frame` by shapely, 0 where one is absent."""
    shapes = []
    for t in (track, other):
        shape = shape_at(t, frame)
        if isinstance(shape, Box):
            shapes.append(shapely.box(shape.x, shape.y, shape.x + shape.w, shape.y + shape.h))
        elif isinstance(shape, Polygon):
            shapes.append(shapely.Polygon(shape.points))
    if len(shapes) < 2:
        return 0.0
    a, b = shapes
    return float(a.intersection(b).area / a.union(b).area)


def test_a_moved_copy_of_the_fixture_box_track() -> None:
    assert BOXES is not None
    copy = _moved(BOXES, dx=1.5, dy=-0.5, grow=1.1)
    found = track_agreement(BOXES, copy)
    assert found.frames.tolist() == [10, 11, 12]
    expected = [_shapely_iou(BOXES, copy, f) for f in (10, 11, 12)]
    np.testing.assert_allclose(found.ious, expected, rtol=0, atol=1e-9)
    assert found.mean_iou == pytest.approx(np.mean(expected), abs=1e-9)
    assert 0 < found.mean_iou < 1
    assert track_agreement(BOXES, BOXES).ious.tolist() == pytest.approx([1.0] * 3, abs=1e-12)


def test_a_copy_one_frame_late_counts_the_frames_only_one_track_covers_as_zero() -> None:
    assert BOXES is not None
    late = _moved(BOXES, frames=1)
    found = track_agreement(BOXES, late)
    assert found.frames.tolist() == [10, 11, 12, 13]
    assert found.ious[0] == found.ious[3] == 0.0
    expected = [_shapely_iou(BOXES, late, f) for f in range(10, 14)]
    np.testing.assert_allclose(found.ious, expected, rtol=0, atol=1e-9)
    assert found.mean_iou == pytest.approx(sum(expected) / 4, abs=1e-9)


def test_a_track_left_in_view_runs_to_the_streams_last_frame() -> None:
    assert BOXES is not None
    held = Track(keyframes=[BOXES.keyframes[0]])  # never leaves view
    found = track_agreement(BOXES, held, last_frame=LAST_FRAME)
    assert found.frames.tolist() == list(range(10, LAST_FRAME + 1))
    expected = [_shapely_iou(BOXES, held, f) for f in found.frames.tolist()]
    np.testing.assert_allclose(found.ious, expected, rtol=0, atol=1e-9)
    assert found.ious[3:].tolist() == [0.0] * 7  # only the held box is there
    # without the stream's end, a track's span ends at its last key frame
    assert track_agreement(BOXES, held).frames.tolist() == [10, 11, 12]
    assert track_agreement(held, held, last_frame=11).frames.tolist() == [10, 11]


def test_frames_where_both_are_absent_are_skipped() -> None:
    assert BOXES is not None
    back = BOXES.keyframes[0].model_copy(update={"frame": 16})
    gone = TrackFrame(frame=17, x=3, y=4, w=7, h=1, outside=True)
    returning = Track(keyframes=[*BOXES.keyframes[:2], back, gone])
    found = track_agreement(returning, _moved(returning, dx=2))
    assert found.frames.tolist() == [10, 11, 12, 16]
    expected = [_shapely_iou(returning, _moved(returning, dx=2), f) for f in (10, 11, 12, 16)]
    np.testing.assert_allclose(found.ious, expected, rtol=0, atol=1e-9)


def test_polygon_tracks_per_frame_against_shapely() -> None:
    moved = _moved(POLYGONS, dx=0.5, dy=0.25, frames=1)
    found = track_agreement(POLYGONS, moved)
    assert found.frames.tolist() == list(range(10, 17))
    expected = [_shapely_iou(POLYGONS, moved, f) for f in range(10, 17)]
    np.testing.assert_allclose(found.ious, expected, rtol=0, atol=1e-9)
    assert found.ious[0] == found.ious[-1] == 0.0 and min(found.ious[1:-1]) > 0.5


def test_matching_tracks_by_mean_iou() -> None:
    assert BOXES is not None
    first = [BOXES, POLYGONS, _moved(BOXES, frames=100)]
    second = [_moved(POLYGONS, dx=0.5), _moved(BOXES, dx=1.0), _moved(BOXES, frames=300)]
    found = match_tracks(first, second)
    assert [(m.first, m.second) for m in found.matches] == [(0, 1), (1, 0)]
    for m in found.matches:
        expected = track_agreement(first[m.first], second[m.second]).mean_iou
        assert m.score == pytest.approx(expected, abs=1e-12)
    assert found.unmatched_first == (2,) and found.unmatched_second == (2,)
    assert found.f1 == pytest.approx(2 / 3)
    strict = match_tracks(first, second, least=0.9)
    assert [(m.first, m.second) for m in strict.matches] == [
        (m.first, m.second) for m in found.matches if m.score >= 0.9
    ]


def test_what_cannot_be_compared() -> None:
    assert BOXES is not None
    cuboids = Track(
        shape="cuboid", keyframes=[TrackFrame(frame=0, center=(0, 0, 0), size=(1, 1, 1))]
    )
    with pytest.raises(ValueError, match="box track cannot be compared with a polygon"):
        track_agreement(BOXES, POLYGONS)
    with pytest.raises(ValueError, match="cuboid"):
        track_agreement(cuboids, cuboids)
    with pytest.raises(ValueError, match="least"):
        match_tracks([BOXES], [BOXES], least=0)
    assert match_tracks([], [BOXES]).matches == ()
