"""The job worker: threads that take queued jobs from the database and run them, in this
process or as tasks on a Ray cluster.

A worker holds no queue of its own: every thread claims the oldest queued job it can run
(`rosetta.services.jobs.claim_next`), so any number of workers in any number of processes
(API servers, ``rosetta worker``) share one queue. An idle thread polls every `poll`
seconds, or sooner when `Worker.wake` says a job was just submitted in this process. Before
claiming, a thread puts back in the queue the jobs whose worker stopped answering
(`requeue_stale`), and the worker's heartbeat thread keeps its own running jobs fresh.

`Worker.stop` lets the running jobs stop at their next progress report and queues them
again, to be resumed from their checkpoints by whichever worker is next.
"""

import logging
import threading
from pathlib import Path

from sqlalchemy import Engine

from rosetta.services.job_kinds import KINDS, run_kind
from rosetta.services.jobs import (
    HEARTBEAT_INTERVAL,
    STALE_AFTER,
    Heartbeat,
    Job,
    JobContext,
    Outcome,
    claim_next,
    execute,
    finish,
    requeue_stale,
    worker_name,
)
from rosetta.services.settings import Settings

_log = logging.getLogger(__name__)


class Worker:
    """Runs queued jobs on `threads` threads, here or (`ray_address`) on a Ray cluster;
    files the jobs write go under `data_dir`; media is read as `settings` allow."""

    def __init__(
        self,
        engine: Engine,
        *,
        data_dir: Path,
        settings: Settings | None = None,
        threads: int = 1,
        ray_address: str | None = None,
        poll: float = 1.0,
        stale_after: float = STALE_AFTER,
        heartbeat_interval: float = HEARTBEAT_INTERVAL,
    ) -> None:
        self.engine = engine
        self.data_dir = data_dir
        self.settings = settings
        self.ray_address = ray_address
        self.poll = poll
        self.stale_after = stale_after
        self.name = worker_name()
        self._count = threads
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._heartbeat = Heartbeat(engine, self.name, interval=heartbeat_interval)

    def start(self) -> None:
        """Start the threads and the heartbeat."""
        self._heartbeat.start()
        for number in range(self._count):
            thread = threading.Thread(target=self._loop, name=f"rosetta-job-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def wake(self) -> None:
        """Say a job was queued: an idle thread looks for it now."""
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        """Stop taking jobs; running jobs stop at their next progress report and are queued
        again. Waits up to `timeout` seconds for each thread (for ever: None)."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        self._heartbeat.stop()

    def run_once(self) -> Job | None:
        """Claim one job and run it; returns it as it ended (None: nothing was queued)."""
        requeue_stale(self.engine, stale_after=self.stale_after)
        job = claim_next(self.engine, self.name, KINDS.keys())
        if job is None:
            return None
        with self._heartbeat.holding(job.id):
            try:
                outcome = self._execute(job)
            except Exception as exc:  # noqa: BLE001 - e.g. the Ray cluster went away
                _log.exception("worker %s could not run job %s", self.name, job.id)
                outcome = Outcome("failed", error=f"the worker could not run the job: {exc}")
            return finish(self.engine, job.id, self.name, outcome)

    def run_until_idle(self) -> list[Job]:
        """Run queued jobs one after the other until none is left (with a heartbeat, so
        without `start`); returns them as they ended."""
        done = []
        with self._heartbeat:
            while not self._stop.is_set() and (job := self.run_once()) is not None:
                done.append(job)
        return done

    def _execute(self, job: Job) -> Outcome:
        if self.ray_address is not None:
            from rosetta.services import ray_jobs  # Ray is heavy: imported when configured

            return ray_jobs.run_on_ray(
                self.ray_address,
                self.engine,
                job,
                worker=self.name,
                data_dir=self.data_dir,
                settings=self.settings,
                stop=self._stop,
            )
        context = JobContext(
            self.engine,
            job,
            worker=self.name,
            data_dir=self.data_dir,
            settings=self.settings,
            stop=self._stop,
        )
        return execute(context, run_kind)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                job = self.run_once()
            except Exception:  # noqa: BLE001 - the store may be away for a while: poll again
                _log.exception("worker %s could not take a job", self.name)
                job = None
            if job is None:
                self._wake.wait(self.poll)
                self._wake.clear()
