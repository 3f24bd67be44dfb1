"""Where a cuboid annotation appears in a camera stream."""

from typing import Annotated

from fastapi import APIRouter, Query

from rosetta.api.auth import CurrentUser, policy
from rosetta.api.deps import Db
from rosetta.api.work_access import work_access
from rosetta.core.projection import Projection
from rosetta.services.projection import project_annotation

router = APIRouter()


@router.get("/api/annotations/{annotation_id}/projection", openapi_extra=policy("annotator"))
def annotation_projection(
    db: Db,
    user: CurrentUser,
    annotation_id: str,
    stream: Annotated[str, Query(min_length=1, description="The camera stream's id.")],
    frame: Annotated[int, Query(ge=0, description="The frame of a video camera stream.")] = 0,
) -> Projection | None:
    """The cuboid's 2D box, outline and corners in the camera stream; ``null`` when unseen."""
    work_access(db, user, "annotation", annotation_id)
    return project_annotation(db, annotation_id, stream, frame=frame)
