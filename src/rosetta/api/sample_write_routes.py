"""Writes to a whole sample: its status and metadata, and submitting all of the caller's
work on it in one request.

Both expect ``If-Match: "<sample revision>"``, the ETag of ``GET /api/samples/{id}``, and
answer with the new one; a stale revision is a 409 carrying the sample as it is now (its
own fields for a status change, all of it as the caller sees it for a submission).
Changes are made by the caller (`UserActor`). Bodies are decoded with orjson
(`rosetta.api.fast_json`): a whole sample's work is large.
"""

import orjson
from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, SkipValidation

from rosetta.api.auth import CurrentUser, SampleAccess, UserActor, policy, require, sample_access
from rosetta.api.deps import Db, Store, end_read
from rosetta.api.fast_json import OrjsonRoute
from rosetta.api.lookup import SAMPLE_HEADERS, project_link
from rosetta.api.preconditions import IfMatch, etag, expected_revision
from rosetta.core.policies import can_annotate, can_manage, can_set_sample_status
from rosetta.core.schema import Annotation, Entity, JsonDict, Link, Sample, SampleStatus
from rosetta.services import samples
from rosetta.services.bulk import Submission, Submitter, submit_sample

router = APIRouter(route_class=OrjsonRoute)


class SampleChange(BaseModel):
    """What to change of a sample; fields left out stay as they are. Annotators may only
    hand a sample in (status ``review``); reviewers set any status; the metadata is a
    manager's."""

    model_config = ConfigDict(extra="forbid")
    status: SampleStatus | None = None
    metadata: JsonDict | None = None


class SampleWork(BaseModel):
    """The caller's complete intended work on a sample: every annotation, entity and link
    of it they see, as read (with its revision) or changed, plus new ones. Objects left out
    are deleted.

    The objects are taken as sent and parsed by the service only when new or changed
    (`rosetta.services.bulk`), so an unchanged one costs a comparison, not a validation.
    """

    model_config = ConfigDict(extra="forbid")
    # SkipValidation: the items stay the JSON objects sent (their schema is documented)
    annotations: list[SkipValidation[Annotation]] = Field(default_factory=list)
    entities: list[SkipValidation[Entity]] = Field(default_factory=list)
    links: list[SkipValidation[Link]] = Field(default_factory=list)


class SubmittedWork(BaseModel):
    """The sample after a submission as the caller sees it, and what the submission did:
    how many of its objects were created, updated, deleted and left as they were, and how
    many links turned stale."""

    sample: Sample
    created: int
    updated: int
    deleted: int
    unchanged: int
    stale: int


def _may_change(found: SampleAccess, change: SampleChange) -> None:
    obj = f"sample {found.sample_id!r}"
    if change.metadata is not None:
        require(can_manage(found.access), "change the metadata of", obj)
    if change.status is not None:
        allowed = can_set_sample_status(found.access, found.assignment, change.status)
        require(allowed, f"set the status of {obj} to", repr(change.status))


@router.patch("/api/samples/{sample_id}", openapi_extra=policy("annotator"))
def update_sample(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    sample_id: str,
    change: SampleChange,
    response: Response,
    if_match: IfMatch,
) -> samples.SampleHead:
    """Set the sample's status and/or metadata (``If-Match``: the sample revision it was
    read at); the sample's own fields after, with the new ETag."""
    found = sample_access(db, caller, sample_id)
    _may_change(found, change)
    head = samples.update_sample(
        store,
        found.access.project_id,
        sample_id,
        expected_revision(if_match, f"sample {sample_id!r}"),
        actor,
        status=change.status,
        metadata=change.metadata,
    )
    response.headers["ETag"] = etag(head.revision)
    return head


@router.put(
    "/api/samples/{sample_id}/annotations",
    response_model=SubmittedWork,
    responses={200: {"headers": SAMPLE_HEADERS}},
    openapi_extra=policy("annotator"),
)
def submit_sample_work(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    sample_id: str,
    work: SampleWork,
    if_match: IfMatch,
) -> Response:
    """Make the caller's work on the sample what the body says, all or nothing
    (``If-Match``: the sample revision it was read at): new ids are created, changed
    objects updated (each carries the revision it was read at), visible ones left out
    deleted. The sample after as the caller sees it, with its new ETag and its project's
    ``Link``, and counts."""
    found = sample_access(db, caller, sample_id)
    require(can_annotate(found.access, found.assignment), "annotate", f"sample {sample_id!r}")
    end_read(db)
    done = submit_sample(
        store,
        sample_id,
        expected_revision(if_match, f"sample {sample_id!r}"),
        Submission(work.annotations, work.entities, work.links),
        Submitter(actor, found.access, found.assignment, found.gold),
    )
    body = {
        "sample": orjson.Fragment(done.sample),
        "created": done.created,
        "updated": done.updated,
        "deleted": done.deleted,
        "unchanged": done.unchanged,
        "stale": done.stale,
    }
    return Response(
        orjson.dumps(body),
        media_type="application/json",
        headers={"ETag": etag(done.revision), "Link": project_link(found.access.project_id)},
    )
