"""The dataset card beside every export (`rosetta.services.dataset_card`): its numbers
against the store's own records (counted here in Python from the rows), the ontology file,
the Hugging Face README, and the card that `export_foreign` and the shard export write."""

from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from sqlalchemy import Engine, select

import rosetta
from builders import admin_access
from rosetta.core.geometry import Box
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Sample, Source
from rosetta.demo.build import build_demo
from rosetta.formats.interchange import CARD_FILES
from rosetta.services.annotation_edits import create_annotation, delete_annotation
from rosetta.services.dataset_card import (
    ExportParameters,
    card_readme,
    write_dataset_card,
)
from rosetta.services.exporter import sample_lines
from rosetta.services.findings import set_finding_status
from rosetta.services.format_io import export_foreign
from rosetta.services.projects import load_ontology
from rosetta.services.qa_runs import check_project
from rosetta.services.reviews import Decision, Verdict, decide, sample_review
from rosetta.services.shards import export_shards
from rosetta.store.events import Actor
from rosetta.store.tables import events, findings, reviews

DETECTOR = Actor("detector-bot", tool="detector", tool_version="2.1")
GRACE = Actor("grace", tool="rosetta-web", tool_version="0.9")


def review(engine: Engine, project_id: str, sample_id: str, **what: Any) -> None:
    with engine.connect() as connection:
        revision = sample_review(connection, sample_id).revision
    decide(
        engine,
        GRACE,
        admin_access(project_id),
        sample_id,
        decisions=what.get("decisions", []),
        verdict=what.get("verdict"),
        expected_revision=revision,
    )


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """The export's folder (the SQLite store is in tmp_path itself)."""
    return tmp_path / "out"


@pytest.fixture
def audited(engine: Engine) -> str:
    """The demo with a model's candidate, QA findings (one waived) and review decisions
    (one on an annotation deleted since)."""
    project = build_demo(engine).id
    candidate = Annotation(
        id="portrait.cup-candidate",
        stream="portrait.photo",
        label="cup",
        geometry=Box(x=10, y=10, w=40, h=30),
        source=Source(kind="model", name="detector", version="2.1", confidence=0.8),
    )
    create_annotation(engine, project, "portrait", candidate, DETECTOR)
    check_project(engine, project)
    with engine.connect() as connection:
        first = connection.execute(
            select(findings.c.id).order_by(findings.c.pk).limit(1)
        ).scalar_one()
    set_finding_status(engine, GRACE, first, "waived", reason="known", expected_revision=1)
    review(
        engine,
        project,
        "portrait",
        decisions=[Decision("portrait.cup-candidate", "rejected", "not a cup")],
        verdict=Verdict("rejected", "the cup is wrong"),
    )
    review(engine, project, "portrait", decisions=[Decision("portrait.flag", "accepted")])
    review(engine, project, "spoken-1", verdict=Verdict("accepted"))
    with engine.connect() as connection:
        revision = sample_review(connection, "portrait").annotations[0].current_revision
    delete_annotation(engine, project, "portrait.cup-candidate", revision or 1, GRACE)
    return project


def expected(engine: Engine, project_id: str) -> dict[str, Any]:
    """The card's numbers counted in Python from the store's records and rows."""
    samples = [Sample.model_validate_json(line) for _, line in sample_lines(engine, project_id)]
    items = [a for s in samples for a in s.annotations]
    authors: Counter[tuple[str | None, str]] = Counter()
    for sample in samples:
        for kind in ("annotations", "entities", "links"):
            for record in getattr(sample, kind):
                authors[(record.author, kind)] += 1
    with engine.connect() as connection:
        event_rows = connection.execute(
            select(events.c.tool, events.c.tool_version, events.c.actor)
        ).all()
        finding_rows = connection.execute(select(findings)).all()
        review_rows = connection.execute(select(reviews).order_by(reviews.c.pk)).all()
    latest = {(row.object_kind, row.object_id): row.decision for row in review_rows}
    existing = {a.id for a in items}
    tools: Counter[tuple[str | None, str | None]] = Counter(
        (row.tool, row.tool_version) for row in event_rows
    )
    people = {
        key: len({row.actor for row in event_rows if (row.tool, row.tool_version) == key})
        for key in tools
    }
    return {
        "counts": {
            "samples": len(samples),
            "annotations": len(items),
            "entities": sum(len(s.entities) for s in samples),
            "links": sum(len(s.links) for s in samples),
            "streams_by_modality": dict(
                Counter(stream.modality.value for s in samples for stream in s.streams)
            ),
            "annotations_by_label": dict(Counter(a.label for a in items)),
            "annotations_by_geometry": dict(Counter(a.geometry.type for a in items)),
            "links_by_type": dict(Counter(link.type for s in samples for link in s.links)),
        },
        "annotators": {
            author: {kind: authors[(author, kind)] for kind in ("annotations", "entities", "links")}
            for author, _ in authors
        },
        "sources": dict(Counter((a.source.kind, a.source.name, a.source.version) for a in items)),
        "tools": {key: (count, people[key]) for key, count in tools.items()},
        "by_status": dict(Counter(row.status for row in finding_rows)),
        "open_by_check": dict(
            Counter((row.check, row.severity) for row in finding_rows if row.status == "open")
        ),
        "verdicts": {
            "samples": dict(Counter(d for (kind, _), d in latest.items() if kind == "sample")),
            "annotations": dict(
                Counter(
                    d
                    for (kind, ident), d in latest.items()
                    if kind == "annotation" and ident in existing
                )
            ),
        },
        "findings": len(finding_rows),
    }


def test_the_cards_numbers_are_the_stores(engine: Engine, audited: str, out: Path) -> None:
    report = export_foreign(engine, audited, "parquet", out)
    card = orjson.loads((out / "dataset_card.json").read_bytes())
    want = expected(engine, audited)

    assert card["project"] == {"id": audited, "name": "rosetta-demo"}
    assert card["counts"] == want["counts"]
    assert {
        a["author"]: {k: a[k] for k in ("annotations", "entities", "links")}
        for a in card["annotators"]
    } == want["annotators"]
    assert {
        (s["kind"], s["name"], s["version"]): s["annotations"] for s in card["sources"]
    } == want["sources"]
    assert {(t["tool"], t["version"]): (t["events"], t["people"]) for t in card["tools"]} == want[
        "tools"
    ]
    quality = card["quality"]
    assert quality["findings"]["total"] == want["findings"] > 0
    assert quality["findings"]["by_status"] == want["by_status"]
    assert "waived" in quality["findings"]["by_status"]
    assert {
        (f["check"], f["severity"]): f["open"] for f in quality["findings"]["open_by_check"]
    } == want["open_by_check"]
    assert quality["verdicts"] == want["verdicts"]
    # the worked numbers behind the fixture: one verdict each way, the deleted candidate's
    # rejection no longer counts, the flag's acceptance does; the model and its tool show
    assert quality["verdicts"] == {
        "samples": {"accepted": 1, "rejected": 1},
        "annotations": {"accepted": 1},
    }
    assert ("detector", "2.1") in want["tools"] and ("rosetta-web", "0.9") in want["tools"]

    export = card["export"]
    assert {
        k: export[k] for k in ("format", "tracks", "samples", "annotations", "rosetta_version")
    } == {
        "format": "parquet",
        "tracks": "sparse",
        "samples": report.samples,
        "annotations": report.annotations,
        "rosetta_version": rosetta.__version__,
    }
    assert export["files"] == report.files[: -len(CARD_FILES)]
    with engine.connect() as connection:
        ontology = load_ontology(connection, audited)
    assert Ontology.model_validate(orjson.loads((out / "ontology.json").read_bytes())) == ontology
    assert (card["ontology"]["name"], card["ontology"]["version"]) == ("rosetta-demo", 1)
    assert card["ontology"]["annotations_by_version"] == {"1": want["counts"]["annotations"]}


def test_the_readme_is_a_hugging_face_card_with_the_same_facts(
    engine: Engine, audited: str, out: Path
) -> None:
    export_foreign(engine, audited, "parquet", out)
    card = orjson.loads((out / "dataset_card.json").read_bytes())
    text = (out / "README.md").read_text(encoding="utf-8")
    assert text == card_readme(card)
    _, matter, body = text.split("---\n", 2)
    front = yaml.safe_load(matter)
    assert front["pretty_name"] == "rosetta-demo"
    assert front["tags"] == ["rosetta", "parquet"]
    assert front["size_categories"] == ["n<1K"]
    assert body.startswith("\n# rosetta-demo\n")
    for author in card["annotators"]:
        row = f"| {author['author']} | {author['annotations']} | {author['entities']} | {author['links']} |"
        assert row in body
    assert "| model | detector | 2.1 | " not in body  # the candidate was deleted
    assert "| detector | 2.1 | 1 | 1 |" in body  # but its tool's event stays
    for item in card["quality"]["findings"]["open_by_check"]:
        assert f"| {item['check']} | {item['severity']} | {item['open']} |" in body
    assert "| samples | rejected | 1 |" in body and "| annotations | accepted | 1 |" in body


def test_the_shard_export_writes_the_card_beside_its_shards(
    engine: Engine, audited: str, out: Path
) -> None:
    export_shards(engine, audited, out, shard_size=3)
    card = orjson.loads((out / "dataset_card.json").read_bytes())
    assert card["export"]["format"] == "native-shards"
    assert card["export"]["options"] == {"shard_size": 3, "formats": ["jsonl", "parquet"]}
    assert card["export"]["files"] == [
        "samples-00000.jsonl",
        "samples-00000.parquet",
        "samples-00001.jsonl",
        "samples-00001.parquet",
    ]
    assert card["counts"]["samples"] == card["export"]["samples"] == 6
    front = yaml.safe_load((out / "README.md").read_text(encoding="utf-8").split("---\n")[1])
    assert front["configs"] == [
        {"config_name": "samples", "data_files": [{"split": "train", "path": "samples-*.parquet"}]}
    ]


def test_a_card_for_a_format_that_carries_less_says_where_the_rest_went(
    engine: Engine, audited: str, tmp_path: Path
) -> None:
    parameters = ExportParameters(
        format="coco",
        files=["instances.json", "links.jsonl"],
        not_carried={"links": "written to links.jsonl beside the file"},
    )
    out = tmp_path / "coco"
    card = write_dataset_card(engine, audited, out, parameters)
    text = (out / "README.md").read_text(encoding="utf-8")
    assert card["export"]["not_carried"] == {"links": "written to links.jsonl beside the file"}
    assert "| links | written to links.jsonl beside the file |" in text
    assert "configs" not in yaml.safe_load(text.split("---\n")[1])
    assert sorted(path.name for path in out.iterdir()) == sorted(CARD_FILES)
