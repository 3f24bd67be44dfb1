"""QA checks and their findings over HTTP: the installed checks, a project's findings
(keyset pages, filtered) and their counts, a sample's findings, a person's status change,
and a batch run of the checks (`rosetta.services.findings`, `rosetta.services.qa_runs`).

The routes that read findings first check the samples changed since the last time
(`rosetta.services.qa_runs.catch_up`, at most `CATCH_UP_LIMIT` samples per request: a
bulk change is better followed by a batch run), so what they answer is current. Reviewers
and above read every finding; an annotator reads a sample's findings on a sample assigned
to them, only those about work they see, and none on a gold sample.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, Engine

from rosetta.api.auth import CurrentUser, UserActor, policy, project_access, require, sample_access
from rosetta.api.deps import Db, Store, end_read
from rosetta.api.job_routes import submitted
from rosetta.api.lookup import project_scope
from rosetta.api.paging import Cursor, PageLimit
from rosetta.api.preconditions import IfMatch, etag, expected_revision
from rosetta.core.checks import Severity
from rosetta.core.errors import NotFoundError
from rosetta.core.modality import Modality
from rosetta.core.policies import can_manage, can_review
from rosetta.services import findings, job_kinds
from rosetta.services.check_registry import available_checks
from rosetta.services.findings import FindingPage, FindingRecord, FindingStatus, FindingSummary
from rosetta.services.jobs import Job
from rosetta.services.qa_runs import QA_KIND, QaParams, catch_up

router = APIRouter()

#: The most samples a request that reads findings checks before it answers.
CATCH_UP_LIMIT = 500


class CheckInfo(BaseModel):
    """An installed QA check: its name, what it finds, the modalities a sample must have
    for it to run, and whether it needs an embedder."""

    name: str
    description: str
    modalities: list[Modality]
    needs_embedder: bool


class FindingStatusChange(BaseModel):
    """A finding's new status and why (required to waive it)."""

    model_config = ConfigDict(extra="forbid")
    status: FindingStatus
    reason: Annotated[str | None, Field(max_length=findings.MAX_REASON)] = None


def bring_up_to_date(db: Connection, store: Engine, project_id: str) -> None:
    """End the request's read, check the samples changed since the last catch-up, and
    let the reads after see what it recorded."""
    end_read(db)
    catch_up(store, project_id, limit=CATCH_UP_LIMIT)


@router.get("/api/checks", openapi_extra=policy("user"))
def list_checks(_caller: CurrentUser) -> list[CheckInfo]:
    """The installed QA checks, by name."""
    return [
        CheckInfo(
            name=check.name,
            description=check.description,
            modalities=sorted(check.modalities),
            needs_embedder=check.needs_embedder,
        )
        for check in available_checks().values()
    ]


@router.get("/api/projects/{project}/findings", openapi_extra=policy("reviewer"))
def list_project_findings(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    project: str,
    status: Annotated[FindingStatus | None, Query(description="With this status.")] = None,
    check: Annotated[str | None, Query(description="Found by this check.")] = None,
    severity: Annotated[Severity | None, Query(description="With this severity.")] = None,
    sample: Annotated[str | None, Query(description="On this sample.")] = None,
    annotator: Annotated[
        str | None, Query(description="About work by this user (their name).")
    ] = None,
    limit: PageLimit = 100,
    cursor: Cursor = None,
) -> FindingPage:
    """A page of the project's findings, oldest first, meeting every filter given
    (reviewers and above)."""
    scope = project_scope(db, caller, project)
    require(can_review(scope.access), "list the findings of", f"project {project!r}")
    bring_up_to_date(db, store, scope.project.id)
    return findings.project_findings(
        db,
        scope.project.id,
        status=status,
        check=check,
        severity=severity,
        sample=sample,
        annotator=annotator,
        limit=limit,
        cursor=cursor,
    )


@router.get("/api/projects/{project}/findings/summary", openapi_extra=policy("reviewer"))
def get_findings_summary(db: Db, store: Store, caller: CurrentUser, project: str) -> FindingSummary:
    """The project's findings counted: by check × severity × status, by annotator, by the
    day first seen, and the hierarchy drift pairs (reviewers and above)."""
    scope = project_scope(db, caller, project)
    require(can_review(scope.access), "count the findings of", f"project {project!r}")
    bring_up_to_date(db, store, scope.project.id)
    return findings.findings_summary(db, scope.project.id)


@router.get("/api/samples/{sample_id}/findings", openapi_extra=policy("annotator"))
def list_sample_findings(
    db: Db, store: Store, caller: CurrentUser, sample_id: str
) -> list[FindingRecord]:
    """The findings on the sample the caller sees, oldest first (annotators: those about
    work they see, none on a gold sample)."""
    found = sample_access(db, caller, sample_id)
    bring_up_to_date(db, store, found.access.project_id)
    items = findings.sample_findings(db, sample_id)
    return findings.seen_by(db, items, found.access, found.assignment, gold=found.gold)


@router.patch("/api/findings/{finding_id}", openapi_extra=policy("reviewer"))
def update_finding(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    response: Response,
    finding_id: str,
    change: FindingStatusChange,
    if_match: IfMatch,
) -> FindingRecord:
    """Set the finding's status (``If-Match``: the revision it was read at; a stale one is
    409): ``waived`` (with the reason why: the checks will not raise it again),
    ``resolved`` or ``open`` again (reviewers and above). The finding after, with its
    ``ETag``."""
    obj = f"finding {finding_id!r}"
    item = findings.find_finding(db, finding_id)
    try:
        access = project_access(db, caller, item.project)
    except NotFoundError:
        raise NotFoundError("finding", finding_id) from None
    require(can_review(access), "change the status of", obj)
    revision = expected_revision(if_match, obj)
    end_read(db)
    changed = findings.set_finding_status(
        store, actor, finding_id, change.status, reason=change.reason, expected_revision=revision
    )
    response.headers["ETag"] = etag(changed.revision)
    return changed


@router.post("/api/projects/{project}/qa/runs", status_code=202, openapi_extra=policy("manager"))
def run_project_checks(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    request: Request,
    response: Response,
    project: str,
    run: QaParams,
) -> Job:
    """Queue a ``qa`` job that runs the checks named (none: every installed one) over
    every sample of the project and stores their findings (``Location``: the job;
    managers and above). The same run queued or running already is returned instead."""
    scope = project_scope(db, caller, project)
    require(can_manage(scope.access), "run the QA checks of", f"project {project!r}")
    end_read(db)
    params = run.model_dump(mode="json")
    settings = request.app.state.settings
    job = job_kinds.submit(store, actor, QA_KIND, scope.project.id, params, settings=settings)
    return submitted(request, response, job)
