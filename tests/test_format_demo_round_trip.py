"""The demo project (`rosetta demo`) exported in every writable format, and imported back
from every readable one: what each format carries (and its ``not_carried.jsonl`` the rest)
comes back with the same values, the preference sample's candidates and the judgements put
on it included."""

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine

from rosetta.core.preference import PairVerdict, RubricScore
from rosetta.core.schema import Project, Sample
from rosetta.demo.build import (
    ANNOTATOR,
    BUILDER,
    CAPTION_CANDIDATES,
    MEDIA_DIR,
    ONTOLOGY_FILE,
    REVIEWER,
    build_demo,
)
from rosetta.formats.interchange import ReadOptions
from rosetta.formats.registry import FORMATS, format_spec
from rosetta.services.exporter import sample_lines
from rosetta.services.format_io import export_foreign, import_foreign
from rosetta.services.judgements import Verdict, put_judgement
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


#: Formats that write a project's preference pairs only (`rosetta.formats.preference`,
#: tested in tests/test_format_dpo*.py) and KITTI, read-only (tested on its own fixtures).
NOT_ROUND_TRIPPED = {"dpo", "dpo-parquet", "ranked-lists", "kitti"}


#: The demo's preference sample and its candidates (the second caption is the best).
PREFERENCE = "caption-ranking"
C1, C2, C3 = (ident for ident, _, _ in CAPTION_CANDIDATES)

#: What two evaluators put on it before the export: pairs with a strength and a tie, a full
#: and a partial ranking, rubric scores, and rationales (two text streams named alike).
VERDICTS = (
    (
        ANNOTATOR,
        Verdict(
            pairs=[PairVerdict(a=C1, b=C2, choice="b", strength=2)],
            ranking=[[C2], [C1], [C3]],
            scores=[
                RubricScore(candidate=C2, criterion="accuracy", value=5),
                RubricScore(candidate=C1, criterion="accuracy", value=2),
            ],
            rationale="Only the second caption gets the cup's colour right.",
        ),
    ),
    (
        REVIEWER,
        Verdict(
            pairs=[PairVerdict(a=C1, b=C3, choice="tie")],
            ranking=[[C2, C1]],
            rationale="The first two say what is on the table; the third hardly anything.",
        ),
    ),
)


@pytest.fixture
def demo(engine: Engine) -> Project:
    project = build_demo(engine)
    for actor, verdict in VERDICTS:
        put_judgement(engine, project.id, PREFERENCE, verdict, actor)
    return project


def project_samples(engine: Engine, project_id: str) -> list[Sample]:
    return [Sample.model_validate_json(line) for _, line in sample_lines(engine, project_id)]


def values(samples: list[Sample]) -> dict[str, Counter[bytes]]:
    """What the samples hold, without ids (which a read gives anew): annotations (label,
    geometry, attributes), entities (label, member count), links (type, status), the
    samples' statuses and metadata but the keys a format's reader adds of its own, and
    preference samples' candidates (model, version, metadata, their streams by name) and
    judgements (author, candidates by model, rationale by its stream's name and text)."""

    def key(value: Any) -> bytes:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)

    def candidates(s: Sample) -> Iterator[bytes]:
        name = {stream.id: stream.name for stream in s.streams}
        for c in s.candidates:
            yield key([c.model, c.model_version, c.metadata, [name[i] for i in c.streams]])

    def judgements(s: Sample) -> Iterator[bytes]:
        model = {c.id: c.model for c in s.candidates}
        stream = {stream.id: [stream.name, stream.text] for stream in s.streams}
        for j in s.judgements:
            yield key(
                [
                    j.author,
                    [model[c] for c in j.presented],
                    [[model[p.a], model[p.b], p.choice, p.strength] for p in j.pairs],
                    [[model[c] for c in tier] for tier in j.ranking],
                    [[model[r.candidate], r.criterion, r.value] for r in j.scores],
                    None if j.rationale is None else stream[j.rationale],
                ]
            )

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
        "candidates": Counter(c for s in samples for c in candidates(s)),
        "judgements": Counter(j for s in samples for j in judgements(s)),
    }


#: The demo image behind YOLO label files whose stem is not the image's name.
IMAGE_OF_STEM = {
    "slideshow_slideshow.still-1": "astronaut",
    "caption-ranking_caption-ranking.photo": "coffee",
}


def images_beside_labels(out: Path) -> None:
    """Put each image where YOLO looks for it: ``images/<split>/`` under its label file's
    stem (the export's report says so)."""
    for label_file in (out / "labels").rglob("*.txt"):
        split = label_file.parent.name
        stem = label_file.stem
        name = IMAGE_OF_STEM.get(stem, stem)
        target = out / "images" / split / f"{stem}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(MEDIA_DIR / "images" / f"{name}.png", target)


@pytest.mark.parametrize("name", sorted(set(FORMATS) - NOT_ROUND_TRIPPED))
def test_the_demo_exports_and_imports_back_with_its_values(
    engine: Engine, demo: Project, tmp_path: Path, name: str
) -> None:
    spec = format_spec(name)
    out = tmp_path / name
    report = export_foreign(engine, demo.id, name, out)
    original = project_samples(engine, demo.id)
    if spec.read is None:  # export only (Parquet): tests/test_format_parquet.py reads it back
        assert {what: text.split()[0] for what, text in report.not_carried.items()} == {
            "candidates": "3",
            "judgements": "2",
        }
        return
    if name == "yolo":
        images_beside_labels(out)
    again = create_project(engine, "again", load_ontology_file(ONTOLOGY_FILE), BUILDER)
    options = READ_OPTIONS.get(name, ReadOptions())
    import_foreign(engine, again.id, name, out, BUILDER, options=options, new_ids=True)
    got, want = values(project_samples(engine, again.id)), values(original)
    assert got["annotations"] == want["annotations"]
    assert len(want["candidates"]) == 3 and len(want["judgements"]) == 2
    assert got["candidates"] == want["candidates"]
    assert got["judgements"] == want["judgements"]
    # a sample written as several files (the slideshow's stills) reads back as several
    # samples; the records joining them are kept in not_carried.jsonl, not read back
    extra_samples = got["samples"] - want["samples"]
    assert want["samples"] - got["samples"] == Counter()
    assert set(extra_samples) <= {orjson.dumps(["new", {}])}
    lost = (want["entities"] - got["entities"]) + (want["links"] - got["links"])
    assert got["entities"] - want["entities"] == got["links"] - want["links"] == Counter()
    not_read_back = report.not_carried.get("not read back", "0 ")
    assert lost.total() == int(not_read_back.split(" ", 1)[0])
