"""Creating, changing and deleting entities (`rosetta.services.editing` states the rules
every edit follows).

A change of an entity's label or members turns its confirmed links stale; deleting it
deletes the links touching it, each with its own event, and keeps its member annotations.
"""

from enum import Enum
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert

from rosetta.core.schema import Entity
from rosetta.core.validation import check_entity
from rosetta.services.link_edits import delete_links_touching
from rosetta.services.stale_links import change_note, mark_links_stale
from rosetta.services.work_records import work_event
from rosetta.services.work_store import (
    annotations_by_id,
    current_entity,
    current_ontology,
    log_event,
    require_new_id,
    require_sample,
    write_revision,
)
from rosetta.store import events
from rosetta.store.engine import write_transaction
from rosetta.store.events import Actor
from rosetta.store.records import entity_row, member_rows
from rosetta.store.tables import entities, entity_members


def create_entity(
    engine: Engine, project_id: str, sample_id: str, entity: Entity, actor: Actor
) -> Entity:
    """Add `entity` to the sample at revision 1; its members must be compatible annotations."""
    with write_transaction(engine) as connection:
        ontology = current_ontology(connection, project_id)
        require_sample(connection, project_id, sample_id)
        require_new_id(connection, "entity", entity.id)
        created = entity.model_copy(update={"revision": 1, "author": entity.author or actor.name})
        members = annotations_by_id(connection, project_id, sample_id, entity.members)
        check_entity(created, members, ontology, allow_deprecated=False)
        connection.execute(insert(entities).values(entity_row(created, project_id, sample_id)))
        if created.members:
            connection.execute(insert(entity_members), member_rows(created))
        log_event(
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
        row, before = current_entity(connection, project_id, entity_id, expected_revision)
        changes: dict[str, Any] = {}
        if label is not KEEP and label != before.label:
            changes["label"] = label
        if members is not None and members != before.members:
            changes["members"] = list(members)
        if not changes:
            return before
        after = before.model_copy(update={**changes, "revision": before.revision + 1})
        found = annotations_by_id(connection, project_id, row.sample_id, after.members)
        check_entity(after, found, ontology, allow_deprecated="label" not in changes)
        if "members" in changes:
            connection.execute(
                delete(entity_members).where(entity_members.c.entity_id == entity_id)
            )
            if after.members:
                connection.execute(insert(entity_members), member_rows(after))
        write_revision(
            connection, entities, "entity", entity_id, expected_revision, label=after.label
        )
        log_event(
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
        row, before = current_entity(connection, project_id, entity_id, expected_revision)
        recorded = delete_links_touching(
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


def remove_member(
    connection: Connection,
    project_id: str,
    actor: Actor,
    entity: Entity,
    annotation_id: str,
    *,
    sample_id: str,
) -> dict[str, Any]:
    """Take annotation `annotation_id`, which is being deleted, out of `entity`: the entity
    moves to its next revision, its confirmed links turn stale; its ``update`` event."""
    connection.execute(
        delete(entity_members).where(
            entity_members.c.entity_id == entity.id,
            entity_members.c.annotation_id == annotation_id,
        )
    )
    revision = write_revision(connection, entities, "entity", entity.id, entity.revision)
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
