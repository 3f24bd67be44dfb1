"""Jobs: work that takes a while, queued in the ``jobs`` table so that any server or worker
process can run it and any client can follow it.

A job's life, all of it in the database (no process keeps a queue of its own)::

    queued ──claim──▶ running ──▶ done | failed
       ▲                │  └──cancel──▶ cancelling ──▶ cancelled
       └──stale / stop──┘
    failed | cancelled ──retry──▶ queued

- **Submit** (`submit_job`) inserts a ``queued`` row with the job's kind, target, params
  (JSON), project and actor. While a job of the same kind, target and params is queued or
  running, submitting it again returns that job.
- **Claim** (`claim_next`): one worker atomically takes the oldest queued job of the kinds
  it knows (PostgreSQL ``SELECT ... FOR UPDATE SKIP LOCKED``; SQLite through the store's
  single writer, `write_transaction`), marks it ``running`` with its name, a heartbeat and
  one more attempt.
- **Run**: the handler gets a `JobContext`. Its progress (0..1 and a message) is written
  at most every `PROGRESS_INTERVAL` seconds and renews the heartbeat; it can append to the
  job's log (``job_logs``) and write a checkpoint (JSON) that a resumed run starts from.
- **Heartbeat**: a running job whose heartbeat is older than `STALE_AFTER` seconds lost
  its worker; `requeue_stale` puts it back in the queue (after `MAX_ATTEMPTS` attempts it
  fails instead), and the next worker resumes it from its checkpoint.
- **Cancel** (`cancel_job`): a queued job is ``cancelled`` at once; a running one turns
  ``cancelling``, its handler stops at its next progress report (`JobInterrupted`), and
  it ends ``cancelled``. **Retry** (`retry_job`) queues a failed or cancelled job again,
  keeping its checkpoint.
- **Run here** (`run_here`): a job recorded as already running in this process, for a
  command that does the work itself and waits for it (``rosetta media prepare``).

Every write to a running job names its worker (``WHERE worker = ...``), so a worker that
lost its job (re-queued after a missed heartbeat, taken by another) notices at its next
write and stops, and never records a result over another worker's.
"""

import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson
from sqlalchemy import Connection, Engine, func, insert, select, text, update

from rosetta import __version__
from rosetta.core.errors import NotFoundError, RosettaError, TooManyRequests
from rosetta.services.settings import Settings
from rosetta.store.engine import write_transaction
from rosetta.store.events import Actor, dumps
from rosetta.store.tables import job_logs, jobs

#: Seconds between two progress writes of one job.
PROGRESS_INTERVAL = 0.2
#: Seconds between two heartbeats of a worker's running jobs.
HEARTBEAT_INTERVAL = 5.0
#: A running job whose heartbeat is older than this (seconds) has lost its worker.
STALE_AFTER = 60.0
#: A job claimed this many times fails, rather than being queued again, when its worker is
#: lost once more (a job that kills its workers must not go round for ever).
MAX_ATTEMPTS = 3

JobStatus = Literal["queued", "running", "cancelling", "done", "failed", "cancelled"]
LogLevel = Literal["info", "warning", "error"]

#: The statuses of a job that is not finished: it blocks a duplicate submission.
ACTIVE: tuple[JobStatus, ...] = ("queued", "running", "cancelling")

#: Reports progress: the fraction done (0..1) and what is being done.
ProgressFn = Callable[[float, str | None], None]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One job: what it does (kind, target, params) for whom, where it stands, and how it
    ended (result or error). ``checkpoint`` is how far its work got, for a resumed run."""

    id: str
    project_id: str | None
    kind: str
    target: str | None
    params: dict[str, Any]
    status: JobStatus
    progress: float
    message: str | None
    result: dict[str, Any] | None
    error: str | None
    checkpoint: dict[str, Any] | None
    actor: str
    attempts: int
    worker: str | None
    heartbeat_at: float | None
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class JobPage:
    """A page of jobs, newest first; pass ``next_cursor`` as ``cursor`` for the next."""

    items: list[Job]
    next_cursor: str | None


@dataclass(frozen=True)
class JobLog:
    """One line of a job's log; ``id`` orders them (pass the last as ``after``)."""

    id: int
    at: float
    level: LogLevel
    message: str


class JobInterrupted(Exception):
    """The running job must stop now: it was ``cancelled``, its worker is ``stopping``, or
    the job was ``lost`` (re-queued after a missed heartbeat)."""

    def __init__(self, reason: Literal["cancelled", "stopping", "lost"]) -> None:
        self.reason = reason
        super().__init__(f"job interrupted: {reason}")


def worker_name(role: str = "worker") -> str:
    """A name for a worker that no other process uses: host, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{role}:{uuid.uuid4().hex[:8]}"


def params_text(params: dict[str, Any] | None) -> str:
    """The params as stored: JSON with sorted keys, so equal params are equal text."""
    return orjson.dumps(params or {}, option=orjson.OPT_SORT_KEYS).decode()


# --- submitting and reading -----------------------------------------------------------------


def submit_job(
    engine: Engine,
    actor: Actor,
    kind: str,
    target: str | None,
    project_id: str | None = None,
    *,
    params: dict[str, Any] | None = None,
    max_pending: int | None = None,
) -> Job:
    """Queue a job of `kind` on `target` (a stream or project id) with `params`; returns it
    as recorded. While a job of the same kind, target and params is queued or running, that
    job is returned and no second one is queued. With `max_pending`, a project that has
    that many jobs queued or running already gets none more (`TooManyRequests`)."""
    stored = params_text(params)
    with write_transaction(engine) as connection:
        _lock(connection, kind, target)
        same = connection.execute(
            select(jobs.c.id)
            .where(
                jobs.c.kind == kind,
                _target_is(target),
                jobs.c.params == stored,
                jobs.c.status.in_(ACTIVE),
            )
            .order_by(jobs.c.pk)
            .limit(1)
        ).scalar_one_or_none()
        if same is not None:
            return get_job(connection, same)
        if project_id is not None and max_pending is not None:
            _check_quota(connection, project_id, max_pending)
        job_id = _insert(
            connection,
            actor,
            kind=kind,
            target=target,
            project_id=project_id,
            params=stored,
            status="queued",
        )
        return get_job(connection, job_id)


def _check_quota(connection: Connection, project_id: str, max_pending: int) -> None:
    """`check_quota`, submissions in one project counted one at a time (`_lock`)."""
    _lock(connection, "pending jobs of", project_id)
    check_quota(connection, project_id, max_pending)


def check_quota(connection: Connection, project_id: str, max_pending: int) -> None:
    """Refuse (`TooManyRequests`) a new job in a project that has `max_pending` jobs
    queued or running already."""
    pending = connection.execute(
        select(func.count())
        .select_from(jobs)
        .where(jobs.c.project_id == project_id, jobs.c.status.in_(ACTIVE))
    ).scalar_one()
    if pending >= max_pending:
        raise TooManyRequests(
            f"project {project_id!r} has {pending} jobs queued or running, the most it may "
            f"have (ROSETTA_MAX_PENDING_JOBS={max_pending}); wait for some to finish or "
            "cancel some",
            limit=max_pending,
        )


def get_job(connection: Connection, job_id: str) -> Job:
    """The job `job_id`; `NotFoundError` when there is none."""
    row = connection.execute(select(jobs).where(jobs.c.id == job_id)).first()
    if row is None:
        raise NotFoundError("job", job_id)
    return _job_from_row(row)


def list_jobs(
    connection: Connection,
    project_id: str,
    *,
    status: JobStatus | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> JobPage:
    """The project's jobs, newest first, `limit` at a time (keyset on the row order);
    `status` keeps only the jobs in that status."""
    query = select(jobs).where(jobs.c.project_id == project_id)
    if status is not None:
        query = query.where(jobs.c.status == status)
    if cursor is not None:
        query = query.where(jobs.c.pk < _cursor(cursor))
    rows = connection.execute(query.order_by(jobs.c.pk.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return JobPage(
        items=[_job_from_row(row) for row in rows],
        next_cursor=str(rows[-1].pk) if more else None,
    )


def read_log(
    connection: Connection, job_id: str, *, after: int = 0, limit: int = 200
) -> list[JobLog]:
    """The job's log lines after line `after`, oldest first, at most `limit`."""
    get_job(connection, job_id)
    rows = connection.execute(
        select(job_logs)
        .where(job_logs.c.job_id == job_id, job_logs.c.pk > after)
        .order_by(job_logs.c.pk)
        .limit(limit)
    )
    return [JobLog(id=row.pk, at=row.at, level=row.level, message=row.message) for row in rows]


def add_log(connection: Connection, job_id: str, message: str, level: LogLevel = "info") -> None:
    """Append a line to the job's log (in the caller's transaction)."""
    connection.execute(
        insert(job_logs).values(job_id=job_id, at=time.time(), level=level, message=message)
    )


# --- cancel and retry -------------------------------------------------------------------------


def cancel_job(engine: Engine, actor: Actor, job_id: str) -> Job:
    """Cancel the job: a queued one at once, a running one at its next progress report
    (``cancelling`` until then). Cancelling a cancelled or cancelling job changes nothing;
    a finished one cannot be cancelled."""
    with write_transaction(engine) as connection:
        job = _locked(connection, job_id)
        if job.status in ("done", "failed"):
            raise RosettaError(
                f"job {job_id} is {job.status}; only a queued or running job can be cancelled"
            )
        if job.status in ("queued", "running"):
            status: JobStatus = "cancelled" if job.status == "queued" else "cancelling"
            _set(connection, job_id, status=status)
            add_log(connection, job_id, f"cancelled by {actor.name}")
        return get_job(connection, job_id)


def retry_job(engine: Engine, actor: Actor, job_id: str) -> Job:
    """Queue a failed or cancelled job again; it resumes from its checkpoint."""
    with write_transaction(engine) as connection:
        job = _locked(connection, job_id)
        if job.status not in ("failed", "cancelled"):
            raise RosettaError(
                f"job {job_id} is {job.status}; only a failed or cancelled job can be retried"
            )
        _lock(connection, job.kind, job.target)
        same = connection.execute(
            select(jobs.c.id).where(
                jobs.c.kind == job.kind,
                _target_is(job.target),
                jobs.c.params == params_text(job.params),
                jobs.c.status.in_(ACTIVE),
            )
        ).first()
        if same is not None:
            raise RosettaError(
                f"job {same.id} does the same work and is not finished; follow it instead"
            )
        _set(
            connection,
            job_id,
            status="queued",
            error=None,
            message=None,
            worker=None,
            heartbeat_at=None,
            attempts=0,
        )
        add_log(connection, job_id, f"retried by {actor.name}")
        return get_job(connection, job_id)


# --- claiming and losing ------------------------------------------------------------------


def claim_next(engine: Engine, worker: str, kinds: Collection[str]) -> Job | None:
    """Take the oldest queued job of one of `kinds` for `worker`: it is ``running`` with
    a fresh heartbeat and one more attempt. None when no such job is queued.

    A read first looks for one, so that an idle worker does not take the write lock.
    """
    queued = select(jobs.c.pk).where(jobs.c.status == "queued", jobs.c.kind.in_(list(kinds)))
    with engine.connect() as connection:
        if connection.execute(queued.limit(1)).first() is None:
            return None
    with write_transaction(engine) as connection:
        row = connection.execute(
            queued.order_by(jobs.c.pk).limit(1).with_for_update(skip_locked=True)
        ).first()
        if row is None:
            return None
        now = time.time()
        connection.execute(
            update(jobs)
            .where(jobs.c.pk == row.pk)
            .values(
                status="running",
                worker=worker,
                heartbeat_at=now,
                attempts=jobs.c.attempts + 1,
                error=None,
                updated_at=now,
            )
        )
        job = _job_from_row(connection.execute(select(jobs).where(jobs.c.pk == row.pk)).one())
        add_log(connection, job.id, f"attempt {job.attempts} on worker {worker}")
        return job


def requeue_stale(engine: Engine, *, stale_after: float = STALE_AFTER) -> list[str]:
    """Put back in the queue every running job whose heartbeat is older than `stale_after`
    seconds (its worker stopped answering); one that has had `MAX_ATTEMPTS` attempts fails,
    and a ``cancelling`` one is ``cancelled``. Returns the ids of the jobs changed."""
    stale = select(jobs.c.id, jobs.c.status, jobs.c.attempts, jobs.c.worker).where(
        jobs.c.status.in_(("running", "cancelling")),
        jobs.c.heartbeat_at < time.time() - stale_after,
    )
    with engine.connect() as connection:
        if connection.execute(stale.limit(1)).first() is None:
            return []
    changed = []
    with write_transaction(engine) as connection:
        for row in connection.execute(stale.with_for_update(skip_locked=True)).all():
            lost = f"worker {row.worker} stopped answering"
            if row.status == "cancelling":
                _set(connection, row.id, status="cancelled")
                add_log(connection, row.id, f"{lost}; cancelled", "warning")
            elif row.attempts >= MAX_ATTEMPTS:
                error = f"{lost} on each of {row.attempts} attempts"
                _set(connection, row.id, status="failed", error=error, message=None)
                add_log(connection, row.id, error, "error")
            else:
                _set(connection, row.id, status="queued", worker=None, heartbeat_at=None)
                add_log(connection, row.id, f"{lost}; queued again", "warning")
            changed.append(row.id)
    return changed


def beat(engine: Engine, worker: str, job_ids: Collection[str]) -> None:
    """Renew the heartbeat of the jobs `job_ids` that `worker` is running."""
    with write_transaction(engine) as connection:
        connection.execute(
            update(jobs)
            .where(
                jobs.c.id.in_(list(job_ids)),
                jobs.c.worker == worker,
                jobs.c.status.in_(("running", "cancelling")),
            )
            .values(heartbeat_at=time.time())
        )


class Heartbeat:
    """A thread that renews, every `interval` seconds, the heartbeat of the jobs a worker
    holds (`holding`): a job it no longer holds, one whose end could not be recorded say,
    goes stale and is queued again."""

    def __init__(self, engine: Engine, worker: str, *, interval: float = HEARTBEAT_INTERVAL):
        self.engine = engine
        self.worker = worker
        self.interval = interval
        self._held: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin beating."""
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"heartbeat {self.worker}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop beating (at once)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    @contextmanager
    def holding(self, job_id: str) -> Iterator[None]:
        """Beat for the job `job_id` while the block runs."""
        with self._lock:
            self._held.add(job_id)
        try:
            yield
        finally:
            with self._lock:
                self._held.discard(job_id)

    def __enter__(self) -> "Heartbeat":
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                held = list(self._held)
            if not held:
                continue
            try:
                beat(self.engine, self.worker, held)
            except Exception:  # noqa: BLE001 - a missed beat is retried; the job goes on
                _log.exception("heartbeat of worker %s failed", self.worker)


# --- running ------------------------------------------------------------------------------


class JobContext:
    """What a running job's handler gets: the job, the store, where to write files, the
    checkpoint of an earlier run, and the means to report progress, log and checkpoint.

    `progress` raises `JobInterrupted` when the job must stop (cancelled, lost, or its
    worker is stopping); so do `checkpoint_to` and the end of the job when the job is no
    longer this worker's. Handlers let it propagate.
    """

    def __init__(
        self,
        engine: Engine,
        job: Job,
        *,
        worker: str,
        data_dir: Path,
        settings: Settings | None = None,
        stop: threading.Event | None = None,
        on_progress: ProgressFn | None = None,
    ) -> None:
        self.engine = engine
        self.job = job
        self.worker = worker
        self.data_dir = data_dir
        #: the server's settings: a job reads local media only inside their media roots
        #: (``None``: a job run by the command line, which reads media where it is)
        self.settings = settings
        #: what an earlier run of the job saved with `checkpoint_to` (None: start afresh)
        self.checkpoint = job.checkpoint
        self._stop = stop
        self._on_progress = on_progress
        self._progress = job.progress
        self._written = -PROGRESS_INTERVAL

    @property
    def actor(self) -> Actor:
        """The person who submitted the job, as the author of what it writes."""
        return Actor(self.job.actor, tool="rosetta-job", tool_version=__version__)

    def progress(self, fraction: float, message: str | None = None) -> None:
        """Report the fraction done (0..1, never going backwards) and what is being done;
        written at most every `PROGRESS_INTERVAL` seconds, renewing the heartbeat."""
        if self._stop is not None and self._stop.is_set():
            raise JobInterrupted("stopping")
        self._progress = max(self._progress, min(1.0, max(0.0, fraction)))
        if self._on_progress is not None:
            self._on_progress(self._progress, message)
        now = time.monotonic()
        if now - self._written < PROGRESS_INTERVAL:
            return
        self._written = now
        self._write(progress=self._progress, message=message, heartbeat_at=time.time())

    def checkpoint_to(self, checkpoint: dict[str, Any]) -> None:
        """Save how far the work got (JSON): a resumed run gets it as `checkpoint`."""
        self._write(checkpoint=dumps(checkpoint), heartbeat_at=time.time())
        self.checkpoint = checkpoint

    def log(self, message: str, level: LogLevel = "info") -> None:
        """Append a line to the job's log."""
        with write_transaction(self.engine) as connection:
            add_log(connection, self.job.id, message, level)

    def _write(self, **values: Any) -> None:
        with write_transaction(self.engine) as connection:
            written = connection.execute(
                update(jobs)
                .where(
                    jobs.c.id == self.job.id,
                    jobs.c.worker == self.worker,
                    jobs.c.status == "running",
                )
                .values(updated_at=time.time(), **values)
            ).rowcount
            if written == 0:
                status = get_job(connection, self.job.id).status
                raise JobInterrupted("cancelled" if status == "cancelling" else "lost")


#: The work of a job: gets its context, returns its result (JSON-able).
Handler = Callable[[JobContext], dict[str, Any]]


@dataclass(frozen=True)
class Outcome:
    """How a run of a job ended: ``done`` with a result, ``failed`` with an error, or
    ``interrupted`` for a reason (see `JobInterrupted`)."""

    status: Literal["done", "failed", "interrupted"]
    result: dict[str, Any] | None = None
    error: str | None = None
    reason: str | None = None


def execute(context: JobContext, handler: Handler) -> Outcome:
    """Run `handler` and say how it ended; it never raises for the handler's failure.

    The error text is the message of a `RosettaError` (which names the file and what was
    expected), else the exception's type and message.
    """
    job = context.job
    try:
        result = handler(context)
        dumps(result)  # a result that is not JSON fails here, not when it is stored
    except JobInterrupted as stop:
        return Outcome("interrupted", reason=stop.reason)
    except Exception as exc:  # noqa: BLE001 - any failure of the work is the job's result
        _log.exception("job %s (%s on %s) failed", job.id, job.kind, job.target)
        error = str(exc) if isinstance(exc, RosettaError) else f"{type(exc).__name__}: {exc}"
        return Outcome("failed", error=error)
    return Outcome("done", result=result)


def finish(engine: Engine, job_id: str, worker: str, outcome: Outcome) -> Job:
    """Record how `worker`'s run of the job ended, unless the job is no longer its own:
    ``done`` or ``failed``; interrupted, ``cancelled`` when it was cancelled and ``queued``
    again when the worker is stopping. Returns the job as it now stands."""
    mine = (
        (jobs.c.id == job_id)
        & (jobs.c.worker == worker)
        & jobs.c.status.in_(("running", "cancelling"))
    )
    with write_transaction(engine) as connection:
        job = _locked(connection, job_id)
        if job.worker != worker or job.status not in ("running", "cancelling"):
            add_log(connection, job_id, f"worker {worker} lost the job; its run is dropped")
            return job
        values: dict[str, Any]
        level: LogLevel
        if outcome.status == "done":
            values = {"status": "done", "progress": 1.0, "result": dumps(outcome.result)}
            note, level = "done", "info"
        elif outcome.status == "failed":
            values = {"status": "failed", "error": outcome.error}
            note, level = f"failed: {outcome.error}", "error"
        elif job.status == "cancelling" or outcome.reason == "cancelled":
            values = {"status": "cancelled"}
            note, level = "cancelled", "warning"
        else:
            values = {"status": "queued", "worker": None, "heartbeat_at": None}
            note, level = f"worker {worker} stopped; queued again", "warning"
        connection.execute(
            update(jobs).where(mine).values(message=None, updated_at=time.time(), **values)
        )
        add_log(connection, job_id, note, level)
        return get_job(connection, job_id)


def run_here(
    engine: Engine,
    actor: Actor,
    kind: str,
    target: str | None,
    *,
    project_id: str | None,
    handler: Handler,
    params: dict[str, Any] | None = None,
    data_dir: Path = Path(),
    progress: ProgressFn | None = None,
) -> Job:
    """Record a job and run it here and now (no queue: it is ``running`` from the start,
    owned by this process, which keeps its heartbeat); returns the finished job.
    `progress` sees every progress report of the handler."""
    worker = worker_name("here")
    with write_transaction(engine) as connection:
        job_id = _insert(
            connection,
            actor,
            kind=kind,
            target=target,
            project_id=project_id,
            params=params_text(params),
            status="running",
            worker=worker,
        )
        add_log(connection, job_id, f"run at once by worker {worker}")
        job = get_job(connection, job_id)
    context = JobContext(engine, job, worker=worker, data_dir=data_dir, on_progress=progress)
    with Heartbeat(engine, worker) as beating, beating.holding(job_id):
        outcome = execute(context, handler)
    return finish(engine, job_id, worker, outcome)


# --- rows ---------------------------------------------------------------------------------


def _insert(
    connection: Connection,
    actor: Actor,
    *,
    kind: str,
    target: str | None,
    project_id: str | None,
    params: str,
    status: JobStatus,
    worker: str | None = None,
) -> str:
    now = time.time()
    job_id = uuid.uuid4().hex
    connection.execute(
        insert(jobs).values(
            id=job_id,
            project_id=project_id,
            kind=kind,
            target=target,
            params=params,
            status=status,
            progress=0.0,
            actor=actor.name,
            attempts=0 if worker is None else 1,
            worker=worker,
            heartbeat_at=None if worker is None else now,
            created_at=now,
            updated_at=now,
        )
    )
    add_log(connection, job_id, f"submitted by {actor.name}")
    return job_id


def _lock(connection: Connection, kind: str, target: str | None) -> None:
    """Serialise submissions of `kind` on `target` to the end of the transaction. SQLite
    needs nothing: its write transactions run one at a time."""
    if connection.dialect.name == "postgresql":
        digest = hashlib.blake2b(f"{kind}\0{target}".encode(), digest_size=8).digest()
        key = int.from_bytes(digest, "big", signed=True)
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _locked(connection: Connection, job_id: str) -> Job:
    """The job, its row locked to the end of the transaction (PostgreSQL; SQLite's write
    transaction holds the whole store)."""
    row = connection.execute(select(jobs).where(jobs.c.id == job_id).with_for_update()).first()
    if row is None:
        raise NotFoundError("job", job_id)
    return _job_from_row(row)


def _target_is(target: str | None) -> Any:
    return jobs.c.target.is_(None) if target is None else jobs.c.target == target


def _cursor(cursor: str) -> int:
    if not cursor.isdigit():
        raise RosettaError(f"cursor {cursor!r} is not one this API gave (expected digits)")
    return int(cursor)


def _set(connection: Connection, job_id: str, **values: Any) -> None:
    connection.execute(
        update(jobs).where(jobs.c.id == job_id).values(updated_at=time.time(), **values)
    )


def _loads(value: str | None) -> Any:
    return None if value is None else orjson.loads(value)


def _job_from_row(row: Any) -> Job:
    return Job(
        id=row.id,
        project_id=row.project_id,
        kind=row.kind,
        target=row.target,
        params=_loads(row.params) or {},
        status=row.status,
        progress=row.progress,
        message=row.message,
        result=_loads(row.result),
        error=row.error,
        checkpoint=_loads(row.checkpoint),
        actor=row.actor,
        attempts=row.attempts,
        worker=row.worker,
        heartbeat_at=row.heartbeat_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
