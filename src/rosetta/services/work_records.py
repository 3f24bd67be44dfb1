"""Annotations, entities and links as one kind of thing, *work*: how errors and the event
log name a piece of work, keep it (``before``/``after``) and report a stale revision.
"""

from typing import Any

import orjson
from pydantic import BaseModel

from rosetta.core.errors import ConflictError
from rosetta.core.schema import Annotation, Entity, Link
from rosetta.formats.native import annotation_record, entity_record, link_record
from rosetta.store import events
from rosetta.store.events import Actor


def record_json(record: BaseModel) -> dict[str, Any]:
    """A record as the event log keeps it in ``before``/``after``."""
    return record.model_dump(mode="json", exclude_none=True)


Record = Annotation | Entity | Link


def kind_of(record: Record) -> str:
    """``annotation``, ``entity`` or ``link``: the record's kind as errors and events name it."""
    if isinstance(record, Annotation):
        return "annotation"
    return "entity" if isinstance(record, Entity) else "link"


def native_json(record: Record) -> dict[str, Any]:
    """The record as the native format and the API write it, as plain JSON values."""
    if isinstance(record, Annotation):
        obj = annotation_record(record)
    else:
        obj = entity_record(record) if isinstance(record, Entity) else link_record(record)
    loaded: dict[str, Any] = orjson.loads(orjson.dumps(obj))
    return loaded


def conflict(record: Record, expected: int) -> ConflictError:
    """The error for a write that expected `record` at revision `expected`; it carries the
    record as it is now."""
    return ConflictError(
        f"{kind_of(record)} {record.id!r}", expected, record.revision, current=native_json(record)
    )


def work_event(
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
) -> dict[str, Any]:
    """The events row of a change to an annotation, entity or link (``before``/``after``:
    the whole records; its revision: that of ``after``)."""
    return events.event_row(
        project_id,
        actor,
        kind,
        ident,
        action,
        sample_id=sample_id,
        revision=None if after is None else after.revision,
        before=None if before is None else record_json(before),
        after=None if after is None else record_json(after),
        note=note,
    )
