"""Samples and streams as the caller may see them: a project's samples (filtered, keyset
pages), one whole sample with ``ETag: "<sample revision>"`` and a ``Link`` to its project
(``If-None-Match`` with the current one: 304 without a body), and its streams.

Annotators see only the samples assigned to them (any other answers 404) and on those only
the work `rosetta.services.visibility` lets them see; reviewers and above see everything.
"""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from rosetta.api.auth import CurrentUser, policy, require, sample_access, stream_access
from rosetta.api.deps import Db
from rosetta.api.lookup import SAMPLE_HEADERS, project_link, project_scope
from rosetta.api.paging import Cursor
from rosetta.api.preconditions import etag
from rosetta.core.modality import Modality
from rosetta.core.policies import can_read_project
from rosetta.core.schema import Sample, SampleStatus, Stream
from rosetta.services import catalog, judgements
from rosetta.services.sample_snapshot import sample_json_as_seen

router = APIRouter()

Limit = Annotated[int, Query(ge=1, le=500, description="At most this many items.")]


@router.get("/api/projects/{project}/samples", openapi_extra=policy("annotator"))
def list_samples(
    *,
    db: Db,
    caller: CurrentUser,
    project: str,
    label: Annotated[str | None, Query(description="Has an annotation with this label.")] = None,
    modality: Annotated[Modality | None, Query(description="Has a stream of it.")] = None,
    status: Annotated[SampleStatus | None, Query(description="Has this status.")] = None,
    annotator: Annotated[
        str | None, Query(description="Has an annotation by this user name.")
    ] = None,
    stale: Annotated[bool | None, Query(description="Has (true) or has no stale links.")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> catalog.SampleListing:
    """A page of the samples the caller may read, in insertion order, meeting every filter
    given, with counts of the work on each that the caller sees."""
    scope = project_scope(db, caller, project)
    require(can_read_project(scope.access), "list the samples of", f"project {project!r}")
    filters = catalog.SampleFilters(
        label=label, modality=modality, status=status, annotator=annotator, stale=stale
    )
    return catalog.browse_samples(db, scope.access, filters, limit=limit, cursor=cursor)


#: Headers of every answer of `get_sample`: what a person sees of a sample depends on who
#: they are, so caches keep it per credentials and ask again before reusing it.
_PER_PERSON = {"Cache-Control": "private, no-cache", "Vary": "Authorization, Cookie"}


@router.get(
    "/api/samples/{sample_id}",
    response_model=Sample,
    responses={
        200: {"headers": SAMPLE_HEADERS},
        304: {"description": "The sample is unchanged since the ETag given."},
    },
    openapi_extra=policy("annotator"),
)
def get_sample(
    db: Db,
    caller: CurrentUser,
    sample_id: str,
    if_none_match: Annotated[
        str | None,
        Header(description='ETags the caller holds ("<n>", a list of them, or *).'),
    ] = None,
) -> Response:
    """The whole sample (its native record, one line of the JSONL format) without the work
    the caller may not see, with ``ETag: "<sample revision>"`` and its project in a ``Link``
    header (``rel="project"``); 304 without a body when ``If-None-Match`` names the current
    revision."""
    found = sample_access(db, caller, sample_id)
    if if_none_match is not None:
        current = etag(catalog.sample_revision(db, sample_id))
        if _names(if_none_match, current):
            return Response(status_code=304, headers={"ETag": current, **_PER_PERSON})
    seen = sample_json_as_seen(db, sample_id, found.access, found.assignment, gold=found.gold)
    return Response(
        seen.body,
        media_type="application/json",
        headers={
            "ETag": etag(seen.revision),
            "Link": project_link(found.access.project_id),
            **_PER_PERSON,
        },
    )


def _names(if_none_match: str, tag: str) -> bool:
    """Whether an ``If-None-Match`` value names `tag` (weak comparison, RFC 9110 13.1.2)."""
    if if_none_match.strip() == "*":
        return True
    return any(part.strip().removeprefix("W/") == tag for part in if_none_match.split(","))


@router.get(
    "/api/samples/{sample_id}/streams",
    response_model_exclude_none=True,
    openapi_extra=policy("annotator"),
)
def list_sample_streams(db: Db, caller: CurrentUser, sample_id: str) -> list[Stream]:
    """The sample's streams in insertion order (but others' rationales an annotator may
    not see)."""
    found = sample_access(db, caller, sample_id)
    hidden = judgements.hidden_streams(db, sample_id, found.access)
    return [s for s in catalog.sample_streams(db, sample_id) if s.id not in hidden]


@router.get(
    "/api/streams/{stream_id}", response_model_exclude_none=True, openapi_extra=policy("annotator")
)
def get_stream(db: Db, caller: CurrentUser, stream_id: str) -> Stream:
    """One stream (404 for another's rationale an annotator may not see)."""
    stream_access(db, caller, stream_id)
    return catalog.find_stream(db, stream_id)
