"""Sparse and dense exports of tracks, on both backends: lines without tracks keep their
bytes, dense tracks are `densify` to the stream's end, and a dense export imported again
exports sparse as the key frames it came from."""

import io
from pathlib import Path

import orjson
from sqlalchemy import Engine

from builders import insert_sample, streams_of
from conftest import TESTER
from rosetta.core.geometry import Interval, Track, TrackFrame
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, MediaInfo, Project, Sample, Stream
from rosetta.core.tracks import densify
from rosetta.formats.native import dumps_sample, parse_sample
from rosetta.services.exporter import TrackForm, export_jsonl
from rosetta.services.importer import import_jsonl, import_samples
from rosetta.services.projects import create_project

BOXES = Track(
    keyframes=[
        TrackFrame(frame=200, x=10, y=20, w=40, h=80, occluded=True),
        TrackFrame(frame=210, x=50, y=20, w=60, h=80),
        TrackFrame(frame=220, x=50, y=20, w=60, h=80, outside=True),
        TrackFrame(frame=230, x=0, y=0, w=10, h=10),
    ]
)
POLYGONS = Track(
    shape="polygon",
    keyframes=[
        TrackFrame(frame=0, points=[(0, 0), (10, 0), (0, 10)]),
        TrackFrame(frame=3, points=[(3, 0), (13, 0), (3, 10)]),
        TrackFrame(frame=5, points=[(3, 0), (13, 0), (3, 10)], outside=True),
    ],
)
CUBOIDS = Track(
    shape="cuboid",
    keyframes=[
        TrackFrame(frame=0, center=(0, 0, 0), size=(4, 2, 1.5), rotation=(0, 0, 3.0)),
        TrackFrame(frame=4, center=(8, 0, 0), size=(4, 2, 1.5), rotation=(0, 0, -3.0)),
    ],
)
LIDAR = Stream(
    id="s1-lidar",
    name="lidar",
    modality=Modality.POINTCLOUD,
    uri="lidar/",
    media=MediaInfo(frame_count=8),
)


def _sample(sample_id: str, annotations: list[Annotation]) -> Sample:
    return Sample(
        id=sample_id,
        external_id=f"ext/{sample_id}",
        streams=[*streams_of(sample_id), LIDAR.model_copy(update={"id": f"{sample_id}-lidar"})],
        annotations=annotations,
    )


def _tracked(sample_id: str) -> Sample:
    def track(name: str, stream: str, geometry: Track) -> Annotation:
        return Annotation(
            id=f"{sample_id}-{name}",
            stream=f"{sample_id}-{stream}",
            label="person",
            geometry=geometry,
        )

    return _sample(
        sample_id,
        [
            track("boxes", "video", BOXES),
            track("polygons", "video", POLYGONS),
            track("cuboids", "lidar", CUBOIDS),
        ],
    )


def _untracked(sample_id: str) -> Sample:
    """No tracks, but attributes that look like them to a byte search."""
    scene = Annotation(
        id=f"{sample_id}-scene",
        stream=f"{sample_id}-video",
        label="scene",
        geometry=Interval(start=0, end=1),
        attributes={"interpolated": True, "type": "track"},
    )
    return _sample(sample_id, [scene])


def _export(engine: Engine, project_id: str, tracks: TrackForm) -> list[bytes]:
    out = io.BytesIO()
    export_jsonl(engine, project_id, out, tracks=tracks)
    return out.getvalue().splitlines()


def _densified(sample: Sample) -> Sample:
    ends = {"boxes": 243, "polygons": 243, "cuboids": 7}
    return sample.model_copy(
        update={
            "annotations": [
                a.model_copy(
                    update={"geometry": densify(a.geometry, end=ends[a.id.split("-")[-1]])}
                )
                for a in sample.annotations
                if isinstance(a.geometry, Track)
            ]
        }
    )


def test_sparse_and_dense_lines(engine: Engine, project: Project) -> None:
    samples = [_tracked("s1"), _untracked("s2")]
    for sample in samples:
        insert_sample(engine, project.id, sample)
    sparse = _export(engine, project.id, "sparse")
    assert sparse == [dumps_sample(sample) for sample in samples]
    dense = _export(engine, project.id, "dense")
    assert dense[1] == sparse[1]
    assert dense[0] == dumps_sample(_densified(samples[0]))
    keyframes = orjson.loads(dense[0])["annotations"][0]["geometry"]["keyframes"]
    # 200..219 and 230..243 (held to the video's last frame): 20 + 14
    assert len(keyframes) == 35
    assert keyframes[1] == {
        "frame": 201,
        "x": 14.0,
        "y": 20.0,
        "w": 42.0,
        "h": 80.0,
        "outside": False,
        "occluded": True,
        "interpolated": True,
    }
    assert keyframes[-1]["frame"] == 243


def test_a_dense_export_stored_again_exports_sparse_as_its_key_frames(
    engine: Engine, project: Project, demo_ontology: Ontology
) -> None:
    original = _tracked("s1")
    insert_sample(engine, project.id, original)
    insert_sample(engine, project.id, _untracked("s2"))
    dense = _export(engine, project.id, "dense")
    other = create_project(engine, "other", demo_ontology, TESTER)
    for line in dense:
        insert_sample(engine, other.id, parse_sample(_renamed(line, "s", "copy-s")))
    stored_dense = _export(engine, other.id, "dense")
    assert [_renamed(line, "copy-s", "s") for line in stored_dense] == dense
    sparse = _export(engine, other.id, "sparse")
    assert [_renamed(line, "copy-s", "s") for line in sparse] == _export(
        engine, project.id, "sparse"
    )


def _renamed(line: bytes, old: str, new: str) -> bytes:
    """The line with the ids (and external ids) beginning ``<old>1``/``<old>2`` renamed."""
    for number in (b"1", b"2"):
        for quote in (b'"', b"/"):
            line = line.replace(quote + old.encode() + number, quote + new.encode() + number)
    return line


def test_round_trip_through_the_importer(
    engine: Engine, project: Project, demo_ontology: Ontology, tmp_path: Path
) -> None:
    boxes = _sample(
        "s1",
        [Annotation(id="s1-boxes", stream="s1-video", label="person", geometry=BOXES)],
    )
    import_samples(engine, project.id, [boxes], TESTER)
    path = tmp_path / "dense.jsonl"
    with path.open("wb") as out:
        export_jsonl(engine, project.id, out, tracks="dense")
    other = create_project(engine, "other", demo_ontology, TESTER)
    import_jsonl(engine, other.id, path, TESTER, new_ids=True)
    (line,) = _export(engine, other.id, "sparse")
    (reimported,) = parse_sample(line).annotations
    assert reimported.geometry == BOXES
    assert reimported.id != "s1-boxes"
