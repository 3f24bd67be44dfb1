"""Migration 0005: streams are indexed by (sample_id, modality), which serves the sample
listing's modality filter and every lookup of a sample's streams; downgrading restores the
index on sample_id alone."""

from typing import Any

from alembic import command
from sqlalchemy import Connection, Engine, event, inspect

from builders import admin_access, empty_sample
from rosetta.core.schema import Project
from rosetta.services.catalog import SampleFilters, browse_samples
from rosetta.store.engine import alembic_config


def _stream_indexes(engine: Engine) -> dict[str, list[str | None]]:
    return {
        index["name"]: index["column_names"]
        for index in inspect(engine).get_indexes("streams")
        if index["name"] is not None and index["name"].startswith("ix_")
    }


def _plan(connection: Connection, statement: str, parameters: Any) -> str:
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return "\n".join(str(row[-1]) for row in rows)
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # the tables are tiny
    rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
    return "\n".join(str(row[0]) for row in rows)


def test_the_modality_filter_is_served_by_the_index(engine: Engine, project: Project) -> None:
    assert _stream_indexes(engine) == {"ix_streams_sample_id_modality": ["sample_id", "modality"]}
    empty_sample(engine, project.id, "s1")
    seen: list[tuple[str, Any]] = []

    def capture(*args: Any) -> None:
        seen.append((args[2], args[3]))

    with engine.connect() as connection:
        event.listen(engine, "before_cursor_execute", capture)
        try:
            page = browse_samples(
                connection, admin_access(project.id), SampleFilters(modality="image")
            )
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        assert [item.id for item in page.items] == ["s1"]
        listing = next(s for s in seen if "FROM samples" in s[0] and "streams.modality" in s[0])
        assert "ix_streams_sample_id_modality" in _plan(connection, *listing)


def test_downgrading_restores_the_index_on_sample_id(engine: Engine, project: Project) -> None:
    empty_sample(engine, project.id, "s1")
    config = alembic_config(engine)
    command.downgrade(config, "0004")
    assert _stream_indexes(engine) == {"ix_streams_sample_id": ["sample_id"]}
    command.upgrade(config, "head")
    assert _stream_indexes(engine) == {"ix_streams_sample_id_modality": ["sample_id", "modality"]}
    with engine.connect() as connection:
        page = browse_samples(connection, admin_access(project.id), SampleFilters(modality="video"))
    assert [item.id for item in page.items] == ["s1"]
