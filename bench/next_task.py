"""Next-task latency under concurrent annotators:
``python bench/next_task.py [--n 20000] [--clients 8 50] [--seconds 10] [--pg URL]``.

Builds a project of ``--n`` samples straight into the tables (`list_samples.populate`) in
a fresh SQLite file, and in a fresh schema of the PostgreSQL server at ``--pg`` when given
(dropped after), sets a workflow (annotate with 2 annotators on a fifth of the samples,
then review) and queues every sample (`services.workflow.enqueue`, timed), then serves it
with uvicorn on loopback (one server process, `bulk_submit.serve`). Each annotator
(``worker00`` …) is a process with its own token and ``httpx.Client`` in a closed loop for
``--seconds``: ``POST /api/projects/{id}/tasks/next`` (a new lease each time, as the task
before was handed in), then ``POST /api/tasks/{id}/submit``. All start together after a
warm-up, at each count of ``--clients``.

Printed per backend and count: p50/p95/p99 of next-task and of submit in milliseconds
(HTTP included), tasks per second (all clients), the server's CPU time per task (user and
system), and how many answers were not 200. The clients share the machine with the server,
which matters where cores are few.
"""

import argparse
import multiprocessing
import subprocess
import tempfile
import time
from collections.abc import Sequence
from multiprocessing.synchronize import Event
from pathlib import Path

import httpx
from sqlalchemy import text

from api_latency import free_port, fresh_store, gather, percentiles
from bulk_submit import cpu_seconds, serve
from list_samples import populate
from rosetta.core.policies import Role
from rosetta.core.workflow import AnnotateStage, ReviewStage, Workflow
from rosetta.services.accounts import create_token, create_user, set_role
from rosetta.services.workflow import enqueue, set_workflow
from rosetta.store.engine import open_store
from rosetta.store.events import Actor

ACTOR = Actor("bench")
WORKFLOW = Workflow(stages=(AnnotateStage(overlap=2, overlap_share=0.2), ReviewStage()))
WARMUP = 5

#: Seconds of each next-task and each submit request, whether each was a 200.
Times = list[tuple[float, float, bool]]


def annotator(
    *,
    base: str,
    token: str,
    project: str,
    seconds: float,
    start: Event,
    queue: "multiprocessing.Queue[tuple[Times, float] | None]",
) -> None:
    """One annotator process: warm up, put None on `queue` and wait for `start`, then
    lease and submit in a closed loop for `seconds`; puts (the times of each round, the
    seconds run) on `queue`."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
        for _ in range(WARMUP):
            work(http, project)
        queue.put(None)
        start.wait()
        times: Times = []
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            times.append(work(http, project))
        queue.put((times, time.perf_counter() - started))


def work(http: httpx.Client, project: str) -> tuple[float, float, bool]:
    """Lease the next task and hand it in: the seconds of each request, whether both were
    200s."""
    started = time.perf_counter()
    leased = http.post(f"/api/projects/{project}/tasks/next")
    lease = time.perf_counter() - started
    if leased.status_code != 200:
        return lease, 0.0, False
    started = time.perf_counter()
    handed = http.post(f"/api/tasks/{leased.json()['id']}/submit")
    return lease, time.perf_counter() - started, handed.status_code == 200


def run_cell(
    server: "subprocess.Popen[bytes]",
    *,
    base: str,
    tokens: Sequence[str],
    project: str,
    seconds: float,
) -> tuple[Times, float, float]:
    """The annotators of `tokens` at once: (the times of every round, tasks per second,
    server CPU seconds a task)."""
    context = multiprocessing.get_context("fork")
    start = context.Event()
    queue: multiprocessing.Queue[tuple[Times, float] | None] = context.Queue()
    processes = [
        context.Process(
            target=annotator,
            kwargs={
                "base": base,
                "token": token,
                "project": project,
                "seconds": seconds,
                "start": start,
                "queue": queue,
            },
        )
        for token in tokens
    ]
    for process in processes:
        process.start()
    gather(queue, processes)  # all warmed up
    cpu = cpu_seconds(server)
    start.set()
    finished = [item for item in gather(queue, processes) if item is not None]
    cpu = cpu_seconds(server) - cpu
    for process in processes:
        process.join()
    times = [item for result, _ in finished for item in result]
    rate = sum(len(result) / elapsed for result, elapsed in finished)
    return times, rate, cpu / max(len(times), 1)


def run(label: str, pg: str | None, args: argparse.Namespace) -> None:
    """Build one backend's store, serve it and print its table."""
    with tempfile.TemporaryDirectory() as name, fresh_store(pg, Path(name)) as url:
        engine = open_store(url)
        project, _ = populate(engine, args.n)
        set_workflow(engine, ACTOR, project, WORKFLOW)
        started = time.perf_counter()
        slots = enqueue(engine, ACTOR, project)
        queued = time.perf_counter() - started
        tokens = []
        for index in range(max(args.clients)):
            user = create_user(engine, f"worker{index:02d}")
            set_role(engine, ACTOR, project, user.id, Role.ANNOTATOR)
            tokens.append(create_token(engine, user.id, "bench")[0])
        if pg:
            with engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        engine.dispose()
        port = free_port()
        server = serve(url, 1, port, Path(name))
        print(
            f"\n{label}: {args.n:,} samples, {slots:,} annotate slots queued in {queued:.1f} s, "
            f"1 server process, {args.seconds:g} s a row\n{'clients':>7} {'next p50':>9} "
            f"{'p95':>6} {'p99':>6} {'submit p50':>11} {'p95':>6} {'p99':>6} {'tasks/s':>8} "
            f"{'CPU ms/task':>12} {'errors':>6}",
            flush=True,
        )
        try:
            for clients in args.clients:
                times, rate, cpu = run_cell(
                    server,
                    base=f"http://127.0.0.1:{port}",
                    tokens=tokens[:clients],
                    project=project,
                    seconds=args.seconds,
                )
                lease = percentiles([t[0] for t in times])
                submit = percentiles([t[1] for t in times if t[2]])
                errors = sum(not ok for _, _, ok in times)
                print(
                    f"{clients:7} {lease[0]:9.1f} {lease[1]:6.1f} {lease[2]:6.1f} "
                    f"{submit[0]:11.1f} {submit[1]:6.1f} {submit[2]:6.1f} {rate:8.1f} "
                    f"{1000 * cpu:12.1f} {errors:6}",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait()


def main() -> None:
    """Parse the arguments and run the benchmark on each backend."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="samples in the project")
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 50])
    parser.add_argument("--seconds", type=float, default=10.0, help="per count of clients")
    parser.add_argument("--pg", help="also on this PostgreSQL server (postgresql://...)")
    args = parser.parse_args()
    run("SQLite", None, args)
    if args.pg:
        run("PostgreSQL", args.pg, args)


if __name__ == "__main__":
    main()
