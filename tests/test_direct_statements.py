"""Prepared statements (`rosetta.store.direct`) on both backends: selects find what
SQLAlchemy finds, typed as SQLAlchemy types them; inserts, updates and deletes write what
SQLAlchemy would write and count the rows they changed; both run inside the connection's
transaction and raise SQLAlchemy's errors."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, bindparam, delete, event, exc, func, insert, select, text, update

from conftest import DEMO_ONTOLOGY, TESTER
from rosetta.services.projects import create_project, load_ontology_file
from rosetta.store.direct import Prepared, PreparedWrite
from rosetta.store.engine import open_store, write_transaction
from rosetta.store.id_lists import among
from rosetta.store.schemas import scratch_schema
from rosetta.store.tables import projects, samples

_PROJECTS = select(projects).where(projects.c.name == bindparam("name"))
_BY_IDS = (
    select(projects.c.id, func.length(projects.c.name).label("length"))
    .where(among(projects.c.id, "ids"))
    .order_by(projects.c.name)
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[Engine]:
    """A migrated store with two projects."""
    if request.param == "sqlite":
        made = open_store(f"sqlite:///{tmp_path}/direct.db")
        yield from _with_projects(made)
    else:
        with scratch_schema(request.getfixturevalue("postgres_url"), "direct") as url:
            yield from _with_projects(open_store(url))


def _with_projects(engine: Engine) -> Iterator[Engine]:
    for name in ("alpha", "beta"):
        create_project(engine, name, load_ontology_file(DEMO_ONTOLOGY), TESTER)
    yield engine
    engine.dispose()


def test_rows_are_sqlalchemys_rows_with_their_types(engine: Engine) -> None:
    prepared, by_ids = Prepared(_PROJECTS), Prepared(_BY_IDS)
    with engine.connect() as connection:
        expected = connection.execute(_PROJECTS, {"name": "alpha"}).one()
        got = prepared.first(connection, {"name": "alpha"})
        assert got is not None
        assert tuple(got) == tuple(expected)
        assert got.name == "alpha" and got.ontology_version == 1
        assert isinstance(got.created_at, datetime)  # SQLite's text parsed as SQLAlchemy does
        ids = [row.id for row in connection.execute(select(projects.c.id))]
        assert [tuple(row) for row in by_ids.rows(connection, {"ids": ids})] == [
            tuple(row) for row in connection.execute(_BY_IDS, {"ids": ids})
        ]
        assert [row.length for row in by_ids.rows(connection, {"ids": ids})] == [5, 4]
        assert prepared.first(connection, {"name": "gamma"}) is None
        assert by_ids.rows(connection, {"ids": []}) == []


def test_reads_run_in_the_connections_transaction(engine: Engine) -> None:
    prepared = Prepared(_PROJECTS)
    with engine.connect() as reader:
        assert not reader.in_transaction()
        assert prepared.first(reader, {"name": "alpha"}) is not None
        assert reader.in_transaction()  # begun as SQLAlchemy's autobegin begins it
        with write_transaction(engine) as writer:
            writer.execute(
                insert(projects).values(
                    id="p-gamma", name="gamma", ontology_version=1, created_at=datetime.now(UTC)
                )
            )
        # the reader's snapshot predates the commit on SQLite (one read transaction);
        # PostgreSQL's READ COMMITTED sees it: each backend as SQLAlchemy would see it
        seen = prepared.first(reader, {"name": "gamma"}) is not None
        assert seen == (engine.dialect.name == "postgresql")
        reader.rollback()
        assert prepared.first(reader, {"name": "gamma"}) is not None


def test_a_driver_error_is_sqlalchemys_and_the_store_is_untouched(engine: Engine) -> None:
    missing = Prepared(select(text("*")).select_from(text("no_such_table")))
    with engine.connect() as connection, pytest.raises(exc.DBAPIError) as raised:
        missing.rows(connection, {})
    assert "no_such_table" in str(raised.value)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(projects)).scalar() == 2


def test_a_statement_listener_sees_prepared_selects(engine: Engine) -> None:
    seen: list[str] = []

    def heard(*args: object) -> None:
        seen.append(str(args[2]))

    prepared = Prepared(select(samples.c.id).where(samples.c.id == bindparam("sample_id")))
    event.listen(engine, "before_cursor_execute", heard)
    try:
        with engine.connect() as connection:
            assert prepared.rows(connection, {"sample_id": "none"}) == []
    finally:
        event.remove(engine, "before_cursor_execute", heard)
    assert any("FROM samples" in statement for statement in seen)


_INSERT_PROJECT = PreparedWrite(insert(projects))
_RENAME = PreparedWrite(
    update(projects)
    .where(projects.c.name == bindparam("b_name"))
    .values(name=bindparam("v_name"), ontology_version=projects.c.ontology_version + 1)
)
_DELETE = PreparedWrite(delete(projects).where(among(projects.c.id, "ids")))
WHEN = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)


def _project(ident: str, name: str) -> dict[str, object]:
    return {"id": ident, "name": name, "ontology_version": 1, "created_at": WHEN}


def test_writes_are_what_sqlalchemy_writes_and_count_their_rows(engine: Engine) -> None:
    with write_transaction(engine) as connection:
        _INSERT_PROJECT.run(connection, [_project("p-1", "one"), _project("p-2", "two")])
        _INSERT_PROJECT.run(connection, [_project("p-3", "three")])
        assert _INSERT_PROJECT.run(connection, []) == 0
        # a row that no longer matches is not counted: the caller's revision check
        renamed = _RENAME.run(
            connection,
            [{"b_name": "one", "v_name": "uno"}, {"b_name": "gone", "v_name": "x"}],
        )
        assert renamed == 1
        assert _DELETE.run(connection, [{"ids": ["p-2", "p-3", "p-none"]}]) == 2
    with engine.connect() as connection:
        written = connection.execute(select(projects).where(projects.c.id == "p-1")).one()
        # the datetime went through SQLAlchemy's bind processing (ISO text on SQLite)
        assert written.created_at.replace(tzinfo=UTC) == WHEN
        assert (written.name, written.ontology_version) == ("uno", 2)
        left = set(connection.execute(select(projects.c.name)).scalars())
        assert left == {"alpha", "beta", "uno"}


def test_a_failed_write_is_sqlalchemys_error_and_rolls_back(engine: Engine) -> None:
    with pytest.raises(exc.IntegrityError), write_transaction(engine) as connection:
        _INSERT_PROJECT.run(connection, [_project("p-1", "one")])
        _INSERT_PROJECT.run(connection, [_project("p-2", "two"), _project("p-1", "again")])
    with pytest.raises(exc.InvalidRequestError, match="v_name"), engine.connect() as connection:
        _RENAME.run(connection, [{"b_name": "alpha"}])
    with engine.connect() as connection:
        names = set(connection.execute(select(projects.c.name)).scalars())
        assert names == {"alpha", "beta"}


def test_a_statement_listener_sees_prepared_writes(engine: Engine) -> None:
    seen: list[tuple[str, bool]] = []

    def heard(*args: object) -> None:
        seen.append((str(args[2]), bool(args[5])))

    event.listen(engine, "before_cursor_execute", heard)
    try:
        with write_transaction(engine) as connection:
            rows = [_project("p-1", "one"), _project("p-2", "two")]
            _INSERT_PROJECT.run(connection, rows)
            assert _DELETE.run(connection, [{"ids": ["p-1"]}]) == 1
    finally:
        event.remove(engine, "before_cursor_execute", heard)
    assert any("INSERT INTO projects" in statement and many for statement, many in seen), seen
    assert any(statement.startswith("DELETE FROM projects") for statement, _ in seen), seen
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(projects)).scalar() == 3
