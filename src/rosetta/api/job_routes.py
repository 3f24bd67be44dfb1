"""Background jobs over HTTP: submit, follow (status, progress, log), cancel, retry, and
download what an export wrote (its shards, its dataset card, a foreign format's files);
upload a file to import.

Jobs live in the database, so any server process answers for any job. The app's own
worker threads (``ROSETTA_JOB_WORKERS``; `start_worker` in the app's lifespan) run queued
jobs next to the API, and ``rosetta worker`` processes may run them too. Submitting,
cancelling, retrying, uploads and downloads need the ``manager`` role in the job's project;
reading a job and its log needs ``reviewer`` (reviewers read the whole project, and start
the ``prepare`` jobs of `rosetta.api.media_routes`).
"""

from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Body, Depends, FastAPI, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine

from rosetta.api.auth import CurrentUser, UserActor, policy, project_access, require
from rosetta.api.deps import Db, Store
from rosetta.api.errors import BodyTooLarge
from rosetta.api.lookup import project_scope
from rosetta.core.errors import NotFoundError, RuleViolation
from rosetta.core.policies import Access, Principal, Role, can_manage
from rosetta.services.job_kinds import KINDS, export_dir, new_upload, submit
from rosetta.services.job_worker import Worker
from rosetta.services.jobs import (
    Job,
    JobLog,
    JobPage,
    JobStatus,
    cancel_job,
    check_quota,
    get_job,
    list_jobs,
    read_log,
    retry_job,
)
from rosetta.services.settings import Settings
from rosetta.services.shards import (
    FILE_TYPES,
    OTHER_TYPE,
    ExportFile,
    export_file,
    list_export_files,
)

router = APIRouter()

#: Seconds the app waits, when it stops, for each worker thread's job to stop; a job that
#: does not (no progress report meanwhile) goes stale and is queued again elsewhere.
STOP_TIMEOUT = 30.0


class JobRequest(BaseModel):
    """A job to submit."""

    kind: str = Field(
        description="; ".join(f"``{kind.name}``: {kind.summary}" for kind in KINDS.values())
    )
    params: dict[str, Any] = Field(default_factory=dict, description="The kind's params.")


class LogPage(BaseModel):
    """Lines of a job's log; pass ``next_after`` as ``after`` for the lines after them."""

    items: list[JobLog]
    next_after: int


class JobFiles(BaseModel):
    """The files a job wrote (an export's finished files)."""

    items: list[ExportFile]


# --- the app's worker -------------------------------------------------------------------------


def start_worker(app: FastAPI) -> None:
    """Start the app's job worker threads, unless the settings ask for none."""
    settings: Settings = app.state.settings
    worker = None
    if settings.job_workers > 0:
        worker = Worker(
            app.state.engine,
            data_dir=settings.data_dir,
            settings=settings,
            threads=settings.job_workers,
            ray_address=settings.ray_address,
        )
        worker.start()
    app.state.job_worker = worker


def stop_worker(app: FastAPI) -> None:
    """Stop the app's job worker: running jobs are queued again for the next worker."""
    worker: Worker | None = getattr(app.state, "job_worker", None)
    app.state.job_worker = None
    if worker is not None:
        worker.stop(timeout=STOP_TIMEOUT)


def submitted(request: Request, response: Response, job: Job) -> Job:
    """Answer a submission: wake the app's worker and point ``Location`` at the job."""
    worker: Worker | None = getattr(request.app.state, "job_worker", None)
    if worker is not None:
        worker.wake()
    response.headers["Location"] = f"/api/jobs/{job.id}"
    return job


# --- access ---------------------------------------------------------------------------------


def _project(db: Connection, user: Principal, project: str) -> Access:
    """The person's access to the project named `project` (404 naming only what was asked
    when there is none or they are not a member)."""
    return project_scope(db, user, project).access


def _job(db: Connection, user: Principal, job_id: str, role: Role) -> Job:
    """The job, if the person holds `role` in its project (404 when they are not a
    member, 403 when their role is lower)."""
    job = get_job(db, job_id)
    if job.project_id is None:
        if not user.is_admin:
            raise NotFoundError("job", job_id)
        return job
    try:
        access = project_access(db, user, job.project_id)
    except NotFoundError:
        raise NotFoundError("job", job_id) from None
    require(access.has(role), f"{'read' if role is Role.REVIEWER else 'manage'} job", job_id)
    return job


def importer_of(project: str, db: Db, user: CurrentUser) -> Access:
    """The access of a manager of the project, checked before an upload is read; the
    request's read transaction ends here, so a long upload holds no snapshot."""
    access = _project(db, user, project)
    require(can_manage(access), "import into", f"project {project!r}")
    db.rollback()
    return access


# --- routes ---------------------------------------------------------------------------------


@router.post("/api/projects/{project}/jobs", status_code=202, openapi_extra=policy("manager"))
def submit_project_job(
    *,
    db: Db,
    store: Store,
    user: CurrentUser,
    actor: UserActor,
    request: Request,
    response: Response,
    project: str,
    job: Annotated[JobRequest, Body()],
) -> Job:
    """Queue a job in the project (``Location``: the job). The same work queued or running
    already is returned instead."""
    access = _project(db, user, project)
    require(can_manage(access), f"run {job.kind} jobs in", f"project {project!r}")
    settings: Settings = request.app.state.settings
    return submitted(
        request,
        response,
        submit(store, actor, job.kind, access.project_id, job.params, settings=settings),
    )


@router.get("/api/projects/{project}/jobs", openapi_extra=policy("reviewer"))
def project_jobs(
    *,
    db: Db,
    user: CurrentUser,
    project: str,
    status: JobStatus | None = None,
    cursor: Annotated[str | None, Query(description="``next_cursor`` of the last page.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> JobPage:
    """The project's jobs, newest first, a page at a time."""
    access = _project(db, user, project)
    require(access.has(Role.REVIEWER), "list the jobs of", f"project {project!r}")
    return list_jobs(db, access.project_id, status=status, cursor=cursor, limit=limit)


@router.get("/api/jobs/{job_id}", openapi_extra=policy("reviewer"))
def job_status(db: Db, user: CurrentUser, job_id: str) -> Job:
    """A job: its status, progress (0..1) and message, and its result or error."""
    return _job(db, user, job_id, Role.REVIEWER)


@router.get("/api/jobs/{job_id}/logs", openapi_extra=policy("reviewer"))
def job_log(
    *,
    db: Db,
    user: CurrentUser,
    job_id: str,
    after: Annotated[int, Query(ge=0, description="Lines after this ``id``.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> LogPage:
    """The job's log, oldest first, from the line after ``after``."""
    _job(db, user, job_id, Role.REVIEWER)
    lines = read_log(db, job_id, after=after, limit=limit)
    return LogPage(items=lines, next_after=lines[-1].id if lines else after)


@router.post("/api/jobs/{job_id}/cancel", openapi_extra=policy("manager"))
def cancel_project_job(
    db: Db, store: Store, user: CurrentUser, actor: UserActor, job_id: str
) -> Job:
    """Cancel the job: a queued one at once, a running one at its next progress report
    (``cancelling`` until then)."""
    _job(db, user, job_id, Role.MANAGER)
    return cancel_job(store, actor, job_id)


@router.post("/api/jobs/{job_id}/retry", status_code=202, openapi_extra=policy("manager"))
def retry_project_job(
    *,
    db: Db,
    store: Store,
    user: CurrentUser,
    actor: UserActor,
    request: Request,
    response: Response,
    job_id: str,
) -> Job:
    """Queue a failed or cancelled job again; it resumes from its checkpoint."""
    _job(db, user, job_id, Role.MANAGER)
    return submitted(request, response, retry_job(store, actor, job_id))


@router.get("/api/jobs/{job_id}/files", openapi_extra=policy("manager"))
def job_files(request: Request, db: Db, user: CurrentUser, job_id: str) -> JobFiles:
    """The files the job wrote so far: an export's finished shards, and once it is done its
    dataset card; a foreign-format export's files once it is done (names are paths in the
    export's folder)."""
    _job(db, user, job_id, Role.MANAGER)
    return JobFiles(items=list_export_files(export_dir(_data_dir(request), job_id)))


@router.get(
    "/api/jobs/{job_id}/files/{name:path}",
    response_class=FileResponse,
    responses={200: {"content": {kind: {} for kind in sorted({*FILE_TYPES.values(), OTHER_TYPE})}}},
    openapi_extra=policy("manager"),
)
def job_file(request: Request, db: Db, user: CurrentUser, job_id: str, name: str) -> FileResponse:
    """One file the job wrote, streamed (a name that is not one of its files is 404)."""
    _job(db, user, job_id, Role.MANAGER)
    path, found = export_file(export_dir(_data_dir(request), job_id), name)
    return FileResponse(path, media_type=found.content_type, filename=path.name)


@router.post(
    "/api/projects/{project}/imports",
    status_code=202,
    responses={
        413: {"description": "The file is larger than ROSETTA_MAX_UPLOAD_BYTES."},
        429: {"description": "The project has ROSETTA_MAX_PENDING_JOBS jobs pending."},
    },
    openapi_extra={
        **policy("manager"),
        "requestBody": {
            "required": True,
            "description": "The native JSONL file, as the raw body.",
            "content": {"application/x-ndjson": {"schema": {"type": "string", "format": "binary"}}},
        },
    },
)
async def upload_import(
    *,
    request: Request,
    response: Response,
    store: Store,
    actor: UserActor,
    access: Annotated[Access, Depends(importer_of)],
    new_ids: Annotated[bool, Query(description="Give every record a fresh id.")] = False,
) -> Job:
    """Upload a native JSONL file (the request body, streamed to the data folder) and
    queue its import (``Location``: the job). A file larger than the settings'
    ``max_upload_bytes`` is refused (413) and nothing of it is kept; so is every upload
    to a project with ``max_pending_jobs`` jobs queued or running (429)."""
    settings: Settings = request.app.state.settings
    await anyio.to_thread.run_sync(quota_left, store, access, settings)
    name, path = new_upload(settings.data_dir)
    await receive_upload(request, path, settings.max_upload_bytes, what="the JSONL file")
    params = {"file": name, "new_ids": new_ids}
    try:
        job = await anyio.to_thread.run_sync(
            lambda: submit(store, actor, "import", access.project_id, params, settings=settings)
        )
    except BaseException:
        await anyio.Path(path).unlink(missing_ok=True)
        raise
    return submitted(request, response, job)


def quota_left(engine: Engine, access: Access, settings: Settings) -> None:
    """Refuse an upload (429) before its body is read when the project may queue no more
    jobs (``ROSETTA_MAX_PENDING_JOBS``); the submission checks again."""
    with engine.connect() as connection:
        check_quota(connection, access.project_id, settings.max_pending_jobs)


async def receive_upload(request: Request, path: Path, limit: int, *, what: str) -> None:
    """Stream the request's body into the file `path` (under a ``.part`` name until it is
    whole). A body over `limit` bytes is refused (413) and an empty one (422, naming
    `what` to send); either way nothing of it is kept."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    part = path.with_name(path.name + ".part")
    size = 0
    try:
        async with await anyio.open_file(part, "wb") as handle:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                await handle.write(chunk)
        if size == 0:
            raise RuleViolation("upload", "body", "upload-empty", f"the body is empty; send {what}")
        await anyio.Path(part).rename(path)
    finally:
        await anyio.Path(part).unlink(missing_ok=True)


def _too_large(limit: int) -> BodyTooLarge:
    return BodyTooLarge(limit, "ROSETTA_MAX_UPLOAD_BYTES")


def _data_dir(request: Request) -> Path:
    settings: Settings = request.app.state.settings
    return settings.data_dir
