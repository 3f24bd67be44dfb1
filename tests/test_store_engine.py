"""The store's schema and transactions: the migrations build the tables' metadata, indexes
serve their queries, an upgrade fills in what it adds, SQLite reads see one snapshot."""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, delete, event, func, insert, inspect, select

from builders import admin_access, box, empty_sample
from conftest import TESTER
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Project
from rosetta.services.catalog import browse_samples
from rosetta.services.editing import create_annotation
from rosetta.services.projects import create_project
from rosetta.services.review import review_queue
from rosetta.store.engine import alembic_config, make_engine, upgrade, write_transaction
from rosetta.store.events import event_row
from rosetta.store.tables import annotations, events, metadata


def test_the_migrated_schema_is_the_tables_metadata(engine: Engine) -> None:
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []
    flagged = {index["name"]: index for index in inspect(engine).get_indexes("annotations")}[
        "ix_annotations_flagged"
    ]
    assert flagged["column_names"] == ["project_id", "pk"]
    where = str(flagged["dialect_options"][f"{engine.dialect.name}_where"])
    assert "flags" in where and "'[]'" in where


@contextmanager
def _statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements (with their parameters) run on `engine` inside the block."""
    seen: list[tuple[str, Any]] = []

    def capture(*args: Any) -> None:
        seen.append((args[2], args[3]))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def _plan(connection: Connection, statement: str, parameters: Any) -> str:
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return "\n".join(str(row[-1]) for row in rows)
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # the tables are tiny
    rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
    return "\n".join(str(row[0]) for row in rows)


def test_the_review_queue_and_sample_pages_are_served_by_their_indexes(
    engine: Engine, project: Project
) -> None:
    empty_sample(engine, project.id, "s1")
    with engine.connect() as connection, _statements(engine) as seen:
        review_queue(connection, project.id)
        browse_samples(connection, admin_access(project.id))
        flagged = next(s for s in seen if "FROM annotations" in s[0])
        page = next(s for s in seen if "FROM samples" in s[0] and "ORDER BY" in s[0])
        assert "ix_annotations_flagged" in _plan(connection, *flagged)
        assert "ix_samples_project_id_pk" in _plan(connection, *page)


def test_upgrading_from_0001_tells_existing_events_their_sample(
    engine: Engine, project: Project
) -> None:
    empty_sample(engine, project.id, "s1")
    create_annotation(engine, project.id, "s1", box("a1", "s1", "person"), TESTER)
    with write_transaction(engine) as connection:
        connection.execute(
            insert(events).values(event_row(project.id, TESTER, "annotation", "gone", "delete"))
        )
    config = alembic_config(engine)
    command.downgrade(config, "0001")
    assert "sample_id" not in {column["name"] for column in inspect(engine).get_columns("events")}
    command.upgrade(config, "head")
    with engine.connect() as connection:
        found = connection.execute(
            select(events.c.object_kind, events.c.object_id, events.c.sample_id)
        ).all()
    assert sorted(found, key=str) == sorted(
        [("annotation", "a1", "s1"), ("annotation", "gone", None), ("ontology", project.id, None)],
        key=str,
    )


def test_sqlite_reads_see_one_snapshot_and_never_wait_for_a_writer(
    tmp_path: Path, demo_ontology: Ontology
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'rosetta.db'}")
    upgrade(engine)
    project = create_project(engine, "p", demo_ontology, TESTER)
    empty_sample(engine, project.id, "s1")
    count = select(func.count()).select_from(annotations)
    with engine.connect() as reader:
        assert reader.execute(count).scalar_one() == 0
        create_annotation(engine, project.id, "s1", box("a1", "s1", "person"), TESTER)
        assert reader.execute(count).scalar_one() == 0  # the snapshot of its first read
        reader.commit()
        with write_transaction(engine) as writer:
            writer.execute(delete(annotations))
            # the writer holds the write lock; a reader neither waits nor sees its change
            assert reader.execute(count).scalar_one() == 1
    with engine.connect() as reader:
        assert reader.execute(count).scalar_one() == 0
    engine.dispose()


def test_sqlite_writers_queue_on_a_lock_file_that_other_processes_see(tmp_path: Path) -> None:
    path = tmp_path / "rosetta.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    lock_file = tmp_path / "rosetta.db-writers"

    def try_lock() -> bool:
        """Whether another open file (as another process has) gets the writers' lock now."""
        descriptor = os.open(lock_file, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        finally:
            os.close(descriptor)  # also releases a lock it got
        return True

    assert try_lock()
    with write_transaction(engine) as writer:
        assert not try_lock()
        writer.execute(delete(annotations))
        assert not try_lock()
    assert try_lock()
    engine.dispose()
