"""Upgrading a store populated under an older schema: today's `open_store` runs Alembic to
the newest revision over the fixture stores of ``tests/fixtures/stores`` (made by
``scripts/make_fixture_store.py``, see the README there), and the data is all still there.

Each fixture is the demo project built by the code of its time; its native export then is
the expected data: exporting the upgraded project must give the same records, but for
fields that newer code adds. The tables added since must work on the upgraded store.
"""

import shutil
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from builders import admin_access
from conftest import TESTER
from rosetta.core.preference import PairVerdict
from rosetta.demo.build import DEMO_PROJECT, preference_sample
from rosetta.services.exporter import export_jsonl
from rosetta.services.importer import import_samples
from rosetta.services.judgements import Verdict, judgements_seen, put_judgement
from rosetta.services.media_grants import grant, resolve
from rosetta.services.projects import find_project
from rosetta.store.engine import alembic_config, make_engine, open_store
from rosetta.store.schemas import drop_schema, new_schema_name, schema_url

STORES = Path(__file__).parent / "fixtures" / "stores"
#: The schema revisions kept as fixture stores.
REVISIONS = ["0011"]
#: The schema a fixture's PostgreSQL dump names (`scripts/make_fixture_store.PG_SCHEMA`).
DUMP_SCHEMA = "rosetta_fixture"


def _sqlite_store(revision: str, tmp_path: Path) -> Iterator[Engine]:
    copy = tmp_path / "store.sqlite"
    shutil.copyfile(STORES / f"store_{revision}.sqlite", copy)
    engine = open_store(f"sqlite:///{copy}")
    yield engine
    engine.dispose()


def _postgres_store(revision: str, url: str) -> Iterator[Engine]:
    """The dump loaded and renamed to a fresh schema in one transaction, then upgraded."""
    schema = new_schema_name("t")
    dump = (STORES / f"store_{revision}.pg.sql").read_text(encoding="utf-8")
    with psycopg.connect(url) as connection:
        connection.execute(dump.encode())
        connection.execute(f'ALTER SCHEMA "{DUMP_SCHEMA}" RENAME TO "{schema}"'.encode())
    engine = open_store(schema_url(url, schema))
    try:
        yield engine
    finally:
        engine.dispose()
        admin = make_engine(url)
        drop_schema(admin, schema)
        admin.dispose()


@pytest.fixture(
    params=[
        *(("sqlite", revision) for revision in REVISIONS),
        *(pytest.param(("postgresql", r), marks=pytest.mark.postgres) for r in REVISIONS),
    ],
    ids="-".join,
)
def upgraded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Engine, str]]:
    """A copy of a fixture store opened (so upgraded) by today's code, and its revision."""
    backend, revision = request.param
    if backend == "sqlite":
        stores = _sqlite_store(revision, tmp_path)
    else:
        stores = _postgres_store(revision, request.getfixturevalue("postgres_url"))
    for engine in stores:
        yield engine, revision


def _contains(new: Any, old: Any, where: str = "") -> list[str]:
    """Where `new` differs from `old` other than by keys `old` lacks (recursively)."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            problem
            for key, value in old.items()
            for problem in (
                _contains(new[key], value, f"{where}.{key}")
                if key in new
                else [f"{where}.{key}: missing"]
            )
        ]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            p
            for i, (n, o) in enumerate(zip(new, old, strict=True))
            for p in _contains(n, o, f"{where}[{i}]")
        ]
    return [] if new == old else [f"{where}: {old!r} became {new!r}"]


def test_the_store_reaches_the_newest_revision(upgraded: tuple[Engine, str]) -> None:
    engine, revision = upgraded
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as connection:
        assert connection.execute(text("select version_num from alembic_version")).scalar() == head
    assert head is not None and head > revision


def test_the_upgraded_project_exports_what_the_old_code_exported(
    upgraded: tuple[Engine, str],
) -> None:
    engine, revision = upgraded
    expected = [
        orjson.loads(line)
        for line in (STORES / f"store_{revision}.jsonl").read_bytes().splitlines()
    ]
    with engine.connect() as connection:
        project = find_project(connection, DEMO_PROJECT)
    out = BytesIO()
    export_jsonl(engine, project.id, out)
    exported = {record["id"]: record for record in map(orjson.loads, out.getvalue().splitlines())}
    assert sorted(exported) == sorted(record["id"] for record in expected)
    for record in expected:
        assert _contains(exported[record["id"]], record, record["id"]) == []
    assert sum(len(record["annotations"]) for record in expected) > 10


def test_the_new_tables_work_on_the_upgraded_store(upgraded: tuple[Engine, str]) -> None:
    engine, _ = upgraded
    with engine.connect() as connection:
        project = find_project(connection, DEMO_PROJECT)
    sample = preference_sample(project.ontology_version).model_copy(
        update={"annotations": [], "entities": [], "links": []}
    )
    import_samples(engine, project.id, [sample], TESTER)
    first, second = (candidate.id for candidate in sample.candidates[:2])
    verdict = Verdict(pairs=[PairVerdict(a=first, b=second, choice="a")])
    made = put_judgement(engine, project.id, sample.id, verdict, TESTER)
    with engine.connect() as connection:
        seen = judgements_seen(connection, sample.id, admin_access(project.id))
    assert [(j.id, j.pairs[0].choice) for j in seen] == [(made.id, "a")]

    stream_id = sample.streams[0].id
    tokens = grant(engine, TESTER, [stream_id], ttl=60, purpose="upgrade test")
    with engine.connect() as connection:
        held = resolve(connection, tokens[stream_id], stream_id)
    assert (held.sample_id, held.project_id, held.purpose) == (
        sample.id,
        project.id,
        "upgrade test",
    )
