"""Links and entities one at a time: add one to a sample, read, change and delete one by
id; confirm or reject a link.

Writes are made by the caller (`UserActor`) through `rosetta.services.editing`, as for
annotations (`rosetta.api.annotation_routes`): responses carry the record with
``ETag: "<revision>"``, changes send it back in ``If-Match``. Annotators write on the
samples assigned to them, only the work they see, and may name only work they see as a
link end or an entity member; they add links as ``proposed``. Confirming and rejecting
is a reviewer's.
"""

from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from rosetta.api.annotation_routes import NewId, new_id
from rosetta.api.auth import CurrentUser, UserActor, policy, require, sample_access
from rosetta.api.deps import Db, Store
from rosetta.api.fast_json import OrjsonRoute
from rosetta.api.preconditions import IfMatch, expected_revision
from rosetta.api.work_access import WorkAccess, record_response, require_seen, work_access
from rosetta.core.ids import Name, Text
from rosetta.core.policies import can_annotate, can_review
from rosetta.core.schema import Entity, JsonDict, Link, LinkStatus
from rosetta.services import editing
from rosetta.store.events import Actor

router = APIRouter(route_class=OrjsonRoute)

Ident = Annotated[Name, Field(min_length=1)]


class NewLink(BaseModel):
    """A link to add between two annotations or entities of the sample; its author is the
    caller. Only reviewers may add one other than ``proposed``; a ``confirmed`` one
    records its ends' revisions."""

    model_config = ConfigDict(extra="forbid")
    id: NewId = None
    type: Ident
    source: Ident
    target: Ident
    status: LinkStatus = "proposed"
    attributes: JsonDict = Field(default_factory=dict)

    def record(self, actor: Actor) -> Link:
        """The link to create."""
        return Link(
            id=self.id or new_id(),
            type=self.type,
            source=self.source,
            target=self.target,
            status=self.status,
            attributes=self.attributes,
            author=actor.name,
        )


class LinkChange(BaseModel):
    """What to change of a link; fields left out stay as they are. A changed confirmed or
    stale link goes back to ``proposed``."""

    model_config = ConfigDict(extra="forbid")
    type: Ident | None = None
    source: Ident | None = None
    target: Ident | None = None
    attributes: JsonDict | None = None


class NewEntity(BaseModel):
    """An entity to add: annotations of the sample that denote one thing; its author is
    the caller."""

    model_config = ConfigDict(extra="forbid")
    id: NewId = None
    label: Name | None = Field(default=None, min_length=1)
    members: list[Text] = Field(default_factory=list)

    def record(self, actor: Actor) -> Entity:
        """The entity to create."""
        return Entity(
            id=self.id or new_id(), label=self.label, members=self.members, author=actor.name
        )


class EntityChange(BaseModel):
    """What to change of an entity; fields left out stay as they are (``"label": null``
    removes its label)."""

    model_config = ConfigDict(extra="forbid")
    label: Name | None = Field(default=None, min_length=1)
    members: list[Text] | None = None


def _ends(link: NewLink | LinkChange) -> list[tuple[str, str]]:
    return [(end, ident) for end in ("source", "target") if (ident := getattr(link, end))]


def _members(members: list[str] | None) -> list[tuple[str, str]]:
    return [(f"members[{index}]", ident) for index, ident in enumerate(members or [])]


def _may_write(work: WorkAccess, action: str) -> str:
    """The object's name, after checking the caller may `action` it."""
    obj = f"{editing.kind_of(work.record)} {work.record.id!r}"
    require(can_annotate(work.found.access, work.found.assignment), action, obj)
    return obj


# --- links ----------------------------------------------------------------------------------


@router.post(
    "/api/samples/{sample_id}/links",
    status_code=201,
    response_model=Link,
    openapi_extra=policy("annotator"),
)
def create_link(
    *, db: Db, store: Store, caller: CurrentUser, actor: UserActor, sample_id: str, link: NewLink
) -> Response:
    """Add a link to the sample; 201 with the link and its ETag."""
    found = sample_access(db, caller, sample_id)
    require(can_annotate(found.access, found.assignment), "annotate", f"sample {sample_id!r}")
    record = link.record(actor)
    if link.status != "proposed":
        action = f"add a link with status {link.status!r} to"
        require(can_review(found.access), action, f"sample {sample_id!r}")
    require_seen(db, found, f"link {record.id!r}", _ends(link))
    created = editing.create_link(store, found.access.project_id, sample_id, record, actor)
    return record_response(created, status_code=201)


@router.get("/api/links/{link_id}", response_model=Link, openapi_extra=policy("annotator"))
def get_link(db: Db, caller: CurrentUser, link_id: str) -> Response:
    """The link with ``ETag: "<revision>"``."""
    return record_response(work_access(db, caller, "link", link_id).record)


@router.patch("/api/links/{link_id}", response_model=Link, openapi_extra=policy("annotator"))
def update_link(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    link_id: str,
    change: LinkChange,
    if_match: IfMatch,
) -> Response:
    """Change the link's type, ends and/or attributes (``If-Match``: the revision it was
    read at); the link after, checked anew."""
    work = work_access(db, caller, "link", link_id)
    obj = _may_write(work, "change")
    require_seen(db, work.found, obj, _ends(change))
    updated = editing.update_link(
        store,
        work.project_id,
        link_id,
        expected_revision(if_match, obj),
        actor,
        type=change.type,
        source=change.source,
        target=change.target,
        attributes=change.attributes,
    )
    return record_response(updated)


@router.delete("/api/links/{link_id}", status_code=204, openapi_extra=policy("annotator"))
def delete_link(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    link_id: str,
    if_match: IfMatch,
) -> Response:
    """Delete the link (``If-Match``: its revision); its ends stay."""
    work = work_access(db, caller, "link", link_id)
    obj = _may_write(work, "delete")
    editing.delete_link(store, work.project_id, link_id, expected_revision(if_match, obj), actor)
    return Response(status_code=204)


@router.post("/api/links/{link_id}/confirm", response_model=Link, openapi_extra=policy("reviewer"))
def confirm_link(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    link_id: str,
    if_match: IfMatch,
) -> Response:
    """Confirm the link (``If-Match``: its revision): it is checked anew and records its
    ends' revisions. The link after."""
    work = work_access(db, caller, "link", link_id)
    obj = f"link {link_id!r}"
    require(can_review(work.found.access), "confirm", obj)
    confirmed = editing.confirm_link(
        store, work.project_id, link_id, expected_revision(if_match, obj), actor
    )
    return record_response(confirmed)


@router.post("/api/links/{link_id}/reject", response_model=Link, openapi_extra=policy("reviewer"))
def reject_link(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    link_id: str,
    if_match: IfMatch,
) -> Response:
    """Reject the link (``If-Match``: its revision); it stays, ``rejected``. The link after."""
    work = work_access(db, caller, "link", link_id)
    obj = f"link {link_id!r}"
    require(can_review(work.found.access), "reject", obj)
    rejected = editing.reject_link(
        store, work.project_id, link_id, expected_revision(if_match, obj), actor
    )
    return record_response(rejected)


# --- entities -------------------------------------------------------------------------------


@router.post(
    "/api/samples/{sample_id}/entities",
    status_code=201,
    response_model=Entity,
    openapi_extra=policy("annotator"),
)
def create_entity(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    sample_id: str,
    entity: NewEntity,
) -> Response:
    """Add an entity to the sample; 201 with the entity and its ETag."""
    found = sample_access(db, caller, sample_id)
    require(can_annotate(found.access, found.assignment), "annotate", f"sample {sample_id!r}")
    record = entity.record(actor)
    require_seen(db, found, f"entity {record.id!r}", _members(entity.members))
    created = editing.create_entity(store, found.access.project_id, sample_id, record, actor)
    return record_response(created, status_code=201)


@router.get("/api/entities/{entity_id}", response_model=Entity, openapi_extra=policy("annotator"))
def get_entity(db: Db, caller: CurrentUser, entity_id: str) -> Response:
    """The entity with ``ETag: "<revision>"``."""
    return record_response(work_access(db, caller, "entity", entity_id).record)


@router.patch("/api/entities/{entity_id}", response_model=Entity, openapi_extra=policy("annotator"))
def update_entity(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    entity_id: str,
    change: EntityChange,
    if_match: IfMatch,
) -> Response:
    """Change the entity's label and/or members (``If-Match``: the revision it was read
    at); its confirmed links turn stale. The entity after."""
    work = work_access(db, caller, "entity", entity_id)
    obj = _may_write(work, "change")
    require_seen(db, work.found, obj, _members(change.members))
    updated = editing.update_entity(
        store,
        work.project_id,
        entity_id,
        expected_revision(if_match, obj),
        actor,
        label=change.label if "label" in change.model_fields_set else editing.KEEP,
        members=change.members,
    )
    return record_response(updated)


@router.delete("/api/entities/{entity_id}", status_code=204, openapi_extra=policy("annotator"))
def delete_entity(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    entity_id: str,
    if_match: IfMatch,
) -> Response:
    """Delete the entity (``If-Match``: its revision) and the links touching it; its
    members stay."""
    work = work_access(db, caller, "entity", entity_id)
    obj = _may_write(work, "delete")
    editing.delete_entity(
        store, work.project_id, entity_id, expected_revision(if_match, obj), actor
    )
    return Response(status_code=204)
