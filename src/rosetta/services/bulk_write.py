"""Carrying out a decided whole-sample submission (`rosetta.services.bulk`): the rows and
events it writes, written with one batched statement per table and kind of change, after
checking that its new ids are free."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    delete,
    insert,
    or_,
    select,
    union_all,
)

from rosetta.core.errors import ConflictError, RuleViolation
from rosetta.services.catalog import sample_revision
from rosetta.services.work_store import revision_update
from rosetta.store import events
from rosetta.store.direct import Prepared, PreparedWrite
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
_TAKEN_IDS = Prepared(
    union_all(
        *(
            select(table.c.id).where(among(table.c.id, "ids"))
            for table in (samples, streams, annotations, entities, links)
        )
    )
)
#: The deletions of a submission, each of the rows whose ids are bound to ``:ids``
#: (members: of the entities ``:entities`` or annotations ``:ids``).
_DELETE_LINKS = PreparedWrite(delete(links).where(among(links.c.id, "ids")))
_DELETE_MEMBERS = PreparedWrite(
    delete(entity_members).where(
        or_(
            among(entity_members.c.entity_id, "entities"),
            among(entity_members.c.annotation_id, "ids"),
        )
    )
)
_DELETE_ENTITIES = PreparedWrite(delete(entities).where(among(entities.c.id, "ids")))
_DELETE_ANNOTATIONS = PreparedWrite(delete(annotations).where(among(annotations.c.id, "ids")))
#: The insertions, of the columns each row gives.
_INSERT = {table.name: PreparedWrite(insert(table)) for table in (annotations, entities, links)}
_INSERT_MEMBERS = PreparedWrite(insert(entity_members))


def check_new_ids(connection: Connection, sample_id: str, new_ids: Mapping[str, str]) -> None:
    """Check that no row of the store has one of the `new_ids` (id -> where the
    submission gives it)."""
    if not new_ids:
        return
    taken = _TAKEN_IDS.first(connection, {"ids": list(new_ids)})
    if taken is not None:
        ident = str(taken[0])
        detail = f"id {ident!r} is in use already"
        raise RuleViolation(f"sample {sample_id!r}", new_ids[ident], "ids-unique", detail)


def write_plan(connection: Connection, sample_id: str, plan: WritePlan) -> None:
    """Carry out `plan`: deletions, then insertions and updates, then the events."""
    if plan.deleted_links:
        _DELETE_LINKS.run(connection, [{"ids": plan.deleted_links}])
    if plan.rewritten_members or plan.deleted_entities or plan.deleted_annotations:
        _DELETE_MEMBERS.run(
            connection,
            [
                {
                    "entities": plan.rewritten_members + plan.deleted_entities,
                    "ids": plan.deleted_annotations,
                }
            ],
        )
    if plan.deleted_entities:
        _DELETE_ENTITIES.run(connection, [{"ids": plan.deleted_entities}])
    if plan.deleted_annotations:
        _DELETE_ANNOTATIONS.run(connection, [{"ids": plan.deleted_annotations}])
    for table in (annotations, entities):
        _INSERT[table.name].run(connection, plan.inserts[table.name])
        _update(connection, sample_id, plan, table, plan.updates[table.name])
    _INSERT_MEMBERS.run(connection, plan.inserts["members"])
    _INSERT[links.name].run(connection, plan.inserts["links"])
    _update(connection, sample_id, plan, links, plan.updates["links"])
    events.record(connection, plan.events)


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
    statement = revision_update(table, columns)
    params = [
        {"b_id": row["b_id"], "b_revision": row["b_revision"]}
        | {f"v_{name}": row[name] for name in columns}
        for row in rows
    ]
    changed = statement.run(connection, params)
    if connection.dialect.supports_sane_multi_rowcount and changed != len(rows):
        raise ConflictError(
            f"sample {sample_id!r}", plan.revision, sample_revision(connection, sample_id)
        )
