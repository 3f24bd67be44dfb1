"""The geometry models' own validators, the tagged union, RLE decoding and exact frame rates."""

from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pycocotools import mask as coco_mask
from pydantic import TypeAdapter, ValidationError

from rosetta.core.geometry import (
    Box,
    Classification,
    Cuboid,
    Geometry,
    Interval,
    Keypoints,
    Mask,
    Polygon,
    Rle,
    TextSpan,
    Track,
    TranscriptSegment,
)
from rosetta.core.schema import MediaInfo

GEOMETRY: TypeAdapter[Any] = TypeAdapter(Geometry)


def _refused(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        GEOMETRY.validate_python(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param({"type": "span", "start": 5, "end": 5}, "greater than start", id="empty span"),
        pytest.param(
            {"type": "span", "start": 5, "end": 2}, "greater than start", id="reversed span"
        ),
        pytest.param(
            {"type": "span", "start": -1, "end": 2},
            "greater than or equal to 0",
            id="negative span",
        ),
        pytest.param(
            {"type": "box", "x": 0, "y": 0, "w": 0, "h": 1}, "greater than 0", id="flat box"
        ),
        pytest.param(
            {"type": "box", "x": 0, "y": 0, "w": 1, "h": -2}, "greater than 0", id="negative box"
        ),
        pytest.param(
            {"type": "box", "x": 0, "y": 0, "w": 1, "h": 1, "frame": -1},
            "greater than or equal to 0",
            id="negative frame",
        ),
        pytest.param(
            {"type": "polygon", "points": [[0, 0], [1, 1]]}, "at least 3", id="two-point polygon"
        ),
        pytest.param(
            {"type": "keypoints", "points": [[1, 1, 3]]},
            "visibility must be 0, 1 or 2",
            id="visibility 3",
        ),
        pytest.param(
            {"type": "keypoints", "points": [[1, 1, 2]], "names": ["a", "b"]},
            "2 names for 1 points",
            id="names",
        ),
        pytest.param({"type": "keypoints", "points": []}, "at least 1", id="no keypoints"),
        pytest.param(
            {"type": "interval", "start": 2.0, "end": 2.0},
            "greater than start",
            id="empty interval",
        ),
        pytest.param(
            {"type": "interval", "start": -0.5, "end": 2.0},
            "greater than or equal to 0",
            id="negative interval",
        ),
        pytest.param({"type": "track", "keyframes": []}, "at least 1", id="empty track"),
        pytest.param(
            {
                "type": "track",
                "keyframes": [
                    {"frame": 5, "x": 0, "y": 0, "w": 1, "h": 1},
                    {"frame": 5, "x": 0, "y": 0, "w": 1, "h": 1},
                ],
            },
            r"increasing frame order \(5 then 5\)",
            id="repeated keyframe",
        ),
        pytest.param(
            {
                "type": "track",
                "keyframes": [
                    {"frame": 9, "x": 0, "y": 0, "w": 1, "h": 1},
                    {"frame": 3, "x": 0, "y": 0, "w": 1, "h": 1},
                ],
            },
            r"increasing frame order \(9 then 3\)",
            id="decreasing keyframes",
        ),
        pytest.param(
            {"type": "cuboid", "center": [0, 0, 0], "size": [1, 0, 1]},
            "positive in every axis",
            id="flat cuboid",
        ),
        pytest.param(
            {"type": "transcript", "start": 3, "end": 1, "text": "x"},
            "greater than start",
            id="reversed segment",
        ),
        pytest.param(
            {
                "type": "transcript",
                "start": 0,
                "end": 2,
                "text": "a b",
                "words": [{"text": "a", "start": 0.5, "end": 0.2}],
            },
            "ends before it starts",
            id="word reversed",
        ),
        pytest.param(
            {
                "type": "transcript",
                "start": 0,
                "end": 2,
                "text": "a b",
                "words": [
                    {"text": "a", "start": 0.0, "end": 1.0},
                    {"text": "b", "start": 0.5, "end": 1.5},
                ],
            },
            "after the previous word",
            id="words overlap",
        ),
        pytest.param(
            {
                "type": "transcript",
                "start": 1,
                "end": 2,
                "text": "a",
                "words": [{"text": "a", "start": 1.5, "end": 2.5}],
            },
            "must lie inside the segment",
            id="word past the segment",
        ),
        pytest.param(
            {
                "type": "transcript",
                "start": 1,
                "end": 2,
                "text": "a",
                "words": [{"text": "a", "start": 0.5, "end": 1.5}],
            },
            "must lie inside the segment",
            id="word before the segment",
        ),
        pytest.param(
            {"type": "hexagon"}, "does not match any of the expected tags", id="unknown type"
        ),
        pytest.param(
            {"type": "box", "x": 0, "y": 0, "w": 1, "h": 1, "z": 3},
            "Extra inputs are not permitted",
            id="extra field",
        ),
    ],
)
def test_malformed_geometries_are_refused(data: dict[str, Any], message: str) -> None:
    _refused(data, message)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        ({"type": "span", "start": 0, "end": 1}, TextSpan),
        ({"type": "box", "x": -0.0, "y": 0, "w": 0.5, "h": 0.5, "frame": 0}, Box),
        ({"type": "polygon", "points": [[0, 0], [1, 0], [0, 1]]}, Polygon),
        (
            {
                "type": "keypoints",
                "points": [[1, 1, 0], [2, 2, 1], [3, 3, 2]],
                "names": ["a", "b", "c"],
            },
            Keypoints,
        ),
        ({"type": "mask", "rle": {"size": [2, 2], "counts": "04"}}, Mask),
        ({"type": "interval", "start": 0, "end": 0.04}, Interval),
        (
            {
                "type": "track",
                "keyframes": [
                    {"frame": 0, "x": 0, "y": 0, "w": 1, "h": 1},
                    {"frame": 1, "x": 0, "y": 0, "w": 1, "h": 1, "outside": True},
                ],
            },
            Track,
        ),
        (
            {"type": "cuboid", "center": [1, 2, 3], "size": [4, 2, 1.5], "rotation": [0, 0, 1.57]},
            Cuboid,
        ),
        ({"type": "classification"}, Classification),
        (
            {
                "type": "transcript",
                "start": 1,
                "end": 2,
                "text": "a b",
                "words": [
                    {"text": "a", "start": 1, "end": 1.5},
                    {"text": "b", "start": 1.5, "end": 2},
                ],
            },
            TranscriptSegment,
        ),
    ],
)
def test_well_formed_geometries_parse_to_their_type_and_round_trip(
    data: dict[str, Any], kind: type
) -> None:
    geometry = GEOMETRY.validate_python(data)
    assert isinstance(geometry, kind)
    assert GEOMETRY.validate_python(geometry.model_dump()) == geometry


def test_geometries_are_frozen() -> None:
    box = Box(x=1, y=2, w=3, h=4)
    with pytest.raises(ValidationError, match="frozen"):
        box.x = 5  # type: ignore[misc]
    assert box.area() == 12


def test_word_timings_may_touch_and_be_instantaneous() -> None:
    segment = TranscriptSegment(
        start=0.0,
        end=1.0,
        text="a b c",
        words=[
            {"text": "a", "start": 0.0, "end": 0.4},  # type: ignore[list-item]
            {"text": "b", "start": 0.4, "end": 0.4},  # type: ignore[list-item]
            {"text": "c", "start": 0.4, "end": 1.0},  # type: ignore[list-item]
        ],
    )
    assert [w.text for w in segment.words or []] == ["a", "b", "c"]


def _runs(pixels: np.ndarray) -> list[int]:
    """Column-major run lengths, starting with a (possibly empty) run of zeros."""
    flat = pixels.flatten(order="F")
    runs, current, length = [], 0, 0
    for value in flat:
        if value == current:
            length += 1
        else:
            runs.append(length)
            current, length = value, 1
    runs.append(length)
    return runs


@given(
    arrays(np.uint8, st.tuples(st.integers(1, 24), st.integers(1, 24)), elements=st.integers(0, 1))
)
def test_rle_runs_decode_what_pycocotools_encodes(pixels: np.ndarray) -> None:
    encoded = coco_mask.encode(np.asfortranarray(pixels))
    rle = Rle(size=tuple(encoded["size"]), counts=encoded["counts"].decode("ascii"))
    runs = rle.runs()
    assert runs == _runs(pixels)
    assert sum(runs) == pixels.size
    assert sum(runs[1::2]) == int(coco_mask.area(encoded))


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ("~", "cannot appear"),
        ("P", "end inside a number"),
        ("0 ", "cannot appear"),
        ("0P~é", "'~' cannot appear"),
        ("0é", "'é' cannot appear"),
        ("01P", "end inside a number"),
    ],
)
def test_rle_counts_that_are_not_coco_are_refused(counts: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Rle(size=(2, 2), counts=counts).runs()


@pytest.mark.parametrize(
    ("given_rate", "stored", "exact"),
    [
        ("30000/1001", "30000/1001", Fraction(30000, 1001)),
        ("50/2", "25/1", Fraction(25)),
        ("25", "25/1", Fraction(25)),
    ],
)
def test_frame_rates_are_exact_fractions(given_rate: str, stored: str, exact: Fraction) -> None:
    media = MediaInfo(frame_rate=given_rate)
    assert media.frame_rate == stored
    assert media.fps() == exact


@pytest.mark.parametrize("rate", ["fast", "25/0", "-25/1", "0"])
def test_frame_rates_that_are_not_positive_fractions_are_refused(rate: str) -> None:
    with pytest.raises(ValidationError, match="frame_rate"):
        MediaInfo(frame_rate=rate)
