"""Creating, confirming, rejecting, changing and deleting links (`rosetta.services.editing`
states the rules every edit follows).

A link created or confirmed as ``confirmed`` records its ends' revisions; a change of its
type, ends or attributes sends it back to ``proposed`` (`edited_link`).
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, or_, select

from rosetta.core.schema import Link
from rosetta.core.validation import check_link
from rosetta.services.work_records import work_event
from rosetta.services.work_store import (
    current_link,
    current_ontology,
    link_ends,
    log_event,
    require_new_id,
    require_sample,
    write_revision,
)
from rosetta.store.engine import write_transaction
from rosetta.store.events import Actor
from rosetta.store.records import link_from_row, link_row
from rosetta.store.tables import links


def create_link(engine: Engine, project_id: str, sample_id: str, link: Link, actor: Actor) -> Link:
    """Add `link` to the sample at revision 1.

    A link created ``confirmed`` records its endpoints' current revisions; any other status
    records none.
    """
    with write_transaction(engine) as connection:
        ontology = current_ontology(connection, project_id)
        require_sample(connection, project_id, sample_id)
        require_new_id(connection, "link", link.id)
        ends = link_ends(connection, project_id, sample_id, link)
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
        log_event(
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
        row, before = current_link(connection, project_id, link_id, expected_revision)
        ends = link_ends(connection, project_id, row.sample_id, before)
        check_link(before, ends.endpoints, ends.streams, ends.annotations, ontology)
        values = {
            "status": "confirmed",
            "source_revision": ends.revision(before.source),
            "target_revision": ends.revision(before.target),
        }
        revision = write_revision(connection, links, "link", link_id, expected_revision, **values)
        after = before.model_copy(update={**values, "revision": revision})
        log_event(
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
        row, before = current_link(connection, project_id, link_id, expected_revision)
        revision = write_revision(
            connection, links, "link", link_id, expected_revision, status="rejected"
        )
        after = before.model_copy(update={"status": "rejected", "revision": revision})
        log_event(
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
        row, before = current_link(connection, project_id, link_id, expected_revision)
        wanted = {"type": type, "source": source, "target": target, "attributes": attributes}
        changes = {
            name: value
            for name, value in wanted.items()
            if value is not None and value != getattr(before, name)
        }
        if not changes:
            return before
        after = edited_link(before, changes)
        ends = link_ends(connection, project_id, row.sample_id, after)
        check_link(after, ends.endpoints, ends.streams, ends.annotations, ontology)
        stored = link_row(after, project_id, row.sample_id)
        values = {name: stored[name] for name in LINK_COLUMNS}
        write_revision(connection, links, "link", link_id, expected_revision, **values)
        log_event(
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
        row, before = current_link(connection, project_id, link_id, expected_revision)
        connection.execute(delete(links).where(links.c.id == link_id))
        log_event(
            connection,
            project_id,
            actor,
            "link",
            link_id,
            "delete",
            sample_id=row.sample_id,
            before=before,
        )


def delete_links_touching(
    connection: Connection, project_id: str, actor: Actor, endpoint: str, *, note: str
) -> list[dict[str, Any]]:
    """Delete the links with `endpoint` at either end (an annotation or entity that is being
    deleted); their ``delete`` events."""
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
