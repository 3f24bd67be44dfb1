"""YOLO: the real Datumaro Ultralytics dataset (with and without its image), segmentation,
pose and Darknet datasets, the normalised <-> pixel conversion both ways (to 1e-9), round
trips through files and through a project, malformed files and unmapped labels."""

import shutil
from pathlib import Path

import orjson
import pytest
import yaml
from PIL import Image
from sqlalchemy import Engine, func, select

from conftest import MEDIA, SHARED, TESTER
from rosetta.core.errors import ImportFailed
from rosetta.core.geometry import Box, Keypoints, Polygon
from rosetta.core.ontology import parse_ontology
from rosetta.core.schema import Annotation, Entity, Link, MediaInfo, Sample, Source, Stream
from rosetta.formats.interchange import NOT_CARRIED, ForeignSample, Origin, ReadOptions
from rosetta.formats.label_map import LabelMap, UnmappedLabels
from rosetta.formats.yolo import label_path, read, read_dataset, write
from rosetta.services.exporter import sample_lines
from rosetta.services.format_io import export_foreign, import_foreign
from rosetta.services.importer import import_samples
from rosetta.services.projects import create_project
from rosetta.store.tables import annotations, entities, samples

FIXTURE = SHARED / "fixtures" / "formats" / "yolo" / "cvat-ai__datumaro" / "yolov8_detection"
ONTOLOGY = parse_ontology(
    {
        "classes": [
            {"name": "animal"},
            {"name": "cat", "parent": "animal"},
            {"name": "person"},
            {"name": "cup"},
        ]
    }
)
IMPORTED = Source(kind="import", name="yolo")


def _image(path: Path, width: int, height: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height)).save(path)
    return path


def _fixture_with_image(tmp_path: Path) -> Path:
    """The Datumaro dataset with the 15x10 image its test builds (``np.ones((10, 15, 3))``)."""
    root = tmp_path / "yolov8_detection"
    shutil.copytree(FIXTURE, root)
    _image(root / "images" / "train" / "1.jpg", 15, 10)
    return root


def _read(source: Path, options: ReadOptions | None = None) -> list[ForeignSample]:
    return list(read(source, options or ReadOptions()))


def _same(first: list[Sample], second: list[Sample]) -> None:
    """The samples are equal but for float rounding (1e-9) in the geometry."""
    assert len(first) == len(second)
    for a, b in zip(first, second, strict=True):
        assert a.model_copy(update={"annotations": []}) == b.model_copy(update={"annotations": []})
        assert [(x.id, x.label, x.source, x.geometry.type) for x in a.annotations] == [
            (y.id, y.label, y.source, y.geometry.type) for y in b.annotations
        ]
        for x, y in zip(a.annotations, b.annotations, strict=True):
            assert _numbers(x.geometry.model_dump()) == pytest.approx(
                _numbers(y.geometry.model_dump()), abs=1e-9
            )


def _numbers(value: object) -> list[float]:
    if isinstance(value, dict):
        return [n for key in sorted(value) for n in _numbers(value[key])]
    if isinstance(value, list | tuple):
        return [n for item in value for n in _numbers(item)]
    return [float(value)] if isinstance(value, int | float) else []


def _count(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as connection:
        return tuple(  # type: ignore[return-value]
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (samples, annotations, entities)
        )


# --- the real dataset ------------------------------------------------------------------------


def test_the_datumaro_dataset_without_its_image_names_the_label_file() -> None:
    with pytest.raises(ImportFailed) as caught:
        _read(FIXTURE)
    assert caught.value.file == str(FIXTURE / "labels" / "train" / "1.txt")
    assert "image: no image for this label file" in str(caught.value)
    assert "the image's size is needed" in str(caught.value)


def test_the_datumaro_dataset_with_its_image(tmp_path: Path) -> None:
    root = _fixture_with_image(tmp_path)
    dataset = read_dataset(root)
    assert dataset.file == root / "data.yaml"
    assert dataset.names == {i: f"label_{i}" for i in range(10)}
    assert dataset.splits == [("train", root / "images" / "train")]
    [foreign] = _read(root)
    sample = foreign.sample
    assert (sample.id, sample.external_id, sample.metadata) == (
        "1",
        "1.jpg",
        {"yolo": {"split": "train"}},
    )
    [stream] = sample.streams
    assert stream.uri == (root / "images" / "train" / "1.jpg").resolve().as_posix()
    assert stream.media == MediaInfo(width=15, height=10, mime="image/jpeg")
    assert [(a.id, a.label, a.source) for a in sample.annotations] == [
        ("1.1", "label_2", IMPORTED),
        ("1.2", "label_4", IMPORTED),
    ]
    first, second = (a.geometry for a in sample.annotations)
    assert isinstance(first, Box)
    assert isinstance(second, Box)
    # "2 0.133333 0.300000 0.266667 0.200000": the left edge 0.133333·15 - 0.266667·15/2 =
    # -7.5e-6 is past the image by less than the printed values' rounding (0.75e-6·15),
    # so it is put on the edge; the right edge stays at 0.133333·15 + 0.266667·15/2
    assert (first.x, first.y, first.h) == (
        0.0,
        pytest.approx(2.0, abs=1e-12),
        pytest.approx(2.0, abs=1e-12),
    )
    assert first.w == pytest.approx(0.133333 * 15 + 0.266667 * 15 / 2, abs=1e-12)
    # "4 0.266667 0.450000 0.133333 0.300000"
    assert (second.x, second.w) == pytest.approx(
        (0.266667 * 15 - 0.133333 * 15 / 2, 0.133333 * 15), abs=1e-12
    )
    assert (second.y, second.h) == pytest.approx((3.0, 3.0), abs=1e-12)
    # Datumaro's own test expects Bbox(0, 2, 4, 2) and Bbox(3, 3, 2, 3) from this file
    assert _numbers(first.model_dump()) == pytest.approx([2, 4, 0, 2], abs=1e-5)
    assert _numbers(second.model_dump()) == pytest.approx([3, 2, 3, 3], abs=1e-5)
    assert foreign.origin_of("1.2") == Origin(str(root / "labels" / "train" / "1.txt"), 2)


def test_the_image_can_come_from_the_media_root_and_is_probed(tmp_path: Path) -> None:
    (tmp_path / "media").mkdir()
    shutil.copy(MEDIA / "images" / "chelsea.png", tmp_path / "media" / "1.png")
    [foreign] = _read(FIXTURE / "data.yaml", ReadOptions(media_root=tmp_path / "media"))
    [stream] = foreign.sample.streams
    assert (stream.uri, foreign.sample.external_id) == ("1.png", "1.png")
    assert stream.media == MediaInfo(width=451, height=300, mime="image/png")
    assert [a.label for a in foreign.sample.annotations] == ["label_2", "label_4"]
    # "4 0.266667 0.450000 0.133333 0.300000" in pixels of the probed 451x300
    second = foreign.sample.annotations[1].geometry
    assert isinstance(second, Box)
    assert (second.x, second.y, second.w, second.h) == pytest.approx(
        (0.266667 * 451 - 0.133333 * 451 / 2, 0.45 * 300 - 0.3 * 300 / 2, 0.133333 * 451, 90.0),
        abs=1e-9,
    )


def test_an_image_that_cannot_be_probed_names_the_label_file_and_the_image(
    tmp_path: Path,
) -> None:
    root = _fixture_with_image(tmp_path)
    (root / "images" / "train" / "1.jpg").write_bytes(b"\xff\xd8 not a JPEG")
    with pytest.raises(ImportFailed) as failed:
        _read(root)
    assert (failed.value.file, failed.value.field) == (
        str(root / "labels" / "train" / "1.txt"),
        "image",
    )
    image = root / "images" / "train" / "1.jpg"
    assert f"{image}: not readable as an image" in failed.value.detail


def test_read_write_read_of_the_datumaro_dataset(tmp_path: Path) -> None:
    root = _fixture_with_image(tmp_path)
    options = ReadOptions(media_root=root / "images" / "train")
    first = [f.sample for f in _read(root, options)]
    labels = parse_ontology({"classes": [{"name": f"label_{i}"} for i in range(10)]})
    report = write(first, labels, tmp_path / "out")
    assert (report.files, report.samples, report.annotations) == (
        ["data.yaml", "labels/train/"],
        1,
        2,
    )
    assert list(report.not_carried) == ["images"]
    data = yaml.safe_load((tmp_path / "out" / "data.yaml").read_text(encoding="utf-8"))
    assert data == {"train": "images/train", "names": {i: f"label_{i}" for i in range(10)}}
    _same([f.sample for f in _read(tmp_path / "out", options)], first)


# --- segmentation, pose, Darknet -------------------------------------------------------------


def _dataset(
    tmp_path: Path, data: dict[str, object], label: str, size: tuple[int, int] = (200, 100)
) -> Path:
    root = tmp_path / "set"
    root.mkdir(exist_ok=True)
    (root / "data.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    _image(root / "images" / "val" / "a.png", *size)
    (root / "labels" / "val").mkdir(parents=True, exist_ok=True)
    (root / "labels" / "val" / "a.txt").write_text(label, encoding="utf-8")
    return root


def test_polygons_boxes_and_predictions(tmp_path: Path) -> None:
    root = _dataset(
        tmp_path,
        {"val": "images/val", "names": ["cat", "cup"]},
        "1 0.1 0.2 0.5 0.2 0.5 0.9\n\n0 0.5 0.5 0.5 0.5 0.875\n0 0.25 0.25 0.5 0.5\n",
    )
    [foreign] = _read(root)
    assert [(a.id, a.label, a.geometry, a.source) for a in foreign.sample.annotations] == [
        ("a.1", "cup", Polygon(points=[(20, 20), (100, 20), (100, 90)]), IMPORTED),
        (
            "a.3",
            "cat",
            Box(x=50, y=25, w=100, h=50),
            Source(kind="model", name="yolo", confidence=0.875),
        ),
        ("a.4", "cat", Box(x=0, y=0, w=100, h=50), IMPORTED),
    ]
    assert foreign.sample.metadata == {"yolo": {"split": "val"}}


def test_dotted_and_nested_image_names(tmp_path: Path) -> None:
    root = _dataset(tmp_path, {"val": "images/val", "names": ["cat"]}, "0 0.5 0.5 0.5 0.5\n")
    _image(root / "images" / "val" / "a.001.png", 10, 10)  # no label file: a background
    _image(root / "images" / "val" / "sub" / "c.png", 10, 10)
    (root / "labels" / "val" / "sub").mkdir()
    (root / "labels" / "val" / "sub" / "c.txt").write_text("0 0.5 0.5 1 1\n", encoding="utf-8")
    found = {f.sample.id: f.sample for f in _read(root)}
    assert sorted(found) == ["a", "a.001", "c"]
    assert found["a.001"].annotations == []
    assert found["a"].annotations[0].geometry == Box(x=50, y=25, w=100, h=50)
    assert found["c"].annotations[0].geometry == Box(x=0, y=0, w=10, h=10)


def test_pose_lines_are_a_box_and_keypoints_of_one_entity(tmp_path: Path) -> None:
    root = _dataset(
        tmp_path,
        {
            "val": "images/val",
            "names": {0: "person"},
            "kpt_shape": [3, 3],
            "kpt_names": {0: ["nose", "left_eye", "right_eye"]},
        },
        "0 0.5 0.5 0.5 0.5 0.5 0.25 2 0.375 0.5 1 0 0 0\n0 0.5 0.5 1 1\n",
    )
    [foreign] = _read(root)
    sample = foreign.sample
    assert [(a.id, a.label, a.geometry) for a in sample.annotations] == [
        ("a.1", "person", Box(x=50, y=25, w=100, h=50)),
        (
            "a.1.keypoints",
            "person",
            Keypoints(
                points=[(100, 25, 2), (75, 50, 1), (0, 0, 0)],
                names=["nose", "left_eye", "right_eye"],
            ),
        ),
        ("a.2", "person", Box(x=0, y=0, w=200, h=100)),  # a plain box among poses is kept
    ]
    assert sample.entities == [
        Entity(id="a.1.pose", label="person", members=["a.1", "a.1.keypoints"])
    ]


def test_two_value_keypoints_at_the_origin_are_absent(tmp_path: Path) -> None:
    root = _dataset(
        tmp_path,
        {"val": "images/val", "names": ["person"], "kpt_shape": [2, 2]},
        "0 0.5 0.5 0.5 0.5 0.5 0.25 0 0\n",
    )
    keypoints = _read(root)[0].sample.annotations[1].geometry
    assert keypoints == Keypoints(points=[(100, 25, 2), (0, 0, 0)])


def test_a_darknet_dataset(tmp_path: Path) -> None:
    """CVAT's "YOLO 1.1" export: obj.data names data/... paths, as Darknet runs from its
    own folder; labels lie beside the images."""
    (tmp_path / "obj.data").write_text(
        "classes = 2\ntrain = data/train.txt\nnames = data/obj.names\nbackup = backup/\n",
        encoding="utf-8",
    )
    (tmp_path / "obj.names").write_text("cat\ncup\n", encoding="utf-8")
    (tmp_path / "train.txt").write_text(
        "data/obj_train_data/b.png\ndata/obj_train_data/c.png\n", encoding="utf-8"
    )
    _image(tmp_path / "obj_train_data" / "b.png", 100, 50)
    _image(tmp_path / "obj_train_data" / "c.png", 10, 10)
    (tmp_path / "obj_train_data" / "b.txt").write_text("1 0.5 0.5 0.5 0.5\n", encoding="utf-8")
    found = _read(tmp_path)
    assert [(f.sample.id, f.sample.metadata) for f in found] == [
        ("b", {"yolo": {"split": "train"}}),
        ("c", {"yolo": {"split": "train"}}),
    ]
    assert [(a.label, a.geometry) for a in found[0].sample.annotations] == [
        ("cup", Box(x=25, y=12.5, w=50, h=25))
    ]
    assert found[1].sample.annotations == []  # an image without a label file: a background
    assert (
        label_path(tmp_path / "d" / "images" / "x" / "1.jpg")
        == tmp_path / "d" / "labels" / "x" / "1.txt"
    )


# --- writing ---------------------------------------------------------------------------------


def _stream(ident: str, uri: str, width: int = 200, height: int = 100) -> Stream:
    return Stream(
        id=ident,
        name="image",
        modality="image",
        uri=uri,
        media=MediaInfo(width=width, height=height),
    )


def test_the_writer_normalises_and_says_what_it_left_out(tmp_path: Path) -> None:
    body = Box(x=50, y=25, w=100, h=50)
    points = Keypoints(points=[(100, 25, 2), (75, 50, 1)], names=["nose", "eye"])
    sample = Sample(
        id="s",
        metadata={"yolo": {"split": "val"}},
        streams=[_stream("s.img", "/data/pics/a.png")],
        annotations=[
            Annotation(
                id="box",
                stream="s.img",
                label="cup",
                geometry=Box(x=0.5, y=1 / 3, w=10, h=20),
                attributes={"colour": "red"},
            ),
            Annotation(id="body", stream="s.img", label="person", geometry=body),
            Annotation(id="pose", stream="s.img", label="person", geometry=points),
            Annotation(
                id="lone",
                stream="s.img",
                label="cat",
                geometry=Keypoints(points=[(10, 10, 2), (30, 20, 2)]),
            ),
            Annotation(
                id="three",
                stream="s.img",
                label="cat",
                geometry=Keypoints(points=[(1, 1, 2), (3, 2, 2), (5, 5, 2)]),
            ),
            Annotation(id="scene", stream=None, label="cat", geometry={"type": "classification"}),
        ],
        entities=[Entity(id="e", label="person", members=["body", "pose"])],
        links=[Link(id="l", type="same-as", source="box", target="lone")],
    )
    other = Sample(id="t", streams=[_stream("t.img", "a.jpg", 10, 10)])  # the same stem
    report = write([sample, other], ONTOLOGY, tmp_path)
    assert report.files == ["data.yaml", "labels/val/", "labels/train/", NOT_CARRIED]
    assert (report.samples, report.annotations) == (2, 4)
    assert set(report.not_carried) == {
        "attributes",
        "classification annotations",
        "keypoints annotations",
        "links",
        "images",
    }
    lines = (tmp_path / "labels" / "val" / "a.txt").read_text(encoding="utf-8").splitlines()
    assert lines == [
        f"3 {(0.5 + 5) / 200!r} {(1 / 3 + 10) / 100!r} 0.05 0.2",
        "2 0.5 0.5 0.5 0.5 0.5 0.25 2 0.375 0.5 1",
        # keypoints without a box: their extent
        "1 0.1 0.15 0.1 0.1 0.05 0.1 2 0.15 0.2 2",
    ]
    # image names are sample ids when read back: unique across the splits
    assert (tmp_path / "labels" / "train" / "t_t.img.txt").read_text(encoding="utf-8") == ""
    data = yaml.safe_load((tmp_path / "data.yaml").read_text(encoding="utf-8"))
    assert data == {
        "val": "images/val",
        "train": "images/train",
        "names": {0: "animal", 1: "cat", 2: "person", 3: "cup"},
        "kpt_shape": [2, 3],
        "kpt_names": {2: ["nose", "eye"]},
    }
    kept = [orjson.loads(line) for line in (tmp_path / NOT_CARRIED).read_bytes().splitlines()]
    # in the sample read back from labels/val/a.txt, under the ids it gets there
    assert {line["sample"] for line in kept} == {"a"}
    assert [(line["kind"], line["record"]["id"]) for line in kept] == [
        ("annotation", "a.annotation.1"),  # "three": ids derived from the files
        ("annotation", "a.annotation.2"),  # "scene"
        ("link", "a.link.1"),
        ("fields", "a.1"),
    ]
    assert kept[0]["record"]["stream"] == "a.image"
    assert kept[1]["record"]["stream"] is None
    assert (kept[2]["record"]["source"], kept[2]["record"]["target"]) == ("a.1", "a.3.keypoints")
    assert kept[2]["record"]["type"] == "same-as"
    assert kept[3]["record"]["fields"] == {"attributes": {"colour": "red"}}


def test_a_round_trip_keeps_what_the_labels_cannot_hold(tmp_path: Path) -> None:
    media = tmp_path / "media"
    _image(media / "a.png", 200, 100)
    sample = Sample(
        id="s",
        status="done",
        metadata={"yolo": {"split": "val"}, "note": "kept"},
        streams=[
            _stream("s.img", "a.png"),
            Stream(id="s.txt", name="t", modality="text", text="hi"),
        ],
        annotations=[
            Annotation(
                id="box",
                stream="s.img",
                label="cup",
                geometry=Box(x=10, y=20, w=30, h=40),
                attributes={"colour": "red"},
                source=IMPORTED,
            ),
            Annotation(
                id="word",
                stream="s.txt",
                label="cat",
                geometry={"type": "span", "start": 0, "end": 2},
                author="ada",
            ),
        ],
        entities=[Entity(id="e", label="cup", members=["box"])],
        links=[Link(id="l", type="same-as", source="word", target="box")],
    )
    alone = Sample(
        id="alone", streams=[Stream(id="alone.txt", name="t", modality="text", text="x")]
    )
    write([sample, alone], ONTOLOGY, tmp_path / "out")
    again = [f.sample for f in _read(tmp_path / "out", ReadOptions(media_root=media))]
    assert [s.id for s in again] == ["a", "alone"]
    back, whole = again
    assert whole == alone
    assert (back.status, back.metadata) == ("done", {"yolo": {"split": "val"}, "note": "kept"})
    assert [s.id for s in back.streams] == ["a.image", "a.stream.1"]
    assert back.streams[1] == sample.streams[1].model_copy(update={"id": "a.stream.1"})
    assert [(a.id, a.stream, a.attributes) for a in back.annotations] == [
        ("a.1", "a.image", {"colour": "red"}),
        ("a.annotation.1", "a.stream.1", {}),
    ]
    assert back.annotations[1].author == "ada"
    assert back.entities == [Entity(id="a.entity.1", label="cup", members=["a.1"])]
    assert back.links == [
        Link(id="a.link.1", type="same-as", source="a.annotation.1", target="a.1")
    ]


def test_write_then_read_gives_the_pixels_back(tmp_path: Path) -> None:
    root = _dataset(
        tmp_path,
        {"val": "images/val", "names": ["cat", "cup", "person"], "kpt_shape": [2, 3]},
        "2 0.3 0.4 0.2 0.2 0.25 0.3 2 0.35 0.45 1\n1 0.123457 0.2 0.5 0.2 0.5 0.9\n0 0.7 0.7 0.2 0.3\n",
        size=(333, 217),
    )
    options = ReadOptions(media_root=root / "images" / "val")
    first = [f.sample for f in _read(root, options)]
    odd = Annotation(
        id="odd",
        stream=first[0].streams[0].id,
        label="cat",
        geometry=Box(x=1 / 7, y=2 / 3, w=100 / 9, h=0.1),
        source=IMPORTED,
    )
    first[0].annotations.append(odd)
    write(
        first,
        parse_ontology({"classes": [{"name": n} for n in ("cat", "cup", "person")]}),
        tmp_path / "out",
    )
    again = [f.sample for f in _read(tmp_path / "out", options)]
    first[0].annotations[-1] = odd.model_copy(update={"id": "a.4"})
    _same(again, first)


# --- malformed files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "line", "where", "expected"),
    [
        (
            "0 0.5 0.5 0.1 0.1\n7 0.5 0.5 0.1 0.1\n",
            2,
            "class",
            "expected a class index of data.yaml (0..1), got 7",
        ),
        ("\n0.5 0.5 0.5 0.1 0.1\n", 2, "class", "expected a whole number, got '0.5'"),
        ("0 0.5 x 0.1 0.1\n", 1, "cy", "expected a number, got 'x'"),
        ("0 0.5 0.5 0 0.1\n", 1, "w", "expected a positive size, got '0'"),
        ("0 0.5 0.5 0.1\n", 1, "", "expected class cx cy w h (a box)"),
        (
            "0 0.1 0.1 0.2 0.2 0.3 0.3 0.4\n",
            1,
            "",
            "expected class cx cy w h (a box), class cx cy w h conf (a prediction), or class "
            "x1 y1 x2 y2 x3 y3 ... (a polygon of 3 points or more); got 7 values after the class",
        ),
        ("0 0.5 0.5 0.1 0.1 1.5\n", 1, "conf", "expected a confidence in [0, 1], got 1.5"),
    ],
)
def test_malformed_label_lines_name_the_file_line_and_field(
    tmp_path: Path, label: str, line: int, where: str, expected: str
) -> None:
    root = _dataset(tmp_path, {"val": "images/val", "names": ["cat", "cup"]}, label)
    with pytest.raises(ImportFailed) as caught:
        _read(root)
    assert (caught.value.file, caught.value.line) == (str(root / "labels" / "val" / "a.txt"), line)
    assert (f"{where}: {expected}" if where else f"{line}: {expected}") in str(caught.value)


def test_a_bad_visibility(tmp_path: Path) -> None:
    root = _dataset(
        tmp_path,
        {"val": "images/val", "names": ["p"], "kpt_shape": [1, 3]},
        "0 0.5 0.5 0.1 0.1 0.5 0.5 3\n",
    )
    with pytest.raises(ImportFailed, match=r"a.txt:1: keypoints\[0\].v: expected 0, 1 or 2, got 3"):
        _read(root)


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("train: images/train\n", 0, "names: expected the class names"),
        ("names: [a\ntrain: x\n", 2, "not valid YAML"),
        ("names: {zero: a}\ntrain: x\n", 0, "names.zero: expected a class index"),
        ("names: [a]\n", 0, "train: expected at least one of train, val, test"),
        (
            "names: [a]\ntrain: x\nkpt_shape: [17, 4]\n",
            0,
            "kpt_shape: expected [K, 2] or [K, 3], got [17, 4]",
        ),
    ],
)
def test_malformed_data_yaml(tmp_path: Path, text: str, line: int, expected: str) -> None:
    (tmp_path / "data.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ImportFailed) as caught:
        _read(tmp_path)
    assert (caught.value.file, caught.value.line) == (str(tmp_path / "data.yaml"), line)
    assert expected in str(caught.value)


def test_a_folder_without_a_dataset_file(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match=r"expected one data.yaml .* or obj.data .* found \[\]"):
        _read(tmp_path)


def test_a_missing_listed_image_names_the_list_line(tmp_path: Path) -> None:
    (tmp_path / "obj.data").write_text("train = train.txt\nnames = obj.names\n", encoding="utf-8")
    (tmp_path / "obj.names").write_text("cat\n", encoding="utf-8")
    (tmp_path / "train.txt").write_text("\nimages/gone.png\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as caught:
        _read(tmp_path)
    assert (caught.value.file, caught.value.line) == (str(tmp_path / "train.txt"), 2)
    assert "image: no such image" in str(caught.value)


# --- through a project -----------------------------------------------------------------------


def test_unmapped_labels_are_listed_and_a_mapping_imports_them(
    engine: Engine, tmp_path: Path
) -> None:
    root = _fixture_with_image(tmp_path)
    project = create_project(engine, "yolo", ONTOLOGY, TESTER)
    with pytest.raises(UnmappedLabels) as caught:
        import_foreign(engine, project.id, "yolo", root, TESTER)
    assert [(u.label, u.count, u.first.line) for u in caught.value.labels] == [
        ("label_2", 1, 1),
        ("label_4", 1, 2),
    ]
    assert _count(engine) == (0, 0, 0)
    mapping = LabelMap(labels={"label_2": "cat", "label_4": "cup"}, drop=["label_0"])
    done = import_foreign(engine, project.id, "yolo", root, TESTER, mapping=mapping)
    assert (done.imported.samples_written, done.imported.annotations) == (1, 2)
    [(_, line)] = list(sample_lines(engine, project.id))
    assert [a.label for a in Sample.model_validate_json(line).annotations] == ["cat", "cup"]


def test_a_bad_label_file_imports_nothing(engine: Engine, tmp_path: Path) -> None:
    root = _dataset(tmp_path, {"val": "images/val", "names": ["cat"]}, "0 0.5 0.5 0.5 0.5\n")
    _image(root / "images" / "val" / "b.png", 20, 20)
    (root / "labels" / "val" / "b.txt").write_text("0 0.5 0.5 0.5\n", encoding="utf-8")
    project = create_project(engine, "yolo", ONTOLOGY, TESTER)
    with pytest.raises(ImportFailed) as caught:
        import_foreign(engine, project.id, "yolo", root, TESTER)
    assert (caught.value.file, caught.value.line) == (str(root / "labels" / "val" / "b.txt"), 1)
    assert _count(engine) == (0, 0, 0)


def test_export_then_import_keeps_geometry_labels_and_poses(engine: Engine, tmp_path: Path) -> None:
    images = MEDIA / "images"
    source = create_project(engine, "source", ONTOLOGY, TESTER)
    cat = Sample(
        id="k",
        external_id="chelsea",
        streams=[_stream("k.img", str(images / "chelsea.png"), 451, 300)],
        annotations=[
            Annotation(
                id="k.cat",
                stream="k.img",
                label="cat",
                geometry=Box(x=142.25, y=20.5, w=300, h=279.5),
            ),
            Annotation(
                id="k.outline",
                stream="k.img",
                label="cat",
                geometry=Polygon(points=[(150, 30), (440.5, 25), (300, 290.75)]),
            ),
        ],
    )
    cup = Sample(
        id="m",
        external_id="coffee",
        streams=[_stream("m.img", str(images / "coffee.png"), 600, 400)],
        annotations=[
            Annotation(
                id="m.person",
                stream="m.img",
                label="person",
                geometry=Box(x=10, y=20, w=300, h=350),
            ),
            Annotation(
                id="m.pose",
                stream="m.img",
                label="person",
                geometry=Keypoints(points=[(50, 60, 2), (70.5, 80.25, 1), (0, 0, 0)]),
            ),
            Annotation(
                id="m.cup",
                stream="m.img",
                label="cup",
                geometry=Box(x=200.5, y=100, w=150, h=120.125),
            ),
        ],
        entities=[Entity(id="m.who", label="person", members=["m.person", "m.pose"])],
    )
    import_samples(engine, source.id, [cat, cup], TESTER)
    report = export_foreign(engine, source.id, "yolo", tmp_path / "out")
    assert (report.samples, report.annotations) == (2, 5)
    assert set(report.not_carried) == {"images"}
    target = create_project(engine, "target", ONTOLOGY, TESTER)
    done = import_foreign(
        engine, target.id, "yolo", tmp_path / "out", TESTER, options=ReadOptions(media_root=images)
    )
    assert (done.imported.samples_written, done.imported.annotations, done.imported.entities) == (
        2,
        5,
        1,
    )
    back = {
        s.external_id: s
        for s in (Sample.model_validate_json(line) for _, line in sample_lines(engine, target.id))
    }
    assert sorted(back) == ["chelsea.png", "coffee.png"]
    for original in (cat, cup):
        sample = back[f"{original.external_id}.png"]
        assert sample.streams[0].uri == f"{original.external_id}.png"
        assert [(a.label, a.geometry.type) for a in sample.annotations] == [
            (a.label, a.geometry.type) for a in original.annotations
        ]
        for got, wanted in zip(sample.annotations, original.annotations, strict=True):
            assert _numbers(got.geometry.model_dump()) == pytest.approx(
                _numbers(wanted.geometry.model_dump()), abs=1e-9
            )
    [who] = back["coffee.png"].entities
    assert (who.label, who.members) == ("person", ["coffee.1", "coffee.1.keypoints"])
