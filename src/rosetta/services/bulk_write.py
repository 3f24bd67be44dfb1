"""Carrying out a decided whole-sample submission (`rosetta.services.bulk`): the rows and
events it writes, written with one batched statement per table and kind of change, after
checking that its new ids are free."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    bindparam,
    delete,
    insert,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.sql.dml import Update

from rosetta.core.errors import ConflictError, RuleViolation
from rosetta.services.catalog import sample_revision
from rosetta.store import events
from rosetta.store.id_lists import among
from rosetta.store.tables import (
    annotations,
    entities,
    entity_members,
    links,
    samples,
    streams,
)


@dataclass
class WritePlan:
    """The rows a submission writes, decided on a snapshot at sample revision `revision`."""

    project_id: str
    revision: int
    ontology_version: int
    result: bytes
    counts: dict[str, int]
    events: list[dict[str, Any]] = field(default_factory=list)
    deleted_links: list[str] = field(default_factory=list)
    deleted_entities: list[str] = field(default_factory=list)
    deleted_annotations: list[str] = field(default_factory=list)
    rewritten_members: list[str] = field(default_factory=list)
    inserts: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {"annotations": [], "entities": [], "members": [], "links": []}
    )
    updates: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {"annotations": [], "entities": [], "links": []}
    )


#: The ids among ``:ids`` that a sample, stream or piece of work has.
_TAKEN_IDS = union_all(
    *(
        select(table.c.id).where(among(table.c.id, "ids"))
        for table in (samples, streams, annotations, entities, links)
    )
)
#: The deletions of a submission, each of the rows whose ids are bound to ``:ids``
#: (members: of the entities ``:entities`` or annotations ``:ids``).
_DELETE_LINKS = delete(links).where(among(links.c.id, "ids"))
_DELETE_MEMBERS = delete(entity_members).where(
    or_(among(entity_members.c.entity_id, "entities"), among(entity_members.c.annotation_id, "ids"))
)
_DELETE_ENTITIES = delete(entities).where(among(entities.c.id, "ids"))
_DELETE_ANNOTATIONS = delete(annotations).where(among(annotations.c.id, "ids"))


def check_new_ids(connection: Connection, sample_id: str, new_ids: Mapping[str, str]) -> None:
    """Check that no row of the store has one of the `new_ids` (id -> where the
    submission gives it)."""
    if not new_ids:
        return
    taken = connection.execute(_TAKEN_IDS, {"ids": list(new_ids)}).first()
    if taken is not None:
        ident = str(taken[0])
        detail = f"id {ident!r} is in use already"
        raise RuleViolation(f"sample {sample_id!r}", new_ids[ident], "ids-unique", detail)


def write_plan(connection: Connection, sample_id: str, plan: WritePlan) -> None:
    """Carry out `plan`: deletions, then insertions and updates, then the events."""
    if plan.deleted_links:
        connection.execute(_DELETE_LINKS, {"ids": plan.deleted_links})
    if plan.rewritten_members or plan.deleted_entities or plan.deleted_annotations:
        connection.execute(
            _DELETE_MEMBERS,
            {
                "entities": plan.rewritten_members + plan.deleted_entities,
                "ids": plan.deleted_annotations,
            },
        )
    if plan.deleted_entities:
        connection.execute(_DELETE_ENTITIES, {"ids": plan.deleted_entities})
    if plan.deleted_annotations:
        connection.execute(_DELETE_ANNOTATIONS, {"ids": plan.deleted_annotations})
    for name, table in (("annotations", annotations), ("entities", entities)):
        if plan.inserts[name]:
            connection.execute(insert(table), plan.inserts[name])
        _update(connection, sample_id, plan, table, plan.updates[name])
    if plan.inserts["members"]:
        connection.execute(insert(entity_members), plan.inserts["members"])
    if plan.inserts["links"]:
        connection.execute(insert(links), plan.inserts["links"])
    _update(connection, sample_id, plan, links, plan.updates["links"])
    events.record(connection, plan.events)


@cache
def _update_statement(table: Table, columns: tuple[str, ...]) -> Update:
    """``UPDATE`` of `columns` (bound as ``v_<name>``) of the row ``b_id`` at revision
    ``b_revision``: built once per table and columns, so that a submission does not build
    and look up its cache key again."""
    return (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.revision == bindparam("b_revision"))
        .values({name: bindparam(f"v_{name}") for name in columns})
    )


def _update(
    connection: Connection,
    sample_id: str,
    plan: WritePlan,
    table: Table,
    rows: list[dict[str, Any]],
) -> None:
    """One executemany ``UPDATE`` of `rows` (``b_id``, ``b_revision`` and the new values),
    each only where the row is still at revision ``b_revision``.

    Under the sample's lock nothing else changes them; a writer that does not take it
    (and so changed one meanwhile) makes this a `ConflictError`.
    """
    if not rows:
        return
    columns = tuple(name for name in rows[0] if not name.startswith("b_"))
    statement = _update_statement(table, columns)
    params = [
        {"b_id": row["b_id"], "b_revision": row["b_revision"]}
        | {f"v_{name}": row[name] for name in columns}
        for row in rows
    ]
    result = connection.execute(statement, params)
    if connection.dialect.supports_sane_multi_rowcount and result.rowcount != len(rows):
        raise ConflictError(
            f"sample {sample_id!r}", plan.revision, sample_revision(connection, sample_id)
        )
