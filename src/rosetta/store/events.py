"""Writing to and reading from the append-only event log."""

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select

from rosetta.store.tables import events


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
    revision: int | None = None,
    before: Any = None,
    after: Any = None,
    note: str | None = None,
    at: float | None = None,
) -> dict[str, Any]:
    """A row for the events table; ``before``/``after`` are JSON-able values or ``None``."""
    return {
        "project_id": project_id,
        "object_kind": object_kind,
        "object_id": object_id,
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


def record(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Append events (in the caller's transaction)."""
    if rows:
        connection.execute(insert(events), list(rows))


def history(connection: Connection, object_id: str) -> list[Event]:
    """Every event about `object_id`, oldest first."""
    result = connection.execute(
        select(events).where(events.c.object_id == object_id).order_by(events.c.pk)
    )
    return [
        Event(
            pk=row.pk,
            object_kind=row.object_kind,
            object_id=row.object_id,
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
