"""Hostile values, one case each, through the API and every importer into a real store:
numbers in geometry that are not numbers or are too large (``NaN``, ``Infinity``,
``1e309``, 400 digits, ``1e308``, negative sizes), JSON nested 10,000 levels deep in every
JSON format, and bytes that are not UTF-8 in every format. Each is refused with a clear
error (422 naming the field; `ImportFailed` naming the file and the line) and writes
nothing, or (a subtitle or TextGrid file, which may be Latin-1) is read as Latin-1.

Deeply nested JSON bodies of the API are refused in test_limits.py; NaN in native JSONL in
test_native_format.py; the fuzzed variants of all of these in test_fuzz_importers.py.
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine, func, select

from api_clients import client_as
from builders import empty_sample
from conftest import TESTER
from foreign_formats import row_counts
from rosetta.api.errors import record_refused
from rosetta.core.errors import ImportFailed
from rosetta.core.geometry import Classification
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Project
from rosetta.services.format_io import import_foreign
from rosetta.services.importer import import_jsonl
from rosetta.services.projects import create_project
from rosetta.store.tables import events
from test_fuzz_importers import MAPPING, SEEDS

#: Number literals sent as a box's ``x`` and ``w``: not JSON, or not a finite double, or
#: far outside the image, or a negative size.
NUMBERS = ["NaN", "Infinity", "-Infinity", "1e309", "-1e309", "1" + "0" * 400, "1e308", "-5"]


@pytest.fixture
def admin(engine: Engine, project: Project) -> TestClient:
    empty_sample(engine, project.id, "s1")
    return client_as(engine, "root")


def _events(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(events)).scalar_one())


@pytest.mark.parametrize("field", ["x", "w"])
@pytest.mark.parametrize("number", NUMBERS)
def test_geometry_numbers_through_the_api_are_refused_with_the_field(
    engine: Engine, admin: TestClient, field: str, number: str
) -> None:
    values = {"x": "1", "y": "1", "w": "10", "h": "10", field: number}
    box = ", ".join(f'"{key}": {value}' for key, value in values.items())
    body = f'{{"stream": "s1-image", "label": "cup", "geometry": {{"type": "box", {box}}}}}'
    before = (row_counts(engine), _events(engine))

    response = admin.post(
        "/api/samples/s1/annotations",
        content=body,
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] in ("invalid_request", "rule_violation")
    assert error["message"]
    if error["type"] == "rule_violation":
        assert (error["field"], error["rule"]) == ("geometry", "inside-bounds")
    else:
        assert error["errors"][0]["where"].startswith("body")
    assert (row_counts(engine), _events(engine)) == before


@pytest.mark.parametrize("number", NUMBERS)
def test_geometry_numbers_in_a_coco_file_are_refused_with_the_line(
    engine: Engine, demo_ontology: Ontology, tmp_path: Path, number: str
) -> None:
    seed = SEEDS["coco"]
    text = seed.files[seed.target].replace(
        b'"bbox": [1, 1, 4, 4]', f'"bbox": [{number}, 1, 4, 4]'.encode(), 1
    )
    assert number.encode() in text
    path = tmp_path / seed.target
    path.write_bytes(text)
    project = create_project(engine, "coco", demo_ontology, TESTER)

    with pytest.raises(ImportFailed) as failed:
        import_foreign(engine, project.id, "coco", path, TESTER, mapping=MAPPING)

    assert failed.value.file == str(path)
    assert failed.value.detail
    assert row_counts(engine) == (0, 0, 0, 0)


DEPTH = 10_000
DEEP = "[" * DEPTH + "]" * DEPTH
NESTED = {
    "native": '{"id": "s", "metadata": {"x": %s}}\n',
    "coco": '{"images": [{"id": 1, "file_name": "a.jpg", "width": 2, "height": 2, "x": %s}]}',
    "label-studio": '[{"id": 1, "data": {"image": "a.jpg", "x": %s}, "annotations": []}]',
    "dpo": '{"prompt": "a", "chosen": "b", "rejected": "c", "x": %s}\n',
}


@pytest.mark.parametrize("name", sorted(NESTED))
def test_json_nested_ten_thousand_levels_deep_is_an_import_error(
    engine: Engine, demo_ontology: Ontology, tmp_path: Path, name: str
) -> None:
    path = tmp_path / SEEDS[name].target
    path.write_text(NESTED[name] % DEEP)
    project = create_project(engine, "deep", demo_ontology, TESTER)

    with pytest.raises(ImportFailed) as failed:
        if name == "native":
            import_jsonl(engine, project.id, path, TESTER)
        else:
            import_foreign(engine, project.id, name, path, TESTER, mapping=MAPPING)

    assert (failed.value.file, failed.value.line) == (str(path), 1)
    assert row_counts(engine) == (0, 0, 0, 0)


#: Formats whose files may be Latin-1 (subtitles and TextGrids from older tools): bytes
#: that are not UTF-8 are read as Latin-1.
LATIN_1 = {"srt", "webvtt", "textgrid"}


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_bytes_that_are_not_utf8_fail_naming_the_file(
    engine: Engine, demo_ontology: Ontology, tmp_path: Path, name: str
) -> None:
    seed = SEEDS[name]
    original = seed.files[seed.target]
    at = original.index(b"\n", 1) if b"\n" in original[1:] else len(original) // 2
    text = original[:at] + b"\xff\xfe\xc3(\xed\xa0\x80" + original[at:]
    for file, content in {**seed.files, seed.target: text}.items():
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file).write_bytes(content)
    project = create_project(engine, "bytes", demo_ontology, TESTER)
    source = tmp_path / seed.source

    try:
        if name == "native":
            import_jsonl(engine, project.id, source, TESTER)
        else:
            import_foreign(engine, project.id, name, source, TESTER, mapping=MAPPING)
    except ImportFailed as failed:
        assert name not in LATIN_1 or "latin" in str(failed).lower() or failed.line > 0
        assert failed.file == str(tmp_path / seed.target)
        assert row_counts(engine) == (0, 0, 0, 0)
    else:
        assert name in LATIN_1, f"{name} took bytes that are not UTF-8"


def _native_sample(number: int) -> dict[str, Any]:
    """A native record with a text stream, a span on it and an author."""
    return {
        "id": f"s{number}",
        "external_id": f"x{number}",
        "streams": [
            {"id": f"s{number}-text", "name": "caption", "modality": "text", "text": "a cup"},
        ],
        "annotations": [
            {
                "id": f"s{number}-span",
                "stream": f"s{number}-text",
                "label": "cup",
                "geometry": {"type": "span", "start": 2, "end": 5},
                "author": "ann",
            }
        ],
    }


#: Text kept in columns of their own, each spoilt on line 2 of a native file: with a NUL
#: (which PostgreSQL's text cannot hold) or longer than its column.
SPOILT = {
    "external_id NUL": (("external_id",), "x\x002"),
    "stream name NUL": (("streams", 0, "name"), "cap\x00tion"),
    "stream uri NUL": (("streams", 0, "uri"), "media/a\x00.png"),
    "stream text NUL": (("streams", 0, "text"), "a c\x00p"),
    "author NUL": (("annotations", 0, "author"), "a\x00n"),
    "external_id 501 characters": (("external_id",), "x" * 501),
    "author 201 characters": (("annotations", 0, "author"), "a" * 201),
}


@pytest.mark.parametrize("case", sorted(SPOILT))
def test_text_a_column_cannot_hold_is_refused_with_the_line_and_field(
    engine: Engine, demo_ontology: Ontology, tmp_path: Path, case: str
) -> None:
    where, value = SPOILT[case]
    spoilt = _native_sample(2)
    parent: Any = spoilt
    for step in where[:-1]:
        parent = parent[step]
    parent[where[-1]] = value
    path = tmp_path / "samples.jsonl"
    path.write_bytes(orjson.dumps(_native_sample(1)) + b"\n" + orjson.dumps(spoilt) + b"\n")
    project = create_project(engine, "spoilt", demo_ontology, TESTER)

    with pytest.raises(ImportFailed) as failed:
        import_jsonl(engine, project.id, path, TESTER)

    assert (failed.value.file, failed.value.line) == (str(path), 2)
    field = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in where)
    assert f"{field[1:]}: " in str(failed.value)
    expected = "NUL character" if "NUL" in case else "at most"
    assert expected in str(failed.value)
    assert row_counts(engine) == (0, 0, 0, 0)


def test_a_value_the_database_cannot_hold_is_a_422_and_writes_nothing(
    engine: Engine, admin: TestClient
) -> None:
    """Free text of a request (a user's display name) with a NUL: PostgreSQL's text
    cannot hold it, and its refusal is a 422 in the one shape, not a 500; SQLite stores it."""
    response = admin.post("/api/users", json={"name": "nul", "display_name": "N\x00L"})

    if engine.dialect.name == "postgresql":
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["type"] == "invalid_request"
        assert "NUL" in error["message"]
        assert error["errors"][0]["where"] == "body"
        assert "nul" not in [user["name"] for user in admin.get("/api/users").json()]
    else:
        assert response.status_code == 201, response.text
        assert response.json()["display_name"] == "N\x00L"


def test_a_display_name_longer_than_its_column_is_refused(admin: TestClient) -> None:
    response = admin.post("/api/users", json={"name": "long", "display_name": "d" * 201})

    assert response.status_code == 422, response.text
    assert response.json()["error"]["errors"][0]["where"] == "body.display_name"


#: Bodies of the write routes whose text a column keeps: a NUL, or longer than the column.
SPOILT_BODIES = {
    "annotation label NUL": (
        "/api/samples/s1/annotations",
        {"stream": "s1-image", "label": "c\x00p", "geometry": {"type": "classification"}},
        "body.label",
    ),
    "annotation label 201 characters": (
        "/api/samples/s1/annotations",
        {"stream": "s1-image", "label": "c" * 201, "geometry": {"type": "classification"}},
        "body.label",
    ),
    "link type NUL": (
        "/api/samples/s1/links",
        {"type": "same\x00as", "source": "a", "target": "b"},
        "body.type",
    ),
    "entity label NUL": ("/api/samples/s1/entities", {"label": "p\x00n"}, "body.label"),
}


@pytest.mark.parametrize("case", sorted(SPOILT_BODIES))
def test_text_a_column_cannot_hold_is_a_422_naming_the_body_field(
    engine: Engine, admin: TestClient, case: str
) -> None:
    path, body, where = SPOILT_BODIES[case]
    before = (row_counts(engine), _events(engine))

    response = admin.post(path, json=body)

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["type"], error["errors"][0]["where"]) == ("invalid_request", where)
    assert (row_counts(engine), _events(engine)) == before


def test_a_record_the_schema_refuses_inside_a_route_is_a_422_naming_its_field() -> None:
    """The last line behind the bodies' own models: a record a route builds from the
    request that the schema refuses answers 422 naming the record's field, not 500."""
    with pytest.raises(ValidationError) as refused:
        Annotation(id="a", stream=None, label="c\x00p", geometry=Classification())

    # A thread of its own: after the browser tests the main thread has a running loop.
    with ThreadPoolExecutor(1) as thread:
        response = thread.submit(
            asyncio.run,
            record_refused(None, refused.value),  # type: ignore[arg-type]
        ).result()

    assert response.status_code == 422
    error = orjson.loads(response.body)["error"]
    assert error["type"] == "invalid_request"
    assert error["errors"][0]["where"] == "Annotation.label"
    assert "NUL" in error["message"]
