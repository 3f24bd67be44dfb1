"""Job tracking on the real store: status, throttled progress, results, errors, the runner."""

import threading
import time

import pytest
from sqlalchemy import Engine

from conftest import TESTER
from rosetta.core.errors import NotFoundError, RosettaError
from rosetta.core.schema import Project
from rosetta.services.jobs import (
    PROGRESS_INTERVAL,
    Job,
    JobRunner,
    ProgressFn,
    get_job,
    run_job,
    submit_job,
)


def _read(engine: Engine, job_id: str) -> Job:
    with engine.connect() as connection:
        return get_job(connection, job_id)


def _wait(engine: Engine, job_id: str, timeout: float = 20) -> Job:
    deadline = time.monotonic() + timeout
    while (job := _read(engine, job_id)).status in ("queued", "running"):
        assert time.monotonic() < deadline, f"job {job_id} still {job.status}"
        time.sleep(0.02)
    return job


def test_progress_rises_and_the_result_is_kept(engine: Engine, project: Project) -> None:
    job = submit_job(engine, TESTER, "count", "target-1", project.id)
    assert (job.status, job.progress, job.actor, job.project_id) == (
        "queued",
        0.0,
        "tester",
        project.id,
    )
    seen: list[tuple[str, float, str | None]] = []
    steps = 40

    def work(progress: ProgressFn) -> dict[str, object]:
        for step in range(steps):
            progress(step / steps, "counting")
            stored = _read(engine, job.id)
            seen.append((stored.status, stored.progress, stored.message))
            time.sleep(0.02)
        return {"counted": steps}

    started = time.monotonic()
    done = run_job(engine, job.id, work)
    elapsed = time.monotonic() - started
    assert {status for status, _, _ in seen} == {"running"}
    progress = [value for _, value, _ in seen]
    assert progress == sorted(progress)
    assert 0 < progress[-1] < 1
    # throttled: a few writes in ~0.8 s, not one per step
    assert 2 <= len(set(progress)) <= elapsed / PROGRESS_INTERVAL + 2
    assert (done.status, done.progress, done.result, done.error) == (
        "done",
        1.0,
        {"counted": steps},
        None,
    )
    assert done.updated_at >= done.created_at


def test_a_failing_job_records_its_error(engine: Engine) -> None:
    def missing(_progress: ProgressFn) -> dict[str, object]:
        raise RosettaError("/data/missing.wav: no such file")

    failed = run_job(engine, submit_job(engine, TESTER, "peaks", "s1").id, missing)
    assert (failed.status, failed.error, failed.result) == (
        "failed",
        "/data/missing.wav: no such file",
        None,
    )

    def broken(_progress: ProgressFn) -> dict[str, object]:
        return {"value": 1 / 0}

    failed = run_job(engine, submit_job(engine, TESTER, "peaks", "s2").id, broken)
    assert failed.status == "failed"
    assert failed.error == "ZeroDivisionError: division by zero"


def test_a_job_runs_once_and_unknown_jobs_are_not_found(engine: Engine) -> None:
    job = submit_job(engine, TESTER, "noop", None)
    assert run_job(engine, job.id, lambda _progress: {}).status == "done"
    with pytest.raises(RosettaError, match="is done, not queued"):
        run_job(engine, job.id, lambda _progress: {})
    with pytest.raises(NotFoundError, match="no job with id 'nope'"):
        _read(engine, "nope")


def test_runner_runs_jobs_and_fails_the_ones_it_never_started(engine: Engine) -> None:
    runner = JobRunner(engine, workers=1)
    release = threading.Event()

    def blocked(progress: ProgressFn) -> dict[str, object]:
        progress(0.5, "waiting")
        assert release.wait(10)
        return {"released": True}

    first = runner.submit(TESTER, "wait", "a", None, blocked)
    second = runner.submit(TESTER, "wait", "b", None, lambda _progress: {"ran": True})
    deadline = time.monotonic() + 10
    while _read(engine, first.id).status != "running":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    # while it runs, asking again for the same work on the same target gives the same job
    assert runner.submit(TESTER, "wait", "a", None, blocked).id == first.id
    threading.Timer(0.2, release.set).start()
    runner.shutdown()
    assert _read(engine, first.id).result == {"released": True}
    never = _read(engine, second.id)
    assert (never.status, never.error) == ("failed", "the server stopped before the job started")


def test_runner_finishes_queued_jobs(engine: Engine) -> None:
    runner = JobRunner(engine, workers=2)
    try:
        jobs = [
            runner.submit(TESTER, "square", str(n), None, lambda _p, n=n: {"square": n * n})
            for n in range(4)
        ]
        assert [_wait(engine, job.id).result for job in jobs] == [
            {"square": n * n} for n in range(4)
        ]
    finally:
        runner.shutdown()
