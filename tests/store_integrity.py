"""Whether a store is whole after a crash: SQLite's own integrity check, the schema at
Alembic's head, and per project no half-written sample (annotations on streams of their
own sample, links between objects of their own sample, every annotation and link as its
newest event says)."""

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, Table, func, select, text

from rosetta.store.engine import alembic_config
from rosetta.store.tables import annotations, entities, events, links, streams


def sqlite_integrity(engine: Engine) -> str:
    """``PRAGMA integrity_check``'s answer (``ok`` when whole)."""
    with engine.connect() as connection:
        return "\n".join(row[0] for row in connection.execute(text("PRAGMA integrity_check")))


def at_head(engine: Engine) -> bool:
    """Whether the store's schema is at the newest Alembic revision."""
    heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads()) == heads


def half_written(engine: Engine, project_id: str) -> list[str]:
    """What is half-written in the project's samples (nothing: an empty list)."""
    problems = []
    with engine.connect() as connection:
        stray = connection.execute(
            select(annotations.c.id)
            .select_from(annotations.outerjoin(streams, streams.c.id == annotations.c.stream_id))
            .where(
                annotations.c.project_id == project_id,
                annotations.c.stream_id.is_not(None),
                (streams.c.id.is_(None)) | (streams.c.sample_id != annotations.c.sample_id),
            )
        ).scalars()
        problems += [f"annotation {ident}: its stream is not in its sample" for ident in stray]
        ends = select(annotations.c.id, annotations.c.sample_id).union_all(
            select(entities.c.id, entities.c.sample_id)
        )
        objects = {(row.id, row.sample_id) for row in connection.execute(ends)}
        for link in connection.execute(
            select(links.c.id, links.c.sample_id, links.c.source_id, links.c.target_id).where(
                links.c.project_id == project_id
            )
        ):
            for end in (link.source_id, link.target_id):
                if (end, link.sample_id) not in objects:
                    problems.append(f"link {link.id}: endpoint {end} is not in its sample")
        for kind, table in (("annotation", annotations), ("link", links)):
            problems += _against_events(connection, project_id, kind, table)
    return problems


def _against_events(connection: Connection, project_id: str, kind: str, table: Table) -> list[str]:
    """Every object written through events (not imported) exists exactly when its newest
    event is not a deletion, at that event's revision."""
    newest = (
        select(func.max(events.c.pk).label("pk"))
        .where(events.c.project_id == project_id, events.c.object_kind == kind)
        .group_by(events.c.object_id)
        .subquery()
    )
    last = {
        row.object_id: (row.action, row.revision)
        for row in connection.execute(
            select(events.c.object_id, events.c.action, events.c.revision).join(
                newest, events.c.pk == newest.c.pk
            )
        )
    }
    rows = dict(
        connection.execute(
            select(table.c.id, table.c.revision).where(table.c.project_id == project_id)
        ).all()
    )
    problems = []
    for object_id, (action, revision) in last.items():
        if action == "delete":
            if object_id in rows:
                problems.append(f"{kind} {object_id}: deleted by its last event, still stored")
        elif object_id not in rows:
            problems.append(f"{kind} {object_id}: its last event is {action}, but it is gone")
        elif rows[object_id] != revision:
            problems.append(
                f"{kind} {object_id}: revision {rows[object_id]}, its last event says {revision}"
            )
    return problems
