"""COCO instances and results files: the real fixtures, round trips (files and store),
malformed files, unmapped labels; pycocotools is the reference for masks and areas."""

import contextlib
import io
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from PIL import Image
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from sqlalchemy import Engine, func, select

from conftest import SHARED, TESTER
from rosetta.core.errors import ImportFailed
from rosetta.core.geometry import Box, Interval, Keypoints, Mask, Polygon, Rle
from rosetta.core.modality import Modality
from rosetta.core.ontology import AttributeDef, AttributeType, ClassDef, Ontology, RelationType
from rosetta.core.schema import (
    Annotation,
    Entity,
    Link,
    MediaInfo,
    Sample,
    Source,
    Stream,
)
from rosetta.formats.coco import read_coco, write_coco
from rosetta.formats.interchange import NOT_CARRIED, ReadOptions
from rosetta.formats.label_map import LabelMap, UnmappedLabels
from rosetta.formats.native import dumps_sample
from rosetta.formats.registry import format_spec
from rosetta.services.exporter import sample_lines
from rosetta.services.format_io import export_foreign, import_foreign
from rosetta.services.importer import import_samples
from rosetta.services.projects import create_project
from rosetta.store.tables import annotations, entities, links, samples

COCO_FIXTURES = SHARED / "fixtures" / "formats" / "coco"
DATUMARO = COCO_FIXTURES / "openvinotoolkit__datumaro" / "instances_val.json"
RESULTS = COCO_FIXTURES / "cocodataset__cocoapi" / "instances_val2014_fakesegm100_results.json"

#: The 80 categories of COCO 2014/2017 (``instances_val2014.json``), by id.
_NAMES = [  # ids 1, 2, ...; "": an id COCO leaves unused
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "", "stop sign", "parking meter", "bench", "bird",
    "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "",
    "backpack", "umbrella", "", "", "handbag", "tie", "suitcase", "frisbee", "skis",
    "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard",
    "surfboard", "tennis racket", "bottle", "", "wine glass", "cup", "fork", "knife",
    "spoon", "bowl", "banana", "apple", "sandwich", "orange", "broccoli", "carrot",
    "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant", "bed", "",
    "dining table", "", "", "toilet", "", "tv", "laptop", "mouse", "remote", "keyboard",
    "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "", "book",
    "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
]  # fmt: skip
COCO_CATEGORIES = {i: name for i, name in enumerate(_NAMES, start=1) if name}
#: COCO's person keypoints and skeleton (``person_keypoints_val2017.json``).
PERSON_KEYPOINTS = [
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
]  # fmt: skip
PERSON_SKELETON = [
    [16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8],
    [7, 9], [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7],
]  # fmt: skip


def ontology(*names: str) -> Ontology:
    """Classes under ``object`` (which carries the fixture's attributes and ``iscrowd``)."""
    attributes = [
        AttributeDef(name="x", type=AttributeType.NUMBER),
        AttributeDef(name="y", type=AttributeType.TEXT),
        AttributeDef(name="iscrowd", type=AttributeType.BOOL),
    ]
    return Ontology(
        name="coco-test",
        classes=[
            ClassDef(name="object", attributes=attributes),
            *(ClassDef(name=name, parent="object") for name in names),
        ],
        relations=[RelationType(name="part-of"), RelationType(name="near", directed=False)],
    )


def read(source: Path, options: ReadOptions | None = None) -> list[Sample]:
    return [foreign.sample for foreign in read_coco(source, options or ReadOptions())]


def write_json(path: Path, value: Any) -> Path:
    path.write_bytes(orjson.dumps(value, option=orjson.OPT_INDENT_2))
    return path


def quiet_coco(path: Path) -> COCO:
    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(str(path))


def row_counts(engine: Engine) -> tuple[int, ...]:
    with engine.connect() as connection:
        return tuple(
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (samples, annotations, entities, links)
        )


def project_samples(engine: Engine, project_id: str) -> dict[str, Sample]:
    found = (Sample.model_validate_json(line) for _, line in sample_lines(engine, project_id))
    return {sample.external_id or sample.id: sample for sample in found}


# --- the real files --------------------------------------------------------------------------


def test_datumaro_instances_polygon_uncompressed_rle_iscrowd_and_attributes() -> None:
    """Datumaro's fixture: a polygon with a non-standard ``attributes`` object, and an
    uncompressed RLE with ``iscrowd: 1`` whose ``bbox`` (1x9) is not its mask's (2x10)."""
    [foreign] = read_coco(DATUMARO, ReadOptions())
    sample = foreign.sample
    assert sample.id == "instances_val.40"
    assert sample.external_id == "b.jpg"
    assert sample.metadata == {
        "coco": {"image": {"license": 0, "flickr_url": "", "coco_url": "", "date_captured": 0}}
    }
    [stream] = sample.streams
    assert (stream.id, stream.modality, stream.uri) == ("instances_val.40.image", "image", "b.jpg")
    assert (stream.media.width, stream.media.height) == (5, 10)
    polygon, crowd = sample.annotations
    assert polygon.id == "instances_val.40.1"
    assert polygon.label == "a"
    assert polygon.geometry == Polygon(points=[(0, 0), (1, 0), (1, 2), (0, 2)])
    assert polygon.attributes == {"x": 1, "y": "hello"}
    assert polygon.source == Source(kind="import", name="coco")
    assert crowd.id == "instances_val.40.2"
    assert crowd.label == "b"
    assert crowd.attributes == {"iscrowd": True}
    assert isinstance(crowd.geometry, Mask)
    reference = mask_utils.frPyObjects({"counts": [0, 20, 30], "size": [10, 5]}, 10, 5)
    assert crowd.geometry.rle == Rle(size=(10, 5), counts=reference["counts"].decode())
    assert crowd.geometry.rle.runs() == [0, 20, 30]
    assert mask_utils.area(reference) == 20
    assert mask_utils.toBbox(reference).tolist() == [0, 0, 2, 10]  # the first two columns
    assert sample.entities == [] and sample.links == []
    assert foreign.origin_of(crowd.id).element == "annotations[1] (id 2)"
    assert foreign.origin.element == "images[0] (id 40)"


def results_folder(tmp_path: Path) -> Path:
    """The cocoapi results file beside the part of ``instances_val2014.json`` it refers to
    (its 99 images, named and sized as there, and the 80 categories)."""
    folder = tmp_path / "results"
    folder.mkdir()
    shutil.copy(RESULTS, folder)
    detections = orjson.loads(RESULTS.read_bytes())
    sizes = {d["image_id"]: d["segmentation"]["size"] for d in detections}
    images = [
        {"id": i, "file_name": f"COCO_val2014_{i:012d}.jpg", "height": h, "width": w}
        for i, (h, w) in sorted(sizes.items())
    ]
    categories = [{"id": i, "name": name} for i, name in COCO_CATEGORIES.items()]
    write_json(
        folder / "instances_val2014.json",
        {"images": images, "annotations": [], "categories": categories},
    )
    return folder


def test_cocoapi_results_are_model_candidates_with_the_masks_pycocotools_reads(
    tmp_path: Path,
) -> None:
    """The cocoapi's fake segmentation results: 734 compressed-RLE detections with scores
    over 99 images; every mask and area is pycocotools' own (``COCO.loadRes``)."""
    folder = results_folder(tmp_path)
    found = read(folder / RESULTS.name)
    assert len(found) == 99
    candidates = {a.id: (s, a) for s in found for a in s.annotations}
    assert len(candidates) == 734
    sample, first = candidates["instances_val2014_fakesegm100_results.42.0"]
    assert sample.id == "instances_val2014.42"
    assert sample.external_id == "COCO_val2014_000000000042.jpg"
    assert first.label == "dog"
    assert first.source == Source(
        kind="model", name="instances_val2014_fakesegm100_results", confidence=0.236
    )
    assert isinstance(first.geometry, Mask)
    assert first.geometry.rle.size == (478, 640)
    assert first.geometry.rle.counts.startswith("VQi31m>0O2N100O100O2N100O10001N101O1N2O1O2M2")
    gt = quiet_coco(folder / "instances_val2014.json")
    with contextlib.redirect_stdout(io.StringIO()):
        reference = gt.loadRes(str(RESULTS))
    for index, detection in reference.anns.items():
        _, annotation = candidates[
            f"instances_val2014_fakesegm100_results.{detection['image_id']}.{index - 1}"
        ]
        assert isinstance(annotation.geometry, Mask)
        rle = annotation.geometry.rle
        assert rle.counts == detection["segmentation"]["counts"]
        encoded = {"size": list(rle.size), "counts": rle.counts.encode()}
        assert mask_utils.area(encoded) == detection["area"]
        assert annotation.source.confidence == detection["score"]
        assert annotation.label == COCO_CATEGORIES[detection["category_id"]]


def test_a_results_folder_is_the_ground_truth_and_the_candidates_on_one_sample(
    tmp_path: Path,
) -> None:
    folder = results_folder(tmp_path)
    instances = orjson.loads((folder / "instances_val2014.json").read_bytes())
    instances["annotations"] = [
        {"id": 5, "image_id": 42, "category_id": 18, "bbox": [10, 20, 300, 200], "iscrowd": 0}
    ]
    write_json(folder / "instances_val2014.json", instances)
    by_id = {sample.id: sample for sample in read(folder)}
    dog = by_id["instances_val2014.42"]
    kinds = [(a.id, a.source.kind, a.geometry.type) for a in dog.annotations]
    assert kinds[0] == ("instances_val2014.42.5", "import", "box")
    assert dog.annotations[0].geometry == Box(x=10, y=20, w=300, h=200)
    assert {kind for _, kind, _ in kinds[1:]} == {"model"}
    assert len(kinds) == 1 + sum(
        1 for d in orjson.loads(RESULTS.read_bytes()) if d["image_id"] == 42
    )


# --- keypoints, several polygons, merged files -----------------------------------------------


def person_files(folder: Path) -> None:
    """COCO's layout: ``instances_*`` and ``person_keypoints_*`` list one person under one id,
    the second with its keypoints; the first also has a two-polygon object."""
    image = {"id": 7, "file_name": "p.jpg", "width": 100, "height": 80}
    person = {"id": 1, "name": "person", "supercategory": "person"}
    polygons = [[10, 10, 40, 10, 40, 60, 10, 60], [50, 10, 60, 10, 55, 30]]
    keypoints = [0.0] * 51
    keypoints[0:3] = [25, 15, 2]  # nose, seen
    keypoints[3:6] = [22, 13, 1]  # left eye, hidden
    write_json(
        folder / "instances_val.json",
        {
            "images": [image],
            "categories": [person, {"id": 2, "name": "kite"}],
            "annotations": [
                {"id": 9, "image_id": 7, "category_id": 1, "segmentation": polygons[:1],
                 "bbox": [10, 10, 30, 50], "area": 1500, "iscrowd": 0},
                {"id": 11, "image_id": 7, "category_id": 2, "segmentation": polygons,
                 "bbox": [10, 10, 50, 50], "iscrowd": 0},
            ],
        },
    )  # fmt: skip
    write_json(
        folder / "person_keypoints_val.json",
        {
            "images": [image],
            "categories": [person | {"keypoints": PERSON_KEYPOINTS, "skeleton": PERSON_SKELETON}],
            "annotations": [
                {"id": 9, "image_id": 7, "category_id": 1, "segmentation": polygons[:1],
                 "bbox": [10, 10, 30, 50], "iscrowd": 0, "keypoints": keypoints,
                 "num_keypoints": 2},
            ],
        },
    )  # fmt: skip


def test_keypoints_and_several_polygons_become_parts_of_one_object(tmp_path: Path) -> None:
    person_files(tmp_path)
    [sample] = read(tmp_path)
    by_id = {a.id: a for a in sample.annotations}
    assert list(by_id) == [
        "instances_val.7.9",
        "instances_val.7.9.2",
        "instances_val.7.11",
        "instances_val.7.11.2",
    ]
    assert by_id["instances_val.7.9"].geometry == Polygon(
        points=[(10, 10), (40, 10), (40, 60), (10, 60)]
    )
    points = by_id["instances_val.7.9.2"].geometry
    assert isinstance(points, Keypoints)
    assert points.names == PERSON_KEYPOINTS
    assert points.points[:3] == [(25, 15, 2), (22, 13, 1), (0, 0, 0)]
    assert by_id["instances_val.7.11.2"].geometry == Polygon(points=[(50, 10), (60, 10), (55, 30)])
    assert sample.entities == [
        Entity(id="instances_val.7.9.object", members=["instances_val.7.9", "instances_val.7.9.2"]),
        Entity(
            id="instances_val.7.11.object", members=["instances_val.7.11", "instances_val.7.11.2"]
        ),
    ]
    assert sample.metadata == {
        "coco": {"skeletons": [{"keypoints": PERSON_KEYPOINTS, "skeleton": PERSON_SKELETON}]}
    }


def test_keypoints_objects_round_trip_with_names_skeleton_and_pycocotools_areas(
    tmp_path: Path,
) -> None:
    person_files(tmp_path)
    first = read(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    report = write_coco(first, ontology("person", "kite"), out)
    assert report.files == ["instances.json"]
    assert report.annotations == 4
    coco = quiet_coco(out / "instances.json")
    person_category = coco.loadCats(coco.getCatIds(catNms=["person"]))[0]
    assert person_category["keypoints"] == PERSON_KEYPOINTS
    assert person_category["skeleton"] == PERSON_SKELETON
    kite = coco.anns[2]
    reference = mask_utils.merge(mask_utils.frPyObjects(kite["segmentation"], 80, 100))
    assert kite["area"] == mask_utils.area(reference)
    assert kite["bbox"] == [10.0, 10.0, 50.0, 50.0]
    assert coco.anns[1]["num_keypoints"] == 2
    [again] = read(out)
    assert [(a.label, a.geometry) for a in again.annotations] == [
        (a.label, a.geometry) for a in first[0].annotations
    ]
    assert [e.members for e in again.entities] == [
        ["instances.1.1", "instances.1.1.2"],
        ["instances.1.2", "instances.1.2.2"],
    ]
    assert again.metadata == first[0].metadata


# --- round trips ---------------------------------------------------------------------------


def rich_sample() -> Sample:
    """One image with every shape COCO holds, objects of several parts, a model candidate,
    an entity and links, and an audio stream COCO cannot hold."""
    image, audio = "r.image", "r.audio"
    mask = np.zeros((48, 64), dtype=np.uint8, order="F")
    mask[5:20, 30:50] = 1
    counts = mask_utils.encode(mask)["counts"].decode()

    def ann(ident: str, label: str, geometry: Any, **extra: Any) -> Annotation:
        return Annotation(id=ident, stream=image, label=label, geometry=geometry, **extra)

    names = ["nose", "left_eye", "right_eye"]
    return Sample(
        id="r",
        external_id="rich",
        metadata={
            "coco": {"skeletons": [{"keypoints": names, "skeleton": [[1, 2], [1, 3]]}]},
            "batch": 3,
        },
        streams=[
            Stream(
                id=image,
                name="photo",
                modality=Modality.IMAGE,
                uri="images/rich.jpg",
                media=MediaInfo(width=64, height=48),
            ),
            Stream(
                id=audio,
                name="voice",
                modality=Modality.AUDIO,
                uri="rich.wav",
                media=MediaInfo(duration=2.0, sample_rate=16000, channels=1),
            ),
        ],
        annotations=[
            ann("r.box", "person", Box(x=1.5, y=2.25, w=20, h=30.125)),
            ann("r.kp", "person", Keypoints(points=[(5, 6, 2), (7, 8, 1), (0, 0, 0)], names=names)),
            ann("r.p1", "a", Polygon(points=[(1, 1), (9, 1), (5, 7.5)]), attributes={"x": 2}),
            ann("r.p2", "a", Polygon(points=[(20, 20), (30, 20), (25, 27)]), attributes={"x": 2}),
            ann(
                "r.m",
                "b",
                Mask(rle=Rle(size=(48, 64), counts=counts)),
                attributes={"iscrowd": True, "y": "crowd"},
            ),
            ann(
                "r.det",
                "b",
                Box(x=40, y=30, w=10.5, h=8),
                source=Source(kind="model", name="detector", version="2.1", confidence=0.75),
            ),
            Annotation(
                id="r.speech", stream=audio, label="person", geometry=Interval(start=0.5, end=1.5)
            ),
        ],
        entities=[
            Entity(id="r.person", members=["r.box", "r.kp"]),
            Entity(id="r.kite", members=["r.p1", "r.p2"]),
            Entity(id="r.pair", label="object", members=["r.m", "r.det"]),
            Entity(id="r.voice", members=["r.box", "r.speech"]),
        ],
        links=[
            Link(id="r.l1", type="part-of", source="r.m", target="r.kite"),
            Link(id="r.l2", type="near", source="r.pair", target="r.det", status="confirmed"),
            Link(id="r.l3", type="part-of", source="r.speech", target="r.box"),
        ],
    )


#: What reading the export of `rich_sample` gives: (id, label, geometry, attributes, source).
def expected_rich(sample: Sample) -> list[tuple[str, str, Any, dict[str, Any], Source]]:
    imported = Source(kind="import", name="coco")
    by_id = {a.id: a for a in sample.annotations}
    order = [
        ("instances.1.1", "r.box"),
        ("instances.1.1.2", "r.kp"),
        ("instances.1.2", "r.p1"),
        ("instances.1.2.2", "r.p2"),
        ("instances.1.3", "r.m"),
        ("results.1.0", "r.det"),
    ]
    return [
        (
            new,
            by_id[old].label,
            by_id[old].geometry,
            by_id[old].attributes,
            by_id[old].source if by_id[old].source.kind == "model" else imported,
        )
        for new, old in order
    ]


def check_rich(again: Sample, original: Sample) -> None:
    got = [(a.id, a.label, a.geometry, a.attributes, a.source) for a in again.annotations]
    speech = next(a for a in original.annotations if a.id == "r.speech")
    # what COCO cannot hold comes back from not_carried.jsonl, under the ids read back
    speech_id = "instances.1.annotation.1"
    assert got[:-1] == expected_rich(original)
    assert got[-1] == (speech_id, "person", speech.geometry, {}, speech.source)
    assert again.annotations[-1].stream == "instances.1.stream.1"
    assert again.external_id == "images/rich.jpg"
    assert [s.id for s in again.streams] == ["instances.1.image", "instances.1.stream.1"]
    assert again.streams[1].media == original.streams[1].media
    assert [(e.id, e.label, e.members) for e in again.entities] == [
        ("instances.1.1.object", None, ["instances.1.1", "instances.1.1.2"]),
        ("instances.1.2.object", None, ["instances.1.2", "instances.1.2.2"]),
        ("instances.1.entity.1", "object", ["instances.1.3", "results.1.0"]),
        ("instances.1.entity.2", None, ["instances.1.1", speech_id]),
    ]
    assert [(k.id, k.type, k.source, k.target, k.status) for k in again.links] == [
        ("instances.1.link.1", "part-of", "instances.1.3", "instances.1.2.object", "proposed"),
        ("instances.1.link.2", "near", "instances.1.entity.1", "results.1.0", "confirmed"),
        ("instances.1.link.3", "part-of", speech_id, "instances.1.1", "proposed"),
    ]
    assert again.metadata == original.metadata


def test_write_then_read_gives_the_same_records_and_the_sidecar_keeps_the_rest(
    tmp_path: Path,
) -> None:
    original = rich_sample()
    report = write_coco([original], ontology("person", "a", "b"), tmp_path)
    assert report.files == ["instances.json", "results.json", NOT_CARRIED]
    assert (report.samples, report.annotations) == (1, 6)
    assert report.not_carried == {
        "entities": f"2 written to {NOT_CARRIED}",
        "interval annotations": f"1 written to {NOT_CARRIED}",
        "links": f"3 written to {NOT_CARRIED}",
        "metadata": f"1 written to {NOT_CARRIED}",
        "streams": f"1 written to {NOT_CARRIED}",
    }
    [again] = read(tmp_path)
    check_rich(again, original)
    kept = [orjson.loads(text) for text in (tmp_path / NOT_CARRIED).read_text().splitlines()]
    assert [(k["sample"], k["kind"]) for k in kept] == [
        ("instances.1", "stream"),
        ("instances.1", "annotation"),
        ("instances.1", "entity"),
        ("instances.1", "entity"),
        ("instances.1", "link"),
        ("instances.1", "link"),
        ("instances.1", "link"),
        ("instances.1", "fields"),
    ]
    assert kept[-1]["record"] == {"id": "instances.1", "fields": {"metadata": {"batch": 3}}}
    assert "revision" not in kept[4]["record"]  # a new object where it is read back
    # pycocotools reads what was written: the ground truth and the results
    coco = quiet_coco(tmp_path / "instances.json")
    with contextlib.redirect_stdout(io.StringIO()):
        results = coco.loadRes(str(tmp_path / "results.json"))
    assert results.anns[1]["bbox"] == [40, 30, 10.5, 8]
    assert results.anns[1]["score"] == 0.75
    crowd = coco.anns[3]
    assert crowd["iscrowd"] == 1
    assert crowd["attributes"] == {"y": "crowd"}
    assert mask_utils.area(coco.annToRLE(crowd)) == 15 * 20 == crowd["area"]
    assert crowd["bbox"] == [30.0, 5.0, 20.0, 15.0]
    assert coco.anns[1]["bbox"] == [1.5, 2.25, 20, 30.125]


def test_datumaro_file_round_trips(tmp_path: Path) -> None:
    write_coco([rich_sample()], ontology("person", "a", "b"), tmp_path)
    first = read(DATUMARO)
    report = write_coco(first, ontology("a", "b", "c"), tmp_path)
    assert report.files == ["instances.json"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["instances.json"]
    again = read(tmp_path / "instances.json")
    assert [(a.label, a.geometry, a.attributes) for a in again[0].annotations] == [
        (a.label, a.geometry, a.attributes) for a in first[0].annotations
    ]
    assert again[0].external_id == first[0].external_id
    assert again[0].streams[0].media == first[0].streams[0].media
    assert again[0].metadata == first[0].metadata


def test_a_project_exported_as_coco_and_imported_into_a_fresh_one_keeps_everything_coco_carries(
    engine: Engine, tmp_path: Path
) -> None:
    classes = ontology("person", "a", "b")
    source = create_project(engine, "source", classes, TESTER)
    original = rich_sample()
    import_samples(engine, source.id, [original], TESTER)
    report = export_foreign(engine, source.id, "coco", tmp_path / "out")
    assert report.annotations == 6
    target = create_project(engine, "target", classes, TESTER)
    done = import_foreign(engine, target.id, "coco", tmp_path / "out", TESTER)
    assert done.imported.samples_written == 1
    [again] = project_samples(engine, target.id).values()
    check_rich(again, original)


# --- malformed files, unmapped labels -------------------------------------------------------


def instances(**changes: Any) -> dict[str, Any]:
    document = {
        "images": [
            {"id": 1, "file_name": "one.jpg", "width": 20, "height": 10},
            {"id": 2, "file_name": "two.jpg", "width": 20, "height": 10},
        ],
        "categories": [{"id": 3, "name": "a"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 3, "bbox": [1, 1, 5, 5], "iscrowd": 0},
            {"id": 2, "image_id": 2, "category_id": 3, "bbox": [2, 2, 5, 5], "iscrowd": 0},
        ],
    }
    for key, change in changes.items():
        document[key] = change(document[key])
    return document


def second(**fields: Any) -> Any:
    """A change to the second annotation."""
    return lambda anns: [anns[0], anns[1] | fields]


def test_images_of_one_file_are_samples_of_their_own(tmp_path: Path) -> None:
    """COCO keys images by id: one file named by two images (one photo in two samples)
    is two samples, the second's external id told apart; pycocotools reads it so too."""
    path = tmp_path / "instances.json"
    path.write_bytes(
        orjson.dumps(
            instances(images=lambda images: [images[0], images[1] | {"file_name": "one.jpg"}])
        )
    )
    read = [foreign.sample for foreign in read_coco(path, ReadOptions())]
    assert [(s.id, s.external_id, s.streams[0].uri) for s in read] == [
        ("instances.1", "one.jpg", "one.jpg"),
        ("instances.2", "one.jpg#instances.2", "one.jpg"),
    ]
    assert [[a.geometry for a in s.annotations] for s in read] == [
        [Box(x=1, y=1, w=5, h=5)],
        [Box(x=2, y=2, w=5, h=5)],
    ]
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(path))
    assert [image["file_name"] for image in coco.loadImgs([1, 2])] == ["one.jpg", "one.jpg"]


@pytest.mark.parametrize(
    ("changes", "element", "field", "expected"),
    [
        ({"annotations": second(bbox=[1, 2, 3])}, "annotations[1] (id 2)", "bbox", "[x, y, width"),
        ({"annotations": second(bbox=[1, 2, 0, 3])}, "annotations[1] (id 2)", "bbox", "positive"),
        (
            {"annotations": second(category_id=9)},
            "annotations[1] (id 2)",
            "category_id",
            "9 is not",
        ),
        ({"annotations": second(image_id=5)}, "annotations[1] (id 2)", "image_id", "5 is not"),
        ({"annotations": second(bbox="wide")}, "annotations[1]", "bbox", "valid array"),
        ({"annotations": second(iscrowd=2)}, "annotations[1]", "iscrowd", "less than or equal"),
        ({"annotations": second(id=1, image_id=1)}, "annotations[1] (id 1)", "id", "used twice"),
        (
            {"annotations": second(segmentation=[[1, 2, 3, 4, 5]])},
            "annotations[1] (id 2)",
            "segmentation[0]",
            "pairs of x, y",
        ),
        (
            {"annotations": second(segmentation=[[1, 2, 3, 4]])},
            "annotations[1] (id 2)",
            "segmentation[0]",
            "3 points or more",
        ),
        (
            {"annotations": second(segmentation={"size": [10, 20], "counts": [5, 5]})},
            "annotations[1] (id 2)",
            "segmentation.counts",
            "adding up to 10x20 = 200",
        ),
        (
            {"annotations": second(segmentation={"size": [10, 20], "counts": "a b"})},
            "annotations[1] (id 2)",
            "segmentation.counts",
            "cannot appear in compressed COCO RLE",
        ),
        (
            {"annotations": second(keypoints=[1, 1, 3])},
            "annotations[1] (id 2)",
            "keypoints[2]",
            "visibility 0, 1 or 2",
        ),
        ({"annotations": second(bbox=None)}, "annotations[1] (id 2)", "segmentation", "has none"),
        ({"images": lambda images: [images[0], {"id": 2}]}, "images[1]", "file_name", "required"),
        (
            {"images": lambda images: [images[0], {"id": 2, "file_name": "two.jpg"}]},
            "images[1] (id 2)",
            "width",
            "media root",
        ),
    ],
)
def test_a_malformed_file_names_the_file_the_record_and_what_was_expected(
    tmp_path: Path, changes: dict[str, Any], element: str, field: str, expected: str
) -> None:
    path = write_json(tmp_path / "bad.json", instances(**changes))
    with pytest.raises(ImportFailed) as failed:
        read(path)
    error = failed.value
    assert error.file == str(path)
    assert error.field == f"{element}: {field}"
    assert expected in error.detail


def test_broken_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "images": [\n    {"id": 1,, "file_name": "x.jpg"}\n  ]\n}\n')
    with pytest.raises(ImportFailed) as failed:
        read(path)
    assert (failed.value.file, failed.value.line) == (str(path), 3)
    assert "Invalid JSON" in failed.value.detail


def test_a_results_file_alone_and_a_sidecar_naming_an_unknown_image_are_refused(
    tmp_path: Path,
) -> None:
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    shutil.copy(RESULTS, lonely)
    with pytest.raises(ImportFailed, match="put the instances file they come from beside it"):
        read(lonely / RESULTS.name)
    with pytest.raises(ImportFailed, match="a results file needs an instances file beside it"):
        read(lonely)
    write_json(tmp_path / "instances.json", instances())
    fields = {"id": "instances.1", "fields": {"status": "done"}}
    (tmp_path / NOT_CARRIED).write_bytes(
        orjson.dumps({"sample": "instances.1", "kind": "fields", "record": fields})
        + b"\n"
        + orjson.dumps({"sample": "instances.3", "kind": "fields", "record": fields})
        + b"\n"
    )
    with pytest.raises(ImportFailed) as failed:
        read(tmp_path)
    assert (failed.value.line, failed.value.field) == (2, "sample")
    assert "'instances.3' is no sample of the files read" in failed.value.detail
    # a file read alone takes what is for its samples
    assert [s.status for s in read(tmp_path / "instances.json")] == ["done", "new"]


def test_a_results_file_is_read_against_the_instances_named_in_the_options(
    tmp_path: Path,
) -> None:
    folder = results_folder(tmp_path)
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    shutil.copy(RESULTS, lonely)
    beside = read(folder / RESULTS.name)
    for instances_given in (folder / "instances_val2014.json", folder):
        options = ReadOptions(instances=instances_given)
        assert read(lonely / RESULTS.name, options) == beside
        assert read(lonely, options) == beside
    with pytest.raises(ImportFailed, match="no such instances file or folder"):
        read(lonely, ReadOptions(instances=tmp_path / "missing.json"))


def test_a_detection_score_must_be_a_confidence(tmp_path: Path) -> None:
    write_json(tmp_path / "instances.json", instances())
    detection = {"image_id": 1, "category_id": 3, "bbox": [1, 1, 2, 2], "score": 3.5}
    write_json(tmp_path / "dets.json", [detection, detection])
    with pytest.raises(ImportFailed) as failed:
        read(tmp_path / "dets.json")
    assert failed.value.field == "[0]: score"
    assert "from 0 to 1, got 3.5" in failed.value.detail


def test_image_sizes_are_measured_under_the_media_root(tmp_path: Path) -> None:
    Image.new("RGB", (33, 21)).save(tmp_path / "two.jpg")
    path = write_json(
        tmp_path / "sizes.json",
        instances(images=lambda images: [images[0], {"id": 2, "file_name": "two.jpg"}]),
    )
    found = read(path, ReadOptions(media_root=tmp_path))
    assert found[1].streams[0].media == MediaInfo(width=33, height=21, mime="image/jpeg")
    with pytest.raises(ImportFailed, match=r"cannot probe the media file found: .*two\.jpg"):
        read(path, ReadOptions(media_root=tmp_path / "elsewhere"))


def test_a_box_outside_its_image_imports_nothing_and_names_the_record(
    engine: Engine, tmp_path: Path
) -> None:
    project = create_project(engine, "coco", ontology("a"), TESTER)
    path = write_json(tmp_path / "outside.json", instances(annotations=second(bbox=[18, 2, 5, 5])))
    before = row_counts(engine)
    with pytest.raises(ImportFailed) as failed:
        import_foreign(engine, project.id, "coco", path, TESTER)
    assert failed.value.file == str(path)
    assert failed.value.field == "annotations[1] (id 2): annotations[0].geometry"
    assert "must lie inside the 20x10 image" in failed.value.detail
    assert row_counts(engine) == before


def test_unmapped_labels_are_listed_and_a_mapping_imports_them(
    engine: Engine, tmp_path: Path
) -> None:
    project = create_project(engine, "coco", ontology("a", "c"), TESTER)
    before = row_counts(engine)
    with pytest.raises(UnmappedLabels) as failed:
        import_foreign(engine, project.id, "coco", DATUMARO, TESTER)
    [unmapped] = failed.value.labels
    assert (unmapped.label, unmapped.count) == ("b", 1)
    assert unmapped.first.element == "annotations[1] (id 2)"
    assert row_counts(engine) == before
    done = import_foreign(
        engine, project.id, "coco", DATUMARO, TESTER, mapping=LabelMap(labels={"b": "c"})
    )
    assert (done.imported.samples_written, done.imported.annotations) == (1, 2)
    [sample] = project_samples(engine, project.id).values()
    assert [(a.label, a.attributes) for a in sample.annotations] == [
        ("a", {"x": 1, "y": "hello"}),
        ("c", {"iscrowd": True}),
    ]
    again = import_foreign(
        engine, project.id, "coco", DATUMARO, TESTER, mapping=LabelMap(labels={"b": "c"})
    )
    assert again.imported.samples_skipped == 1  # idempotent by file name


def test_the_registry_names_the_coco_spec() -> None:
    spec = format_spec("coco")
    assert spec.read is read_coco and spec.write is write_coco
    assert "links" in spec.not_carried


def test_a_sample_without_an_image_goes_whole_to_the_sidecar(tmp_path: Path) -> None:
    text = Sample(
        id="t",
        external_id="note",
        streams=[Stream(id="t.text", name="text", modality=Modality.TEXT, text="Hello")],
    )
    report = write_coco([text, *read(DATUMARO)], ontology("a", "b"), tmp_path)
    assert (report.samples, report.annotations) == (2, 2)
    assert report.not_carried == {"samples": f"1 written to {NOT_CARRIED}"}
    [line] = (tmp_path / NOT_CARRIED).read_bytes().splitlines()
    assert orjson.loads(line) == {
        "sample": "t",
        "kind": "sample",
        "record": orjson.loads(dumps_sample(text)),
    }
    # reading the folder gives it back, after the samples of the COCO files
    assert [sample.external_id for sample in read(tmp_path)] == ["b.jpg", "note"]
    assert read(tmp_path)[1] == text
    assert [sample.external_id for sample in read(tmp_path / "instances.json")] == ["b.jpg"]


def test_a_broken_sidecar_link_names_its_line(tmp_path: Path) -> None:
    write_json(tmp_path / "instances.json", instances())
    link = {"id": "l", "type": "near", "source": "instances.1.1"}
    (tmp_path / NOT_CARRIED).write_bytes(
        b"\n" + orjson.dumps({"sample": "instances.1", "kind": "link", "record": link}) + b"\n"
    )
    with pytest.raises(ImportFailed) as failed:
        read(tmp_path)
    error = failed.value
    assert (error.file, error.line) == (str(tmp_path / NOT_CARRIED), 2)
    assert error.field == "links[0].target"


def test_keypoint_results_with_scores_for_visibilities_read_as_seen(tmp_path: Path) -> None:
    """Detectron2 and others write each keypoint's score where COCO has the visibility."""
    document = instances()
    document["categories"] = [{"id": 3, "name": "a", "keypoints": ["p", "q"]}]
    write_json(tmp_path / "instances.json", document)
    detection = {"image_id": 2, "category_id": 3, "keypoints": [3, 4, 0.93, 5, 6, 7.5], "score": 1}
    write_json(tmp_path / "keypoints_results.json", [detection])
    [_, two] = read(tmp_path / "keypoints_results.json")
    [candidate] = two.annotations
    assert candidate.id == "keypoints_results.2.0"
    assert candidate.geometry == Keypoints(points=[(3, 4, 2), (5, 6, 2)], names=["p", "q"])
    assert candidate.source == Source(kind="model", name="keypoints_results", confidence=1)


def test_a_missing_source_is_named(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="no such file or folder"):
        read(tmp_path / "nothing.json")


def test_a_byte_order_mark_and_an_empty_bbox_beside_keypoints_are_taken(tmp_path: Path) -> None:
    """Windows tools write a UTF-8 BOM; some write ``bbox: []`` for keypoints-only objects."""
    document = instances()
    document["categories"] = [{"id": 3, "name": "a", "keypoints": ["p"]}]
    document["annotations"][1] = {"id": 2, "image_id": 2, "category_id": 3, "bbox": [],
                                  "segmentation": [], "keypoints": [4, 5, 2]}  # fmt: skip
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + orjson.dumps(document))
    [_, two] = read(path)
    assert [a.geometry for a in two.annotations] == [Keypoints(points=[(4, 5, 2)], names=["p"])]
