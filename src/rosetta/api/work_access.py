"""Loading one piece of work (an annotation, entity or link) for a caller, and checking
what a new or changed one names, so that hidden work looks exactly like missing work.

What a person sees is `rosetta.services.visibility`'s rule: an annotation by its author, an
entity also by its members, a link also by its ends. Work they may not see answers 404;
naming it as an entity member or a link end is the same `RuleViolation` as naming nothing.
Reviewers and above see everything, so for them nothing is loaded beyond the record.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import orjson
from fastapi import Response
from sqlalchemy import Connection, Table, select

from rosetta.api.auth import SampleAccess, sample_access
from rosetta.api.preconditions import etag
from rosetta.core.errors import NotFoundError, RuleViolation
from rosetta.core.policies import Principal, sees_every_sample
from rosetta.core.schema import Annotation, Entity, Link, Sample
from rosetta.formats.native import annotation_record, entity_record, link_record
from rosetta.services.editing import kind_of
from rosetta.services.visibility import visible_sample
from rosetta.store.records import (
    annotation_from_row,
    entity_from_row,
    link_from_row,
    load_sample,
    members_of,
)
from rosetta.store.tables import annotations, entities, links

Work = Annotation | Entity | Link

_TABLES: dict[str, Table] = {"annotation": annotations, "entity": entities, "link": links}


@dataclass(frozen=True)
class WorkAccess:
    """One piece of work as the caller sees it, with their access to its sample."""

    found: SampleAccess
    record: Work

    @property
    def project_id(self) -> str:
        """The project the work belongs to."""
        return self.found.access.project_id


def work_access(db: Connection, principal: Principal, kind: str, ident: str) -> WorkAccess:
    """The `kind` (``annotation``, ``entity`` or ``link``) `ident` and the person's access to
    its sample; 404 naming it when it does not exist or they may not see it."""
    table = _TABLES[kind]
    sample_id = db.execute(
        select(table.c.sample_id).where(table.c.id == ident)
    ).scalar_one_or_none()
    if sample_id is None:
        raise NotFoundError(kind, ident)
    try:
        found = sample_access(db, principal, sample_id)
    except NotFoundError:
        raise NotFoundError(kind, ident) from None
    if sees_every_sample(found.access):
        return WorkAccess(found, _load(db, kind, ident))
    record = next((item for item in _work(_seen(db, found)) if item.id == ident), None)
    if record is None or kind_of(record) != kind:
        raise NotFoundError(kind, ident)
    return WorkAccess(found, record)


def require_seen(
    db: Connection, found: SampleAccess, obj: str, references: Iterable[tuple[str, str]]
) -> None:
    """Check that every ``(field, id)`` in `references` (a link's ends, an entity's
    members) names work the person sees; one they may not see is the `RuleViolation`
    validation gives for an id that names nothing on the sample."""
    if sees_every_sample(found.access):
        return
    seen = {item.id for item in _work(_seen(db, found))}
    for field, ident in references:
        if ident not in seen:
            rule = "entity-member" if field.startswith("members") else "link-endpoint"
            what = "an annotation" if rule == "entity-member" else "an annotation or entity"
            raise RuleViolation(obj, field, rule, f"{ident!r} is not {what} of the sample")


def record_response(record: Work, *, status_code: int = 200) -> Response:
    """The record as the native format writes it, with ``ETag: "<revision>"``."""
    if isinstance(record, Annotation):
        body = annotation_record(record)
    else:
        body = entity_record(record) if isinstance(record, Entity) else link_record(record)
    return Response(
        orjson.dumps(body),
        status_code=status_code,
        media_type="application/json",
        headers={"ETag": etag(record.revision)},
    )


def _seen(db: Connection, found: SampleAccess) -> Sample:
    sample = load_sample(db, found.sample_id)
    return visible_sample(sample, found.access, found.assignment, gold=found.gold)


def _work(sample: Sample) -> list[Work]:
    return [*sample.annotations, *sample.entities, *sample.links]


def _load(db: Connection, kind: str, ident: str) -> Work:
    row = db.execute(select(_TABLES[kind]).where(_TABLES[kind].c.id == ident)).one()
    if kind == "annotation":
        return annotation_from_row(row)
    if kind == "entity":
        return entity_from_row(row, members_of(db, [ident])[ident])
    return link_from_row(row)
