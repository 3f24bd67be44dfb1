"""Shared fixtures: a fresh store per test on SQLite and on PostgreSQL, and the demo ontology.

PostgreSQL is the server at ``ROSETTA_TEST_PG`` (default
``postgresql://postgres@127.0.0.1:5432/test``). Each test gets its own schema, dropped
afterwards. When ``CI`` is set a missing server is a failure, never a skip.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from rosetta.core.ontology import Ontology
from rosetta.core.schema import Project
from rosetta.services.projects import create_project, load_ontology_file
from rosetta.store.engine import make_engine, upgrade
from rosetta.store.events import Actor
from rosetta.store.schemas import scratch_schema

PG_URL = os.environ.get("ROSETTA_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
MEDIA = SHARED / "fixtures" / "media"
DEMO_ONTOLOGY = REPO / "src" / "rosetta" / "demo" / "ontology.yaml"
TESTER = Actor("tester")


def _postgres_available() -> str | None:
    try:
        engine = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "not available"
        return str(exc)
    return None


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL URL, or a skip (a failure under CI) when the server is not reachable."""
    problem = _postgres_available()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but PostgreSQL at {PG_URL} is not reachable: {problem}")
        pytest.skip(f"PostgreSQL at {PG_URL} is not reachable: {problem}")
    return PG_URL


def fresh_postgres(url: str, **options: Any) -> Iterator[Engine]:
    """A migrated engine (made with `options`) on a new schema at `url`, dropped after."""
    with scratch_schema(url, "t") as schema_url:
        engine = make_engine(schema_url, **options)
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh, migrated store: an SQLite file in tmp_path, or a PostgreSQL schema."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'rosetta.db'}")
        upgrade(engine)
        yield engine
        engine.dispose()
    else:
        yield from fresh_postgres(request.getfixturevalue("postgres_url"))


@pytest.fixture(scope="session")
def demo_ontology() -> Ontology:
    """The demo project's ontology."""
    return load_ontology_file(DEMO_ONTOLOGY)


@pytest.fixture
def project(engine: Engine, demo_ontology: Ontology) -> Project:
    """A project with the demo ontology in the fresh store."""
    return create_project(engine, "test-project", demo_ontology, TESTER)
