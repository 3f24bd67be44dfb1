"""Editing annotations, links and entities: validated, versioned and recorded.

Each function runs in one transaction. It loads what it needs, scoped to the project (an id
of another project is a `NotFoundError`), validates with `rosetta.core.validation` against
the project's current ontology, writes with optimistic concurrency (``UPDATE ... WHERE
revision = expected``; a mismatch is a `ConflictError` and nothing is written), bumps the
revision of every object it changes and appends one event per change.

When an annotation changes (label, geometry or attributes), every *confirmed* link whose
source or target is that annotation, or an entity holding it, turns ``stale``; so does every
confirmed link of an entity whose label or members change. Deleting an annotation removes
it from its entities (which counts as a member change) and deletes the links touching it,
each with its own event, so the history keeps what went away; deleting an entity deletes
the links touching it. A link whose type, ends or attributes change goes back to
``proposed`` (`edited_link`).

Every write holds a share lock on its sample's row until it commits (`_require_sample`;
PostgreSQL), so a whole-sample submission (`rosetta.services.bulk`), which takes that row
exclusively, never interleaves with single edits. A conflict carries the object as it is
now (`conflict`).
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

import orjson
from pydantic import BaseModel
from sqlalchemy import (
    Connection,
    Engine,
    Row,
    Table,
    delete,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)

from rosetta.core.errors import ConflictError, NotFoundError, RuleViolation
from rosetta.core.geometry import Geometry
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Entity, Link, Stream
from rosetta.core.validation import Endpoint, check_annotation, check_entity, check_link
from rosetta.formats.native import annotation_record, entity_record, link_record
from rosetta.services.projects import load_ontology
from rosetta.store import events
from rosetta.store.engine import write_transaction
from rosetta.store.events import Actor
from rosetta.store.records import (
    annotation_from_row,
    annotation_row,
    entity_from_row,
    entity_row,
    link_from_row,
    link_row,
    member_rows,
    members_of,
    stream_from_row,
)
from rosetta.store.tables import (
    annotations,
    entities,
    entity_members,
    links,
    projects,
    samples,
    streams,
)


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


def _require_sample(connection: Connection, project_id: str, sample_id: str) -> None:
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


def _locked_row(
    connection: Connection, table: Table, kind: str, project_id: str, ident: str
) -> Row[Any]:
    """`_row` read after taking the share lock on the object's sample (`_require_sample`)."""
    sample_id = connection.execute(
        select(table.c.sample_id).where(table.c.id == ident, table.c.project_id == project_id)
    ).scalar_one_or_none()
    if sample_id is None:
        raise NotFoundError(kind, ident)
    _require_sample(connection, project_id, sample_id)
    return _row(connection, table, kind, project_id, ident)


def _current_link(
    connection: Connection, project_id: str, link_id: str, expected_revision: int
) -> tuple[Row[Any], Link]:
    """The link's locked row and record, if it is at `expected_revision` (else 409)."""
    row = _locked_row(connection, links, "link", project_id, link_id)
    before = link_from_row(row)
    _expect(before, expected_revision)
    return row, before


def _current_entity(
    connection: Connection, project_id: str, entity_id: str, expected_revision: int
) -> tuple[Row[Any], Entity]:
    """The entity's locked row and record, if it is at `expected_revision` (else 409)."""
    row = _locked_row(connection, entities, "entity", project_id, entity_id)
    before = entity_from_row(row, members_of(connection, [entity_id])[entity_id])
    _expect(before, expected_revision)
    return row, before


def _require_new_id(connection: Connection, kind: str, ident: str) -> None:
    """Ids are unique in the store across samples, streams, annotations, entities and links."""
    tables = (samples, streams, annotations, entities, links)
    taken = connection.execute(
        union_all(*(select(literal(1)).where(table.c.id == ident) for table in tables))
    ).first()
    if taken is not None:
        raise RuleViolation(
            f"{kind} {ident!r}", "id", "ids-unique", f"id {ident!r} is in use already"
        )


def _streams(connection: Connection, sample_id: str) -> dict[str, Stream]:
    rows = connection.execute(select(streams).where(streams.c.sample_id == sample_id))
    return {row.id: stream_from_row(row) for row in rows}


def _annotations(
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


def _entities(
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
class _Ends:
    """A link's endpoints with what `check_link` needs to judge them."""

    endpoints: dict[str, Endpoint]
    streams: dict[str, Stream]
    annotations: dict[str, Annotation]

    def revision(self, ident: str) -> int:
        return self.endpoints[ident].revision


def _ends(connection: Connection, project_id: str, sample_id: str, link: Link) -> _Ends:
    ids = {link.source, link.target}
    found = _annotations(connection, project_id, sample_id, ids)
    held = _entities(connection, project_id, ids, sample_id)
    members = {m for entity in held.values() for m in entity.members} - found.keys()
    endpoints: dict[str, Endpoint] = {**found, **held}
    return _Ends(
        endpoints=endpoints,
        streams=_streams(connection, sample_id),
        annotations={**found, **_annotations(connection, project_id, sample_id, members)},
    )


# --- writing --------------------------------------------------------------------------------


def _conflict(
    connection: Connection, table: Table, kind: str, ident: str, expected: int
) -> Exception:
    actual = connection.execute(
        select(table.c.revision).where(table.c.id == ident)
    ).scalar_one_or_none()
    if actual is None:
        return NotFoundError(kind, ident)
    return ConflictError(f"{kind} {ident!r}", expected, actual)


def _write(
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
        raise _conflict(connection, table, kind, ident, expected)
    return expected + 1


def _expect(record: Record, expected: int) -> None:
    if record.revision != expected:
        raise conflict(record, expected)


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


def _log(  # noqa: PLR0917 - `work_event` with the connection first
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


# --- stale links ----------------------------------------------------------------------------


def mark_links_stale(
    connection: Connection, project_id: str, actor: Actor, changed: Mapping[str, str]
) -> int:
    """Turn every confirmed link with an endpoint in `changed` stale; how many turned.

    `changed` maps an endpoint id (annotation or entity) to what happened to it, e.g.
    ``"annotation 'a1' changed from revision 2 to 3"``; the link's event note says which
    end it was.
    """
    if not changed:
        return 0
    ids = list(changed)
    rows = connection.execute(
        select(links)
        .where(
            # served by the source_id and target_id indexes; ids are unique in the store, so
            # the links touching the project's objects are the project's own
            or_(links.c.source_id.in_(ids), links.c.target_id.in_(ids)),
            links.c.status == "confirmed",
        )
        .order_by(links.c.pk)
    ).all()
    rows_out = []
    for row in rows:
        before = link_from_row(row)
        revision = _write(connection, links, "link", row.id, row.revision, status="stale")
        after = before.model_copy(update={"status": "stale", "revision": revision})
        ends = (("source", before.source), ("target", before.target))
        note = "; ".join(f"{end} {changed[ident]}" for end, ident in ends if ident in changed)
        rows_out.append(
            work_event(
                project_id,
                actor,
                "link",
                row.id,
                "stale",
                sample_id=row.sample_id,
                before=before,
                after=after,
                note=note,
            )
        )
    events.record(connection, rows_out)
    return len(rows)


def mark_annotation_links_stale(
    connection: Connection, project_id: str, actor: Actor, changed: Mapping[str, str]
) -> int:
    """`mark_links_stale` for changed annotations and for the entities that hold them.

    `changed` maps an annotation id to what happened to it (``"annotation 'a1' changed
    from revision 2 to 3"``).
    """
    if not changed:
        return 0
    holders: dict[str, list[str]] = {}
    for member in connection.execute(
        select(entity_members.c.entity_id, entity_members.c.annotation_id)
        .where(entity_members.c.annotation_id.in_(list(changed)))
        .order_by(entity_members.c.pk)
    ):
        holders.setdefault(member.entity_id, []).append(changed[member.annotation_id])
    via_entities = {
        entity_id: f"entity {entity_id!r}, whose member {'; '.join(notes)}"
        for entity_id, notes in holders.items()
    }
    return mark_links_stale(connection, project_id, actor, {**changed, **via_entities})


def change_note(kind: str, ident: str, before: int, after: int) -> str:
    """What the note of a link's ``stale`` event says of the end that changed."""
    return f"{kind} {ident!r} changed from revision {before} to {after}"


# --- annotations ----------------------------------------------------------------------------


def create_annotation(
    engine: Engine, project_id: str, sample_id: str, annotation: Annotation, actor: Actor
) -> Annotation:
    """Add `annotation` to the sample at revision 1 under the project's current ontology."""
    with write_transaction(engine) as connection:
        ontology = current_ontology(connection, project_id)
        _require_sample(connection, project_id, sample_id)
        _require_new_id(connection, "annotation", annotation.id)
        created = annotation.model_copy(
            update={
                "revision": 1,
                "ontology_version": ontology.version,
                "author": annotation.author or actor.name,
            }
        )
        check_annotation(created, _streams(connection, sample_id), ontology, allow_deprecated=False)
        connection.execute(
            insert(annotations).values(annotation_row(created, project_id, sample_id))
        )
        _log(
            connection,
            project_id,
            actor,
            "annotation",
            created.id,
            "create",
            sample_id=sample_id,
            after=created,
        )
    return created


def update_annotation(
    engine: Engine,
    project_id: str,
    annotation_id: str,
    expected_revision: int,
    actor: Actor,
    *,
    label: str | None = None,
    geometry: Geometry | None = None,
    attributes: dict[str, Any] | None = None,
) -> Annotation:
    """Change the label, geometry and/or attributes (``None``: keep); the new record.

    A new label must not be a deprecated class; an annotation keeping a deprecated label
    may still be edited. The annotation takes the project's current ontology version.
    Changing nothing writes nothing and returns the annotation as it is.
    """
    with write_transaction(engine) as connection:
        ontology = current_ontology(connection, project_id)
        row = _locked_row(connection, annotations, "annotation", project_id, annotation_id)
        before = annotation_from_row(row)
        _expect(before, expected_revision)
        wanted = {"label": label, "geometry": geometry, "attributes": attributes}
        changes = {
            name: value
            for name, value in wanted.items()
            if value is not None and value != getattr(before, name)
        }
        if not changes:
            return before
        after = before.model_copy(
            update={
                **changes,
                "revision": expected_revision + 1,
                "ontology_version": ontology.version,
            }
        )
        check_annotation(
            after,
            _streams(connection, row.sample_id),
            ontology,
            allow_deprecated="label" not in changes,
        )
        stored = annotation_row(after, project_id, row.sample_id)
        _write(
            connection,
            annotations,
            "annotation",
            annotation_id,
            expected_revision,
            **{
                name: stored[name]
                for name in ("label", "geometry", "attributes", "ontology_version")
            },
        )
        _log(
            connection,
            project_id,
            actor,
            "annotation",
            annotation_id,
            "update",
            sample_id=row.sample_id,
            before=before,
            after=after,
        )
        mark_annotation_links_stale(
            connection,
            project_id,
            actor,
            {
                annotation_id: change_note(
                    "annotation", annotation_id, before.revision, after.revision
                )
            },
        )
    return after


def delete_annotation(
    engine: Engine, project_id: str, annotation_id: str, expected_revision: int, actor: Actor
) -> None:
    """Delete the annotation, the links touching it, and its place in entities.

    Each deleted link gets a ``delete`` event; each entity that loses the member gets an
    ``update`` event with a new revision, and its confirmed links turn stale.
    """
    with write_transaction(engine) as connection:
        row = _locked_row(connection, annotations, "annotation", project_id, annotation_id)
        before = annotation_from_row(row)
        _expect(before, expected_revision)
        recorded = _delete_links_touching(
            connection,
            project_id,
            actor,
            annotation_id,
            note=f"its endpoint annotation {annotation_id!r} was deleted",
        )
        holders = connection.execute(
            select(entity_members.c.entity_id).where(
                entity_members.c.annotation_id == annotation_id
            )
        ).scalars()
        for entity in _entities(connection, project_id, list(holders)).values():
            recorded.append(
                _remove_member(
                    connection, project_id, actor, entity, annotation_id, sample_id=row.sample_id
                )
            )
        removed = connection.execute(
            delete(annotations).where(
                annotations.c.id == annotation_id, annotations.c.revision == expected_revision
            )
        )
        if removed.rowcount != 1:
            raise _conflict(connection, annotations, "annotation", annotation_id, expected_revision)
        recorded.append(
            work_event(
                project_id,
                actor,
                "annotation",
                annotation_id,
                "delete",
                sample_id=row.sample_id,
                before=before,
            )
        )
        events.record(connection, recorded)


def _delete_links_touching(
    connection: Connection, project_id: str, actor: Actor, endpoint: str, *, note: str
) -> list[dict[str, Any]]:
    """Delete the links with `endpoint` at either end; their ``delete`` events."""
    touching = connection.execute(
        select(links)
        .where(or_(links.c.source_id == endpoint, links.c.target_id == endpoint))
        .order_by(links.c.pk)
    ).all()
    if touching:
        connection.execute(delete(links).where(links.c.id.in_([r.id for r in touching])))
    return [
        work_event(
            project_id,
            actor,
            "link",
            r.id,
            "delete",
            sample_id=r.sample_id,
            before=link_from_row(r),
            note=note,
        )
        for r in touching
    ]


def _remove_member(
    connection: Connection,
    project_id: str,
    actor: Actor,
    entity: Entity,
    annotation_id: str,
    *,
    sample_id: str,
) -> dict[str, Any]:
    connection.execute(
        delete(entity_members).where(
            entity_members.c.entity_id == entity.id,
            entity_members.c.annotation_id == annotation_id,
        )
    )
    revision = _write(connection, entities, "entity", entity.id, entity.revision)
    after = entity.model_copy(
        update={"members": [m for m in entity.members if m != annotation_id], "revision": revision}
    )
    note = f"member annotation {annotation_id!r} was deleted"
    mark_links_stale(
        connection,
        project_id,
        actor,
        {entity.id: f"{change_note('entity', entity.id, entity.revision, revision)} ({note})"},
    )
    return work_event(
        project_id,
        actor,
        "entity",
        entity.id,
        "update",
        sample_id=sample_id,
        before=entity,
        after=after,
        note=note,
    )


# --- links ----------------------------------------------------------------------------------


def create_link(engine: Engine, project_id: str, sample_id: str, link: Link, actor: Actor) -> Link:
    """Add `link` to the sample at revision 1.

    A link created ``confirmed`` records its endpoints' current revisions; any other status
    records none.
    """
    with write_transaction(engine) as connection:
        ontology = current_ontology(connection, project_id)
        _require_sample(connection, project_id, sample_id)
        _require_new_id(connection, "link", link.id)
        ends = _ends(connection, project_id, sample_id, link)
        check_link(link, ends.endpoints, ends.streams, ends.annotations, ontology)
        confirmed = link.status == "confirmed"
        created = link.model_copy(
            update={
                "revision": 1,
                "author": link.author or actor.name,
                "source_revision": ends.revision(link.source) if confirmed else None,
                "target_revision": ends.revision(link.target) if confirmed else None,
            }
        )
        connection.execute(insert(links).values(link_row(created, project_id, sample_id)))
        _log(
            connection,
            project_id,
            actor,
            "link",
            created.id,
            "create",
            sample_id=sample_id,
            after=created,
        )
    return created


def confirm_link(
    engine: Engine, project_id: str, link_id: str, expected_revision: int, actor: Actor
) -> Link:
    """Confirm the link (again): it is checked anew and records its endpoints' revisions."""
    with write_transaction(engine) as connection:
        ontology = current_ontology(connection, project_id)
        row, before = _current_link(connection, project_id, link_id, expected_revision)
        ends = _ends(connection, project_id, row.sample_id, before)
        check_link(before, ends.endpoints, ends.streams, ends.annotations, ontology)
        values = {
            "status": "confirmed",
            "source_revision": ends.revision(before.source),
            "target_revision": ends.revision(before.target),
        }
        revision = _write(connection, links, "link", link_id, expected_revision, **values)
        after = before.model_copy(update={**values, "revision": revision})
        _log(
            connection,
            project_id,
            actor,
            "link",
            link_id,
            "confirm",
            sample_id=row.sample_id,
            before=before,
            after=after,
        )
    return after


def reject_link(
    engine: Engine, project_id: str, link_id: str, expected_revision: int, actor: Actor
) -> Link:
    """Reject the link; it stays, with status ``rejected``, for the record."""
    with write_transaction(engine) as connection:
        row, before = _current_link(connection, project_id, link_id, expected_revision)
        revision = _write(connection, links, "link", link_id, expected_revision, status="rejected")
        after = before.model_copy(update={"status": "rejected", "revision": revision})
        _log(
            connection,
            project_id,
            actor,
            "link",
            link_id,
            "reject",
            sample_id=row.sample_id,
            before=before,
            after=after,
        )
    return after


def edited_link(before: Link, changes: Mapping[str, Any]) -> Link:
    """`before` with `changes` (to its type, ends or attributes) at its next revision.

    A confirmed or stale link goes back to ``proposed`` and forgets its endpoints'
    revisions: its confirmation was of the link as it was.
    """
    update: dict[str, Any] = {**changes, "revision": before.revision + 1}
    if before.status in {"confirmed", "stale"}:
        update |= {"status": "proposed", "source_revision": None, "target_revision": None}
    return before.model_copy(update=update)


#: The columns of a links row that an update may change.
LINK_COLUMNS = (
    "type",
    "source_id",
    "target_id",
    "status",
    "attributes",
    "source_revision",
    "target_revision",
)


def update_link(
    engine: Engine,
    project_id: str,
    link_id: str,
    expected_revision: int,
    actor: Actor,
    *,
    type: str | None = None,
    source: str | None = None,
    target: str | None = None,
    attributes: dict[str, Any] | None = None,
) -> Link:
    """Change the link's type, ends and/or attributes (``None``: keep); the new record,
    checked anew (`edited_link` says what becomes of its status). Changing nothing writes
    nothing."""
    with write_transaction(engine) as connection:
        ontology = current_ontology(connection, project_id)
        row, before = _current_link(connection, project_id, link_id, expected_revision)
        wanted = {"type": type, "source": source, "target": target, "attributes": attributes}
        changes = {
            name: value
            for name, value in wanted.items()
            if value is not None and value != getattr(before, name)
        }
        if not changes:
            return before
        after = edited_link(before, changes)
        ends = _ends(connection, project_id, row.sample_id, after)
        check_link(after, ends.endpoints, ends.streams, ends.annotations, ontology)
        stored = link_row(after, project_id, row.sample_id)
        values = {name: stored[name] for name in LINK_COLUMNS}
        _write(connection, links, "link", link_id, expected_revision, **values)
        _log(
            connection,
            project_id,
            actor,
            "link",
            link_id,
            "update",
            sample_id=row.sample_id,
            before=before,
            after=after,
        )
    return after


def delete_link(
    engine: Engine, project_id: str, link_id: str, expected_revision: int, actor: Actor
) -> None:
    """Delete the link (its ends stay)."""
    with write_transaction(engine) as connection:
        row, before = _current_link(connection, project_id, link_id, expected_revision)
        connection.execute(delete(links).where(links.c.id == link_id))
        _log(
            connection,
            project_id,
            actor,
            "link",
            link_id,
            "delete",
            sample_id=row.sample_id,
            before=before,
        )


# --- entities -------------------------------------------------------------------------------


def create_entity(
    engine: Engine, project_id: str, sample_id: str, entity: Entity, actor: Actor
) -> Entity:
    """Add `entity` to the sample at revision 1; its members must be compatible annotations."""
    with write_transaction(engine) as connection:
        ontology = current_ontology(connection, project_id)
        _require_sample(connection, project_id, sample_id)
        _require_new_id(connection, "entity", entity.id)
        created = entity.model_copy(update={"revision": 1, "author": entity.author or actor.name})
        members = _annotations(connection, project_id, sample_id, entity.members)
        check_entity(created, members, ontology, allow_deprecated=False)
        connection.execute(insert(entities).values(entity_row(created, project_id, sample_id)))
        if created.members:
            connection.execute(insert(entity_members), member_rows(created))
        _log(
            connection,
            project_id,
            actor,
            "entity",
            created.id,
            "create",
            sample_id=sample_id,
            after=created,
        )
    return created


class Keep(Enum):
    """The value of an optional argument that means "leave it as it is"."""

    KEEP = "keep"


#: Leave the field as it is (where ``None`` is a value the field may take).
KEEP = Keep.KEEP


def update_entity(
    engine: Engine,
    project_id: str,
    entity_id: str,
    expected_revision: int,
    actor: Actor,
    *,
    label: str | Keep | None = KEEP,
    members: list[str] | None = None,
) -> Entity:
    """Change the entity's label (``None``: no label) and/or members (``None``: keep); the
    new record. Its confirmed links turn stale. Changing nothing writes nothing."""
    with write_transaction(engine) as connection:
        ontology = current_ontology(connection, project_id)
        row, before = _current_entity(connection, project_id, entity_id, expected_revision)
        changes: dict[str, Any] = {}
        if label is not KEEP and label != before.label:
            changes["label"] = label
        if members is not None and members != before.members:
            changes["members"] = list(members)
        if not changes:
            return before
        after = before.model_copy(update={**changes, "revision": before.revision + 1})
        found = _annotations(connection, project_id, row.sample_id, after.members)
        check_entity(after, found, ontology, allow_deprecated="label" not in changes)
        if "members" in changes:
            connection.execute(
                delete(entity_members).where(entity_members.c.entity_id == entity_id)
            )
            if after.members:
                connection.execute(insert(entity_members), member_rows(after))
        _write(connection, entities, "entity", entity_id, expected_revision, label=after.label)
        _log(
            connection,
            project_id,
            actor,
            "entity",
            entity_id,
            "update",
            sample_id=row.sample_id,
            before=before,
            after=after,
        )
        what = ", ".join(changes)
        mark_links_stale(
            connection,
            project_id,
            actor,
            {
                entity_id: f"{change_note('entity', entity_id, before.revision, after.revision)} ({what})"
            },
        )
    return after


def set_entity_members(  # noqa: PLR0917 - the agreed service interface
    engine: Engine,
    project_id: str,
    entity_id: str,
    members: list[str],
    expected_revision: int,
    actor: Actor,
) -> Entity:
    """Replace the entity's members; its confirmed links turn stale. The new record."""
    return update_entity(
        engine, project_id, entity_id, expected_revision, actor, members=list(members)
    )


def delete_entity(
    engine: Engine, project_id: str, entity_id: str, expected_revision: int, actor: Actor
) -> None:
    """Delete the entity and the links touching it, each with an event; its member
    annotations stay."""
    with write_transaction(engine) as connection:
        row, before = _current_entity(connection, project_id, entity_id, expected_revision)
        recorded = _delete_links_touching(
            connection,
            project_id,
            actor,
            entity_id,
            note=f"its endpoint entity {entity_id!r} was deleted",
        )
        connection.execute(delete(entity_members).where(entity_members.c.entity_id == entity_id))
        connection.execute(delete(entities).where(entities.c.id == entity_id))
        recorded.append(
            work_event(
                project_id,
                actor,
                "entity",
                entity_id,
                "delete",
                sample_id=row.sample_id,
                before=before,
            )
        )
        events.record(connection, recorded)
