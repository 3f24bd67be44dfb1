"""The job queue on the real store (SQLite and PostgreSQL): submit and dedupe, exclusive
claims, throttled progress, logs, checkpoints, cancel, retry and stale heartbeats."""

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, update

from conftest import TESTER
from jobtools import read_job
from rosetta.core.errors import NotFoundError, RosettaError
from rosetta.core.schema import Project
from rosetta.services.jobs import (
    MAX_ATTEMPTS,
    PROGRESS_INTERVAL,
    Heartbeat,
    JobContext,
    JobInterrupted,
    Outcome,
    cancel_job,
    claim_next,
    execute,
    finish,
    list_jobs,
    read_log,
    requeue_stale,
    retry_job,
    run_here,
    submit_job,
)
from rosetta.store.engine import write_transaction
from rosetta.store.tables import jobs

KINDS = ("count",)


def _context(engine: Engine, worker: str) -> JobContext:
    job = claim_next(engine, worker, KINDS)
    assert job is not None
    return JobContext(engine, job, worker=worker, data_dir=Path("."))


def _log(engine: Engine, job_id: str) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        return [(line.level, line.message) for line in read_log(connection, job_id)]


def _age(engine: Engine, job_id: str, seconds: float) -> None:
    """Make the job's last heartbeat `seconds` old (as if its worker went quiet)."""
    with write_transaction(engine) as connection:
        connection.execute(
            update(jobs).where(jobs.c.id == job_id).values(heartbeat_at=time.time() - seconds)
        )


def test_progress_is_throttled_and_the_result_kept(engine: Engine, project: Project) -> None:
    seen: list[tuple[str, float, str | None]] = []
    reported: list[float] = []
    steps = 40

    def work(context: JobContext) -> dict[str, Any]:
        for step in range(steps):
            context.progress(step / steps, "counting")
            stored = read_job(engine, context.job.id)
            seen.append((stored.status, stored.progress, stored.message))
            time.sleep(0.02)
        return {"counted": steps}

    started = time.monotonic()
    done = run_here(
        engine,
        TESTER,
        "count",
        "target-1",
        project_id=project.id,
        handler=work,
        progress=lambda fraction, _message: reported.append(fraction),
    )
    elapsed = time.monotonic() - started
    assert {status for status, _, _ in seen} == {"running"}
    progress = [value for _, value, _ in seen]
    assert progress == sorted(progress)
    assert 0 < progress[-1] < 1
    # throttled: a few writes in ~0.8 s, not one per step; the caller sees every step
    assert 2 <= len(set(progress)) <= elapsed / PROGRESS_INTERVAL + 2
    assert reported == [step / steps for step in range(steps)]
    assert (done.status, done.progress, done.result, done.error, done.actor) == (
        "done",
        1.0,
        {"counted": steps},
        None,
        "tester",
    )
    assert (done.kind, done.target, done.project_id, done.attempts) == (
        "count",
        "target-1",
        project.id,
        1,
    )
    assert _log(engine, done.id)[0] == ("info", "submitted by tester")
    assert _log(engine, done.id)[-1] == ("info", "done")


def test_a_failing_job_records_its_error(engine: Engine) -> None:
    def missing(_context: JobContext) -> dict[str, Any]:
        raise RosettaError("/data/missing.wav: no such file")

    def broken(_context: JobContext) -> dict[str, Any]:
        return {"value": 1 / 0}

    def not_json(_context: JobContext) -> dict[str, Any]:
        return {"value": object()}

    failed = run_here(engine, TESTER, "peaks", "s1", project_id=None, handler=missing)
    assert (failed.status, failed.error, failed.result) == (
        "failed",
        "/data/missing.wav: no such file",
        None,
    )
    assert _log(engine, failed.id)[-1] == ("error", "failed: /data/missing.wav: no such file")
    failed = run_here(engine, TESTER, "peaks", "s2", project_id=None, handler=broken)
    assert failed.error == "ZeroDivisionError: division by zero"
    failed = run_here(engine, TESTER, "peaks", "s3", project_id=None, handler=not_json)
    assert failed.status == "failed" and (failed.error or "").startswith("TypeError")


def test_the_same_work_is_one_job_while_it_is_not_finished(engine: Engine) -> None:
    first = submit_job(engine, TESTER, "count", "t", params={"b": 1, "a": [1, 2]})
    assert (first.status, first.params, first.attempts, first.worker) == (
        "queued",
        {"a": [1, 2], "b": 1},
        0,
        None,
    )
    # the same kind, target and params (in any key order) while queued or running
    assert submit_job(engine, TESTER, "count", "t", params={"a": [1, 2], "b": 1}).id == first.id
    other = [
        submit_job(engine, TESTER, "count", "t", params={"a": [1, 2], "b": 2}),
        submit_job(engine, TESTER, "count", "u", params={"a": [1, 2], "b": 1}),
        submit_job(engine, TESTER, "other", "t", params={"a": [1, 2], "b": 1}),
    ]
    assert len({job.id for job in other} | {first.id}) == 4
    context = _context(engine, "w1")
    assert context.job.id == first.id
    assert submit_job(engine, TESTER, "count", "t", params={"a": [1, 2], "b": 1}).id == first.id
    finish(engine, first.id, "w1", execute(context, lambda _context: {}))
    again = submit_job(engine, TESTER, "count", "t", params={"a": [1, 2], "b": 1})
    assert again.id != first.id


def test_two_workers_never_claim_the_same_job(engine: Engine) -> None:
    threads = 8
    submitted = [submit_job(engine, TESTER, "count", str(n)).id for n in range(40)]
    claims: dict[str, list[str]] = {}
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def claim(worker: str) -> None:
        start.wait()
        while (job := claim_next(engine, worker, KINDS)) is not None:
            with lock:
                claims.setdefault(job.id, []).append(worker)

    pool = [threading.Thread(target=claim, args=(f"w{n}",)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert sorted(claims) == sorted(submitted)
    assert all(len(workers) == 1 for workers in claims.values())
    assert len({workers[0] for workers in claims.values()}) > 1
    for job_id, workers in claims.items():
        job = read_job(engine, job_id)
        assert (job.status, job.worker, job.attempts) == ("running", workers[0], 1)
    # claims take the oldest first, and only kinds the worker knows
    late = submit_job(engine, TESTER, "unknown-kind", None)
    assert claim_next(engine, "w0", KINDS) is None
    assert read_job(engine, late.id).status == "queued"


def test_cancel_a_queued_and_a_running_job(engine: Engine) -> None:
    queued = submit_job(engine, TESTER, "count", "a")
    running = submit_job(engine, TESTER, "count", "b")
    assert cancel_job(engine, TESTER, queued.id).status == "cancelled"
    context = _context(engine, "w1")
    assert context.job.id == running.id
    context.progress(0.1, "going")
    assert cancel_job(engine, TESTER, running.id).status == "cancelling"
    assert cancel_job(engine, TESTER, running.id).status == "cancelling"  # changes nothing
    time.sleep(PROGRESS_INTERVAL)
    with pytest.raises(JobInterrupted) as stopped:
        context.progress(0.2, "going on")
    assert stopped.value.reason == "cancelled"
    ended = finish(engine, running.id, "w1", Outcome("interrupted", reason="cancelled"))
    assert (ended.status, ended.progress) == ("cancelled", 0.1)
    assert ("info", "cancelled by tester") in _log(engine, running.id)
    assert _log(engine, running.id)[-1] == ("warning", "cancelled")
    done = run_here(engine, TESTER, "count", "c", project_id=None, handler=lambda _c: {})
    with pytest.raises(RosettaError, match="is done; only a queued or running job"):
        cancel_job(engine, TESTER, done.id)
    with pytest.raises(NotFoundError, match="no job with id 'nope'"):
        cancel_job(engine, TESTER, "nope")


def test_a_stale_job_is_queued_again_and_resumes_from_its_checkpoint(engine: Engine) -> None:
    job = submit_job(engine, TESTER, "count", "a")
    ghost = _context(engine, "ghost")
    ghost.checkpoint_to({"step": 2})
    assert requeue_stale(engine) == []  # its heartbeat is fresh
    _age(engine, job.id, 120)
    assert requeue_stale(engine) == [job.id]
    queued = read_job(engine, job.id)
    assert (queued.status, queued.worker, queued.checkpoint) == ("queued", None, {"step": 2})
    assert _log(engine, job.id)[-1] == ("warning", "worker ghost stopped answering; queued again")

    second = _context(engine, "second")
    assert (second.job.attempts, second.checkpoint) == (2, {"step": 2})
    # the ghost wakes up: its writes find the job taken and it stops; its end is dropped
    with pytest.raises(JobInterrupted) as lost:
        ghost.checkpoint_to({"step": 3})
    assert lost.value.reason == "lost"
    assert finish(engine, job.id, "ghost", Outcome("done", result={})).status == "running"
    assert read_job(engine, job.id).checkpoint == {"step": 2}
    done = finish(engine, job.id, "second", execute(second, lambda c: dict(c.checkpoint or {})))
    assert (done.status, done.result, done.worker) == ("done", {"step": 2}, "second")


def test_a_job_whose_worker_keeps_dying_fails(engine: Engine) -> None:
    job = submit_job(engine, TESTER, "count", "a")
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert _context(engine, f"w{attempt}").job.attempts == attempt
        _age(engine, job.id, 120)
        requeue_stale(engine)
    failed = read_job(engine, job.id)
    assert failed.status == "failed"
    assert failed.error == f"worker w{MAX_ATTEMPTS} stopped answering on each of 3 attempts"
    # a cancelling job whose worker died is cancelled
    other = submit_job(engine, TESTER, "count", "b")
    _context(engine, "w9")
    cancel_job(engine, TESTER, other.id)
    _age(engine, other.id, 120)
    assert requeue_stale(engine) == [other.id]
    assert read_job(engine, other.id).status == "cancelled"


def test_retry_keeps_the_checkpoint(engine: Engine) -> None:
    job = submit_job(engine, TESTER, "count", "a")
    context = _context(engine, "w1")
    context.checkpoint_to({"shards": 2})
    failed = finish(engine, job.id, "w1", Outcome("failed", error="disk full"))
    assert (failed.status, failed.error) == ("failed", "disk full")
    twin = submit_job(engine, TESTER, "count", "a")  # the same work, queued meanwhile
    with pytest.raises(RosettaError, match=f"job {twin.id} does the same work"):
        retry_job(engine, TESTER, job.id)
    cancel_job(engine, TESTER, twin.id)
    queued = retry_job(engine, TESTER, job.id)
    assert (queued.status, queued.error, queued.checkpoint, queued.attempts) == (
        "queued",
        None,
        {"shards": 2},
        0,
    )
    assert _log(engine, job.id)[-1] == ("info", "retried by tester")
    with pytest.raises(RosettaError, match="is queued; only a failed or cancelled job"):
        retry_job(engine, TESTER, job.id)


def test_jobs_and_logs_page_by_keyset(engine: Engine, project: Project) -> None:
    made = [
        submit_job(engine, TESTER, "count", str(n), project.id, params={"n": n}) for n in range(7)
    ]
    submit_job(engine, TESTER, "count", "elsewhere")  # no project: not listed
    cancel_job(engine, TESTER, made[2].id)
    seen: list[str] = []
    cursor = None
    with engine.connect() as connection:
        while True:
            page = list_jobs(connection, project.id, cursor=cursor, limit=3)
            seen += [job.id for job in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert seen == [job.id for job in reversed(made)]
        cancelled = list_jobs(connection, project.id, status="cancelled")
        assert [job.id for job in cancelled.items] == [made[2].id]
        with pytest.raises(RosettaError, match="cursor 'x' is not one this API gave"):
            list_jobs(connection, project.id, cursor="x")

    context = _context(engine, "w1")
    for n in range(5):
        context.log(f"line {n}", "warning" if n == 3 else "info")
    with engine.connect() as connection:
        lines = read_log(connection, context.job.id)
        assert [line.message for line in lines][-5:] == [f"line {n}" for n in range(5)]
        after = read_log(connection, context.job.id, after=lines[-3].id, limit=1)
        assert [(line.level, line.message) for line in after] == [("warning", "line 3")]
        with pytest.raises(NotFoundError):
            read_log(connection, "nope")


def test_the_heartbeat_keeps_only_held_jobs_fresh(engine: Engine) -> None:
    held = submit_job(engine, TESTER, "count", "a")
    dropped = submit_job(engine, TESTER, "count", "b")
    for _ in range(2):
        _context(engine, "w1")
    _age(engine, held.id, 120)
    _age(engine, dropped.id, 120)
    with Heartbeat(engine, "w1", interval=0.05) as beating, beating.holding(held.id):
        deadline = time.monotonic() + 10
        while (read_job(engine, held.id).heartbeat_at or 0) < time.time() - 60:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    assert requeue_stale(engine) == [dropped.id]  # say, its end could not be recorded
    assert read_job(engine, held.id).status == "running"
