"""Running a job on a Ray cluster: the same handler as in process, as a Ray task.

The worker that claimed the job (`rosetta.services.job_worker.Worker` with a Ray address)
submits one task per job and waits for it, keeping the job's heartbeat. The task opens its
own engine on the store's URL, runs the job's handler with a `JobContext` in the claiming
worker's name (so its progress, checkpoints and logs land in the database, where the API
shows them) and returns how it ended; the worker records that. A task whose job was
cancelled or taken over stops at its next progress report, as in process.

The cluster's nodes must reach the store (an SQLite file only on the node that holds it:
PostgreSQL for a real cluster) and the data folder (exports, uploads) at the same path.
Only the URL travels to the task: connection arguments given to the engine in this
process (``connect_args``) do not, so put what the connection needs in the URL.
"""

import os
import threading
from pathlib import Path

import ray
from ray.exceptions import RayError
from sqlalchemy import Engine

from rosetta.services.job_kinds import run_kind
from rosetta.services.jobs import Job, JobContext, Outcome, execute, get_job
from rosetta.services.settings import Settings
from rosetta.store.engine import make_engine

#: Seconds between two looks at a running task (and at the worker's stop flag).
WAIT = 0.5

_connecting = threading.Lock()


def connect(address: str) -> None:
    """Join the Ray cluster at `address` (once per process)."""
    with _connecting:
        if not ray.is_initialized():
            ray.init(address=address, log_to_driver=False)


def database_url(engine: Engine) -> str:
    """The URL a task on another process opens the store with: the engine's, with its
    password, and an SQLite file's path made absolute."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        url = url.set(database=str(Path(url.database or "").resolve()))
    return url.render_as_string(hide_password=False)


@ray.remote(max_retries=0)
def _run_task(
    url: str, job_id: str, worker: str, data_dir: str, settings: Settings | None
) -> Outcome:
    """The Ray task of one job."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            job = get_job(connection, job_id)
        context = JobContext(engine, job, worker=worker, data_dir=Path(data_dir), settings=settings)
        node = ray.get_runtime_context().get_node_id()
        context.log(f"running as a Ray task on node {node} (process {os.getpid()})")
        return execute(context, run_kind)
    finally:
        engine.dispose()


def run_on_ray(
    address: str,
    engine: Engine,
    job: Job,
    *,
    worker: str,
    data_dir: Path,
    settings: Settings | None,
    stop: threading.Event,
) -> Outcome:
    """Run the claimed `job` as a task on the Ray cluster at `address` and wait for it;
    when `stop` is set first, the task is cancelled and the job interrupted."""
    connect(address)
    task = _run_task.remote(database_url(engine), job.id, worker, str(data_dir.resolve()), settings)
    while True:
        ready, _ = ray.wait([task], timeout=WAIT)
        if ready:
            try:
                outcome: Outcome = ray.get(task)
            except RayError as exc:
                return Outcome("failed", error=f"the job's Ray task failed: {exc}")
            return outcome
        if stop.is_set():
            ray.cancel(task)
            return Outcome("interrupted", reason="stopping")
