"""The demo project (`rosetta demo`) exported in every writable format, and imported back
from every readable one: what each format carries (and its ``not_carried.jsonl`` the rest)
comes back with the same values."""

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine

from rosetta.core.schema import Project, Sample
from rosetta.demo.build import BUILDER, MEDIA_DIR, ONTOLOGY_FILE, build_demo
from rosetta.formats.interchange import ReadOptions
from rosetta.formats.registry import FORMATS, format_spec
from rosetta.services.exporter import sample_lines
from rosetta.services.format_io import export_foreign, import_foreign
from rosetta.services.projects import create_project, load_ontology_file

#: Where a format's media are when it is read back (the others are read without media:
#: not_carried.jsonl gives back what their files do not say of the streams, and the labels
#: of cues, which carry none).
READ_OPTIONS = {
    "label-studio": ReadOptions(media_root=Path("/")),
    "elan": ReadOptions(media_root=MEDIA_DIR),
}


#: The metadata keys readers add (what the format says of the sample beyond its records).
FORMAT_KEYS = {
    "coco",
    "cvat",
    "voc",
    "yolo",
    "elan",
    "textgrid",
    "webvtt",
    "srt",
    "speakers",
    "label_studio",
}


@pytest.fixture
def demo(engine: Engine) -> Project:
    return build_demo(engine)


def project_samples(engine: Engine, project_id: str) -> list[Sample]:
    return [Sample.model_validate_json(line) for _, line in sample_lines(engine, project_id)]


def values(samples: list[Sample]) -> dict[str, Counter[bytes]]:
    """What the samples hold, without ids (which a read gives anew): annotations (label,
    geometry, attributes), entities (label, member count), links (type, status) and the
    samples' statuses and metadata but the keys a format's reader adds of its own."""

    def key(value: Any) -> bytes:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)

    return {
        "annotations": Counter(
            key([a.label, a.geometry.model_dump(mode="json"), a.attributes])
            for s in samples
            for a in s.annotations
        ),
        "entities": Counter(key([e.label, len(e.members)]) for s in samples for e in s.entities),
        "links": Counter(key([link.type, link.status]) for s in samples for link in s.links),
        "samples": Counter(
            key([s.status, {k: v for k, v in s.metadata.items() if k not in FORMAT_KEYS}])
            for s in samples
        ),
    }


def images_beside_labels(out: Path) -> None:
    """Put each image where YOLO looks for it: ``images/<split>/`` under its label file's
    stem (the export's report says so)."""
    for label_file in (out / "labels").rglob("*.txt"):
        split = label_file.parent.name
        stem = label_file.stem
        name = "astronaut" if stem == "slideshow_slideshow.still-1" else stem
        target = out / "images" / split / f"{stem}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(MEDIA_DIR / "images" / f"{name}.png", target)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_the_demo_exports_and_imports_back_with_its_values(
    engine: Engine, demo: Project, tmp_path: Path, name: str
) -> None:
    spec = format_spec(name)
    if spec.write is None:
        return  # read-only (KITTI): its reader is tested on its own fixtures
    out = tmp_path / name
    report = export_foreign(engine, demo.id, name, out)
    original = project_samples(engine, demo.id)
    if spec.read is None:
        return  # export only (Parquet): tests/test_format_parquet.py reads it back
    if name == "yolo":
        images_beside_labels(out)
    again = create_project(engine, "again", load_ontology_file(ONTOLOGY_FILE), BUILDER)
    options = READ_OPTIONS.get(name, ReadOptions())
    import_foreign(engine, again.id, name, out, BUILDER, options=options, new_ids=True)
    got, want = values(project_samples(engine, again.id)), values(original)
    assert got["annotations"] == want["annotations"]
    # a sample written as several files (the slideshow's stills) reads back as several
    # samples; the records joining them are kept in not_carried.jsonl, not read back
    extra_samples = got["samples"] - want["samples"]
    assert want["samples"] - got["samples"] == Counter()
    assert set(extra_samples) <= {orjson.dumps(["new", {}])}
    lost = (want["entities"] - got["entities"]) + (want["links"] - got["links"])
    assert got["entities"] - want["entities"] == got["links"] - want["links"] == Counter()
    not_read_back = report.not_carried.get("not read back", "0 ")
    assert lost.total() == int(not_read_back.split(" ", 1)[0])
