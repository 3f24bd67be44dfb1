"""What needs a reviewer's eyes and what happened: the review queue and an object's
history, both in keyset pages."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from rosetta.api.auth import CurrentUser, policy, require
from rosetta.api.deps import Db
from rosetta.api.lookup import object_scope, project_scope
from rosetta.core.policies import can_review
from rosetta.core.schema import Annotation, Link
from rosetta.services import catalog
from rosetta.services.review import review_queue

router = APIRouter()

Cursor = Annotated[
    str | None, Query(description="The next_cursor of the previous page (none: the first).")
]


class StaleLink(BaseModel):
    """A stale link and the sample it belongs to."""

    sample: str
    link: Link


class FlaggedAnnotation(BaseModel):
    """A flagged annotation and the sample it belongs to."""

    sample: str
    annotation: Annotation


class Review(BaseModel):
    """One page of the review queue; pass ``next_cursor`` as ``cursor`` for the next."""

    stale_links: list[StaleLink]
    flagged: list[FlaggedAnnotation]
    next_cursor: str | None


@router.get("/api/projects/{project}/review", openapi_extra=policy("reviewer"))
def get_review_queue(
    db: Db,
    caller: CurrentUser,
    project: str,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many of each.")] = 100,
    cursor: Cursor = None,
) -> Review:
    """Stale links and flagged annotations waiting for a person, oldest first."""
    scope = project_scope(db, caller, project)
    require(can_review(scope.access), "review", f"project {project!r}")
    queue = review_queue(db, scope.project.id, limit=limit, cursor=cursor)
    return Review(
        stale_links=[StaleLink(sample=queue.sample_of[x.id], link=x) for x in queue.stale_links],
        flagged=[
            FlaggedAnnotation(sample=queue.sample_of[x.id], annotation=x) for x in queue.flagged
        ],
        next_cursor=queue.next_cursor,
    )


@router.get("/api/objects/{object_id}/history", openapi_extra=policy("reviewer"))
def get_object_history(
    db: Db,
    caller: CurrentUser,
    object_id: str,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many events.")] = 100,
    cursor: Cursor = None,
) -> catalog.HistoryPage:
    """The events about an annotation, entity, link, stream, sample, ontology (its
    project's id) or user's roles, oldest first, in the projects the caller reviews."""
    reviewed = [a.project_id for a in object_scope(db, caller, object_id) if can_review(a)]
    require(bool(reviewed), "read the history of", f"object {object_id!r}")
    return catalog.history_page(db, object_id, reviewed, limit=limit, cursor=cursor)
