"""Work (annotations, entities, links) in the store, as every edit reads and writes it.

Reads are scoped to one project: an id of another project is a `NotFoundError`. Every edit
takes a share lock on its sample's row (`require_sample`; PostgreSQL) and reads the
project's current ontology under a share lock on the project's row (`current_ontology`).
Writes are optimistic: ``UPDATE ... WHERE revision = expected`` (`write_revision`); a
mismatch is a `ConflictError` and nothing is written. Each change appends its event in the
same transaction (`log_event`).
"""

from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Connection, Row, Table, bindparam, literal, select, union_all, update

from rosetta.core.errors import ConflictError, NotFoundError, RuleViolation
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Entity, Link, Stream
from rosetta.core.validation import Endpoint
from rosetta.services.projects import load_ontology
from rosetta.services.work_records import Record, conflict, work_event
from rosetta.store import events
from rosetta.store.direct import PreparedWrite
from rosetta.store.events import Actor
from rosetta.store.records import (
    annotation_from_row,
    entity_from_row,
    link_from_row,
    members_of,
    stream_from_row,
)
from rosetta.store.tables import annotations, entities, links, projects, samples, streams

# --- loading, scoped to one project ---------------------------------------------------------


def current_ontology(connection: Connection, project_id: str) -> Ontology:
    """The project's current ontology, read under a share lock on the project row.

    On PostgreSQL the lock makes an edit wait for a running ontology migration (and the
    migration for running edits), so no annotation is validated against a version that is
    being replaced.
    """
    version = connection.execute(
        select(projects.c.ontology_version)
        .where(projects.c.id == project_id)
        .with_for_update(read=True)
    ).scalar_one_or_none()
    if version is None:
        raise NotFoundError("project", project_id)
    return load_ontology(connection, project_id, version)


def _row(connection: Connection, table: Table, kind: str, project_id: str, ident: str) -> Row[Any]:
    row = connection.execute(
        select(table).where(table.c.id == ident, table.c.project_id == project_id)
    ).first()
    if row is None:
        raise NotFoundError(kind, ident)
    return row


def require_sample(connection: Connection, project_id: str, sample_id: str) -> None:
    """Check that the sample is the project's, and hold a share lock on its row until the
    transaction ends.

    On PostgreSQL every edit holds it, so a whole-sample submission (`rosetta.services.bulk`),
    which takes the row exclusively, waits for the edits under way on the sample and they
    wait for it: what it validated stays true until it commits.
    """
    found = connection.execute(
        select(samples.c.id)
        .where(samples.c.id == sample_id, samples.c.project_id == project_id)
        .with_for_update(read=True)
    ).first()
    if found is None:
        raise NotFoundError("sample", sample_id)


def locked_row(
    connection: Connection, table: Table, kind: str, project_id: str, ident: str
) -> Row[Any]:
    """`_row` read after taking the share lock on the object's sample (`require_sample`)."""
    sample_id = connection.execute(
        select(table.c.sample_id).where(table.c.id == ident, table.c.project_id == project_id)
    ).scalar_one_or_none()
    if sample_id is None:
        raise NotFoundError(kind, ident)
    require_sample(connection, project_id, sample_id)
    return _row(connection, table, kind, project_id, ident)


def current_link(
    connection: Connection, project_id: str, link_id: str, expected_revision: int
) -> tuple[Row[Any], Link]:
    """The link's locked row and record, if it is at `expected_revision` (else 409)."""
    row = locked_row(connection, links, "link", project_id, link_id)
    before = link_from_row(row)
    expect_revision(before, expected_revision)
    return row, before


def current_entity(
    connection: Connection, project_id: str, entity_id: str, expected_revision: int
) -> tuple[Row[Any], Entity]:
    """The entity's locked row and record, if it is at `expected_revision` (else 409)."""
    row = locked_row(connection, entities, "entity", project_id, entity_id)
    before = entity_from_row(row, members_of(connection, [entity_id])[entity_id])
    expect_revision(before, expected_revision)
    return row, before


def require_new_id(connection: Connection, kind: str, ident: str) -> None:
    """Ids are unique in the store across samples, streams, annotations, entities and links."""
    tables = (samples, streams, annotations, entities, links)
    taken = connection.execute(
        union_all(*(select(literal(1)).where(table.c.id == ident) for table in tables))
    ).first()
    if taken is not None:
        raise RuleViolation(
            f"{kind} {ident!r}", "id", "ids-unique", f"id {ident!r} is in use already"
        )


def streams_by_id(connection: Connection, sample_id: str) -> dict[str, Stream]:
    rows = connection.execute(select(streams).where(streams.c.sample_id == sample_id))
    return {row.id: stream_from_row(row) for row in rows}


def annotations_by_id(
    connection: Connection, project_id: str, sample_id: str, ids: Collection[str]
) -> dict[str, Annotation]:
    if not ids:
        return {}
    rows = connection.execute(
        select(annotations).where(
            annotations.c.id.in_(ids),
            annotations.c.sample_id == sample_id,
            annotations.c.project_id == project_id,
        )
    )
    return {row.id: annotation_from_row(row) for row in rows}


def entities_by_id(
    connection: Connection, project_id: str, ids: Collection[str], sample_id: str | None = None
) -> dict[str, Entity]:
    if not ids:
        return {}
    query = select(entities).where(entities.c.id.in_(ids), entities.c.project_id == project_id)
    if sample_id is not None:
        query = query.where(entities.c.sample_id == sample_id)
    rows = connection.execute(query).all()
    members = members_of(connection, [row.id for row in rows])
    return {row.id: entity_from_row(row, members[row.id]) for row in rows}


@dataclass(frozen=True)
class Ends:
    """A link's endpoints with what `check_link` needs to judge them."""

    endpoints: dict[str, Endpoint]
    streams: dict[str, Stream]
    annotations: dict[str, Annotation]

    def revision(self, ident: str) -> int:
        return self.endpoints[ident].revision


def link_ends(connection: Connection, project_id: str, sample_id: str, link: Link) -> Ends:
    ids = {link.source, link.target}
    found = annotations_by_id(connection, project_id, sample_id, ids)
    held = entities_by_id(connection, project_id, ids, sample_id)
    members = {m for entity in held.values() for m in entity.members} - found.keys()
    endpoints: dict[str, Endpoint] = {**found, **held}
    return Ends(
        endpoints=endpoints,
        streams=streams_by_id(connection, sample_id),
        annotations={**found, **annotations_by_id(connection, project_id, sample_id, members)},
    )


# --- writing --------------------------------------------------------------------------------


def revision_error(
    connection: Connection, table: Table, kind: str, ident: str, expected: int
) -> Exception:
    """The error for a write that found row `ident` not at revision `expected`: a
    `ConflictError` with its current revision, or `NotFoundError` when it is gone."""
    actual = connection.execute(
        select(table.c.revision).where(table.c.id == ident)
    ).scalar_one_or_none()
    if actual is None:
        return NotFoundError(kind, ident)
    return ConflictError(f"{kind} {ident!r}", expected, actual)


@cache
def revision_update(table: Table, columns: tuple[str, ...]) -> PreparedWrite:
    """``UPDATE`` of `columns` (bound as ``v_<name>``) of the row ``b_id`` only while it is
    at revision ``b_revision``: `write_revision` for many rows in one executemany, built
    once per table and columns (a caller compares the count it returns with its rows)."""
    return PreparedWrite(
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.revision == bindparam("b_revision"))
        .values({name: bindparam(f"v_{name}") for name in columns})
    )


def write_revision(
    connection: Connection,
    table: Table,
    kind: str,
    ident: str,
    expected: int,
    **values: Any,
) -> int:
    """Set `values` on row `ident` if its revision is still `expected`; the new revision."""
    result = connection.execute(
        update(table)
        .where(table.c.id == ident, table.c.revision == expected)
        .values(revision=expected + 1, **values)
    )
    if result.rowcount != 1:
        raise revision_error(connection, table, kind, ident, expected)
    return expected + 1


def expect_revision(record: Record, expected: int) -> None:
    """Raise `conflict` unless `record` is at revision `expected`."""
    if record.revision != expected:
        raise conflict(record, expected)


def log_event(  # noqa: PLR0917 - `work_event` with the connection first
    connection: Connection,
    project_id: str,
    actor: Actor,
    kind: str,
    ident: str,
    action: str,
    *,
    sample_id: str,
    before: Record | None = None,
    after: Record | None = None,
    note: str | None = None,
) -> None:
    """Append one event (see `work_event`) in the caller's transaction."""
    row = work_event(
        project_id,
        actor,
        kind,
        ident,
        action,
        sample_id=sample_id,
        before=before,
        after=after,
        note=note,
    )
    events.record(connection, [row])
