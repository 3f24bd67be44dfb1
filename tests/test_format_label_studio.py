"""Label Studio JSON (`rosetta.formats.label_studio`): Label Studio's own files read with
exact values, percentages converted exactly both ways, read -> write -> read and project
export -> import round trips that compare values, brush masks, errors that name the file,
line and element (and import nothing), and unmapped labels."""

import json
import random
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeXml
import numpy as np
import pytest
import soundfile
from PIL import Image
from pycocotools import mask as coco_mask
from sqlalchemy import Engine, func, select

from conftest import MEDIA, SHARED, TESTER
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
    TranscriptSegment,
)
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Entity, Link, MediaInfo, Sample, Source, Stream
from rosetta.formats.interchange import ReadOptions
from rosetta.formats.label_map import LabelMap, UnmappedLabels
from rosetta.formats.label_studio.coords import (
    kept_percent,
    percent_of,
    rotated_corners,
    to_percent,
    to_pixels,
)
from rosetta.formats.label_studio.read import read_label_studio
from rosetta.formats.label_studio.rle import brush_to_rle, decode_values, rle_to_brush
from rosetta.formats.label_studio.write import write_label_studio
from rosetta.formats.registry import format_spec
from rosetta.services.exporter import sample_lines
from rosetta.services.format_io import export_foreign, import_foreign
from rosetta.services.projects import create_project
from rosetta.store.tables import annotations, links, samples, streams

FIXTURES = SHARED / "fixtures" / "formats" / "label_studio"
KEYPOINTS = FIXTURES / "HumanSignal__label-studio-sdk" / "data_keypoints.json"
AUDIO = FIXTURES / "HumanSignal__label-studio-frontend" / "audio_regions" / "1.json"
VIDEO = FIXTURES / "HumanSignal__label-studio-frontend" / "video_bboxes" / "1.json"
VIDEO_MEDIA = MEDIA / "video"

ONTOLOGY = Ontology.model_validate(
    {
        "name": "label-studio-test",
        "classes": [
            {
                "name": "person",
                "attributes": [
                    {"name": "pose", "type": "enum", "values": ["standing", "sitting"]},
                    {"name": "note", "type": "text"},
                    {"name": "count", "type": "number"},
                    {"name": "seen", "type": "bool"},
                ],
            },
            {"name": "nose"},
            {"name": "flag"},
            {"name": "spacecraft"},
            {"name": "cat"},
            {"name": "portrait", "geometries": ["classification"]},
            {"name": "speech", "geometries": ["interval", "transcript"]},
            {"name": "music", "geometries": ["interval"]},
        ],
        "relations": [
            {"name": "part-of", "directed": True},
            {"name": "same-as", "directed": False},
        ],
    }
)
KEYPOINT_MAPPING = LabelMap(
    labels={"left_eye": "nose", "right_eye": "nose"}, relations={"relation": "part-of"}
)


def percent(text: str, size: int) -> float:
    """The reference conversion: the decimal as written, times the size over 100, rounded
    once (Python's `Fraction` is exact)."""
    return float(Fraction(text) * size / 100)


def read(path: Path, media_root: Path | None = None) -> list[Sample]:
    return [foreign.sample for foreign in read_label_studio(path, ReadOptions(media_root))]


def write_tasks(folder: Path, tasks: Any, name: str = "tasks.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(tasks, indent=1, ensure_ascii=False), encoding="utf-8")
    return path


def shapes(sample: Sample) -> list[tuple[Any, ...]]:
    """The annotations' values without their ids, in a stable order."""
    names = {stream.id: stream.name for stream in sample.streams}
    return sorted(
        (
            names.get(a.stream or "", ""),
            a.label,
            a.geometry.model_dump_json(),
            json.dumps(a.attributes, sort_keys=True),
            a.author or "",
            a.source.kind,
            a.source.name or "",
            a.source.confidence or 0,
        )
        for a in sample.annotations
    )


def ends(sample: Sample) -> list[tuple[str, str, str]]:
    """The links as (type, source shape, target shape)."""
    by_id = {a.id: f"{a.label}:{a.geometry.model_dump_json()}" for a in sample.annotations}
    return sorted((k.type, by_id[k.source], by_id[k.target]) for k in sample.links)


def numbers_of(value: Any) -> list[Decimal]:
    return [Decimal(str(item)) for item in value]


# --- Label Studio's own files ----------------------------------------------------------------


def test_the_sdk_keypoint_export_reads_with_exact_pixels_and_its_relations() -> None:
    (sample,) = read(KEYPOINTS)
    assert (sample.id, sample.external_id) == ("data_keypoints.10764", "image1.jpg")
    (stream,) = sample.streams
    assert (stream.name, stream.modality, stream.uri) == (
        "image",
        "image",
        "/data/upload/18/image1.jpg",
    )
    assert (stream.media.width, stream.media.height) == (216, 174)
    by_label = {a.label: a for a in sample.annotations}
    assert by_label["nose"].geometry == Keypoints(
        points=[(percent("64.44444444444444", 216), percent("39.290780141843975", 174), 2)]
    )
    assert by_label["nose"].geometry.points[0][0] == 139.2
    assert by_label["right_eye"].geometry == Keypoints(
        points=[(percent("70.50039401103231", 216), percent("32.19858156028369", 174), 2)]
    )
    assert by_label["person"].geometry == Box(
        x=percent("38.849487785658", 216),
        y=percent("7.65957446808511", 174),
        w=percent("47.304964539007095", 216),
        h=percent("50.92198581560283", 174),
    )
    assert {a.author for a in sample.annotations} == {"sergei@heartex.test"}
    assert all(a.source == Source(kind="import", name="label-studio") for a in sample.annotations)
    person = by_label["person"].id
    assert [(k.type, k.source, k.target) for k in sample.links] == [
        ("relation", person, by_label["right_eye"].id),
        ("relation", by_label["nose"].id, person),
        ("relation", by_label["left_eye"].id, person),
        ("relation", by_label["right_eye"].id, person),
    ]
    # the relation from the box to itself is no link; it stays in the metadata
    assert sample.metadata["label_studio"]["self_relations"] == [
        {"type": "relation", "to_id": "hplPm0Szvc", "from_id": "hplPm0Szvc", "direction": "right"}
    ]


def test_the_audio_example_reads_seconds_and_choices(tmp_path: Path) -> None:
    """The frontend's audio example names a remote mp3: its length comes from the file found
    under the media root by the URL's file name (a 61 s stand-in here)."""
    soundfile.write(
        tmp_path / "barradeen-emotional.mp3", np.zeros(8000 * 61, np.int16), 8000, format="WAV"
    )
    (sample,) = read(AUDIO, media_root=tmp_path)
    (stream,) = sample.streams
    assert (stream.name, stream.modality, stream.uri, stream.media.duration) == (
        "url",
        "audio",
        "barradeen-emotional.mp3",
        61.0,
    )
    assert sample.external_id == "barradeen-emotional.mp3"
    assert [(a.label, a.geometry) for a in sample.annotations] == [
        ("Lo-Fi", Classification()),
        ("Beat", Interval(start=12.778410892095105, end=28.50568583621215)),
        ("Other", Interval(start=55.747572792986325, end=59.39854733358493)),
    ]
    assert sample.metadata["label_studio"]["objects"] == {"url": "audio"}


def test_audio_without_its_media_cannot_be_measured(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed) as failed:
        read(AUDIO, media_root=tmp_path)
    assert failed.value.file == str(AUDIO)
    assert failed.value.line == 1
    assert failed.value.field == "task.annotations[0].result[1]: value.end"
    assert (
        "the length of 'https://htx-misc.s3.amazonaws.com/opensource/label-studio/examples/audio/"
        in (failed.value.detail)
    )
    assert "no file for it under the media root" in failed.value.detail


def test_the_video_example_names_no_video_and_says_so() -> None:
    with pytest.raises(ImportFailed) as failed:
        read(VIDEO)
    assert failed.value.file == str(VIDEO)
    assert failed.value.field == "task.annotations[0].result[0]: to_name"
    assert "names no field of the task's data (fields: none)" in failed.value.detail


def video_task(tmp_path: Path) -> Path:
    """The frontend's video example with the task data it was labelled on (the example
    keeps its tasks apart): our 320x240 slideshow."""
    task = json.loads(VIDEO.read_text())
    task["data"] = {"video": "slideshow_320x240_25fps.mp4"}
    return write_tasks(tmp_path, task, "video.json")


def test_the_video_example_gives_tracks_with_outside_frames(tmp_path: Path) -> None:
    (sample,) = read(video_task(tmp_path), media_root=VIDEO_MEDIA)
    (stream,) = sample.streams
    assert (stream.media.width, stream.media.height, stream.media.frame_count) == (320, 240, 244)
    car, airplane, possum = sample.annotations
    box = {
        "x": percent("38.266666666666666", 320),
        "w": percent("41.333333333333336", 320),
        "h": percent("22.202486678507995", 240),
    }
    assert (car.label, car.geometry) == (
        "Car",
        Track(
            keyframes=[
                TrackFrame(frame=0, y=percent("38.898756660746", 240), **box),
                TrackFrame(
                    frame=4,
                    y=percent("49.898756660746", 240),
                    **{**box, "x": percent("40.266666666666666", 320)},
                ),
                TrackFrame(
                    frame=5,
                    outside=True,
                    y=percent("49.898756660746", 240),
                    **{**box, "x": percent("40.266666666666666", 320)},
                ),
            ]
        ),
    )
    assert isinstance(airplane.geometry, Track)
    # a negative height counts upwards from y: 92.083...% - 15.972...% of 240 pixels
    first = airplane.geometry.keyframes[0]
    assert (first.frame, first.y, first.h) == (
        32,
        float((Fraction("92.08333333333333") - Fraction("15.972222222222221")) * 240 / 100),
        percent("15.972222222222221", 240),
    )
    assert [(k.frame, k.outside) for k in airplane.geometry.keyframes] == [
        (32, False),
        (56, False),
        (57, True),
        (75, False),
        (103, False),
    ]
    assert isinstance(possum.geometry, Track) and possum.geometry.shape == "polygon"
    assert len(possum.geometry.keyframes) == 44
    assert possum.geometry.keyframes[0].points == rotated_corners(
        percent("61.559107293190365", 320),
        percent("42.20702037584792", 240),
        percent("10.960969617939583", 320),
        percent("29.506268116286332", 240),
        -31.861138243953643,
    )


# --- exact percentages --------------------------------------------------------------------------


def test_pixels_go_to_percent_and_back_unchanged() -> None:
    assert to_percent(100.0, 640) == "15.625"
    assert to_pixels(Decimal("64.44444444444444"), 216) == 139.2
    generator = random.Random(8)
    for _ in range(5000):
        size = generator.choice([174, 216, 240, 320, 617, 4032])
        pixels = generator.uniform(0, size)
        assert to_pixels(Decimal(to_percent(pixels, size)), size) == pixels


def test_percentages_go_to_pixels_and_back_unchanged() -> None:
    """Every double percentage Label Studio may write comes back as written: by
    `to_percent` alone, or by the kept decimal where two percentages share a pixel value."""
    generator = random.Random(9)
    kept = 0
    for _ in range(5000):
        size = generator.choice([174, 216, 240, 320, 617, 4032])
        written = Decimal(repr(generator.uniform(0, 100)))
        pixels = to_pixels(written, size)
        keep = kept_percent(written, pixels, size)
        kept += keep is not None
        assert Decimal(percent_of(pixels, size, keep)) == written
        assert Decimal(percent_of(pixels + 1e-9, size, keep)) != written  # moved: recomputed
    assert 0 < kept < 2000


def value_numbers(result: dict[str, Any]) -> dict[str, Any]:
    value = result["value"]
    if "sequence" in value:
        return {
            item["frame"]: {k: item[k] for k in ("x", "y", "width", "height", "rotation")}
            for item in value["sequence"]
        }
    names = ("x", "y", "points") if "keypointlabels" in value else ("x", "y", "width", "height")
    return {key: value[key] for key in (*names, "points") if key in value}


def test_writing_back_gives_the_same_percentages(tmp_path: Path) -> None:
    """The keypoint export and the video example (rotated boxes included) come back with
    every percentage as written; only the airplane's negative heights turn positive."""
    keypoints = read(KEYPOINTS)
    write_label_studio(keypoints, ONTOLOGY, tmp_path / "k")
    original = json.loads(KEYPOINTS.read_text(), parse_float=Decimal)[0]["annotations"][0]["result"]
    written = json.loads((tmp_path / "k" / "tasks.json").read_text(), parse_float=Decimal)
    shapes_written = [r for r in written[0]["annotations"][0]["result"] if r["type"] != "relation"]
    assert [value_numbers(r) for r in shapes_written] == [
        value_numbers(r) for r in original if r["type"] != "relation"
    ]
    video = read(video_task(tmp_path), media_root=VIDEO_MEDIA)
    write_label_studio(video, ONTOLOGY, tmp_path / "v")
    original = json.loads(VIDEO.read_text(), parse_float=Decimal)["annotations"][0]["result"]
    written = json.loads((tmp_path / "v" / "tasks.json").read_text(), parse_float=Decimal)
    car, airplane, possum = written[0]["annotations"][0]["result"]
    assert value_numbers(car) == value_numbers(original[0])
    assert value_numbers(possum) == value_numbers(original[2])
    assert [(i["frame"], i["enabled"]) for i in possum["value"]["sequence"]] == [
        (i["frame"], i["enabled"]) for i in original[2]["value"]["sequence"]
    ]
    # drawn upwards: written from the top corner, with the file's digits
    assert [
        (i["frame"], i["enabled"], str(i["y"]), str(i["height"]))
        for i in airplane["value"]["sequence"]
    ] == [
        (33, True, "76.111111111111109", "15.972222222222221"),
        (57, False, "82.955426356589139", "15.972222222222221"),
        (76, True, "79.166666666666669", "15.972222222222221"),
        (104, True, "81.944444444444439", "15.972222222222221"),
    ]


# --- read -> write -> read ------------------------------------------------------------------


def image_result(kind: str, value: dict[str, Any], rid: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "from_name": kind.removesuffix("labels"),
        "to_name": "image",
        "type": kind,
        "original_width": 512,
        "original_height": 512,
        "value": value,
        **extra,
    }


def real_mask() -> Rle:
    """The bright pixels of the cat photo, cut to the astronaut image's size."""
    pixels = np.asarray(Image.open(MEDIA / "images" / "chelsea.png").convert("L"))
    mask = np.zeros((512, 512), np.uint8)
    mask[:300, :451] = pixels > 150
    encoded = coco_mask.encode(np.asfortranarray(mask))
    return Rle(size=(512, 512), counts=encoded["counts"].decode())


def rich_tasks() -> list[dict[str, Any]]:
    """Tasks on the demo media with every kind of result the reader takes."""
    image = [
        image_result(
            "rectanglelabels",
            {
                "x": 10.5,
                "y": 20.25,
                "width": 30,
                "height": 40.125,
                "rotation": 0,
                "rectanglelabels": ["person"],
            },
            "box1",
        ),
        {
            "id": "box1",
            "from_name": "pose",
            "to_name": "image",
            "type": "choices",
            "value": {"choices": ["standing"]},
        },
        {
            "id": "box1",
            "from_name": "note",
            "to_name": "image",
            "type": "textarea",
            "value": {"text": ["tall", "smiling"]},
        },
        {
            "id": "box1",
            "from_name": "count",
            "to_name": "image",
            "type": "number",
            "value": {"number": 2},
        },
        image_result(
            "polygonlabels",
            {"points": [[1, 2], [30.5, 2.25], [15, 40]], "polygonlabels": ["flag"]},
            "poly",
        ),
        image_result(
            "keypointlabels", {"x": 33.3, "y": 44.4, "width": 0.5, "keypointlabels": ["nose"]}, "kp"
        ),
        image_result(
            "rectanglelabels",
            {
                "x": 60,
                "y": 10,
                "width": 20,
                "height": 10,
                "rotation": 30,
                "rectanglelabels": ["spacecraft"],
            },
            "turned",
        ),
        image_result(
            "brushlabels",
            {"format": "rle", "rle": rle_to_brush(real_mask()), "brushlabels": ["cat"]},
            "brush",
        ),
        {
            "id": "whole",
            "from_name": "kind",
            "to_name": "image",
            "type": "choices",
            "value": {"choices": ["portrait"]},
        },
        {
            "type": "relation",
            "from_id": "box1",
            "to_id": "kp",
            "direction": "left",
            "labels": ["part-of"],
        },
        {
            "type": "relation",
            "from_id": "box1",
            "to_id": "poly",
            "direction": "bi",
            "labels": ["same-as"],
        },
    ]
    audio = [
        {
            "id": "s1",
            "from_name": "labels",
            "to_name": "audio",
            "type": "labels",
            "value": {"start": 0.25, "end": 1.5, "labels": ["speech"]},
        },
        {
            "id": "s1",
            "from_name": "transcription",
            "to_name": "audio",
            "type": "textarea",
            "value": {"start": 0.25, "end": 1.5, "text": ["An astronaut"]},
        },
        {
            "id": "m1",
            "from_name": "labels",
            "to_name": "audio",
            "type": "labels",
            "value": {"start": 2, "end": 3.25, "labels": ["music"]},
        },
    ]
    text = "A 🐈 cat sat. The cat"
    spans = [
        {
            "id": "t1",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": 4, "end": 7, "text": "cat", "labels": ["cat"]},
        },
        # Label Studio before 1.6 counted UTF-16 code units: the emoji counts twice
        {
            "id": "t2",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": 18, "end": 21, "text": "cat", "labels": ["cat"]},
        },
        {
            "type": "relation",
            "from_id": "t1",
            "to_id": "t2",
            "direction": "bi",
            "labels": ["same-as"],
        },
    ]
    sequence = [
        {"frame": 1, "enabled": True, "x": 10, "y": 10, "width": 20, "height": 30, "rotation": 0},
        {"frame": 11, "enabled": False, "x": 20, "y": 15, "width": 20, "height": 30, "rotation": 0},
        {"frame": 31, "enabled": True, "x": 50, "y": 50, "width": 10, "height": 10, "rotation": 0},
    ]
    video = [
        {
            "id": "v1",
            "from_name": "box",
            "to_name": "video",
            "type": "videorectangle",
            "value": {"framesCount": 244, "sequence": sequence, "labels": ["cat"]},
        },
    ]
    return [
        {
            "id": 1,
            "data": {"image": "/data/upload/1/astronaut.png", "caption": "a portrait"},
            "annotations": [
                {"id": 11, "completed_by": {"id": 7, "email": "ann@example.org"}, "result": image},
                {
                    "id": 12,
                    "completed_by": 9,
                    "result": [
                        image_result(
                            "rectanglelabels",
                            {
                                "x": 11,
                                "y": 21,
                                "width": 29,
                                "height": 40,
                                "rectanglelabels": ["person"],
                            },
                            "other",
                        )
                    ],
                },
            ],
            "predictions": [
                {
                    "id": 3,
                    "model_version": "yolo-v8",
                    "score": 0.5,
                    "result": [
                        image_result(
                            "rectanglelabels",
                            {
                                "x": 12,
                                "y": 22,
                                "width": 28,
                                "height": 38,
                                "rectanglelabels": ["person"],
                            },
                            "p1",
                            score=0.875,
                        )
                    ],
                },
            ],
        },
        {
            "id": 2,
            "data": {"audio": "s1_astronaut.wav"},
            "annotations": [{"id": 21, "completed_by": 7, "result": audio}],
        },
        {
            "id": 3,
            "data": {"text": text},
            "annotations": [{"id": 31, "completed_by": 7, "result": spans}],
        },
        {
            "id": 4,
            "data": {"video": "/data/local-files/?d=video/slideshow_320x240_25fps.mp4"},
            "annotations": [{"id": 41, "completed_by": 7, "result": video}],
        },
    ]


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    """The demo media in one folder, as a media root."""
    root = tmp_path / "media"
    (root / "video").mkdir(parents=True)
    for path in (MEDIA / "images" / "astronaut.png", MEDIA / "audio" / "s1_astronaut.wav"):
        (root / path.name).write_bytes(path.read_bytes())
    (root / "video" / "slideshow_320x240_25fps.mp4").write_bytes(
        (VIDEO_MEDIA / "slideshow_320x240_25fps.mp4").read_bytes()
    )
    return root


def test_every_kind_of_result_reads_as_its_geometry(tmp_path: Path, media_root: Path) -> None:
    image, audio, text, video = read(write_tasks(tmp_path, rich_tasks()), media_root)
    by_region = {a.id.rsplit(".", 1)[-1]: a for a in image.annotations}
    person = by_region["box1"]
    assert person.geometry == Box(x=53.76, y=103.68, w=153.6, h=205.44)
    assert person.attributes == {"pose": "standing", "note": "tall\nsmiling", "count": 2}
    assert person.author == "ann@example.org"
    assert by_region["poly"].geometry == Polygon(
        points=[(5.12, 10.24), (156.16, 11.52), (76.8, 204.8)]
    )
    assert by_region["kp"].geometry == Keypoints(
        points=[(percent("33.3", 512), percent("44.4", 512), 2)]
    )
    assert by_region["turned"].geometry == Polygon(
        points=rotated_corners(307.2, 51.2, 102.4, 51.2, 30)
    )
    assert by_region["brush"].geometry == Mask(rle=real_mask())
    assert (by_region["whole"].label, by_region["whole"].geometry) == ("portrait", Classification())
    assert by_region["other"].author == "9"
    assert by_region["p1"].source == Source(kind="model", name="yolo-v8", confidence=0.875)
    assert [(k.type, k.source, k.target) for k in image.links] == [
        ("part-of", by_region["kp"].id, person.id),
        ("same-as", person.id, by_region["poly"].id),
    ]
    assert image.metadata["label_studio"]["data"] == {"caption": "a portrait"}
    assert [(a.label, a.geometry) for a in audio.annotations] == [
        ("speech", TranscriptSegment(start=0.25, end=1.5, text="An astronaut")),
        ("music", Interval(start=2.0, end=3.25)),
    ]
    (stream,) = text.streams
    assert [(a.geometry, a.geometry.extract(stream.text or "")) for a in text.annotations] == [  # type: ignore[union-attr]
        (TextSpan(start=4, end=7), "cat"),
        (TextSpan(start=17, end=20), "cat"),
    ]
    (track,) = video.annotations
    assert video.streams[0].uri == "video/slideshow_320x240_25fps.mp4"
    assert track.geometry == Track(
        keyframes=[
            TrackFrame(frame=0, x=32.0, y=24.0, w=64.0, h=72.0),
            TrackFrame(frame=10, x=64.0, y=36.0, w=64.0, h=72.0),
            TrackFrame(frame=11, x=64.0, y=36.0, w=64.0, h=72.0, outside=True),
            TrackFrame(frame=30, x=160.0, y=120.0, w=32.0, h=24.0),
        ]
    )


def test_read_write_read_keeps_every_record(tmp_path: Path, media_root: Path) -> None:
    first = read(write_tasks(tmp_path / "in", rich_tasks()), media_root)
    report = write_label_studio(first, ONTOLOGY, tmp_path / "out")
    assert (report.files, report.samples, report.annotations) == (
        ["tasks.json", "label_config.xml"],
        4,
        13,
    )
    again = read(tmp_path / "out" / "tasks.json", media_root)
    for before, after in zip(first, again, strict=True):
        assert after.external_id == before.external_id
        assert shapes(after) == shapes(before)
        assert ends(after) == ends(before)
    written = json.loads((tmp_path / "out" / "tasks.json").read_text())
    # what Label Studio needs to import it: the data as it was, the original names
    assert written[0]["data"] == {"caption": "a portrait", "image": "/data/upload/1/astronaut.png"}
    assert written[3]["data"] == {"video": "/data/local-files/?d=video/slideshow_320x240_25fps.mp4"}
    assert written[0]["annotations"][0]["completed_by"] == {"email": "ann@example.org"}
    assert written[0]["annotations"][1]["completed_by"] == 9  # a Label Studio user id
    assert written[0]["predictions"][0]["model_version"] == "yolo-v8"
    config = SafeXml.fromstring((tmp_path / "out" / "label_config.xml").read_text())
    tags = {(node.tag, node.get("name")) for node in config}
    assert {("Image", "image"), ("Audio", "audio"), ("Text", "text"), ("Video", "video")} <= tags
    assert {
        ("RectangleLabels", "rectangle"),
        ("BrushLabels", "brush"),
        ("VideoRectangle", "box"),
    } <= tags
    relations = config.find("Relations")
    assert relations is not None
    assert sorted(node.get("value") for node in relations) == ["part-of", "same-as"]


def test_what_label_studio_cannot_carry_goes_to_the_sidecar(tmp_path: Path) -> None:
    image = Stream(
        id="s.img",
        name="image",
        modality="image",
        uri="a.png",
        media=MediaInfo(width=100, height=50),
    )
    sample = Sample(
        id="s",
        external_id="a.png",
        streams=[image],
        annotations=[
            Annotation(
                id="s.a",
                stream="s.img",
                label="person",
                geometry=Box(x=10, y=5, w=20, h=10),
                attributes={"seen": True},
                author="ann",
            ),
            Annotation(
                id="s.b",
                stream="s.img",
                label="person",
                geometry=Keypoints(points=[(1, 2, 2), (3, 4, 1)]),
                author="ann",
            ),
            Annotation(
                id="s.c",
                stream="s.img",
                label="person",
                geometry=Box(x=1, y=1, w=2, h=2),
                author="bob",
            ),
        ],
        entities=[Entity(id="s.e", members=["s.a", "s.c"])],
        links=[
            Link(id="s.l", type="same-as", source="s.a", target="s.c"),  # two annotators
            Link(id="s.m", type="part-of", source="s.b", target="s.a"),  # s.b is not written
            Link(id="s.n", type="same-as", source="s.a", target="s.e"),  # to an entity
        ],
    )
    report = write_label_studio([sample], ONTOLOGY, tmp_path)
    assert report.files == ["tasks.json", "label_config.xml", "not_carried.jsonl"]
    assert set(report.not_carried) == {
        "true/false attributes",
        "keypoints annotations",
        "entities",
        "links",
    }
    lines = [json.loads(line) for line in (tmp_path / "not_carried.jsonl").read_text().splitlines()]
    assert [(line["sample"], line["kind"], line["record"]["id"]) for line in lines] == [
        ("tasks.1", "annotation", "tasks.1.annotation.1"),
        ("tasks.1", "entity", "tasks.1.entity.1"),
        ("tasks.1", "link", "tasks.1.link.1"),
        ("tasks.1", "link", "tasks.1.link.2"),
        ("tasks.1", "link", "tasks.1.link.3"),
        ("tasks.1", "fields", "tasks.1.a1.a"),
    ]
    # the ids of the regions read back: <task>.<annotation>.<region>
    assert lines[1]["record"]["members"] == ["tasks.1.a1.a", "tasks.1.a2.c"]
    assert lines[5]["record"]["fields"] == {"attributes": {"seen": True}}
    [again] = [f.sample for f in read_label_studio(tmp_path / "tasks.json", ReadOptions())]
    assert [(a.id, a.author, a.attributes) for a in again.annotations] == [
        ("tasks.1.a1.a", "ann", {"seen": True}),
        ("tasks.1.a2.c", "bob", {}),
        ("tasks.1.annotation.1", "ann", {}),
    ]
    assert [(k.source, k.target) for k in again.links] == [
        ("tasks.1.a1.a", "tasks.1.a2.c"),
        ("tasks.1.annotation.1", "tasks.1.a1.a"),
        ("tasks.1.a1.a", "tasks.1.entity.1"),
    ]
    (task,) = json.loads((tmp_path / "tasks.json").read_text())
    assert [len(group["result"]) for group in task["annotations"]] == [1, 1]  # no relations
    assert task["annotations"][0]["created_username"] == "ann"  # not an e-mail: a name
    assert task["annotations"][0]["result"][0]["value"] == {
        "x": 10.0,
        "y": 10.0,
        "width": 20.0,
        "height": 20.0,
        "rotation": 0,
        "rectanglelabels": ["person"],
    }


def test_ellipses_and_vector_paths_are_read_and_written_back_as_they_were(
    tmp_path: Path,
) -> None:
    """An ellipse is a polygon of vertices on it (each side within 0.25 px of the curve);
    a closed vector path a polygon, an open one (a polyline) keypoints along it; written
    back, each is the same result with the same numbers."""
    ellipse = {"x": 40, "y": 50, "radiusX": 20.5, "radiusY": 10, "rotation": 30}
    open_path = [
        {"id": "p1", "x": 10, "y": 10, "prevPointId": None, "isBezier": False},
        {"id": "p2", "x": 20.25, "y": 30, "prevPointId": "p1", "isBezier": False},
        {"id": "p3", "x": 40, "y": 35, "prevPointId": "p2", "isBezier": False},
    ]
    closed_path = [{**vertex, "id": f"c{n}"} for n, vertex in enumerate(open_path, 1)]
    for n, vertex in enumerate(closed_path[1:], 1):
        vertex["prevPointId"] = f"c{n}"
    size = {"original_width": 200, "original_height": 100, "image_rotation": 0}

    def result(ident: str, kind: str, value: dict[str, Any]) -> dict[str, Any]:
        control = "shapes" if kind != "vectorlabels" else "paths"
        return {
            "id": ident,
            "from_name": control,
            "to_name": "image",
            "type": kind,
            **size,
            "value": {**value, kind: ["cat"]},
        }

    task = {
        "id": 7,
        "data": {"image": "/data/upload/1/a.png"},
        "annotations": [
            {
                "id": 1,
                "completed_by": 3,
                "result": [
                    result("e", "ellipselabels", ellipse),
                    result("o", "vectorlabels", {"vertices": open_path, "closed": False}),
                    result("c", "vectorlabels", {"vertices": closed_path, "closed": True}),
                ],
            }
        ],
    }
    [sample] = read(write_tasks(tmp_path / "in", [task]))
    drawn, line, shape = sample.annotations
    assert isinstance(drawn.geometry, Polygon)
    cx, cy, rx, ry, turn = 80.0, 50.0, 41.0, 10.0, np.radians(30)
    for x, y in drawn.geometry.points:  # on the turned ellipse
        u = (x - cx) * np.cos(turn) + (y - cy) * np.sin(turn)
        v = -(x - cx) * np.sin(turn) + (y - cy) * np.cos(turn)
        assert (u / rx) ** 2 + (v / ry) ** 2 == pytest.approx(1)
    sides = len(drawn.geometry.points)
    assert rx * (1 - np.cos(np.pi / sides)) <= 0.25 < rx * (1 - np.cos(np.pi / (sides - 1)))
    points = [(20.0, 10.0), (40.5, 30.0), (80.0, 35.0)]
    assert line.geometry == Keypoints(points=[(x, y, 2) for x, y in points])
    assert shape.geometry == Polygon(points=points)
    write_label_studio([sample], ONTOLOGY, tmp_path / "out")
    [written] = json.loads((tmp_path / "out" / "tasks.json").read_text())
    got = {r["id"]: (r["type"], r["value"]) for r in written["annotations"][0]["result"]}
    assert got == {
        "a1.e": ("ellipselabels", {**ellipse, "ellipselabels": ["cat"]}),
        "a1.o": ("vectorlabels", {"vertices": open_path, "closed": False, "vectorlabels": ["cat"]}),
        "a1.c": (
            "vectorlabels",
            {"vertices": closed_path, "closed": True, "vectorlabels": ["cat"]},
        ),
    }
    [again] = read(tmp_path / "out" / "tasks.json")
    assert [a.geometry for a in again.annotations] == [a.geometry for a in sample.annotations]
    # moved, the ellipse is no longer one: it is written as the polygon it is
    moved = drawn.model_copy(update={"geometry": Polygon(points=drawn.geometry.points[1:])})
    write_label_studio(
        [sample.model_copy(update={"annotations": [moved]})], ONTOLOGY, tmp_path / "moved"
    )
    [result_moved] = json.loads((tmp_path / "moved" / "tasks.json").read_text())[0]["annotations"][
        0
    ]["result"]
    assert result_moved["type"] == "polygonlabels"


@pytest.mark.parametrize(
    ("vertex", "field", "detail"),
    [
        ({"isBezier": True}, "value.vertices[1]", "a Bézier vertex has no Rosetta geometry"),
        ({"prevPointId": "p0"}, "value.vertices[2].prevPointId", "a branching path"),
    ],
)
def test_bezier_and_branching_vector_paths_are_refused(
    tmp_path: Path, vertex: dict[str, Any], field: str, detail: str
) -> None:
    vertices = [
        {"id": "p0", "x": 1, "y": 1, "prevPointId": None},
        {"id": "p1", "x": 2, "y": 2, "prevPointId": "p0", **vertex},
        {"id": "p2", "x": 3, "y": 1, "prevPointId": "p1"},
    ]
    vertices[2]["prevPointId"] = "p0" if "prevPointId" in vertex else "p1"
    task = {
        "id": 1,
        "data": {"image": "a.png"},
        "annotations": [
            {
                "result": [
                    {
                        "id": "v",
                        "from_name": "paths",
                        "to_name": "image",
                        "type": "vectorlabels",
                        "original_width": 10,
                        "original_height": 10,
                        "value": {"vertices": vertices, "closed": False, "vectorlabels": ["cat"]},
                    }
                ]
            }
        ],
    }
    with pytest.raises(ImportFailed) as failed:
        read(write_tasks(tmp_path, [task]))
    assert failed.value.field.endswith(f"result[0]: {field}")
    assert detail in failed.value.detail


def test_whole_task_text_areas_become_a_transcript_or_a_classification(
    tmp_path: Path, media_root: Path
) -> None:
    tasks = [
        {
            "id": 5,
            "data": {"audio": "s1_astronaut.wav", "image": "astronaut.png"},
            "annotations": [
                {
                    "completed_by": 7,
                    "result": [
                        {
                            "id": "w",
                            "from_name": "transcription",
                            "to_name": "audio",
                            "type": "textarea",
                            "value": {"text": ["An astronaut", "smiles"]},
                        },
                        {
                            "id": "c",
                            "from_name": "caption",
                            "to_name": "image",
                            "type": "textarea",
                            "value": {"text": ["a portrait"]},
                        },
                        {
                            "id": "n",
                            "from_name": "quality",
                            "to_name": "image",
                            "type": "rating",
                            "value": {"rating": 4},
                        },
                    ],
                }
            ],
        }
    ]
    (sample,) = read(write_tasks(tmp_path / "in", tasks), media_root)
    duration = soundfile.info(str(media_root / "s1_astronaut.wav")).duration
    assert [(a.label, a.geometry, a.attributes) for a in sample.annotations] == [
        (
            "transcription",
            TranscriptSegment(start=0, end=duration, text="An astronaut\nsmiles"),
            {},
        ),
        ("caption", Classification(), {"caption": "a portrait"}),
        ("quality", Classification(), {"quality": 4}),
    ]
    write_label_studio([sample], ONTOLOGY, tmp_path / "out")
    (again,) = read(tmp_path / "out" / "tasks.json", media_root)
    assert shapes(again) == shapes(sample)


def test_media_the_reader_cannot_measure_stops_it(tmp_path: Path) -> None:
    task = {
        "data": {"video": "remote.mp4"},
        "annotations": [json.loads(VIDEO.read_text())["annotations"][0]],
    }
    with pytest.raises(ImportFailed) as failed:
        read(write_tasks(tmp_path, task, "remote.json"))
    assert failed.value.field == "task.annotations[0].result[0]: value.sequence"
    assert failed.value.detail == (
        "a track needs the size and frame count of 'remote.mp4': no file for it under the media root"
    )
    two = rich_tasks()[:1]
    two[0]["annotations"][0]["result"][4]["original_width"] = 640
    with pytest.raises(ImportFailed) as failed:
        read(write_tasks(tmp_path, two, "sizes.json"))
    assert failed.value.field == "tasks[0].annotations[0].result[4]: original_width"
    assert failed.value.detail.startswith("the results disagree on the media: width=640 height=512")


# --- brush masks ------------------------------------------------------------------------------


def test_the_brush_code_reads_repeated_and_literal_blocks() -> None:
    """A code built bit by bit in the layout of the SDK's ``encode_rle`` (field sizes 3,
    4, 8, 16): a run of five 0s (flag 1), then three words given one by one (flag 0):
    0, 0, 255. The eight bytes are a 2x1 RGBA image whose second pixel's alpha is set."""
    header = f"{8:032b}{8 - 1:05b}" + "".join(f"{size - 1:04b}" for size in (3, 4, 8, 16))
    run = "1" + "00" + f"{5 - 1:03b}" + f"{0:08b}"
    literal = "0" + "00" + f"{3 - 1:03b}" + f"{0:08b}{0:08b}{255:08b}"
    bits = header + run + literal
    bits += "0" * (-len(bits) % 8)
    code = list(int(bits, 2).to_bytes(len(bits) // 8, "big"))
    assert decode_values(code).tolist() == [0, 0, 0, 0, 0, 0, 0, 255]
    rle = brush_to_rle(code, 2, 1)
    assert (rle.size, rle.runs()) == ((1, 2), [1, 1])  # column by column: one 0, one 1
    with pytest.raises(ValueError, match="the code ends inside a field"):
        decode_values(code[:-2])


def test_a_real_mask_goes_to_brush_code_and_back() -> None:
    rle = real_mask()
    assert brush_to_rle(rle_to_brush(rle), 512, 512) == rle
    with pytest.raises(ValueError, match="a 512x511 RGBA image has"):
        brush_to_rle(rle_to_brush(rle), 512, 511)


# --- through the project: export, then import into a fresh one -------------------------------


def counts(engine: Engine) -> tuple[int, ...]:
    with engine.connect() as connection:
        return tuple(
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (samples, streams, annotations, links)
        )


def project_samples(engine: Engine, project_id: str) -> dict[str, Sample]:
    found = (Sample.model_validate_json(line) for _, line in sample_lines(engine, project_id))
    return {sample.external_id or sample.id: sample for sample in found}


def test_a_project_exported_and_imported_again_keeps_everything(
    engine: Engine, tmp_path: Path, media_root: Path
) -> None:
    source = write_tasks(tmp_path / "in", rich_tasks(), "rich.json")
    first = create_project(engine, "first", ONTOLOGY, TESTER)
    options = ReadOptions(media_root=media_root)
    done = import_foreign(engine, first.id, "label-studio", source, TESTER, options=options)
    assert (done.imported.samples_written, done.imported.annotations) == (4, 13)
    report = export_foreign(engine, first.id, "label-studio", tmp_path / "out")
    assert report.annotations == 13
    second = create_project(engine, "second", ONTOLOGY, TESTER)
    # the export folder as it is, dataset card and all
    import_foreign(engine, second.id, "label-studio", tmp_path / "out", TESTER, options=options)
    before, after = project_samples(engine, first.id), project_samples(engine, second.id)
    assert (
        sorted(after)
        == sorted(before)
        == ["astronaut.png", "rich.3", "s1_astronaut.wav", "slideshow_320x240_25fps.mp4"]
    )
    for name, sample in before.items():
        assert shapes(after[name]) == shapes(sample)
        assert ends(after[name]) == ends(sample)
    # the percentages survive the store too: the second export writes the first's numbers
    export_foreign(engine, second.id, "label-studio", tmp_path / "again")
    assert values(tmp_path / "again") == values(tmp_path / "out")
    again = import_foreign(
        engine, second.id, "label-studio", tmp_path / "out" / "tasks.json", TESTER, options=options
    )
    assert again.imported.samples_written == 0  # the same external ids: nothing new


def values(folder: Path) -> list[Any]:
    """The results' values (their numbers as written) of every task in a written file."""
    tasks = json.loads((folder / "tasks.json").read_text(), parse_float=Decimal)
    return [
        [
            result["value"]
            for group in task["annotations"] + task["predictions"]
            for result in group["result"]
            if "value" in result
        ]
        for task in tasks
    ]


def test_unmapped_labels_are_listed_and_a_mapping_imports(engine: Engine) -> None:
    project = create_project(engine, "keypoints", ONTOLOGY, TESTER)
    before = counts(engine)
    with pytest.raises(UnmappedLabels) as unmapped:
        import_foreign(engine, project.id, "label-studio", KEYPOINTS, TESTER)
    assert [(u.label, u.count, u.first.element) for u in unmapped.value.labels] == [
        ("left_eye", 1, "tasks[0].annotations[0].result[1]"),
        ("right_eye", 1, "tasks[0].annotations[0].result[2]"),
    ]
    assert counts(engine) == before
    import_foreign(engine, project.id, "label-studio", KEYPOINTS, TESTER, mapping=KEYPOINT_MAPPING)
    (sample,) = project_samples(engine, project.id).values()
    assert sorted(a.label for a in sample.annotations) == ["nose", "nose", "nose", "person"]
    assert {k.type for k in sample.links} == {"part-of"}
    assert len(sample.links) == 4


# --- malformed files ---------------------------------------------------------------------------


def broken(tmp_path: Path, change: Any) -> Path:
    tasks = rich_tasks()[:3]
    change(tasks)
    return write_tasks(tmp_path, tasks, "broken.json")


@pytest.mark.parametrize(
    ("change", "field", "detail"),
    [
        (
            lambda t: t[2]["annotations"][0]["result"][0]["value"].update(start=6, end=9),
            "tasks[2].annotations[0].result[0]: value.start",
            "the offsets [6, 9) cover 't s', not the region's text 'cat'",
        ),
        (
            lambda t: t[0]["annotations"][0]["result"][0]["value"].update(x="12"),
            "tasks[0].annotations[0].result[0]: value.x",
            "expected a number, got '12'",
        ),
        (
            lambda t: t[0]["annotations"][0]["result"][4]["value"].update(points=[[1, 2], [3, 4]]),
            "tasks[0].annotations[0].result[4]: value.points.points",
            "at least 3 items",
        ),
        (
            lambda t: t[0]["annotations"][0]["result"].append(
                {"type": "hypertextlabels", "id": "e", "value": {}}
            ),
            "tasks[0].annotations[0].result[11]: type",
            "Label Studio result type 'hypertextlabels' has no Rosetta record",
        ),
        (
            lambda t: t[0]["annotations"][0]["result"][7]["value"].update(rle=[1, 2, 3]),
            "tasks[0].annotations[0].result[7]: value.rle",
            "not Label Studio's brush code",
        ),
        (
            lambda t: t[0]["annotations"][0]["result"][9].update(to_id="gone"),
            "tasks[0].annotations[0].result[9]: to_id",
            "'gone' is no region of this annotation",
        ),
        (
            lambda t: t[0]["predictions"][0]["result"][0].update(score=87.5),
            "tasks[0].predictions[0].result[0]: score",
            "expected a score from 0 to 1, got 87.5",
        ),
        (
            lambda t: t[0]["annotations"][0]["result"][0].update(to_name="photo"),
            "tasks[0].annotations[0].result[0]: to_name",
            "the object 'photo' names no field of the task's data (fields: ['caption', 'image'])",
        ),
    ],
)
def test_malformed_tasks_name_the_file_line_element_and_what_was_expected(
    tmp_path: Path, media_root: Path, change: Any, field: str, detail: str
) -> None:
    path = broken(tmp_path, change)
    with pytest.raises(ImportFailed) as failed:
        read(path, media_root)
    assert failed.value.file == str(path)
    task = int(field[6])
    text = path.read_text()
    starts = [i for i, line in enumerate(text.splitlines(), 1) if line == " {"]
    assert failed.value.line == starts[task]
    assert failed.value.field == field
    assert detail in failed.value.detail


def test_broken_json_names_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('[\n {"id": 1, "data": {"image": "a.png"}},\n {"id": 2, "data": }\n]\n')
    with pytest.raises(ImportFailed) as failed:
        read(path)
    assert (failed.value.line, failed.value.field, failed.value.detail) == (
        3,
        "column 20",
        "Expecting value",
    )
    path.write_text('{"rows": 1}')
    with pytest.raises(ImportFailed, match="expected a Label Studio task"):
        read(path)
    path.write_text('"text"')
    with pytest.raises(ImportFailed, match="expected a JSON list of tasks"):
        read(path)


def test_a_bad_task_after_good_ones_imports_nothing(
    engine: Engine, tmp_path: Path, media_root: Path
) -> None:
    tasks = rich_tasks()
    tasks[3]["annotations"][0]["result"][0]["value"]["sequence"][1]["frame"] = 0
    path = write_tasks(tmp_path, tasks, "late.json")
    project = create_project(engine, "late", ONTOLOGY, TESTER)
    before = counts(engine)
    with pytest.raises(ImportFailed) as failed:
        import_foreign(
            engine, project.id, "label-studio", path, TESTER, options=ReadOptions(media_root)
        )
    assert failed.value.field == "tasks[3].annotations[0].result[0]: value.sequence[1].frame"
    assert failed.value.detail == "expected a frame number from 1, got 0"
    assert counts(engine) == before


def test_a_rule_broken_by_a_region_names_it(
    engine: Engine, tmp_path: Path, media_root: Path
) -> None:
    tasks = rich_tasks()[:1]
    tasks[0]["annotations"][0]["result"][0]["value"]["width"] = 95  # past the image's edge
    path = write_tasks(tmp_path, tasks, "wide.json")
    project = create_project(engine, "wide", ONTOLOGY, TESTER)
    before = counts(engine)
    with pytest.raises(ImportFailed) as failed:
        import_foreign(
            engine, project.id, "label-studio", path, TESTER, options=ReadOptions(media_root)
        )
    assert failed.value.field == "tasks[0].annotations[0].result[0]: annotations[0].geometry"
    assert failed.value.detail == (
        "box x=53.76 y=103.68 w=486.4 h=205.44 must lie inside the 512x512 image "
        "[rule: inside-bounds]"
    )
    assert counts(engine) == before


def test_the_format_is_registered() -> None:
    spec = format_spec("label-studio")
    assert (spec.read, spec.write) == (read_label_studio, write_label_studio)
    assert "entities" in spec.not_carried
