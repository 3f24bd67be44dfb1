"""Annotations one at a time: add one to a sample, read, change and delete one by id.

Every write is made by the caller (`UserActor`) through `rosetta.services.editing`, which
validates it, bumps the revision and records an event. Responses carry the annotation as
the native format writes it with ``ETag: "<revision>"``; a change or deletion must send
that revision back in ``If-Match`` (a stale one is a 409 carrying the annotation as it is
now). Annotators write on the samples assigned to them, and only the work they see.
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from rosetta.api.auth import CurrentUser, UserActor, policy, require, sample_access
from rosetta.api.deps import Db, Store
from rosetta.api.fast_json import OrjsonRoute
from rosetta.api.preconditions import IfMatch, expected_revision
from rosetta.api.work_access import record_response, work_access
from rosetta.core.geometry import Geometry
from rosetta.core.ids import Name, Text
from rosetta.core.policies import can_annotate
from rosetta.core.schema import Annotation, Id, JsonDict, Source
from rosetta.services import editing, judgements
from rosetta.store.events import Actor

router = APIRouter(route_class=OrjsonRoute)

#: An id given by the client; ids are unique across the store.
NewId = Annotated[Id | None, Field(description="The id to give it (default: a new one).")]


def new_id() -> str:
    """A fresh id for a record the client gave none."""
    return uuid.uuid4().hex


class NewAnnotation(BaseModel):
    """An annotation to add; its author is the caller, its revision 1."""

    model_config = ConfigDict(extra="forbid")
    id: NewId = None
    stream: Text | None = Field(description="Its stream; none only for a sample classification.")
    label: Name = Field(min_length=1)
    geometry: Geometry
    attributes: JsonDict = Field(default_factory=dict)
    source: Source = Field(default_factory=Source)

    def record(self, actor: Actor) -> Annotation:
        """The annotation to create."""
        return Annotation(
            id=self.id or new_id(),
            stream=self.stream,
            label=self.label,
            geometry=self.geometry,
            attributes=self.attributes,
            author=actor.name,
            source=self.source,
        )


class AnnotationChange(BaseModel):
    """What to change of an annotation; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")
    label: Name | None = Field(default=None, min_length=1)
    geometry: Geometry | None = None
    attributes: JsonDict | None = None


@router.post(
    "/api/samples/{sample_id}/annotations",
    status_code=201,
    response_model=Annotation,
    openapi_extra=policy("annotator"),
)
def create_annotation(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    sample_id: str,
    annotation: NewAnnotation,
) -> Response:
    """Add an annotation to the sample; 201 with the annotation and its ETag. A stream the
    caller may not see (another evaluator's rationale) is a 422 as for one the sample does
    not have."""
    found = sample_access(db, caller, sample_id)
    require(can_annotate(found.access, found.assignment), "annotate", f"sample {sample_id!r}")
    created = editing.create_annotation(
        store,
        found.access.project_id,
        sample_id,
        annotation.record(actor),
        actor,
        hidden_streams=judgements.hidden_streams(db, sample_id, found.access),
    )
    return record_response(created, status_code=201)


@router.get(
    "/api/annotations/{annotation_id}",
    response_model=Annotation,
    openapi_extra=policy("annotator"),
)
def get_annotation(db: Db, caller: CurrentUser, annotation_id: str) -> Response:
    """The annotation with ``ETag: "<revision>"``."""
    return record_response(work_access(db, caller, "annotation", annotation_id).record)


@router.patch(
    "/api/annotations/{annotation_id}",
    response_model=Annotation,
    openapi_extra=policy("annotator"),
)
def update_annotation(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    annotation_id: str,
    change: AnnotationChange,
    if_match: IfMatch,
) -> Response:
    """Change the annotation's label, geometry and/or attributes (``If-Match``: the
    revision it was read at); its confirmed links turn stale. The annotation after."""
    work = work_access(db, caller, "annotation", annotation_id)
    obj = f"annotation {annotation_id!r}"
    require(can_annotate(work.found.access, work.found.assignment), "change", obj)
    updated = editing.update_annotation(
        store,
        work.project_id,
        annotation_id,
        expected_revision(if_match, obj),
        actor,
        label=change.label,
        geometry=change.geometry,
        attributes=change.attributes,
    )
    return record_response(updated)


@router.delete(
    "/api/annotations/{annotation_id}", status_code=204, openapi_extra=policy("annotator")
)
def delete_annotation(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    annotation_id: str,
    if_match: IfMatch,
) -> Response:
    """Delete the annotation (``If-Match``: its revision), the links touching it and its
    place in entities."""
    work = work_access(db, caller, "annotation", annotation_id)
    obj = f"annotation {annotation_id!r}"
    require(can_annotate(work.found.access, work.found.assignment), "delete", obj)
    editing.delete_annotation(
        store, work.project_id, annotation_id, expected_revision(if_match, obj), actor
    )
    return Response(status_code=204)
