"""Creating, changing and deleting annotations (`rosetta.services.editing` states the
rules every edit follows).

A change of an annotation's label, geometry or attributes turns the confirmed links at it,
and at the entities holding it, stale. Deleting it deletes the links touching it and takes
it out of its entities, each with its own event.
"""

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select

from rosetta.core.geometry import Geometry
from rosetta.core.schema import Annotation
from rosetta.core.validation import check_annotation
from rosetta.services.entity_edits import remove_member
from rosetta.services.link_edits import delete_links_touching
from rosetta.services.stale_links import change_note, mark_annotation_links_stale
from rosetta.services.work_records import work_event
from rosetta.services.work_store import (
    current_ontology,
    entities_by_id,
    expect_revision,
    locked_row,
    log_event,
    require_new_id,
    require_sample,
    revision_error,
    streams_by_id,
    write_revision,
)
from rosetta.store import events
from rosetta.store.engine import write_transaction
from rosetta.store.events import Actor
from rosetta.store.records import annotation_from_row, annotation_row
from rosetta.store.tables import annotations, entity_members


def create_annotation(
    engine: Engine,
    project_id: str,
    sample_id: str,
    annotation: Annotation,
    actor: Actor,
    *,
    hidden_streams: Collection[str] = frozenset(),
) -> Annotation:
    """Add `annotation` to the sample at revision 1 under the project's current ontology
    (`add_annotations`)."""
    with write_transaction(engine) as connection:
        added = add_annotations(
            connection, project_id, sample_id, [annotation], actor, hidden_streams=hidden_streams
        )
        return added[0]


def add_annotations(
    connection: Connection,
    project_id: str,
    sample_id: str,
    added: Sequence[Annotation],
    actor: Actor,
    *,
    hidden_streams: Collection[str] = frozenset(),
) -> list[Annotation]:
    """Add `added` to the sample at revision 1 under the project's current ontology, in the
    caller's transaction (all or nothing: the first that breaks a rule raises). A stream in
    `hidden_streams` (one the author may not see: another evaluator's rationale) is refused
    exactly as a stream the sample does not have."""
    ontology = current_ontology(connection, project_id)
    require_sample(connection, project_id, sample_id)
    streams = {
        ident: stream
        for ident, stream in streams_by_id(connection, sample_id).items()
        if ident not in hidden_streams
    }
    created_all: list[Annotation] = []
    for annotation in added:
        require_new_id(connection, "annotation", annotation.id)
        created = annotation.model_copy(
            update={
                "revision": 1,
                "ontology_version": ontology.version,
                "author": annotation.author or actor.name,
            }
        )
        check_annotation(created, streams, ontology, allow_deprecated=False)
        connection.execute(
            insert(annotations).values(annotation_row(created, project_id, sample_id))
        )
        log_event(
            connection,
            project_id,
            actor,
            "annotation",
            created.id,
            "create",
            sample_id=sample_id,
            after=created,
        )
        created_all.append(created)
    return created_all


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
        return change_annotation(
            connection,
            project_id,
            annotation_id,
            expected_revision,
            actor,
            label=label,
            geometry=geometry,
            attributes=attributes,
        )


def change_annotation(
    connection: Connection,
    project_id: str,
    annotation_id: str,
    expected_revision: int,
    actor: Actor,
    *,
    label: str | None = None,
    geometry: Geometry | None = None,
    attributes: dict[str, Any] | None = None,
    author: str | None = None,
) -> Annotation:
    """`update_annotation` in the caller's transaction; `author` (``None``: keep) makes
    the annotation someone's (a person deciding on a model's candidate)."""
    ontology = current_ontology(connection, project_id)
    row = locked_row(connection, annotations, "annotation", project_id, annotation_id)
    before = annotation_from_row(row)
    expect_revision(before, expected_revision)
    wanted = {"label": label, "geometry": geometry, "attributes": attributes, "author": author}
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
        streams_by_id(connection, row.sample_id),
        ontology,
        allow_deprecated="label" not in changes,
    )
    stored = annotation_row(after, project_id, row.sample_id)
    write_revision(
        connection,
        annotations,
        "annotation",
        annotation_id,
        expected_revision,
        **{
            name: stored[name]
            for name in ("label", "geometry", "attributes", "author", "ontology_version")
        },
    )
    log_event(
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
    if changes.keys() - {"author"}:
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
        remove_annotation(connection, project_id, annotation_id, expected_revision, actor)


def remove_annotation(
    connection: Connection,
    project_id: str,
    annotation_id: str,
    expected_revision: int,
    actor: Actor,
) -> Annotation:
    """`delete_annotation` in the caller's transaction; the annotation deleted."""
    row = locked_row(connection, annotations, "annotation", project_id, annotation_id)
    before = annotation_from_row(row)
    expect_revision(before, expected_revision)
    recorded = delete_links_touching(
        connection,
        project_id,
        actor,
        annotation_id,
        note=f"its endpoint annotation {annotation_id!r} was deleted",
    )
    holders = connection.execute(
        select(entity_members.c.entity_id).where(entity_members.c.annotation_id == annotation_id)
    ).scalars()
    for entity in entities_by_id(connection, project_id, list(holders)).values():
        recorded.append(
            remove_member(
                connection, project_id, actor, entity, annotation_id, sample_id=row.sample_id
            )
        )
    removed = connection.execute(
        delete(annotations).where(
            annotations.c.id == annotation_id, annotations.c.revision == expected_revision
        )
    )
    if removed.rowcount != 1:
        raise revision_error(
            connection, annotations, "annotation", annotation_id, expected_revision
        )
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
    return before
