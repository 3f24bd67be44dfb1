"""Stale links: when an annotation or entity changes, every *confirmed* link with it at an
end (or, for an annotation, with an entity holding it at an end) turns ``stale``, at a new
revision and with an event whose note says which end changed and how. The links turn
stale in one batched statement however many there are (a clock shift or an ontology
migration can stale thousands at once).
"""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Row, or_, select

from rosetta.services.work_records import work_event
from rosetta.services.work_store import revision_error, revision_update
from rosetta.store import events
from rosetta.store.events import Actor
from rosetta.store.records import link_from_row
from rosetta.store.tables import entity_members, links


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
    turned = revision_update(links, ("status", "revision")).run(
        connection,
        [
            {
                "b_id": row.id,
                "b_revision": row.revision,
                "v_status": "stale",
                "v_revision": row.revision + 1,
            }
            for row in rows
        ],
    )
    if turned != len(rows) and connection.dialect.supports_sane_multi_rowcount:
        # one changed since it was read (a writer without this one's locks): name it
        raise _first_changed(connection, rows)
    rows_out = []
    for row in rows:
        before = link_from_row(row)
        after = before.model_copy(update={"status": "stale", "revision": row.revision + 1})
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


def _first_changed(connection: Connection, rows: Sequence[Row[Any]]) -> Exception:
    """The error for the first of the links `rows` (as read) that the batch did not turn
    stale: found at another revision than the one read plus one, or not stale."""
    now = {
        found.id: found
        for found in connection.execute(
            select(links.c.id, links.c.revision, links.c.status).where(
                links.c.id.in_([row.id for row in rows])
            )
        )
    }
    for row in rows:
        found = now.get(row.id)
        if found is None or found.revision != row.revision + 1 or found.status != "stale":
            return revision_error(connection, links, "link", row.id, row.revision)
    return revision_error(connection, links, "link", rows[0].id, rows[0].revision)


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
