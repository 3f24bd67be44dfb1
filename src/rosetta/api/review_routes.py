"""What needs a reviewer's eyes and what happened: the review queue and an object's
history, both in keyset pages; a sample's review (decisions on its annotations and the
verdict on it), read and given.

A sample's review is sent with ``ETag: "<sample revision>"``; giving one expects it in
``If-Match`` (a sample changed since is a 409 carrying its review now) and answers with
the new one. Annotators read the decisions on their own work and the verdict on the
samples assigned to them (none on gold samples); reviewers read and give them all.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from rosetta.api.auth import CurrentUser, UserActor, policy, require, sample_access
from rosetta.api.deps import Db, Store
from rosetta.api.lookup import object_scope, project_scope
from rosetta.api.paging import Cursor
from rosetta.api.preconditions import IfMatch, etag, expected_revision
from rosetta.core.policies import can_review
from rosetta.core.schema import Annotation, Link
from rosetta.services import catalog, reviews
from rosetta.services.review import review_queue

router = APIRouter()


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


Reason = Annotated[str | None, Field(max_length=reviews.MAX_REASON)]


class ReviewDecision(BaseModel):
    """A decision on one annotation of the sample, with an optional reason."""

    model_config = ConfigDict(extra="forbid")
    annotation: Annotated[str, Field(min_length=1)]
    decision: reviews.Outcome
    reason: Reason = None


class ReviewVerdict(BaseModel):
    """The verdict on the whole sample: ``accepted`` moves it to ``done``; ``rejected``,
    which needs a reason (what to fix), sends it back to ``in_progress``."""

    model_config = ConfigDict(extra="forbid")
    decision: reviews.Outcome
    reason: Reason = None


class ReviewChange(BaseModel):
    """Decisions on annotations of the sample and/or a verdict on it, recorded together."""

    model_config = ConfigDict(extra="forbid")
    decisions: list[ReviewDecision] = Field(default_factory=list)
    verdict: ReviewVerdict | None = None


@router.get("/api/samples/{sample_id}/review", openapi_extra=policy("annotator"))
def get_sample_review(
    db: Db, caller: CurrentUser, sample_id: str, response: Response
) -> reviews.SampleReview:
    """The sample's review as the caller may see it: the latest decision on each
    annotation (``outdated`` when the annotation changed since) and the latest verdict,
    with the sample's status and ``ETag: "<sample revision>"``."""
    found = sample_access(db, caller, sample_id)
    review = reviews.sample_review(db, sample_id)
    response.headers["ETag"] = etag(review.revision)
    return reviews.seen_by(review, found.access, found.assignment, gold=found.gold)


@router.put("/api/samples/{sample_id}/review", openapi_extra=policy("reviewer"))
def review_sample(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    sample_id: str,
    change: ReviewChange,
    response: Response,
    if_match: IfMatch,
) -> reviews.SampleReview:
    """Record decisions on annotations of the sample and/or a verdict on it, all or
    nothing (``If-Match``: the sample revision they judged); the sample's review after,
    with its new ETag. A verdict moves the sample's status: ``accepted`` to ``done``,
    ``rejected`` back to ``in_progress`` for its annotator."""
    found = sample_access(db, caller, sample_id)
    obj = f"sample {sample_id!r}"
    require(can_review(found.access), "review", obj)
    verdict = change.verdict
    review = reviews.decide(
        store,
        actor,
        found.access,
        sample_id,
        decisions=[reviews.Decision(d.annotation, d.decision, d.reason) for d in change.decisions],
        verdict=None if verdict is None else reviews.Verdict(verdict.decision, verdict.reason),
        expected_revision=expected_revision(if_match, obj),
    )
    response.headers["ETag"] = etag(review.revision)
    return review
