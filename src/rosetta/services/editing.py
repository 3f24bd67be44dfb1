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

Every write holds a share lock on its sample's row until it commits
(`work_store.require_sample`; PostgreSQL), so a whole-sample submission
(`rosetta.services.bulk`), which takes that row exclusively, never interleaves with single
edits. A conflict carries the object as it is now (`conflict`).

This module is the entry point; the work is done by one module per concept:

=======================  ===========================================================
`annotation_edits`       create, update and delete annotations
`link_edits`             create, confirm, reject, update and delete links
`entity_edits`           create, update and delete entities, set their members
`stale_links`            turning confirmed links stale when an end changes
`work_store`             project-scoped loading, locks, optimistic writes, events
`work_records`           work as errors and events name and keep it
=======================  ===========================================================
"""

from rosetta.services.annotation_edits import (
    create_annotation,
    delete_annotation,
    update_annotation,
)
from rosetta.services.entity_edits import (
    KEEP,
    Keep,
    create_entity,
    delete_entity,
    set_entity_members,
    update_entity,
)
from rosetta.services.link_edits import (
    LINK_COLUMNS,
    confirm_link,
    create_link,
    delete_link,
    edited_link,
    reject_link,
    update_link,
)
from rosetta.services.stale_links import (
    change_note,
    mark_annotation_links_stale,
    mark_links_stale,
)
from rosetta.services.work_records import (
    Record,
    conflict,
    kind_of,
    native_json,
    record_json,
    work_event,
)
from rosetta.services.work_store import current_ontology

__all__ = [
    "KEEP",
    "LINK_COLUMNS",
    "Keep",
    "Record",
    "change_note",
    "confirm_link",
    "conflict",
    "create_annotation",
    "create_entity",
    "create_link",
    "current_ontology",
    "delete_annotation",
    "delete_entity",
    "delete_link",
    "edited_link",
    "kind_of",
    "mark_annotation_links_stale",
    "mark_links_stale",
    "native_json",
    "record_json",
    "reject_link",
    "set_entity_members",
    "update_annotation",
    "update_entity",
    "update_link",
    "work_event",
]
