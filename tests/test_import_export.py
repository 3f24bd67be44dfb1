"""Import and export of native JSONL against the real store (SQLite and PostgreSQL)."""

import io
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from pycocotools import mask as coco_mask
from sqlalchemy import Engine, func, select

from conftest import MEDIA, TESTER
from rosetta.core.errors import ImportFailed, NotFoundError, RosettaError
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Project, Sample
from rosetta.formats.native import dumps_sample, read_samples, write_sample
from rosetta.services.editing import delete_annotation, update_annotation
from rosetta.services.exporter import count_samples, export_jsonl
from rosetta.services.importer import import_jsonl, import_samples
from rosetta.services.projects import create_project
from rosetta.store.events import Actor, Event, history
from rosetta.store.records import load_sample
from rosetta.store.tables import annotations, events, imports, links, samples

IMAGE = str(MEDIA / "images" / "astronaut.png")
AUDIO = str(MEDIA / "audio" / "s1_astronaut.wav")
VIDEO = str(MEDIA / "video" / "slideshow_320x240_25fps.mp4")


@cache
def _flag_mask() -> dict[str, Any]:
    pixels = np.zeros((512, 512), dtype=np.uint8, order="F")
    pixels[60:220, 10:120] = 1
    encoded = coco_mask.encode(pixels)
    return {"size": [512, 512], "counts": encoded["counts"].decode("ascii")}


def sample_record(index: int) -> dict[str, Any]:
    """A valid sample on the fixture media with every kind of annotation and link."""
    sid = f"t{index}"
    text = f"Ein Astronaut 👩‍🚀 neben der Flagge, café Nr. {index}."
    mention = text.index("Astronaut")

    def ann(
        key: str, stream: str | None, label: str, geometry: dict[str, Any], **extra: Any
    ) -> dict[str, Any]:
        return {
            "id": f"{sid}.{key}",
            "stream": None if stream is None else f"{sid}.{stream}",
            "label": label,
            "geometry": geometry,
            "ontology_version": 1,
            **extra,
        }

    return {
        "id": sid,
        "external_id": f"ext-{index}",
        "status": "review",
        "metadata": {"index": index, "nested": {"ok": True, "none": None}, "pi": 3.14159},
        "streams": [
            {
                "id": f"{sid}.image",
                "name": "camera",
                "modality": "image",
                "uri": IMAGE,
                "media": {"width": 512, "height": 512, "mime": "image/png"},
            },
            {
                "id": f"{sid}.audio",
                "name": "mic",
                "modality": "audio",
                "uri": AUDIO,
                "media": {"duration": 3.403, "sample_rate": 16000, "channels": 1},
            },
            {
                "id": f"{sid}.video",
                "name": "clip",
                "modality": "video",
                "uri": VIDEO,
                "media": {
                    "width": 320,
                    "height": 240,
                    "duration": 9.76,
                    "frame_rate": "25/1",
                    "frame_count": 244,
                },
            },
            {"id": f"{sid}.text", "name": "caption", "modality": "text", "text": text, "media": {}},
        ],
        "annotations": [
            ann(
                "person",
                "image",
                "person",
                {"type": "box", "x": 150.5, "y": 40.25, "w": 220.0, "h": 460.0 + index / 10},
                attributes={"role": "astronaut"},
                author="ann",
                revision=3,
            ),
            ann(
                "flag",
                "image",
                "flag",
                {"type": "polygon", "points": [[2.0, 60.0], [118.5, 62.0], [120.0, 215.75]]},
                attributes={"colour": "red"},
                source={"kind": "model", "name": "segmenter", "version": "2", "confidence": 0.5},
            ),
            ann("flag-mask", "image", "flag", {"type": "mask", "rle": _flag_mask()}),
            ann(
                "pose",
                "image",
                "person",
                {
                    "type": "keypoints",
                    "points": [[200.0, 80.0, 2], [0.0, 0.0, 0]],
                    "names": ["nose", "ear"],
                },
            ),
            ann(
                "mention", "text", "person", {"type": "span", "start": mention, "end": mention + 9}
            ),
            ann(
                "speech",
                "audio",
                "speech",
                {"type": "interval", "start": 0.0, "end": 3.049},
                attributes={"language": "en"},
            ),
            ann(
                "words",
                "video",
                "speech",
                {
                    "type": "transcript",
                    "start": 0.0,
                    "end": 3.049,
                    "text": "An astronaut",
                    "words": [
                        {"text": "An", "start": 0.0, "end": 0.069},
                        {"text": "astronaut", "start": 0.069, "end": 0.694},
                    ],
                },
                flags=["checked"],
            ),
            ann(
                "track",
                "video",
                "person",
                {
                    "type": "track",
                    "keyframes": [
                        {"frame": 0, "x": 100.0, "y": 20.0, "w": 120.0, "h": 200.0},
                        {
                            "frame": 91,
                            "x": 90.0,
                            "y": 18.0,
                            "w": 130.0,
                            "h": 210.0,
                            "outside": True,
                        },
                    ],
                },
            ),
            ann("scene", None, "scene", {"type": "classification"}, attributes={"quality": 0.75}),
        ],
        "entities": [
            {
                "id": f"{sid}.astronaut",
                "label": "person",
                "members": [f"{sid}.person", f"{sid}.track", f"{sid}.mention"],
                "revision": 2,
            }
        ],
        "links": [
            {
                "id": f"{sid}.refers",
                "type": "refers-to",
                "source": f"{sid}.mention",
                "target": f"{sid}.person",
                "status": "confirmed",
                "source_revision": 1,
                "target_revision": 3,
                "author": "ann",
            },
            {
                "id": f"{sid}.sync",
                "type": "synchronized-with",
                "source": f"{sid}.speech",
                "target": f"{sid}.words",
                "attributes": {"offset": 0.0},
            },
            {
                "id": f"{sid}.speaker",
                "type": "speaker-of",
                "source": f"{sid}.astronaut",
                "target": f"{sid}.words",
            },
            {
                "id": f"{sid}.same",
                "type": "same-as",
                "source": f"{sid}.person",
                "target": f"{sid}.pose",
                "status": "stale",
            },
        ],
    }


def make_sample(index: int, **changes: Any) -> Sample:
    """`sample_record(index)` as a Sample, with top-level fields replaced by `changes`."""
    return Sample.model_validate(sample_record(index) | changes)


def write_file(path: Path, records: list[Sample | bytes]) -> Path:
    """A JSONL file of these samples (or raw lines)."""
    with path.open("wb") as out:
        for record in records:
            if isinstance(record, bytes):
                out.write(record + b"\n")
            else:
                write_sample(out, record)
    return path


def export_bytes(engine: Engine, project_id: str) -> bytes:
    out = io.BytesIO()
    export_jsonl(engine, project_id, out)
    return out.getvalue()


def table_count(engine: Engine, table: Any, project_id: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count()).select_from(table).where(table.c.project_id == project_id)
            ).scalar_one()
        )


def canonical(sample: Sample) -> dict[str, Any]:
    """The sample's JSON with every id replaced by its kind and position (references follow)."""
    names = {sample.id: "sample"}
    for kind, items in (
        ("stream", sample.streams),
        ("annotation", sample.annotations),
        ("entity", sample.entities),
        ("link", sample.links),
    ):
        for index, item in enumerate(items):
            names[item.id] = f"{kind}{index}"
    text = dumps_sample(sample).decode()
    for old, new in sorted(names.items(), key=lambda item: -len(item[0])):
        text = text.replace(f'"{old}"', f'"{new}"')
    result: dict[str, Any] = orjson.loads(text)
    return result


def test_export_reproduces_the_imported_file_and_reimports_with_new_ids(
    engine: Engine, project: Project, demo_ontology: Ontology, tmp_path: Path
) -> None:
    originals = [make_sample(i) for i in range(7)]
    source = write_file(tmp_path / "in.jsonl", [*originals])
    seen: list[int] = []
    report = import_jsonl(engine, project.id, source, TESTER, batch_size=3, progress=seen.append)
    assert (report.lines_read, report.samples_written, report.samples_skipped) == (7, 7, 0)
    assert (report.annotations, report.entities, report.links) == (63, 7, 28)
    assert seen[-1] == source.stat().st_size and seen == sorted(seen) and len(seen) == 3

    exported = export_bytes(engine, project.id)
    assert exported == source.read_bytes()
    with engine.connect() as connection:
        assert count_samples(connection, project.id) == 7
        assert load_sample(connection, "t4") == originals[4]
        created = history(connection, "t4.person")
    assert [(e.action, e.tool, e.revision, e.actor) for e in created] == [
        ("import", "import", None, TESTER.name)
    ]
    assert (created[0].object_kind, created[0].object_id) == ("sample", "t4")
    assert (created[0].sample_id, created[0].note) == ("t4", f"{source}:5")
    assert created[0].after == {
        "streams": [stream.id for stream in originals[4].streams],
        "annotations": [annotation.id for annotation in originals[4].annotations],
        "entities": [entity.id for entity in originals[4].entities],
        "links": [link.id for link in originals[4].links],
    }

    second = create_project(engine, "second", demo_ontology, TESTER)
    copy = write_file(tmp_path / "export.jsonl", [exported.rstrip(b"\n")])
    again = import_jsonl(engine, second.id, copy, TESTER, new_ids=True)
    assert again.samples_written == 7
    copies = [sample for _, sample in read_samples(io.BytesIO(export_bytes(engine, second.id)))]
    assert [canonical(sample) for sample in copies] == [canonical(sample) for sample in originals]
    old_ids = {a.id for s in originals for a in s.annotations}
    assert not old_ids & {a.id for s in copies for a in s.annotations}
    assert export_bytes(engine, project.id) == exported


def test_history_of_imported_records_begins_with_the_import_of_their_sample(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    source = write_file(tmp_path / "in.jsonl", [make_sample(0), make_sample(1)])
    import_jsonl(engine, project.id, source, TESTER)
    editor = Actor("ed")
    with engine.connect() as connection:
        imported_person = load_sample(connection, "t0").annotations[0]
    update_annotation(engine, project.id, "t0.person", 3, editor, attributes={"role": "speaker"})
    delete_annotation(engine, project.id, "t0.flag", 1, editor)  # never changed before
    with engine.connect() as connection:
        person = history(connection, "t0.person")
        flag = history(connection, "t0.flag")
        refers = history(connection, "t0.refers")  # turned stale by the update
        stream = history(connection, "t0.image")
        sample = history(connection, "t0")
        other = history(connection, "t1.person")

    def summary(events: list[Event]) -> list[tuple[str, str, str, str | None]]:
        return [(e.action, e.object_id, e.actor, e.sample_id) for e in events]

    imported = ("import", "t0", TESTER.name, "t0")
    assert summary(person) == [imported, ("update", "t0.person", "ed", "t0")]
    assert person[0].note == f"{source}:1"
    assert person[1].before == imported_person.model_dump(mode="json", exclude_none=True)
    assert person[1].before["revision"] == 3
    assert summary(flag) == [imported, ("delete", "t0.flag", "ed", "t0")]
    assert flag[1].before["attributes"] == {"colour": "red"}
    assert summary(refers) == [imported, ("stale", "t0.refers", "ed", "t0")]
    assert summary(stream) == summary(sample) == [imported]
    assert summary(other) == [("import", "t1", TESTER.name, "t1")]
    assert other[0].note == f"{source}:2"


def test_reimport_skips_every_known_external_id(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    source = write_file(tmp_path / "in.jsonl", [make_sample(i) for i in range(5)])
    import_jsonl(engine, project.id, source, TESTER, batch_size=2)
    before = (
        table_count(engine, annotations, project.id),
        table_count(engine, links, project.id),
        table_count(engine, events, project.id),
    )
    report = import_jsonl(engine, project.id, source, TESTER, batch_size=2)
    assert (report.lines_read, report.samples_written, report.samples_skipped) == (5, 0, 5)
    assert report.annotations == 0
    with engine.connect() as connection:
        assert count_samples(connection, project.id) == 5
    after = (
        table_count(engine, annotations, project.id),
        table_count(engine, links, project.id),
        table_count(engine, events, project.id),
    )
    # the project's ontology, and one import event per sample
    assert after == before == (45, 20, 1 + 5)


def test_an_external_id_repeated_in_the_next_batch_is_skipped(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    # the twin of ext-0 comes in the next batch, after ext-0 is committed: it is skipped
    twin = make_sample(1, external_id="ext-0")
    source = write_file(tmp_path / "in.jsonl", [make_sample(0), twin, make_sample(2)])
    report = import_jsonl(engine, project.id, source, TESTER, batch_size=1)
    assert (report.samples_written, report.samples_skipped) == (2, 1)
    with engine.connect() as connection:
        assert load_sample(connection, "t0").external_id == "ext-0"
        stored = connection.execute(
            select(samples.c.id).where(samples.c.project_id == project.id).order_by(samples.c.pk)
        ).scalars()
        assert list(stored) == ["t0", "t2"]


def test_a_failed_batch_writes_nothing_and_resume_finishes(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    good = [make_sample(i) for i in range(7)]
    bad = good[4].model_copy(
        update={"annotations": [good[4].annotations[0].model_copy(update={"label": "unicorn"})]}
    )
    source = write_file(tmp_path / "in.jsonl", [*good[:4], bad, *good[5:]])
    with pytest.raises(ImportFailed) as caught:
        import_jsonl(engine, project.id, source, TESTER, batch_size=2)
    assert (caught.value.line, caught.value.field) == (5, "annotations[0].label")
    with engine.connect() as connection:
        assert count_samples(connection, project.id) == 4
        tracked = connection.execute(select(imports)).one()
    assert (tracked.status, tracked.lines_committed, tracked.samples_written) == ("failed", 4, 4)
    assert "unicorn" in tracked.error

    write_file(source, good)
    report = import_jsonl(engine, project.id, source, TESTER, batch_size=2, resume=True)
    assert (report.lines_read, report.samples_written, report.samples_skipped) == (3, 3, 0)
    with engine.connect() as connection:
        tracked = connection.execute(select(imports)).one()
    assert (tracked.status, tracked.lines_committed, tracked.samples_written) == ("done", 7, 7)
    assert export_bytes(engine, project.id) == source.read_bytes()

    finished = import_jsonl(engine, project.id, source, TESTER, resume=True)
    assert (finished.samples_written, finished.samples_skipped) == (0, 7)


def _break_line(change: Callable[[dict[str, Any]], None]) -> bytes:
    record = orjson.loads(dumps_sample(make_sample(2)))
    change(record)
    return orjson.dumps(record)


MALFORMED: list[tuple[str, bytes, str, str]] = [
    ("truncated", dumps_sample(make_sample(2))[:300], "", "not valid JSON"),
    (
        "unknown label",
        _break_line(lambda r: r["annotations"][3].update(label="unicorn")),
        "annotations[3].label",
        "[rule: label-known]",
    ),
    (
        "box outside the image",
        _break_line(lambda r: r["annotations"][0]["geometry"].update(x=400.0)),
        "annotations[0].geometry",
        "[rule: inside-bounds]",
    ),
    (
        "link against its relation type",
        _break_line(lambda r: r["links"][2].update(source="t2.flag")),
        "links[2].source",
        "[rule: link-endpoint]",
    ),
    (
        "unknown field",
        _break_line(lambda r: r["links"][0].update(weight=2)),
        "links[0].weight",
        "Extra inputs are not permitted",
    ),
    (
        "wrong type",
        _break_line(lambda r: r["annotations"][5]["geometry"].update(end="soon")),
        "annotations[5].geometry.end",
        "valid number",
    ),
    (
        "a slash in an id",
        _break_line(lambda r: r["streams"][1].update(id="t2/camera")),
        "streams[1].id",
        "an id must not contain '/'",
    ),
    (
        "a control character in an id",
        _break_line(lambda r: r["annotations"][2].update(id="t2.\nbox")),
        "annotations[2].id",
        "an id must not contain '\\n'",
    ),
    (
        "integer beyond 64 bits",
        dumps_sample(make_sample(2)).replace(b'"metadata":{', b'"metadata":{"big":%d,' % 2**70),
        "metadata",
        "cannot be stored as JSON",
    ),
]


@pytest.mark.parametrize("case", MALFORMED, ids=[case[0] for case in MALFORMED])
def test_a_malformed_line_fails_with_file_line_field_and_writes_nothing(
    engine: Engine, project: Project, tmp_path: Path, case: tuple[str, bytes, str, str]
) -> None:
    _, line, field, expected = case
    source = write_file(
        tmp_path / "bad.jsonl", [make_sample(0), make_sample(1), line, make_sample(3)]
    )
    with pytest.raises(ImportFailed) as caught:
        import_jsonl(engine, project.id, source, TESTER)
    failure = caught.value
    assert (failure.file, failure.line, failure.field) == (str(source), 3, field)
    assert str(failure).startswith(f"{source}:3: {field + ': ' if field else ''}")
    assert expected in str(failure)
    with engine.connect() as connection:
        assert count_samples(connection, project.id) == 0
        assert connection.execute(select(imports.c.status)).scalar_one() == "failed"
    assert table_count(engine, annotations, project.id) == 0
    assert table_count(engine, events, project.id) == 1  # the project's ontology only


def test_ids_taken_by_another_project_need_new_ids(
    engine: Engine, project: Project, demo_ontology: Ontology, tmp_path: Path
) -> None:
    source = write_file(tmp_path / "in.jsonl", [make_sample(i) for i in range(3)])
    import_jsonl(engine, project.id, source, TESTER)
    other = create_project(engine, "other", demo_ontology, TESTER)
    with pytest.raises(ImportFailed) as caught:
        import_jsonl(engine, other.id, source, TESTER)
    assert (caught.value.line, caught.value.field) == (1, "id")
    assert "another project" in str(caught.value) and "new_ids=True" in str(caught.value)
    with engine.connect() as connection:
        assert count_samples(connection, other.id) == 0

    clash = make_sample(
        9, id="fresh", streams=make_sample(0).streams[:1], annotations=[], entities=[], links=[]
    )
    with pytest.raises(
        ImportFailed, match=r"stream id 't0.image' is already used by another project"
    ):
        import_samples(engine, other.id, [clash], TESTER)

    report = import_jsonl(engine, other.id, source, TESTER, new_ids=True)
    assert report.samples_written == 3
    with engine.connect() as connection:
        assert count_samples(connection, other.id) == 3
        assert count_samples(connection, project.id) == 3


def test_ids_repeated_within_a_file_are_named(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    twin = make_sample(1, id="t0", external_id="twin")
    with pytest.raises(ImportFailed) as caught:
        import_jsonl(
            engine, project.id, write_file(tmp_path / "in.jsonl", [make_sample(0), twin]), TESTER
        )
    assert (caught.value.line, caught.value.field) == (2, "id")
    assert "is used on line 1 too" in str(caught.value)


def test_import_fills_defaults_flags_deprecated_classes_and_probes_media(
    engine: Engine, demo_ontology: Ontology
) -> None:
    body = demo_ontology.model_dump(mode="json")
    for cls in body["classes"]:
        if cls["name"] == "flag":
            cls["deprecated"] = True
    project = create_project(engine, "old-flags", Ontology.model_validate(body), TESTER)
    record = sample_record(0)
    record["streams"][0]["media"] = {}
    for annotation in record["annotations"]:
        annotation.pop("ontology_version")
    report = import_samples(engine, project.id, [Sample.model_validate(record)], TESTER)
    assert report.samples_written == 1
    with engine.connect() as connection:
        stored = load_sample(connection, "t0")
    assert (stored.streams[0].media.width, stored.streams[0].media.height) == (512, 512)
    assert {a.ontology_version for a in stored.annotations} == {1}
    flags = {a.id: a.flags for a in stored.annotations}
    assert flags["t0.flag"] == ["deprecated-class:flag"]
    assert flags["t0.words"] == ["checked"]


def test_unreadable_media_names_the_stream(engine: Engine, project: Project) -> None:
    record = sample_record(0)
    record["streams"][1] |= {"uri": str(MEDIA / "audio" / "missing.wav"), "media": {}}
    with pytest.raises(ImportFailed) as caught:
        import_samples(engine, project.id, [make_sample(1), Sample.model_validate(record)], TESTER)
    assert (caught.value.file, caught.value.line, caught.value.field) == (
        "<samples>",
        2,
        "streams[1].uri",
    )
    assert "missing.wav" in str(caught.value)
    with engine.connect() as connection:
        assert count_samples(connection, project.id) == 0


def test_export_of_an_empty_or_unknown_project(engine: Engine, project: Project) -> None:
    assert export_bytes(engine, project.id) == b""
    with pytest.raises(NotFoundError):
        export_bytes(engine, "no-such-project")


def test_export_keeps_projects_apart(
    engine: Engine, project: Project, demo_ontology: Ontology
) -> None:
    other = create_project(engine, "other", demo_ontology, TESTER)
    import_samples(
        engine, project.id, [make_sample(i) for i in range(0, 6, 2)], TESTER, batch_size=1
    )
    import_samples(engine, other.id, [make_sample(i) for i in range(1, 6, 2)], TESTER, batch_size=1)
    mine = [s.id for _, s in read_samples(io.BytesIO(export_bytes(engine, project.id)))]
    theirs = [s.id for _, s in read_samples(io.BytesIO(export_bytes(engine, other.id)))]
    assert (mine, theirs) == (["t0", "t2", "t4"], ["t1", "t3", "t5"])
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(samples)).scalar_one() == 6


def test_a_missing_file_is_named_and_leaves_no_trace(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    with pytest.raises(RosettaError, match=r"missing\.jsonl: cannot read"):
        import_jsonl(engine, project.id, tmp_path / "missing.jsonl", TESTER)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(imports)).scalar_one() == 0
