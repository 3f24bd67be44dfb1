"""CVAT for images and CVAT for video 1.1 XML (`rosetta.formats.cvat_images`,
`rosetta.formats.cvat_video_format`): the real datumaro fixtures read with exact values,
CVAT's mask RLE, the task's frame grid, read -> write -> read round trips, projects
exported and imported back, XML bombs refused, and errors that name the file, the line and
what was expected while importing nothing."""

import re
import shutil
from pathlib import Path

import numpy as np
import orjson
import pytest
from pycocotools import mask as coco_mask
from sqlalchemy import Engine, func, select

from conftest import SHARED, TESTER
from rosetta.core.errors import ImportFailed
from rosetta.core.geometry import (
    Box,
    Classification,
    Interval,
    Keypoints,
    Mask,
    Polygon,
    Rle,
    TextSpan,
    Track,
    TrackFrame,
)
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.schema import (
    Annotation,
    Entity,
    Link,
    MediaInfo,
    Sample,
    Source,
    Stream,
)
from rosetta.formats.cvat_images import read_images, write_images
from rosetta.formats.cvat_shapes import mask_attrs
from rosetta.formats.cvat_video_format import read_videos, write_videos
from rosetta.formats.interchange import NOT_CARRIED, ForeignSample, ReadOptions
from rosetta.formats.label_map import LabelMap, UnmappedLabels
from rosetta.services.exporter import sample_lines
from rosetta.services.format_io import export_foreign, import_foreign
from rosetta.services.projects import create_project
from rosetta.store.tables import annotations, entities, events, links, samples, streams

FIXTURES = SHARED / "fixtures" / "formats"
IMAGES = FIXTURES / "cvat_images" / "cvat-ai__datumaro" / "train.xml"
VIDEO = FIXTURES / "cvat_video" / "openvinotoolkit__datumaro" / "annotations.xml"
IMPORTED = Source(kind="import", name="cvat-images")
FROM_VIDEO = Source(kind="import", name="cvat-video")

ONTOLOGY = Ontology.model_validate(
    {
        "name": "cvat-test",
        "classes": [
            {
                "name": "vehicle",
                "attributes": [
                    {"name": "a1", "type": "bool"},
                    {"name": "a2", "type": "enum", "values": ["v1", "v2", "v3"]},
                    {"name": "a3", "type": "text"},
                    {"name": "a4", "type": "number"},
                ],
            },
            {"name": "marker"},
            {"name": "body"},
            {"name": "outline"},
            {
                "name": "ball",
                "attributes": [{"name": "hgl", "type": "enum", "values": ["jk", "hgkf"]}],
            },
            {"name": "person"},
        ],
        "relations": [{"name": "same-as", "directed": False}],
    }
)
IMAGE_MAP = LabelMap(
    labels={"label1": "vehicle", "label2": "marker", "skeleton": "body", "unlabelled": "outline"}
)
VIDEO_MAP = LabelMap(labels={"II": "vehicle", "klhg": "ball"})
HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n  <version>1.1</version>\n'
VIDEO_META = (
    "  <meta><task><start_frame>10</start_frame><stop_frame>19</stop_frame>"
    "<frame_filter>step=3</frame_filter><original_size><width>25</width><height>20</height>"
    "</original_size></task><source>t.mp4</source></meta>\n"
)


def read(path: Path = IMAGES, default: str | None = "unlabelled") -> list[ForeignSample]:
    return list(read_images(path, ReadOptions(default_label=default)))


def read_video(path: Path = VIDEO) -> list[ForeignSample]:
    return list(read_videos(path, ReadOptions()))


def write(tmp_path: Path, text: str, name: str = "task.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def renamed(sample: Sample, old: str, new: str) -> dict[str, object]:
    """The sample's JSON with the id prefix ``old.`` (the file's stem) made ``new.``."""
    result: dict[str, object] = orjson.loads(
        sample.model_dump_json().replace(f'"{old}.', f'"{new}.')
    )
    return result


# --- CVAT for images: the real file ---------------------------------------------------------


def test_the_datumaro_images_file() -> None:
    first, second = read()
    sample = first.sample
    assert (sample.id, sample.external_id) == ("train.0", "img0.jpg")
    [stream] = sample.streams
    assert (stream.id, stream.modality, stream.uri) == ("train.0.image", "image", "img0.jpg")
    assert (stream.media.width, stream.media.height) == (8, 8)
    box, skeleton = sample.annotations
    # <box label="label1" occluded="1" xbr="4" xtl="0" ybr="4" ytl="2" z_order="1">
    assert box == Annotation(
        id="train.0.0",
        stream="train.0.image",
        label="label1",
        geometry=Box(x=0, y=2, w=4, h=2),
        # checkbox, radio, text and number attributes typed by the meta's input types
        attributes={"a1": True, "a2": "v3", "a3": "0003", "a4": 2.4},
        source=IMPORTED,
    )
    # the first element is outside (absent): visibility 0; the others are seen
    assert skeleton.id == "train.0.2"  # the polyline between them is child 1
    assert skeleton.label == "skeleton"
    assert skeleton.geometry == Keypoints(
        points=[(1, 1, 0), (2, 2, 2), (3, 3, 2), (4, 4, 2)], names=["1", "2", "3", "4"]
    )
    assert sample.metadata == {
        "cvat": {
            "image_id": 0,
            "shapes": {"train.0.0": {"occluded": "1", "z_order": "1"}},
            "kept_as_is": [
                {
                    "index": 1,
                    "tag": "polyline",
                    "attrs": {"label": "", "points": "1.0,2;3,4;5,6;7,8"},
                }
            ],
        }
    }
    assert first.origin_of("train.0.0").line == 84

    polygon, points, skeleton = second.sample.annotations
    # the polygon has an empty label: it takes the default label
    assert (polygon.label, polygon.geometry) == (
        "unlabelled",
        Polygon(points=[(1, 2), (3, 4), (6, 5)]),
    )
    assert (points.label, points.geometry) == (
        "label2",
        Keypoints(points=[(1, 2, 2), (3, 4, 2), (5, 6, 2)]),
    )
    assert skeleton.geometry == Keypoints(
        points=[(3, 3, 2), (4, 4, 2), (5, 5, 0), (6, 6, 2)], names=["1", "2", "3", "4"]
    )
    assert second.sample.metadata["cvat"]["shapes"] == {
        "train.1.0": {"z_order": "1"},
        "train.1.1": {"z_order": "2"},
    }


def test_an_empty_label_without_a_default_names_its_line() -> None:
    with pytest.raises(ImportFailed, match="expected a label") as failure:
        read(default=None)
    assert (failure.value.file, failure.value.line, failure.value.field) == (
        str(IMAGES),
        103,
        "<polygon> label",
    )


def test_images_read_write_read_keeps_every_record(tmp_path: Path) -> None:
    before = read()
    report = write_images((f.sample for f in before), ONTOLOGY, tmp_path)
    assert (report.files, report.samples, report.annotations, report.not_carried) == (
        ["annotations.xml"],
        2,
        5,
        {},
    )
    after = read(tmp_path / "annotations.xml")
    assert [renamed(f.sample, "annotations", "train") for f in after] == [
        orjson.loads(f.sample.model_dump_json()) for f in before
    ]
    # the polyline came back where it was, the undeclared attributes with their types
    text = (tmp_path / "annotations.xml").read_text()
    assert text.index("<box ") < text.index("<polyline ") < text.index("<skeleton ")
    assert "<name>a1</name>" in text and "<input_type>checkbox</input_type>" in text


def _image(body: str, meta: str = "") -> str:
    return (
        HEAD
        + meta
        + f'  <image id="3" name="a/b.png" width="6" height="4">\n{body}  </image>\n</annotations>\n'
    )


def test_mask_rle_both_ways(tmp_path: Path) -> None:
    """CVAT's mask RLE runs over the mask's box row by row, from a run of 0s (cvat-core
    ``mask2Rle``: pixels [1, 1, 0, 0] are [0, 2, 2]); Rosetta keeps COCO RLE of the image."""
    path = write(
        tmp_path,
        _image(
            # box 3 wide, 2 high at (1, 1): rows 1 1 0 / 0 1 1
            '    <mask label="m" rle="0, 2, 2, 2" left="1" top="1" width="3" height="2"/>\n'
            # trailing zeros may be left out: box 2x2 at (4, 2), rows 0 1 / 0 0
            '    <mask label="m" rle="1, 1" left="4" top="2" width="2" height="2"/>\n'
        ),
    )
    [foreign] = read(path)
    first, second = (a.geometry for a in foreign.sample.annotations)
    assert isinstance(first, Mask) and isinstance(second, Mask)
    image = np.zeros((4, 6), dtype=np.uint8)
    image[1, 1:3] = 1
    image[2, 2:4] = 1
    expected = coco_mask.encode(np.asfortranarray(image))["counts"].decode()
    assert first == Mask(rle=Rle(size=(4, 6), counts=expected))
    lone = np.zeros((4, 6), dtype=np.uint8)
    lone[2, 5] = 1
    assert second.rle.counts == coco_mask.encode(np.asfortranarray(lone))["counts"].decode()
    # written back as CVAT crops them: to the box of their pixels
    assert mask_attrs(first) == {
        "rle": "0, 2, 2, 2",
        "left": "1",
        "top": "1",
        "width": "3",
        "height": "2",
    }
    assert mask_attrs(second) == {
        "rle": "0, 1",
        "left": "5",
        "top": "2",
        "width": "1",
        "height": "1",
    }


def test_rotated_boxes_tags_and_hidden_points(tmp_path: Path) -> None:
    meta = (
        "  <meta><task><labels><label><name>scene</name><attributes><attribute><name>n</name>"
        "<input_type>number</input_type></attribute></attributes></label></labels></task></meta>\n"
    )
    path = write(
        tmp_path,
        _image(
            '    <box label="b" xtl="1" ytl="1" xbr="3" ybr="3" rotation="90"/>\n'
            '    <tag label="scene"><attribute name="n">7</attribute></tag>\n'
            '    <points label="p" occluded="1" points="1,1;2,2"/>\n'
            '    <box label="b" xtl="0" ytl="0" xbr="1" ybr="1" source="auto" group_id="4"/>\n',
            meta,
        ),
    )
    [foreign] = read(path)
    rotated, tag, hidden, grouped = foreign.sample.annotations
    assert isinstance(rotated.geometry, Polygon)  # 90 degrees clockwise about (2, 2)
    assert [tuple(round(v, 9) for v in p) for p in rotated.geometry.points] == [
        (3, 1),
        (3, 3),
        (1, 3),
        (1, 1),
    ]
    assert (tag.geometry, tag.attributes, tag.stream) == (
        Classification(),
        {"n": 7},
        "task.3.image",
    )
    assert hidden.geometry == Keypoints(points=[(1, 1, 1), (2, 2, 1)])
    assert grouped.geometry == Box(x=0, y=0, w=1, h=1)
    assert foreign.sample.metadata["cvat"]["shapes"] == {
        "task.3.3": {"source": "auto", "group_id": "4"}
    }
    write_images([foreign.sample], ONTOLOGY, tmp_path / "out")
    [again] = read(tmp_path / "out" / "annotations.xml")
    assert renamed(again.sample, "annotations", "task") == orjson.loads(
        foreign.sample.model_dump_json()
    )


def test_an_image_without_a_size_is_measured_under_the_media_root(tmp_path: Path) -> None:
    media = SHARED / "fixtures" / "media"
    text = HEAD + '  <image id="0" name="images/chelsea.png"/>\n</annotations>\n'
    path = write(tmp_path, text)
    [foreign] = read_images(path, ReadOptions(media_root=media))
    assert foreign.sample.streams[0].media == MediaInfo(width=451, height=300)
    with pytest.raises(ImportFailed, match="expected width and height") as failure:
        list(read_images(path, ReadOptions()))
    assert (failure.value.line, failure.value.field) == (4, "<image> width")


# --- CVAT for video: the real file ----------------------------------------------------------


def test_the_datumaro_video_file() -> None:
    [foreign] = read_video()
    sample = foreign.sample
    assert (sample.id, sample.external_id) == ("annotations", "t.mp4")
    [stream] = sample.streams
    assert (stream.id, stream.modality, stream.uri) == ("annotations.video", "video", "t.mp4")
    # original_size 25x20; frames 10..19 of the video (the task's stop_frame)
    assert stream.media == MediaInfo(width=25, height=20, frame_count=20)
    boxes, points = sample.annotations
    assert boxes == Annotation(
        id="annotations.0",
        stream="annotations.video",
        label="II",
        geometry=Track(
            keyframes=[
                TrackFrame(frame=10, x=3, y=4, w=7, h=1, occluded=True),
                TrackFrame(frame=13, x=7, y=6, w=7, h=2, outside=True),
                TrackFrame(frame=16, x=8, y=7, w=6, h=10, outside=True),
            ]
        ),
        source=FROM_VIDEO,
    )
    # a points track: one keypoints annotation per key frame in view, an entity for the track
    assert points == Annotation(
        id="annotations.1.10",
        stream="annotations.video",
        label="klhg",
        geometry=Keypoints(points=[(21.95, 8, 2), (2.55, 15.09, 2), (2.23, 3.16, 2)], frame=10),
        attributes={"hgl": "hgkf"},
        source=FROM_VIDEO,
    )
    assert sample.entities == [
        Entity(id="annotations.1", label="klhg", members=["annotations.1.10"])
    ]
    cvat = sample.metadata["cvat"]
    assert cvat["task"] == {"start_frame": 10, "stop_frame": 19, "step": 3}
    assert cvat["outside"] == {"annotations.1": [13]}
    [polyline] = cvat["kept_as_is"]
    assert (polyline["attrs"], [c["attrs"]["frame"] for c in polyline["children"]]) == (
        {"id": "2", "label": "II"},
        ["13", "16"],
    )
    assert foreign.origin_of("annotations.1.10").line == 79


def test_video_read_write_read_keeps_every_record(tmp_path: Path) -> None:
    before = read_video()
    report = write_videos((f.sample for f in before), ONTOLOGY, tmp_path)
    assert (report.files, report.samples, report.annotations) == (["annotations.xml"], 1, 2)
    text = (tmp_path / "annotations.xml").read_text()
    for part in (
        "<start_frame>10</start_frame>",
        "<stop_frame>19</stop_frame>",
        "<frame_filter>step=3</frame_filter>",
    ):
        assert part in text
    assert [f.sample for f in read_video(tmp_path / "annotations.xml")] == [
        f.sample for f in before
    ]


def _video(tracks: str, meta: str = VIDEO_META) -> str:
    return HEAD + meta + tracks + "</annotations>\n"


BOX = (
    '<box frame="{f}" outside="{o}" occluded="0" keyframe="{k}" xtl="1" ytl="1" xbr="{r}" ybr="5"/>'
)


def _box(frame: int, outside: int = 0, key: int = 1, right: int = 4) -> str:
    return "    " + BOX.format(f=frame, o=outside, k=key, r=right) + "\n"


def test_frames_off_the_task_grid_are_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path, _video('  <track id="0" label="car">\n' + _box(10) + _box(11) + "  </track>\n")
    )
    with pytest.raises(
        ImportFailed, match=re.escape("expected a frame of the task: 10 + k * 3 up to 19, got 11")
    ) as failure:
        read_video(path)
    assert (failure.value.line, failure.value.field) == (7, "<box> frame")


def test_an_outside_frame_past_the_task_says_nothing_and_is_left_out(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        _video(
            '  <track id="0" label="car">\n'
            + _box(16)
            + _box(19, right=6)
            + _box(22, outside=1)
            + "  </track>\n"
        ),
    )
    [foreign] = read_video(path)
    [track] = foreign.sample.annotations
    assert isinstance(track.geometry, Track)
    assert [(k.frame, k.outside) for k in track.geometry.keyframes] == [(16, False), (19, False)]
    path = write(
        tmp_path, _video('  <track id="0" label="car">\n' + _box(16) + _box(22) + "  </track>\n")
    )
    with pytest.raises(ImportFailed, match="got 22"):
        read_video(path)


def test_interpolated_frames_mutable_attributes_and_skeleton_tracks(tmp_path: Path) -> None:
    meta = VIDEO_META.replace(
        "</task>",
        "<labels><label><name>car</name><attributes><attribute><name>speed</name>"
        "<mutable>True</mutable><input_type>number</input_type></attribute></attributes>"
        "</label></labels></task>",
    )
    speed = '<attribute name="speed">{}</attribute>'
    tracks = (
        '  <track id="4" label="car" source="auto">\n'
        f"    {BOX.format(f=10, o=0, k=1, r=4)[:-2]}>{speed.format(5)}</box>\n"
        f"    {BOX.format(f=13, o=0, k=0, r=5)[:-2]}>{speed.format(5)}</box>\n"
        f"    {BOX.format(f=16, o=0, k=1, r=6)[:-2]}>{speed.format(7.5)}</box>\n"
        "  </track>\n"
        '  <track id="5" label="pose">\n'
        '    <skeleton frame="13" outside="0" occluded="0" keyframe="1" points="">\n'
        '      <points label="head" frame="13" outside="0" occluded="1" keyframe="1" points="2,3"/>\n'
        '      <points label="tail" frame="13" outside="1" occluded="0" keyframe="1" points="4,5"/>\n'
        "    </skeleton>\n"
        '    <skeleton frame="16" outside="1" occluded="0" keyframe="1" points="">\n'
        '      <points label="head" frame="16" outside="1" occluded="0" keyframe="1" points="2,3"/>\n'
        '      <points label="tail" frame="16" outside="1" occluded="0" keyframe="1" points="4,5"/>\n'
        "    </skeleton>\n"
        "  </track>\n"
    )
    [foreign] = read_video(write(tmp_path, _video(tracks, meta)))
    sample = foreign.sample
    car, pose = sample.annotations
    assert car.geometry == Track(
        keyframes=[
            TrackFrame(frame=10, x=1, y=1, w=3, h=4),
            TrackFrame(frame=13, x=1, y=1, w=4, h=4, interpolated=True),
            TrackFrame(frame=16, x=1, y=1, w=5, h=4),
        ]
    )
    assert car.attributes == {"speed": 5}
    assert sample.metadata["cvat"]["frame_attributes"] == {
        "task.4": {"10": {"speed": 5}, "13": {"speed": 5}, "16": {"speed": 7.5}}
    }
    assert sample.metadata["cvat"]["tracks"] == {"task.4": {"source": "auto"}}
    assert pose.geometry == Keypoints(
        points=[(2, 3, 1), (4, 5, 0)], names=["head", "tail"], frame=13
    )
    assert sample.metadata["cvat"]["outside"] == {"task.5": [16]}

    write_videos([sample], ONTOLOGY, tmp_path / "out")
    text = (tmp_path / "out" / "task.xml").read_text()
    assert 'keyframe="0"' in text and "<mutable>True</mutable>" in text
    assert "<parent>pose</parent>" in text  # the skeleton's element labels
    [again] = read_video(tmp_path / "out" / "task.xml")
    assert again.sample == sample


def test_video_writer_makes_tracks_of_shapes_and_leaves_the_rest_in_a_sidecar(
    tmp_path: Path,
) -> None:
    """A frame-bound shape is a track of its frame, outside on the next (CVAT's own way);
    an entity of per-frame shapes is one track; links and intervals go to the sidecar."""
    video = Stream(
        id="v",
        name="video",
        modality=Modality.VIDEO,
        uri="clip.mp4",
        media=MediaInfo(width=32, height=24, frame_count=50),
    )
    human = Source(kind="human")
    sample = Sample(
        id="clip",
        external_id="clip.mp4",
        streams=[video],
        annotations=[
            Annotation(
                id="a",
                stream="v",
                label="car",
                geometry=Box(x=1, y=2, w=3, h=4, frame=7),
                source=human,
            ),
            Annotation(
                id="p1", stream="v", label="ball", geometry=Keypoints(points=[(1, 1, 2)], frame=2)
            ),
            Annotation(
                id="p2", stream="v", label="ball", geometry=Keypoints(points=[(2, 2, 2)], frame=5)
            ),
            Annotation(id="i", stream="v", label="car", geometry=Interval(start=0, end=1)),
        ],
        entities=[Entity(id="e", label="ball", members=["p1", "p2"])],
        links=[Link(id="l", type="same-as", source="a", target="e")],
    )
    report = write_videos([sample], ONTOLOGY, tmp_path)
    assert report.files == ["clip.xml", NOT_CARRIED]
    assert report.not_carried == {
        "interval annotations": f"1 written to {NOT_CARRIED}",
        "links": f"1 written to {NOT_CARRIED}",
    }
    kept = [orjson.loads(x) for x in (tmp_path / NOT_CARRIED).read_bytes().splitlines()]
    assert [(k["sample"], k["kind"], k["record"]["id"]) for k in kept] == [
        ("clip", "annotation", "clip.annotation.1"),
        ("clip", "link", "clip.link.1"),
    ]
    # the ends as read back: the box's track and the entity of the ball's frames
    assert (kept[1]["record"]["source"], kept[1]["record"]["target"]) == ("clip.1", "clip.0")
    [whole] = read_video(tmp_path)
    assert [(a.id, a.geometry.type) for a in whole.sample.annotations] == [
        ("clip.0.2", "keypoints"),
        ("clip.0.5", "keypoints"),
        ("clip.1", "track"),
        ("clip.annotation.1", "interval"),
    ]
    assert [(k.source, k.target) for k in whole.sample.links] == [("clip.1", "clip.0")]
    assert whole.sample.streams == [video.model_copy(update={"id": "clip.video"})]  # all said
    [foreign] = read_video(tmp_path / "clip.xml")
    ball2, ball5, box, _ = foreign.sample.annotations  # entity tracks first, then lone shapes
    assert box.geometry == Track(
        keyframes=[
            TrackFrame(frame=7, x=1, y=2, w=3, h=4),
            TrackFrame(frame=8, x=1, y=2, w=3, h=4, outside=True),
        ]
    )
    assert (ball2.geometry, ball5.geometry) == (
        Keypoints(points=[(1, 1, 2)], frame=2),
        Keypoints(points=[(2, 2, 2)], frame=5),
    )
    [entity] = foreign.sample.entities
    assert (entity.label, entity.members) == ("ball", [ball2.id, ball5.id])
    assert foreign.sample.metadata["cvat"]["outside"] == {entity.id: [6]}
    assert foreign.sample.metadata["cvat"]["task"] == {
        "start_frame": 0,
        "stop_frame": 49,
        "step": 1,
    }


# --- what no reader takes -------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE annotations [\n  <!ENTITY lol "lol">\n'
    '  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
    '  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n]>\n'
    "<annotations><version>1.1</version>&lol3;</annotations>\n"
)
EXTERNAL = (
    '<?xml version="1.0"?>\n<!DOCTYPE annotations [\n'
    '  <!ENTITY secret SYSTEM "file:///etc/passwd">\n]>\n'
    "<annotations><version>1.1</version>&secret;</annotations>\n"
)


@pytest.mark.parametrize("reader", [read, read_video], ids=["images", "video"])
@pytest.mark.parametrize(
    ("text", "entity"), [(BILLION_LAUGHS, "lol"), (EXTERNAL, "secret")], ids=["bomb", "external"]
)
def test_entities_are_refused(tmp_path: Path, reader: object, text: str, entity: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ImportFailed, match="entity declarations are not allowed") as failure:
        reader(path)  # type: ignore[operator]
    assert (failure.value.file, failure.value.line, failure.value.field) == (
        str(path),
        3,
        f"<!ENTITY>: {entity}",
    )


@pytest.mark.parametrize(
    ("body", "line", "field", "message"),
    [
        (
            '<box label="b" xtl="0" ytl="0" ybr="1"/>',
            5,
            "<box> xbr",
            "the 'xbr' attribute is required",
        ),
        (
            '<box label="b" xtl="0" ytl="0" xbr="x" ybr="1"/>',
            5,
            "<box> xbr",
            "expected a number, got 'x'",
        ),
        ('<polygon label="b" points="0,0;1,1"/>', 5, "<polygon> points", "needs at least 3 points"),
        (
            '<mask label="m" rle="30" left="0" top="0" width="5" height="5"/>',
            5,
            "<mask> left",
            "must lie inside the 6x4 image",
        ),
        (
            '<mask label="m" rle="9" left="0" top="0" width="2" height="2"/>',
            5,
            "<mask> rle",
            "covering at most 2x2 = 4 pixels",
        ),
        ('<circle label="c"/>', 5, '<image id="3"> <circle>: ', "unknown element <circle>"),
        (
            '<skeleton label="s" points=""/>',
            5,
            "<skeleton>",
            "a skeleton needs at least one <points>",
        ),
    ],
)
def test_malformed_images_name_the_line_and_what_was_expected(
    tmp_path: Path, body: str, line: int, field: str, message: str
) -> None:
    path = write(tmp_path, _image(f"    {body}\n"))
    with pytest.raises(ImportFailed, match=re.escape(message)) as failure:
        read(path)
    assert (failure.value.file, failure.value.line) == (str(path), line)
    assert failure.value.field.startswith(field.rstrip(": "))


def test_an_attribute_of_the_wrong_type_names_its_line(tmp_path: Path) -> None:
    meta = (
        "  <meta><task><labels><label><name>b</name><attributes><attribute><name>on</name>"
        "<input_type>checkbox</input_type></attribute></attributes></label></labels></task></meta>\n"
    )
    body = '    <box label="b" xtl="0" ytl="0" xbr="1" ybr="1">\n      <attribute name="on">yes</attribute>\n    </box>\n'
    path = write(tmp_path, _image(body, meta))
    with pytest.raises(ImportFailed, match="expected true or false") as failure:
        read(path)
    assert (failure.value.line, failure.value.field) == (7, "<attribute> on")


def test_each_format_refuses_the_others_files(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="import this file as cvat-video") as failure:
        read(VIDEO)
    assert failure.value.line == 70
    with pytest.raises(ImportFailed, match="belongs to a CVAT for images file") as failure:
        read_video(IMAGES)
    assert failure.value.line == 83


# --- through import_foreign and export_foreign ----------------------------------------------


def counts(engine: Engine) -> tuple[int, ...]:
    with engine.connect() as connection:
        return tuple(
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (samples, streams, annotations, entities, links, events)
        )


def stored(engine: Engine, project_id: str) -> list[Sample]:
    return [Sample.model_validate_json(line) for _, line in sample_lines(engine, project_id)]


def shapes(sample: Sample) -> list[tuple[str, object]]:
    return [(a.label, a.geometry) for a in sample.annotations]


def test_unmapped_labels_are_listed_and_a_mapping_imports(engine: Engine, tmp_path: Path) -> None:
    project = create_project(engine, "cvat", ONTOLOGY, TESTER)
    before = counts(engine)
    options = ReadOptions(default_label="unlabelled")
    with pytest.raises(UnmappedLabels) as unmapped:
        import_foreign(engine, project.id, "cvat-images", IMAGES, TESTER, options=options)
    assert [(u.label, u.count, u.first.line) for u in unmapped.value.labels] == [
        ("skeleton", 2, 91),
        ("label1", 1, 84),
        ("label2", 1, 104),
        ("unlabelled", 1, 103),
    ]
    assert counts(engine) == before
    done = import_foreign(
        engine, project.id, "cvat-images", IMAGES, TESTER, mapping=IMAGE_MAP, options=options
    )
    assert (done.imported.samples_written, done.imported.annotations) == (2, 5)
    first, second = stored(engine, project.id)
    assert shapes(first) == [
        ("vehicle", Box(x=0, y=2, w=4, h=2)),
        (
            "body",
            Keypoints(
                points=[(1, 1, 0), (2, 2, 2), (3, 3, 2), (4, 4, 2)], names=["1", "2", "3", "4"]
            ),
        ),
    ]
    assert first.annotations[0].attributes == {"a1": True, "a2": "v3", "a3": "0003", "a4": 2.4}
    assert [label for label, _ in shapes(second)] == ["outline", "marker", "body"]
    # importing the same file again adds nothing
    after = counts(engine)
    again = import_foreign(
        engine, project.id, "cvat-images", IMAGES, TESTER, mapping=IMAGE_MAP, options=options
    )
    assert again.imported.samples_written == 0
    assert counts(engine) == after


def _bad_file(tmp_path: Path) -> tuple[Path, int]:
    """The real file with a third image whose box runs past its right edge (and its line)."""
    bad = _image('    <box label="label1" xtl="0" ytl="0" xbr="9" ybr="1"/>\n')
    text = IMAGES.read_text().replace("</annotations>\n", bad.split("<version>1.1</version>\n")[1])
    return write(tmp_path, text), text.count("\n", 0, text.index('xbr="9"')) + 1


def _import_bad(engine: Engine, project_id: str, path: Path) -> None:
    options = ReadOptions(default_label="unlabelled")
    import_foreign(
        engine, project_id, "cvat-images", path, TESTER, mapping=IMAGE_MAP, options=options
    )


def test_a_bad_image_after_good_ones_imports_nothing(engine: Engine, tmp_path: Path) -> None:
    project = create_project(engine, "cvat", ONTOLOGY, TESTER)
    path, line = _bad_file(tmp_path)
    before = counts(engine)
    with pytest.raises(ImportFailed, match="must lie inside the 6x4 image") as failure:
        _import_bad(engine, project.id, path)
    assert (failure.value.file, failure.value.line) == (str(path), line)  # the <box>
    assert counts(engine) == before


def test_a_video_bomb_imports_nothing(engine: Engine, tmp_path: Path) -> None:
    project = create_project(engine, "cvat", ONTOLOGY, TESTER)
    before = counts(engine)
    with pytest.raises(ImportFailed, match="entity declarations are not allowed"):
        import_foreign(engine, project.id, "cvat-video", write(tmp_path, BILLION_LAUGHS), TESTER)
    assert counts(engine) == before


def test_an_images_project_exported_and_imported_back(engine: Engine, tmp_path: Path) -> None:
    project = create_project(engine, "cvat", ONTOLOGY, TESTER)
    options = ReadOptions(default_label="unlabelled")
    import_foreign(
        engine, project.id, "cvat-images", IMAGES, TESTER, mapping=IMAGE_MAP, options=options
    )
    report = export_foreign(engine, project.id, "cvat-images", tmp_path / "out")
    assert (report.samples, report.annotations) == (2, 5)
    fresh = create_project(engine, "again", ONTOLOGY, TESTER)
    import_foreign(engine, fresh.id, "cvat-images", tmp_path / "out" / "annotations.xml", TESTER)
    before, after = stored(engine, project.id), stored(engine, fresh.id)
    assert [shapes(s) for s in after] == [shapes(s) for s in before]
    assert [[a.attributes for a in s.annotations] for s in after] == [
        [a.attributes for a in s.annotations] for s in before
    ]
    assert [s.external_id for s in after] == ["img0.jpg", "img1.jpg"]
    # what CVAT keeps beyond geometry came back too: occluded, z_order, the polyline
    assert [s.metadata["cvat"].get("kept_as_is") for s in after] == [
        s.metadata["cvat"].get("kept_as_is") for s in before
    ]


def test_a_video_project_exported_and_imported_back(engine: Engine, tmp_path: Path) -> None:
    project = create_project(engine, "cvat", ONTOLOGY, TESTER)
    import_foreign(engine, project.id, "cvat-video", VIDEO, TESTER, mapping=VIDEO_MAP)
    report = export_foreign(engine, project.id, "cvat-video", tmp_path / "out")
    assert (report.files[0], report.samples, report.annotations) == ("annotations.xml", 1, 2)
    fresh = create_project(engine, "again", ONTOLOGY, TESTER)
    # ids are unique in a store: the file's new name gives the records new ids
    (tmp_path / "out" / "annotations.xml").rename(tmp_path / "again.xml")
    done = import_foreign(engine, fresh.id, "cvat-video", tmp_path / "again.xml", TESTER)
    assert (done.imported.annotations, done.imported.entities) == (2, 1)
    [before], [after] = stored(engine, project.id), stored(engine, fresh.id)
    assert shapes(after) == shapes(before)
    assert [(e.label, len(e.members)) for e in after.entities] == [("ball", 1)]
    assert after.metadata["cvat"]["task"] == {"start_frame": 10, "stop_frame": 19, "step": 3}


def test_a_folder_of_files_reads_each(tmp_path: Path) -> None:
    shutil.copy(VIDEO, tmp_path / "b.xml")
    shutil.copy(VIDEO, tmp_path / "a.xml")
    assert [f.sample.id for f in read_video(tmp_path)] == ["a", "b"]


@pytest.mark.parametrize(
    ("meta", "field", "message"),
    [
        (
            VIDEO_META.replace("step=3", "every 3rd"),
            "frame_filter",
            "expected 'step=N' (N >= 1), got 'every 3rd'",
        ),
        (VIDEO_META.replace("<stop_frame>19", "<stop_frame>x"), "stop_frame", "got 'x'"),
        (
            VIDEO_META.replace("<width>25</width>", ""),
            "<meta>",
            "expected the task's original_size/width in <meta>",
        ),
    ],
)
def test_a_video_meta_that_cannot_place_frames_is_refused(
    tmp_path: Path, meta: str, field: str, message: str
) -> None:
    path = write(tmp_path, _video("", meta))
    with pytest.raises(ImportFailed, match=re.escape(message)) as failure:
        read_video(path)
    assert (failure.value.file, failure.value.line, failure.value.field) == (str(path), 4, field)


def test_images_stream_out_before_the_end_of_the_file(tmp_path: Path) -> None:
    image = '  <image id="{i}" name="{i}.png" width="4" height="4"><tag label="t"/></image>\n'
    body = "".join(image.format(i=i) for i in range(2000))
    path = write(tmp_path, HEAD + body + '  <image id="x" name="broken"')
    seen = []
    with pytest.raises(ImportFailed, match="not well-formed XML") as failure:
        for foreign in read_images(path, ReadOptions()):
            seen.append(foreign.sample.id)
    assert seen == [f"task.{i}" for i in range(2000)]
    assert failure.value.line == 2004


def test_images_writer_leaves_what_cvat_cannot_hold_in_a_sidecar(tmp_path: Path) -> None:
    image = Stream(
        id="s.img",
        name="photo",
        modality=Modality.IMAGE,
        uri="p.png",
        media=MediaInfo(width=10, height=10),
    )
    text = Stream(id="s.txt", name="caption", modality=Modality.TEXT, text="a car")
    photo = Sample(
        id="s",
        external_id="p.png",
        streams=[image, text],
        annotations=[
            Annotation(
                id="box",
                stream="s.img",
                label="car",
                geometry=Box(x=1, y=1, w=2, h=2),
                source=Source(kind="model", name="detector", confidence=0.5),
            ),
            Annotation(id="word", stream="s.txt", label="car", geometry=TextSpan(start=2, end=5)),
            Annotation(id="whole", stream=None, label="car", geometry=Classification()),
        ],
        entities=[Entity(id="e", label="car", members=["box", "word"])],
        links=[Link(id="l", type="same-as", source="word", target="box")],
    )
    clip = Sample(id="clip", streams=[Stream(id="clip.v", name="v", modality=Modality.VIDEO)])
    report = write_images([photo, clip], ONTOLOGY, tmp_path)
    assert (report.files, report.samples, report.annotations) == (
        ["annotations.xml", NOT_CARRIED],
        1,
        1,
    )
    assert report.not_carried == {
        "classification annotations": f"1 written to {NOT_CARRIED}",
        "entities": f"1 written to {NOT_CARRIED}",
        "links": f"1 written to {NOT_CARRIED}",
        "samples": f"1 written to {NOT_CARRIED}",
        "span annotations": f"1 written to {NOT_CARRIED}",
        "streams": f"1 written to {NOT_CARRIED}",
    }
    kept = [orjson.loads(x) for x in (tmp_path / NOT_CARRIED).read_bytes().splitlines()]
    assert [(k["sample"], k["kind"], k["record"]["id"]) for k in kept] == [
        ("annotations.0", "stream", "annotations.0.stream.1"),
        ("annotations.0", "annotation", "annotations.0.annotation.1"),
        ("annotations.0", "annotation", "annotations.0.annotation.2"),
        ("annotations.0", "entity", "annotations.0.entity.1"),
        ("annotations.0", "link", "annotations.0.link.1"),
        ("clip", "sample", "clip"),
    ]
    assert kept[4]["record"] == {
        "id": "annotations.0.link.1",
        "type": "same-as",
        "source": "annotations.0.annotation.1",
        "target": "annotations.0.0",
        "status": "proposed",
        "attributes": {},
    }
    # the folder reads back everything, the sample without an image last
    photo_again, clip_again = (f.sample for f in read(tmp_path))
    assert clip_again == clip
    assert [s.id for s in photo_again.streams] == ["annotations.0.image", "annotations.0.stream.1"]
    assert photo_again.entities[0].members == ["annotations.0.0", "annotations.0.annotation.1"]
    [foreign] = read(tmp_path / "annotations.xml")
    box, _, _ = foreign.sample.annotations
    assert box.geometry == Box(x=1, y=1, w=2, h=2)
    # a model's box is written with CVAT's source="auto", and read back with it
    assert foreign.sample.metadata["cvat"]["shapes"] == {box.id: {"source": "auto"}}
