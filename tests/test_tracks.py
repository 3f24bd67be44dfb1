"""Track geometry and interpolation: the shape on any frame, dense and sparse forms, proposals."""

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from rosetta.core.geometry import Box, Cuboid, Geometry, Polygon, Track, TrackFrame
from rosetta.core.tracks import (
    HALF_LIFE,
    densify,
    key_of,
    propose,
    shape_at,
    sparsify,
    with_keyframe,
)
from strategies import tracks

GEOMETRY: TypeAdapter[Any] = TypeAdapter(Geometry)

#: Tracks whose interpolated values stay well inside float range, on few frames.
small_tracks = tracks(
    max_frame=60,
    coordinates=st.floats(-1e4, 1e4, allow_nan=False),
    sizes=st.floats(1e-2, 1e4),
    interpolated=True,
)


def _box_track(*keys: tuple[int, float, float, float, float, bool]) -> Track:
    return Track(
        keyframes=[
            TrackFrame(frame=f, x=x, y=y, w=w, h=h, outside=out) for f, x, y, w, h, out in keys
        ]
    )


def _values(track: Track, frame: TrackFrame) -> Box | Polygon | Cuboid:
    """A frame of `track` as the shape `shape_at` would give for it."""
    if track.kind == "box":
        return Box(x=frame.x, y=frame.y, w=frame.w, h=frame.h, frame=frame.frame)
    if track.kind == "polygon":
        return Polygon(points=frame.points, frame=frame.frame)
    return Cuboid(center=frame.center, size=frame.size, rotation=frame.rotation or (0.0, 0.0, 0.0))


# --- the geometry model ---------------------------------------------------------------------


def test_old_box_tracks_keep_their_bytes_and_box_has_one_spelling() -> None:
    old = (
        '{"type":"track","keyframes":[{"frame":0,"x":1.0,"y":2.0,"w":3.0,"h":4.0,"outside":false}]}'
    )
    track = GEOMETRY.validate_json(old)
    assert track.kind == "box"
    assert track.model_dump_json(exclude_none=True) == old
    spelled = GEOMETRY.validate_json(old.replace('"track",', '"track","shape":"box",'))
    assert spelled == track


@pytest.mark.parametrize(
    ("shape", "frame", "message"),
    [
        pytest.param(
            "polygon",
            {"frame": 3, "x": 0, "y": 0, "w": 1, "h": 1},
            r"keyframes\[1\] \(frame 3\): a polygon track's frames carry points; "
            r"this one missing points and has x, y, w, h",
            id="box frame in a polygon track",
        ),
        pytest.param(
            None,
            {"frame": 3, "x": 0, "y": 0, "w": 1},
            r"keyframes\[1\] \(frame 3\): a box track's frames carry x, y, w, h; this one missing h",
            id="box frame without h",
        ),
        pytest.param(
            "cuboid",
            {"frame": 3, "center": [0, 0, 0], "size": [1, 1, 1], "points": [[0, 0]] * 3},
            r"keyframes\[1\] \(frame 3\): a cuboid track's frames carry center, size, rotation; "
            r"this one has points",
            id="points in a cuboid track",
        ),
        pytest.param(
            "cuboid",
            {"frame": 3, "center": [0, 0, 0], "size": [1, 0, 1]},
            "cuboid size must be positive",
            id="flat cuboid frame",
        ),
        pytest.param(
            None,
            {"frame": 3, "x": 0, "y": 0, "w": 1, "h": 1, "outside": True, "interpolated": True},
            r"keyframes\[1\] \(frame 3\): an interpolated frame cannot be outside",
            id="interpolated outside",
        ),
    ],
)
def test_frames_must_fit_the_track_shape(
    shape: str | None, frame: dict[str, Any], message: str
) -> None:
    first = {
        None: {"frame": 0, "x": 0, "y": 0, "w": 1, "h": 1},
        "polygon": {"frame": 0, "points": [[0, 0], [1, 0], [0, 1]]},
        "cuboid": {"frame": 0, "center": [0, 0, 0], "size": [1, 1, 1]},
    }[shape]
    with pytest.raises(ValidationError, match=message):
        GEOMETRY.validate_python({"type": "track", "shape": shape, "keyframes": [first, frame]})


def test_a_track_begins_with_a_key_frame() -> None:
    with pytest.raises(ValidationError, match=r"keyframes\[0\] \(frame 4\) must be a key frame"):
        Track(keyframes=[TrackFrame(frame=4, x=0, y=0, w=1, h=1, interpolated=True)])


# --- what a track shows ---------------------------------------------------------------------


def test_box_interpolation_against_hand_computed_values() -> None:
    track = _box_track(
        (10, 0.0, 100.0, 20.0, 40.0, False),
        (20, 50.0, 80.0, 40.0, 40.0, False),
        (24, 10.0, 10.0, 10.0, 10.0, True),
        (30, 5.0, 5.0, 5.0, 5.0, False),
    )
    assert shape_at(track, 9) is None  # before the first key frame
    assert shape_at(track, 10) == Box(x=0, y=100, w=20, h=40, frame=10)
    # t = 3/10: x = 0 + 50 * 0.3, y = 100 - 20 * 0.3, w = 20 + 20 * 0.3
    assert shape_at(track, 13) == Box(x=15.0, y=94.0, w=26.0, h=40.0, frame=13)
    # towards the outside key frame (CVAT's rule): t = 2/4 from (50, 80, 40, 40) to (10, 10, 10, 10)
    assert shape_at(track, 22) == Box(x=30.0, y=45.0, w=25.0, h=25.0, frame=22)
    assert [shape_at(track, f) for f in range(24, 30)] == [None] * 6  # outside until frame 30
    # after the last key frame the object stays
    assert shape_at(track, 1000) == Box(x=5, y=5, w=5, h=5, frame=1000)


def test_interpolated_frames_are_ignored() -> None:
    track = Track(
        keyframes=[
            TrackFrame(frame=0, x=0, y=0, w=10, h=10),
            TrackFrame(frame=1, x=99, y=99, w=99, h=99, interpolated=True),
            TrackFrame(frame=4, x=4, y=0, w=10, h=10),
        ]
    )
    assert shape_at(track, 1) == Box(x=1, y=0, w=10, h=10, frame=1)


def test_polygon_vertices_move_linearly_or_hold_when_counts_differ() -> None:
    track = Track(
        shape="polygon",
        keyframes=[
            TrackFrame(frame=0, points=[(0, 0), (10, 0), (0, 10)]),
            TrackFrame(frame=4, points=[(4, 8), (14, 0), (0, 30)]),
            TrackFrame(frame=8, points=[(0, 0), (1, 0), (1, 1), (0, 1)]),
        ],
    )
    assert shape_at(track, 1) == Polygon(points=[(1, 2), (11, 0), (0, 15)], frame=1)
    assert shape_at(track, 3) == Polygon(points=[(3, 6), (13, 0), (0, 25)], frame=3)
    # 3 vertices, then 4: the earlier polygon is held until frame 8
    assert shape_at(track, 7) == Polygon(points=[(4, 8), (14, 0), (0, 30)], frame=7)
    assert shape_at(track, 8) == Polygon(points=[(0, 0), (1, 0), (1, 1), (0, 1)], frame=8)


@pytest.mark.parametrize(("start", "end"), [(3.0, -3.0), (-3.0, 3.0), (0.1, 2 * math.pi - 0.1)])
def test_cuboid_angles_take_the_short_way(start: float, end: float) -> None:
    track = Track(
        shape="cuboid",
        keyframes=[
            TrackFrame(frame=0, center=(0, 0, 0), size=(4, 2, 1.5), rotation=(0, start, start)),
            TrackFrame(frame=4, center=(8, 4, 0), size=(4, 2, 2.5), rotation=(0, end, end)),
        ],
    )
    short = math.remainder(end - start, 2 * math.pi)
    assert abs(short) < 1  # across ±π (or 0/2π) the short way is under a radian here
    middle = shape_at(track, 2)
    assert isinstance(middle, Cuboid)
    assert middle.center == (4, 2, 0)
    assert middle.size == (4, 2, 2)
    assert middle.rotation[0] == 0
    assert middle.rotation[1] == pytest.approx(start + short / 2)
    assert middle.rotation[2] == pytest.approx(start + short / 2)
    assert shape_at(track, 4) == Cuboid(center=(8, 4, 0), size=(4, 2, 2.5), rotation=(0, end, end))


@given(small_tracks)
def test_shape_at_a_key_frame_is_that_key_frame(track: Track) -> None:
    for key in track.keyframes:
        if key.is_key:
            expected = None if key.outside else _values(track, key)
            shape = shape_at(track, key.frame)
            assert shape == expected
            if shape is not None and expected is not None:  # to the bit, -0.0 included
                assert shape.model_dump_json() == expected.model_dump_json()


# --- dense and sparse -----------------------------------------------------------------------


@given(small_tracks, st.integers(0, 80))
def test_densify_fills_every_present_frame_with_what_shape_at_shows(
    track: Track, beyond: int
) -> None:
    keys = [key for key in track.keyframes if key.is_key]
    end = keys[-1].frame + beyond
    dense = densify(track, end=end)
    assert [key for key in dense.keyframes if key.is_key] == keys
    filled = {key.frame: key for key in dense.keyframes if key.interpolated}
    for frame in range(keys[0].frame, end + 1):
        shape = shape_at(track, frame)
        if frame in filled:
            assert shape == _values(track, filled[frame])
        else:
            assert shape is None or frame in {key.frame for key in keys}


@given(small_tracks)
def test_densify_then_sparsify_gives_the_key_frames_back(track: Track) -> None:
    keys = Track(shape=track.shape, keyframes=[key for key in track.keyframes if key.is_key])
    assert sparsify(densify(track)) == keys
    assert sparsify(track) == keys


@given(small_tracks, st.sampled_from([0.0, 0.5, 5.0]))
def test_sparsify_with_a_tolerance_keeps_what_the_track_shows(
    track: Track, tolerance: float
) -> None:
    dense = densify(track)
    # every frame a key frame, as a track drawn on every frame is
    every = Track(
        shape=track.shape,
        keyframes=[key.model_copy(update={"interpolated": None}) for key in dense.keyframes],
    )
    sparse = sparsify(every, tolerance)
    assert {key.frame for key in sparse.keyframes} <= {key.frame for key in every.keyframes}
    last = every.keyframes[-1].frame
    for frame in range(every.keyframes[0].frame, last + 1):
        wanted, got = shape_at(every, frame), shape_at(sparse, frame)
        assert (wanted is None) == (got is None)
        if wanted is not None and got is not None:
            assert _close(wanted, got, tolerance), frame


def _close(a: Box | Polygon | Cuboid, b: Box | Polygon | Cuboid, tolerance: float) -> bool:
    slack = tolerance + 1e-9 * (1 + max(map(abs, _numbers(a))))
    pairs = zip(_numbers(a), _numbers(b), strict=True)
    if isinstance(a, Cuboid):
        return all(
            abs(math.remainder(x - y, 2 * math.pi) if i >= 6 else x - y) <= slack
            for i, (x, y) in enumerate(pairs)
        )
    return all(abs(x - y) <= slack for x, y in pairs)


def _numbers(shape: Box | Polygon | Cuboid) -> list[float]:
    if isinstance(shape, Box):
        return [shape.x, shape.y, shape.w, shape.h]
    if isinstance(shape, Polygon):
        return [c for point in shape.points for c in point]
    return [*shape.center, *shape.size, *shape.rotation]


def test_sparsify_turns_a_linear_track_into_its_ends() -> None:
    every = _box_track(*((f, 2.0 * f, 100.0 - f, 10.0, 10.0, False) for f in range(0, 101)))
    sparse = sparsify(every, 1e-9)
    assert [key.frame for key in sparse.keyframes] == [0, 100]
    # a turn at frame 40 stays a key frame; the outside terminator too
    bent = _box_track(
        *((f, float(min(f, 40)), 0.0, 10.0, 10.0, False) for f in range(0, 61)),
        (61, 40.0, 0.0, 10.0, 10.0, True),
        (62, 40.0, 0.0, 10.0, 10.0, True),
    )
    assert [key.frame for key in sparsify(bent, 1e-9).keyframes] == [0, 40, 61]
    assert [key.frame for key in sparsify(bent).keyframes] == list(range(0, 63))


def test_densify_range_and_hold_to_the_end() -> None:
    track = _box_track((2, 0.0, 0.0, 10.0, 10.0, False), (6, 8.0, 0.0, 10.0, 10.0, False))
    dense = densify(track, start=4, end=9)
    assert [(key.frame, key.x, bool(key.interpolated)) for key in dense.keyframes] == [
        (2, 0.0, False),
        (4, 4.0, True),
        (5, 6.0, True),
        (6, 8.0, False),
        (7, 8.0, True),
        (8, 8.0, True),
        (9, 8.0, True),
    ]


def test_interpolated_frames_take_occluded_from_the_key_frame_before() -> None:
    track = Track(
        keyframes=[
            TrackFrame(frame=0, x=0, y=0, w=1, h=1, occluded=True),
            TrackFrame(frame=2, x=0, y=0, w=1, h=1),
        ]
    )
    assert densify(track).keyframes[1] == TrackFrame(
        frame=1, x=0, y=0, w=1, h=1, occluded=True, interpolated=True
    )


# --- proposals and new key frames -----------------------------------------------------------


def test_proposals_and_their_confidence() -> None:
    track = _box_track(
        (0, 0.0, 0.0, 10.0, 10.0, False),
        (20, 20.0, 0.0, 10.0, 10.0, False),
        (30, 0.0, 0.0, 10.0, 10.0, True),
    )
    proposals = propose(track, [0, 5, 10, 19, 25, 31, 35, -3])
    assert [p.frame for p in proposals] == [5, 10, 19, 25]  # no key frames, nothing absent
    assert proposals[0].shape == Box(x=5, y=0, w=10, h=10, frame=5)
    assert [p.confidence for p in proposals] == [
        0.5 ** (5 / HALF_LIFE),
        0.5,  # ten frames from both key frames
        0.5 ** (1 / HALF_LIFE),
        0.5 ** (5 / HALF_LIFE),  # towards the outside key frame at 30
    ]
    held = propose(_box_track((0, 0.0, 0.0, 1.0, 1.0, False)), [20], half_life=5)
    assert held[0].confidence == 0.0625


def test_a_new_key_frame_drops_the_interpolated_frames_it_invalidates() -> None:
    track = densify(
        _box_track((0, 0.0, 0.0, 10.0, 10.0, False), (4, 4.0, 0.0, 10.0, 10.0, False)), end=6
    )
    key = key_of(track, Box(x=9, y=9, w=10, h=10), 2)
    changed = with_keyframe(track, key)
    assert [(k.frame, bool(k.interpolated)) for k in changed.keyframes] == [
        (0, False),
        (2, False),
        (4, False),
        (5, True),  # after the last key frame: still what it was
        (6, True),
    ]
    replaced = with_keyframe(changed, key_of(track, Box(x=1, y=1, w=1, h=1), 2))
    assert shape_at(replaced, 2) == Box(x=1, y=1, w=1, h=1, frame=2)
    assert len(replaced.keyframes) == len(changed.keyframes)


def test_a_key_frame_must_have_the_track_shape() -> None:
    track = _box_track((0, 0.0, 0.0, 1.0, 1.0, False))
    with pytest.raises(ValueError, match="a box track takes box key frames, not a polygon"):
        key_of(track, Polygon(points=[(0, 0), (1, 0), (0, 1)]), 3)
    with pytest.raises(ValueError, match="the box is on frame 4, not on frame 3"):
        key_of(track, Box(x=0, y=0, w=1, h=1, frame=4), 3)
