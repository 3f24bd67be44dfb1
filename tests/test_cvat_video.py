"""Reading the tracks of CVAT for video 1.1 files: the real datumaro fixture and files
written here, and the errors, which name the file, the line and the attribute."""

import re
from pathlib import Path

import pytest

from conftest import SHARED
from rosetta.core.errors import ImportFailed, RosettaError
from rosetta.core.geometry import Box, Polygon, Track, TrackFrame
from rosetta.core.tracks import shape_at, sparsify
from rosetta.formats.cvat_video import read_tracks

FIXTURE = (
    SHARED / "fixtures" / "formats" / "cvat_video" / "openvinotoolkit__datumaro" / "annotations.xml"
)

HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n  <version>1.1</version>\n'


def _write(tmp_path: Path, body: str, head: str = HEAD) -> Path:
    path = tmp_path / "annotations.xml"
    path.write_text(head + body + "</annotations>\n", encoding="utf-8")
    return path


def test_the_datumaro_fixture() -> None:
    tracks = list(read_tracks(FIXTURE))
    assert [(t.id, t.label, t.shape, t.line, t.source) for t in tracks] == [
        ("0", "II", "box", 70, None),
        ("1", "klhg", "points", 78, None),
        ("2", "II", "polyline", 86, None),
    ]
    boxes = tracks[0].geometry
    assert boxes == Track(
        keyframes=[
            # xtl="3.00" ytl="4.00" xbr="10.00" ybr="5.00", occluded
            TrackFrame(frame=10, x=3, y=4, w=7, h=1, occluded=True),
            TrackFrame(frame=13, x=7, y=6, w=7, h=2, outside=True),
            TrackFrame(frame=16, x=8, y=7, w=6, h=10, outside=True),
        ]
    )
    # points and polylines are no tracks of ours, but are reported with their attributes
    assert tracks[1].geometry is None
    assert tracks[1].attributes == {10: {"hgl": "hgkf"}, 13: {"hgl": "jk"}}
    assert tracks[2].geometry is None


def test_interpolation_between_the_fixture_key_frames_is_cvats_linear_rule() -> None:
    boxes = next(read_tracks(FIXTURE)).geometry
    assert boxes is not None
    # CVAT interpolates the corners from frame 10 (3, 4, 10, 5) towards the outside key
    # frame 13 (7, 6, 14, 8): corner(f) = c10 + (c13 - c10) * (f - 10) / 3
    for frame in (11, 12):
        t = (frame - 10) / 3
        xtl, ytl = 3 + 4 * t, 4 + 2 * t
        xbr, ybr = 10 + 4 * t, 5 + 3 * t
        shape = shape_at(boxes, frame)
        assert isinstance(shape, Box)
        assert (shape.x, shape.y) == pytest.approx((xtl, ytl))
        assert (shape.x + shape.w, shape.y + shape.h) == pytest.approx((xbr, ybr))
    assert shape_at(boxes, 10) == Box(x=3, y=4, w=7, h=1, frame=10)
    # outside from 13 on (and again from 16): gone for good
    assert [shape_at(boxes, f) for f in (9, 13, 14, 16, 19, 500)] == [None] * 6


def test_interpolated_frames_are_kept_marked_and_sparse_drops_them(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """  <track id="7" label="car" source="manual">
    <polygon frame="0" outside="0" occluded="0" keyframe="1" points="0,0;10,0;0,10"></polygon>
    <polygon frame="1" outside="0" occluded="1" keyframe="0" points="1,1;11,1;1,11"></polygon>
    <polygon frame="2" outside="1" occluded="0" keyframe="1" points="2,2;12,2;2,12"></polygon>
    <polygon frame="3" outside="1" occluded="0" keyframe="0" points="2,2;12,2;2,12"></polygon>
    <polygon frame="5" outside="0" occluded="0" points="5,5;6,5;5,6"></polygon>
  </track>
""",
    )
    (track,) = read_tracks(path)
    assert (track.id, track.label, track.source, track.shape) == ("7", "car", "manual", "polygon")
    assert track.geometry == Track(
        shape="polygon",
        keyframes=[
            TrackFrame(frame=0, points=[(0, 0), (10, 0), (0, 10)]),
            TrackFrame(
                frame=1, points=[(1, 1), (11, 1), (1, 11)], occluded=True, interpolated=True
            ),
            TrackFrame(frame=2, points=[(2, 2), (12, 2), (2, 12)], outside=True),
            # frame 3 (outside, not a key frame) repeats the absence: left out
            TrackFrame(frame=5, points=[(5, 5), (6, 5), (5, 6)]),  # no keyframe attribute: a key
        ],
    )
    assert [key.frame for key in sparsify(track.geometry).keyframes] == [0, 2, 5]
    assert shape_at(track.geometry, 1) == Polygon(points=[(1, 1), (11, 1), (1, 11)], frame=1)


def test_tracks_stream_out_before_the_end_of_the_file(tmp_path: Path) -> None:
    box = '    <box frame="{f}" outside="0" occluded="0" keyframe="1" xtl="1" ytl="1" xbr="2" ybr="2"/>\n'
    tracks = "".join(
        f'  <track id="{i}" label="car">\n'
        + "".join(box.format(f=f) for f in range(10))
        + "  </track>\n"
        for i in range(300)
    )
    path = tmp_path / "broken.xml"
    path.write_text(HEAD + tracks + "  <track id='x' label='car'>\n    <box", encoding="utf-8")
    seen = []
    with pytest.raises(ImportFailed, match="not well-formed XML") as failure:
        for track in read_tracks(path):
            seen.append(track.id)
    assert seen[:3] == ["0", "1", "2"]
    assert seen == [str(i) for i in range(300)]
    assert failure.value.file == str(path)
    assert failure.value.line == HEAD.count("\n") + 300 * 12 + 2


@pytest.mark.parametrize(
    ("element", "line", "field", "message"),
    [
        pytest.param(
            '<box frame="1" outside="0" keyframe="1" xtl="a" ytl="0" xbr="1" ybr="1"/>',
            6,
            "<box> xtl",
            "expected a number, got 'a'",
            id="not a number",
        ),
        pytest.param(
            '<box frame="1" outside="0" keyframe="1" xtl="5" ytl="0" xbr="5" ybr="1"/>',
            6,
            "<box> xbr",
            "xbr=5.0 must be greater than 5.0",
            id="empty box",
        ),
        pytest.param(
            '<box frame="1" outside="2" keyframe="1" xtl="0" ytl="0" xbr="1" ybr="1"/>',
            6,
            "<box> outside",
            "expected 0 or 1, got '2'",
            id="bad flag",
        ),
        pytest.param(
            '<box frame="0" outside="0" keyframe="1" xtl="0" ytl="0" xbr="1" ybr="1"/>',
            6,
            "<box> frame",
            r"frames must increase within a track \(0 then 0\)",
            id="repeated frame",
        ),
        pytest.param(
            '<box outside="0" keyframe="1" xtl="0" ytl="0" xbr="1" ybr="1"/>',
            6,
            "<box> frame",
            "the 'frame' attribute is required",
            id="no frame",
        ),
        pytest.param(
            '<polygon frame="1" outside="0" keyframe="1" points="0,0;1,1;2,2"/>',
            6,
            "",
            "<polygon> in a track of <box>",
            id="mixed kinds",
        ),
        pytest.param(
            '<circle frame="1"/>',
            6,
            "",
            "unknown track element <circle>",
            id="unknown element",
        ),
    ],
)
def test_errors_name_file_line_and_attribute(
    tmp_path: Path, element: str, line: int, field: str, message: str
) -> None:
    path = _write(
        tmp_path,
        '  <track id="0" label="car">\n'
        '    <box frame="0" outside="0" keyframe="1" xtl="0" ytl="0" xbr="1" ybr="1"/>\n'
        f"    {element}\n"
        "  </track>\n",
    )
    with pytest.raises(ImportFailed, match=message) as failure:
        list(read_tracks(path))
    assert (failure.value.file, failure.value.line, failure.value.field) == (str(path), line, field)


def test_polygon_points_and_track_shape_errors(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '  <track id="0" label="car">\n'
        '    <polygon frame="0" outside="0" keyframe="1" points="0,0;1;2,2"/>\n'
        "  </track>\n",
    )
    with pytest.raises(ImportFailed, match=re.escape("expected 'x,y;x,y;...', got '1'")) as failure:
        list(read_tracks(path))
    assert (failure.value.line, failure.value.field) == (5, "<polygon> points")
    path = _write(
        tmp_path,
        '  <track id="0" label="car">\n'
        '    <polygon frame="0" outside="0" keyframe="0" points="0,0;1,0;0,1"/>\n'
        "  </track>\n",
    )
    with pytest.raises(
        ImportFailed, match=r"keyframes\[0\] \(frame 0\) must be a key frame"
    ) as failure:
        list(read_tracks(path))
    assert (failure.value.line, failure.value.field) == (4, "track")


def test_not_cvat_1_1(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match=re.escape("expected 1.1, got '2.0'")) as failure:
        list(read_tracks(_write(tmp_path, "", head="<annotations>\n<version>2.0</version>\n")))
    assert (failure.value.line, failure.value.field) == (2, "version")
    path = tmp_path / "other.xml"
    path.write_text("<dataset/>")
    with pytest.raises(ImportFailed, match=r"expected a CVAT XML file \(<annotations>\)"):
        list(read_tracks(path))
    with pytest.raises(RosettaError, match=r"missing\.xml: cannot read"):
        list(read_tracks(tmp_path / "missing.xml"))
