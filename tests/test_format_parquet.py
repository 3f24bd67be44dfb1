"""The Parquet export (`rosetta.formats.parquet`): the demo project written through
`export_foreign`, read back with pyarrow, gives every stored record back, value for value;
the typed box columns, row groups, a failed write and the dataset card's configurations."""

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import datasets
import orjson
import pyarrow.parquet as pq
import pytest
import yaml
from sqlalchemy import Engine

from conftest import DEMO_ONTOLOGY
from rosetta.core.geometry import Box
from rosetta.core.schema import Annotation, Entity, Link, MediaInfo, Sample, Source, Stream
from rosetta.demo.build import build_demo
from rosetta.formats import parquet
from rosetta.formats.parquet import SCHEMAS, write_parquet
from rosetta.services.exporter import sample_lines
from rosetta.services.format_io import export_foreign
from rosetta.services.projects import load_ontology_file

TABLES = ("samples", "annotations", "entities", "links")


def stored(engine: Engine, project_id: str) -> list[Sample]:
    """The project's samples as the tables can hold them: without a preference sample's
    candidates and judgements (the ``dpo``/``dpo-parquet`` formats carry those; the
    report counts them)."""
    return [
        Sample.model_validate_json(line).model_copy(update={"candidates": [], "judgements": []})
        for _, line in sample_lines(engine, project_id)
    ]


def rows(folder: Path) -> dict[str, list[dict[str, Any]]]:
    return {name: pq.read_table(folder / f"{name}.parquet").to_pylist() for name in TABLES}


def _json(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


def rebuild(tables: dict[str, list[dict[str, Any]]]) -> list[Sample]:
    """The native samples, from the four tables' rows alone."""
    parts: dict[str, defaultdict[str, list[Any]]] = {name: defaultdict(list) for name in TABLES[1:]}
    for row in tables["annotations"]:
        parts["annotations"][row["sample"]].append(
            Annotation(
                id=row["id"],
                stream=row["stream"],
                label=row["label"],
                geometry=_json(row["geometry"]),
                attributes=_json(row["attributes"]),
                revision=row["revision"],
                ontology_version=row["ontology_version"],
                author=row["author"],
                source=Source(
                    kind=row["source_kind"],
                    name=row["source_name"],
                    version=row["source_version"],
                    confidence=row["confidence"],
                ),
                flags=row["flags"],
            )
        )
    for row in tables["entities"]:
        fields = {k: v for k, v in row.items() if k != "sample"}
        parts["entities"][row["sample"]].append(Entity.model_validate(fields))
    for row in tables["links"]:
        fields = {k: v for k, v in row.items() if k != "sample"}
        fields["attributes"] = _json(row["attributes"])
        parts["links"][row["sample"]].append(Link.model_validate(fields))
    return [
        Sample(
            id=row["id"],
            external_id=row["external_id"],
            status=row["status"],
            metadata=_json(row["metadata"]),
            ego_poses=_json(row["ego_poses"]) or [],
            streams=[
                Stream(
                    id=s["id"],
                    name=s["name"],
                    modality=s["modality"],
                    uri=s["uri"],
                    text=s["text"],
                    media=MediaInfo.model_validate_json(s["media"]),
                    clock=_json(s["clock"]),
                    sensor=_json(s["sensor"]),
                )
                for s in row["streams"]
            ],
            annotations=parts["annotations"][row["id"]],
            entities=parts["entities"][row["id"]],
            links=parts["links"][row["id"]],
        )
        for row in tables["samples"]
    ]


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """The export's folder (the SQLite store is in tmp_path itself)."""
    return tmp_path / "out"


@pytest.fixture
def demo(engine: Engine) -> str:
    return build_demo(engine).id


def test_the_tables_give_every_stored_record_back(engine: Engine, demo: str, out: Path) -> None:
    report = export_foreign(engine, demo, "parquet", out)

    assert report.files == [
        "samples.parquet",
        "annotations.parquet",
        "entities.parquet",
        "links.parquet",
        "dataset_card.json",
        "README.md",
        "ontology.json",
    ]
    samples = stored(engine, demo)
    assert (report.samples, report.annotations) == (
        len(samples),
        sum(len(s.annotations) for s in samples),
    )
    # the preference sample's candidates are left out, and the report says so
    assert report.not_carried == {"candidates": f"3 {parquet.NOT_WRITTEN}"}
    tables = rows(out)
    assert rebuild(tables) == samples
    for name in TABLES:
        schema = pq.read_schema(out / f"{name}.parquet")
        assert schema.remove_metadata() == SCHEMAS[name]
        assert orjson.loads(schema.metadata[b"rosetta.ontology"]) == {
            "name": "rosetta-demo",
            "version": 1,
        }


def test_the_typed_columns_repeat_the_records_values(engine: Engine, demo: str, out: Path) -> None:
    export_foreign(engine, demo, "parquet", out)
    tables = rows(out)
    samples = {s.id: s for s in stored(engine, demo)}
    annotations = {a.id: (s, a) for s in samples.values() for a in s.annotations}
    boxes = 0
    for row in tables["annotations"]:
        sample, annotation = annotations[row["id"]]
        streams = {stream.id: stream for stream in sample.streams}
        stream = streams.get(annotation.stream or "")
        assert row["modality"] == (None if stream is None else stream.modality.value)
        assert row["geometry_type"] == annotation.geometry.type
        typed = (row["box_x"], row["box_y"], row["box_w"], row["box_h"], row["frame"])
        if isinstance(annotation.geometry, Box):
            boxes += 1
            box = annotation.geometry
            assert typed == (box.x, box.y, box.w, box.h, box.frame)
        else:
            assert typed == (None,) * 5
    assert boxes == 7
    # the box the demo corrects: its corrected geometry, by ada, revision 2
    [flag] = [row for row in tables["annotations"] if row["id"] == "portrait.flag"]
    assert (flag["label"], flag["author"], flag["revision"], flag["source_kind"]) == (
        "flag",
        "ada",
        2,
        "human",
    )
    assert (flag["box_x"], flag["box_y"], flag["box_w"], flag["box_h"]) == (0.0, 0.0, 96.0, 512.0)
    for row in tables["samples"]:
        sample = samples[row["id"]]
        assert row["labels"] == sorted({a.label for a in sample.annotations})
        assert (row["annotations"], row["entities"], row["links"]) == (
            len(sample.annotations),
            len(sample.entities),
            len(sample.links),
        )
        assert [(s["uri"], s["width"], s["duration"]) for s in row["streams"]] == [
            (s.uri, s.media.width, s.media.duration) for s in sample.streams
        ]


def test_row_groups_hold_a_bounded_number_of_samples(
    engine: Engine, demo: str, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parquet, "ROW_GROUP_SAMPLES", 2)
    export_foreign(engine, demo, "parquet", out)
    assert pq.ParquetFile(out / "samples.parquet").metadata.num_row_groups == 3
    assert pq.ParquetFile(out / "annotations.parquet").metadata.num_row_groups == 3
    assert rebuild(rows(out)) == stored(engine, demo)


def test_a_failed_write_leaves_no_files(tmp_path: Path) -> None:
    ontology = load_ontology_file(DEMO_ONTOLOGY)

    def failing() -> Iterator[Sample]:
        yield Sample(id="s1")
        raise RuntimeError("the store went away")

    with pytest.raises(RuntimeError, match="went away"):
        write_parquet(failing(), ontology, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_card_lists_each_table_as_a_configuration(engine: Engine, demo: str, out: Path) -> None:
    export_foreign(engine, demo, "parquet", out)
    text = (out / "README.md").read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["configs"] == [
        {"config_name": name, "data_files": [{"split": "train", "path": f"{name}.parquet"}]}
        for name in TABLES
    ]


def test_hugging_face_datasets_loads_the_tables(engine: Engine, demo: str, out: Path) -> None:
    export_foreign(engine, demo, "parquet", out)
    loaded = datasets.load_dataset(
        "parquet",
        data_files=str(out / "annotations.parquet"),
        split="train",
        cache_dir=str(out.parent / "hf-cache"),
    )
    assert loaded.to_list() == rows(out)["annotations"]
