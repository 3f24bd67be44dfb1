"""Key-frame-first track review: interpolated shapes proposed on in-between frames, and
accepting one (as proposed or edited) as a key frame.
"""

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from rosetta.api.auth import CurrentUser, UserActor, policy, require
from rosetta.api.deps import Db, Store
from rosetta.api.work_access import work_access
from rosetta.core.geometry import Box, Cuboid, Polygon
from rosetta.core.policies import can_annotate
from rosetta.core.schema import Annotation
from rosetta.core.tracks import Proposal
from rosetta.formats.native import annotation_record
from rosetta.services.tracks import accept_proposal, propose_track_frames

router = APIRouter()

Frame = Annotated[int | None, Query(ge=0)]


class KeyframeRequest(BaseModel):
    """A key frame to add on ``frame``: ``shape``, or without it the proposal shown there.

    ``expected_revision`` is the track's revision the proposal was read at.
    """

    model_config = ConfigDict(extra="forbid")
    frame: int = Field(ge=0)
    expected_revision: int = Field(ge=1)
    shape: Annotated[Box | Polygon | Cuboid, Field(discriminator="type")] | None = None


@router.get(
    "/api/annotations/{annotation_id}/track/proposals",
    response_model_exclude_none=True,
    openapi_extra=policy("annotator"),
)
def track_proposals(
    db: Db, user: CurrentUser, annotation_id: str, start: Frame = None, end: Frame = None
) -> list[Proposal]:
    """Interpolated shapes on the track's in-between frames ``start..end`` (default: its
    first to its last key frame), each with a confidence that falls with the distance to
    the nearest key frame."""
    work_access(db, user, "annotation", annotation_id)
    return propose_track_frames(db, annotation_id, start, end)


@router.post(
    "/api/annotations/{annotation_id}/track/keyframes",
    response_model=Annotation,
    openapi_extra=policy("annotator"),
)
def add_track_keyframe(
    *,
    db: Db,
    store: Store,
    user: CurrentUser,
    actor: UserActor,
    annotation_id: str,
    request: KeyframeRequest,
) -> Response:
    """Add a key frame to the track; the updated annotation as the native format writes it.

    A stale ``expected_revision`` is a 409 conflict.
    """
    found = work_access(db, user, "annotation", annotation_id).found
    require(can_annotate(found.access, found.assignment), "edit", f"track {annotation_id!r}")
    updated = accept_proposal(
        store,
        actor,
        annotation_id,
        request.frame,
        request.expected_revision,
        shape=request.shape,
    )
    return Response(orjson.dumps(annotation_record(updated)), media_type="application/json")
