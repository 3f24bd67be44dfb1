"""Jobs: work that takes a while, tracked in the ``jobs`` table so that a client can follow
its progress.

A job is submitted (``queued``), then run: ``running`` while its work reports progress
(0..1, written at most every `PROGRESS_INTERVAL` seconds), and ``done`` with the work's
result (JSON) or ``failed`` with the error text. The work itself writes whatever it makes
in its own transactions; a work that fails must leave nothing behind (media preparation
writes all its artefacts in one transaction at the end). `JobRunner` runs jobs on a small
thread pool in the process that owns it (the API server).
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from sqlalchemy import Connection, Engine, insert, select, update

from rosetta.core.errors import NotFoundError, RosettaError
from rosetta.store.engine import write_transaction
from rosetta.store.events import Actor, dumps
from rosetta.store.tables import jobs

#: Seconds between two progress writes of one job.
PROGRESS_INTERVAL = 0.2

JobStatus = Literal["queued", "running", "done", "failed"]

#: Reports progress: the fraction done (0..1) and what is being done.
ProgressFn = Callable[[float, str | None], None]

#: The work of a job: gets a progress function, returns the result (JSON-able).
Work = Callable[[ProgressFn], dict[str, Any]]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One job: what it does to which target, where it stands, and how it ended."""

    id: str
    project_id: str | None
    kind: str
    target: str | None
    status: JobStatus
    progress: float
    message: str | None
    result: dict[str, Any] | None
    error: str | None
    actor: str
    created_at: float
    updated_at: float


def submit_job(
    engine: Engine, actor: Actor, kind: str, target: str | None, project_id: str | None = None
) -> Job:
    """Record a new ``queued`` job of `kind` on `target` (a stream or project id)."""
    now = time.time()
    job_id = uuid.uuid4().hex
    with write_transaction(engine) as connection:
        connection.execute(
            insert(jobs).values(
                id=job_id,
                project_id=project_id,
                kind=kind,
                target=target,
                status="queued",
                progress=0.0,
                actor=actor.name,
                created_at=now,
                updated_at=now,
            )
        )
        return get_job(connection, job_id)


def get_job(connection: Connection, job_id: str) -> Job:
    """The job `job_id`; `NotFoundError` when there is none."""
    row = connection.execute(select(jobs).where(jobs.c.id == job_id)).first()
    if row is None:
        raise NotFoundError("job", job_id)
    return _job_from_row(row)


def run_job(engine: Engine, job_id: str, work: Work) -> Job:
    """Run the queued job `job_id`: mark it running, call `work` with a progress function,
    and record its result (``done``) or its error (``failed``). Returns the finished job.

    A work that raises does not propagate its error: the job records it and the error
    is logged. The error text is the message of a `RosettaError` (which names the file
    and what was expected), else the exception's type and message.
    """
    with write_transaction(engine) as connection:
        job = get_job(connection, job_id)
        if job.status != "queued":
            raise RosettaError(f"job {job_id} is {job.status}, not queued; it runs only once")
        _set(connection, job_id, status="running", progress=0.0)
    reporter = _Reporter(engine, job_id)
    try:
        result = work(reporter)
        body = dumps(result)
    except Exception as exc:  # noqa: BLE001 - any failure of the work is the job's result
        _log.exception("job %s (%s on %s) failed", job_id, job.kind, job.target)
        error = str(exc) if isinstance(exc, RosettaError) else f"{type(exc).__name__}: {exc}"
        with write_transaction(engine) as connection:
            _set(connection, job_id, status="failed", error=error, message=None)
            return get_job(connection, job_id)
    with write_transaction(engine) as connection:
        _set(connection, job_id, status="done", progress=1.0, result=body, message=None)
        return get_job(connection, job_id)


class JobRunner:
    """Runs jobs on a thread pool. The API server owns one; `shutdown` when it stops."""

    def __init__(self, engine: Engine, *, workers: int = 2) -> None:
        self.engine = engine
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rosetta-job")
        self._pending: dict[str, Future[Job]] = {}
        self._by_target: dict[tuple[str, str | None], str] = {}
        self._lock = threading.Lock()

    def submit(
        self, actor: Actor, kind: str, target: str | None, project_id: str | None, work: Work
    ) -> Job:
        """Record a job and queue it; returns it as recorded (``queued``). While this runner
        has a job of the same kind on the same target queued or running, that job is
        returned instead and no second one starts."""
        with self._lock:
            running = self._by_target.get((kind, target))
            if running is not None:
                with self.engine.connect() as connection:
                    return get_job(connection, running)
            job = submit_job(self.engine, actor, kind, target, project_id)
            future = self._pool.submit(run_job, self.engine, job.id, work)
            self._pending[job.id] = future
            self._by_target[kind, target] = job.id
        # outside the lock: a future that is done already calls `_forget` at once
        future.add_done_callback(lambda _done: self._forget(job))
        return job

    def shutdown(self) -> None:
        """Finish the running jobs; jobs that never started are marked ``failed``."""
        with self._lock:
            pending = list(self._pending.items())
        cancelled = [job_id for job_id, future in pending if future.cancel()]
        self._pool.shutdown(wait=True)
        if cancelled:
            with write_transaction(self.engine) as connection:
                for job_id in cancelled:
                    _set(
                        connection,
                        job_id,
                        status="failed",
                        error="the server stopped before the job started",
                    )

    def _forget(self, job: Job) -> None:
        with self._lock:
            self._pending.pop(job.id, None)
            if self._by_target.get((job.kind, job.target)) == job.id:
                del self._by_target[job.kind, job.target]


class _Reporter:
    """The progress function of one running job: writes at most every `PROGRESS_INTERVAL`
    seconds; progress never goes backwards."""

    def __init__(self, engine: Engine, job_id: str) -> None:
        self.engine = engine
        self.job_id = job_id
        self.progress = 0.0
        self.written = -PROGRESS_INTERVAL

    def __call__(self, fraction: float, message: str | None = None) -> None:
        self.progress = max(self.progress, min(1.0, max(0.0, fraction)))
        now = time.monotonic()
        if now - self.written < PROGRESS_INTERVAL:
            return
        self.written = now
        with write_transaction(self.engine) as connection:
            _set(connection, self.job_id, progress=self.progress, message=message)


def _set(connection: Connection, job_id: str, **values: Any) -> None:
    connection.execute(
        update(jobs).where(jobs.c.id == job_id).values(updated_at=time.time(), **values)
    )


def _job_from_row(row: Any) -> Job:
    return Job(
        id=row.id,
        project_id=row.project_id,
        kind=row.kind,
        target=row.target,
        status=row.status,
        progress=row.progress,
        message=row.message,
        result=None if row.result is None else orjson.loads(row.result),
        error=row.error,
        actor=row.actor,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
