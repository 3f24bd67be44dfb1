"""Preference samples through the native format, the importer, the store and the export:
candidates and judgements come back as they went in, on SQLite and PostgreSQL, bad ones
fail naming line and field, and other formats pass them by."""

import io
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, delete, func, select

from conftest import TESTER
from preference_samples import preference_sample
from rosetta.core.errors import ImportFailed
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Project, Sample
from rosetta.core.validation import check_sample
from rosetta.formats.native import dumps_sample, parse_sample
from rosetta.services.exporter import export_jsonl
from rosetta.services.format_io import export_foreign
from rosetta.services.importer import import_jsonl
from rosetta.store.records import load_sample, load_samples
from rosetta.store.tables import (
    annotations,
    candidates,
    events,
    judgements,
    links,
    samples,
    streams,
)


def _file(tmp_path: Path, *records: Sample | bytes) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_bytes(
        b"".join((r if isinstance(r, bytes) else dumps_sample(r)) + b"\n" for r in records)
    )
    return path


def _export(engine: Engine, project_id: str) -> bytes:
    out = io.BytesIO()
    export_jsonl(engine, project_id, out)
    return out.getvalue()


def test_import_store_export_keeps_candidates_and_judgements(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    plain = Sample(id="plain", external_id="plain")
    judged = preference_sample("p1", ("ann", "bob"))
    unjudged = preference_sample("p2", ())
    path = _file(tmp_path, judged, plain, unjudged)
    import_jsonl(engine, project.id, path, TESTER)
    # the SQL-built lines are the bytes the format writes, and a plain line has no new keys
    assert _export(engine, project.id) == path.read_bytes()
    assert b"candidates" not in dumps_sample(plain)
    with engine.connect() as connection:
        assert load_sample(connection, "p1") == judged
        assert load_samples(connection, ["p2", "plain", "p1"]) == [unjudged, plain, judged]
        created = connection.execute(
            select(events.c.after).where(events.c.object_id == "p1")
        ).scalar_one()
    # the import event lists the candidates and judgements it created; authors are kept
    assert orjson.loads(created)["judgements"] == ["p1.j-ann", "p1.j-bob"]
    assert [j.author for j in judged.judgements] == ["ann", "bob"]


def test_new_ids_rename_every_reference(
    engine: Engine, project: Project, demo_ontology: Ontology, tmp_path: Path
) -> None:
    sample = preference_sample("p1", ("ann",))
    path = _file(tmp_path, sample)
    import_jsonl(engine, project.id, path, TESTER)
    renamed = sample.model_copy(update={"external_id": "copy"})
    import_jsonl(engine, project.id, _file(tmp_path, renamed), TESTER, new_ids=True)
    with engine.connect() as connection:
        copy_id = connection.execute(
            select(samples.c.id).where(samples.c.external_id == "copy")
        ).scalar_one()
        copy = load_sample(connection, copy_id)
    check_sample(copy, demo_ontology)  # every reference names a record of the copy
    assert not {c.id for c in copy.candidates} & {c.id for c in sample.candidates}
    old = {s.id: s.name for s in sample.streams}
    new = {s.id: s.name for s in copy.streams}
    assert [[new[s] for s in c.streams] for c in copy.candidates] == [
        [old[s] for s in c.streams] for c in sample.candidates
    ]
    (mine,) = copy.judgements
    assert new[mine.rationale or ""] == "rationale"
    by_model = {c.id: c.model for c in copy.candidates}
    assert [[by_model[c] for c in tier] for tier in mine.ranking] == [
        ["captioner-large", "vlm-chat"],
        ["captioner-small"],
    ]
    assert [(by_model[s.candidate], s.criterion, s.value) for s in mine.scores] == [
        ("captioner-large", "accuracy", 5),
        ("captioner-small", "completeness", 1),
    ]


def _bad(sample: Sample, **change: object) -> bytes:
    """The line of `sample` with a top-level list changed."""
    record = orjson.loads(dumps_sample(sample))
    record.update(change)
    return orjson.dumps(record)


def _judgement(sample: Sample, **change: object) -> dict[str, object]:
    record = orjson.loads(dumps_sample(sample))["judgements"][0]
    record.update(change)
    return dict(record)


BAD_CASES = {
    "unknown candidate stream": (
        lambda s: {
            "candidates": [{"id": "a", "streams": ["nope"]}, {"id": "b", "streams": ["p-vlm"]}]
        },
        "candidates[0].streams[0]",
        "candidate-streams",
    ),
    "stream in two candidates": (
        lambda s: {
            "candidates": [{"id": "a", "streams": ["p-vlm"]}, {"id": "b", "streams": ["p-vlm"]}],
            "judgements": [],
        },
        "candidates[1].streams[0]",
        "candidate-streams",
    ),
    "one candidate": (
        lambda s: {"candidates": [{"id": "a", "streams": ["p-vlm"]}], "judgements": []},
        "candidates",
        "candidate-count",
    ),
    "candidate id taken by a stream": (
        lambda s: {
            "candidates": [
                {"id": "p-vlm", "streams": ["p-vlm"]},
                {"id": "b", "streams": ["p-small"]},
            ]
        },
        "candidates[0].id",
        "ids-unique",
    ),
    "unknown candidate ranked": (
        lambda s: {"judgements": [_judgement(s, ranking=[["p.large"], ["ghost"]])]},
        "judgements[0].ranking[1][0]",
        "judgement-candidate",
    ),
    "unknown candidate in a pair": (
        lambda s: {
            "judgements": [_judgement(s, pairs=[{"a": "p.large", "b": "ghost", "choice": "a"}])]
        },
        "judgements[0].pairs[0].b",
        "judgement-candidate",
    ),
    "unknown criterion": (
        lambda s: {
            "judgements": [
                _judgement(s, scores=[{"candidate": "p.large", "criterion": "wit", "value": 3}])
            ]
        },
        "judgements[0].scores[0].criterion",
        "judgement-criterion",
    ),
    "value off the scale": (
        lambda s: {
            "judgements": [
                _judgement(s, scores=[{"candidate": "p.vlm", "criterion": "tone", "value": 6}])
            ]
        },
        "judgements[0].scores[0].value",
        "judgement-score",
    ),
    "rationale is a candidate's stream": (
        lambda s: {"judgements": [_judgement(s, rationale="p-vlm")]},
        "judgements[0].rationale",
        "judgement-rationale",
    ),
    "rationale is not text": (
        lambda s: {"judgements": [_judgement(s, rationale="p-image")]},
        "judgements[0].rationale",
        "judgement-rationale",
    ),
    "two judgements by one author": (
        lambda s: {"judgements": [_judgement(s), _judgement(s, id="again", rationale=None)]},
        "judgements[1].author",
        "judgement-author",
    ),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_a_bad_preference_sample_fails_its_line_naming_the_field(
    engine: Engine, project: Project, tmp_path: Path, case: str
) -> None:
    change, field, rule = BAD_CASES[case]
    sample = preference_sample("p", ("ann",))
    path = _file(tmp_path, Sample(id="fine"), _bad(sample, **change(sample)))
    with pytest.raises(ImportFailed) as failed:
        import_jsonl(engine, project.id, path, TESTER, batch_size=10)
    assert (failed.value.line, failed.value.field) == (2, field)
    assert f"[rule: {rule}]" in failed.value.detail
    with engine.connect() as connection:  # nothing of the batch was written
        assert connection.execute(select(func.count()).select_from(samples)).scalar_one() == 0


def test_a_judgement_id_taken_elsewhere_names_its_field(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    first = preference_sample("p1", ("ann",))
    import_jsonl(engine, project.id, _file(tmp_path, first), TESTER)
    second = preference_sample("p2", ("ann",))
    clash = _bad(second, judgements=[_judgement(second, id="p1.j-ann")])
    with pytest.raises(ImportFailed) as failed:
        import_jsonl(engine, project.id, _file(tmp_path, clash), TESTER)
    assert failed.value.field == "judgements[0].id"
    assert "sample 'p1' of this project" in failed.value.detail


def test_deleting_a_sample_deletes_its_candidates_and_judgements(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    import_jsonl(
        engine,
        project.id,
        _file(tmp_path, preference_sample("p1", ("ann",)), preference_sample("p2", ("ann",))),
        TESTER,
    )
    with engine.begin() as connection:
        for table in (links, annotations, streams):
            connection.execute(delete(table).where(table.c.sample_id == "p1"))
        connection.execute(delete(samples).where(samples.c.id == "p1"))
    with engine.connect() as connection:
        left = {
            table.name: connection.execute(select(table.c.sample_id).distinct()).scalars().all()
            for table in (candidates, judgements)
        }
    assert left == {"candidates": ["p2"], "judgements": ["p2"]}


@pytest.mark.parametrize("name", ["coco", "label-studio", "parquet"])
def test_other_formats_pass_preference_samples_by(
    engine: Engine, project: Project, tmp_path: Path, name: str
) -> None:
    import_jsonl(engine, project.id, _file(tmp_path, preference_sample("p1", ("ann",))), TESTER)
    report = export_foreign(engine, project.id, name, tmp_path / name)
    assert report.samples == 1
    assert report.files


def test_parse_sample_reads_what_dumps_sample_writes() -> None:
    sample = preference_sample("p1", ("ann", "bob"))
    assert parse_sample(dumps_sample(sample)) == sample
