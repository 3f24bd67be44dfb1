"""Writing to and reading from the append-only event log.

Every change to a record is an event with the record before and after. An import writes one
``import`` event per sample (object kind ``sample``), whose ``after`` lists the ids of the
records it created (``streams``, ``annotations``, ``entities``, ``links``, and on a
preference sample ``candidates`` and ``judgements``); the records themselves are the rows
as imported until their first change, whose ``before`` keeps them. `history` shows that
import event as the first event of each record it created.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, Select, bindparam, func, insert, select, union_all

from rosetta.store.direct import PreparedWrite
from rosetta.store.tables import (
    annotations,
    candidates,
    entities,
    events,
    judgements,
    links,
    streams,
)

#: The lists of created record ids in every ``import`` event's ``after``.
IMPORTED = ("streams", "annotations", "entities", "links")
#: The lists of created record ids an ``import`` event's ``after`` has only when the sample
#: has some: a preference sample's candidates and judgements.
IMPORTED_PREFERENCE = ("candidates", "judgements")


@dataclass(frozen=True)
class Actor:
    """Who makes a change, and with which tool or model (name and version)."""

    name: str
    tool: str | None = None
    tool_version: str | None = None


@dataclass(frozen=True)
class Event:
    """One entry of the history."""

    pk: int
    object_kind: str
    object_id: str
    sample_id: str | None
    action: str
    revision: int | None
    actor: str
    tool: str | None
    tool_version: str | None
    at: float
    before: Any
    after: Any
    note: str | None


def dumps(value: Any) -> str:
    """JSON text as the store keeps it."""
    return orjson.dumps(value).decode()


def event_row(
    project_id: str,
    actor: Actor,
    object_kind: str,
    object_id: str,
    action: str,
    *,
    sample_id: str | None = None,
    revision: int | None = None,
    before: Any = None,
    after: Any = None,
    note: str | None = None,
    at: float | None = None,
) -> dict[str, Any]:
    """A row for the events table; ``before``/``after`` are JSON-able values or ``None``.

    `sample_id` is the sample of the object (``None`` for a project or an ontology).
    """
    return {
        "project_id": project_id,
        "object_kind": object_kind,
        "object_id": object_id,
        "sample_id": sample_id,
        "action": action,
        "revision": revision,
        "actor": actor.name,
        "tool": actor.tool,
        "tool_version": actor.tool_version,
        "at": time.time() if at is None else at,
        "before": None if before is None else dumps(before),
        "after": None if after is None else dumps(after),
        "note": note,
    }


#: The number of the newest event of the sample ``:sample_id`` (``NULL`` before any): the
#: sample's revision, which grows with every change to it or anything on it.
NEWEST_OF_SAMPLE: Select[int | None] = select(func.max(events.c.pk)).where(
    events.c.sample_id == bindparam("sample_id")
)


_INSERT = PreparedWrite(insert(events))


def record(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Append events (in the caller's transaction; each row with the columns of
    `event_row`)."""
    _INSERT.run(connection, rows)


def history(connection: Connection, object_id: str) -> list[Event]:
    """Every event about `object_id`, oldest first, starting with the ``import`` event of
    its sample when it was imported."""
    own = _events(connection, events.c.object_id == object_id)
    sample_id = next((event.sample_id for event in own if event.sample_id is not None), None)
    if sample_id is None:
        sample_id = _current_sample(connection, object_id)
    if sample_id is None or sample_id == object_id:
        return own
    imported = [
        event
        for event in _events(
            connection,
            (events.c.object_id == sample_id)
            & (events.c.object_kind == "sample")
            & (events.c.action == "import"),
        )
        if any(object_id in event.after.get(part, ()) for part in (*IMPORTED, *IMPORTED_PREFERENCE))
    ]
    return sorted([*imported, *own], key=lambda event: event.pk)


def _current_sample(connection: Connection, object_id: str) -> str | None:
    """The sample of the stream, annotation, entity, link, candidate or judgement
    `object_id`, if it exists."""
    found = connection.execute(
        union_all(
            *(
                select(table.c.sample_id).where(table.c.id == object_id)
                for table in (streams, annotations, entities, links, candidates, judgements)
            )
        )
    ).first()
    return None if found is None else str(found[0])


def _events(connection: Connection, where: ColumnElement[bool]) -> list[Event]:
    result = connection.execute(select(events).where(where).order_by(events.c.pk))
    return [
        Event(
            pk=row.pk,
            object_kind=row.object_kind,
            object_id=row.object_id,
            sample_id=row.sample_id,
            action=row.action,
            revision=row.revision,
            actor=row.actor,
            tool=row.tool,
            tool_version=row.tool_version,
            at=row.at,
            before=None if row.before is None else orjson.loads(row.before),
            after=None if row.after is None else orjson.loads(row.after),
            note=row.note,
        )
        for row in result
    ]
