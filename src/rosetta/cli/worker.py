"""``rosetta worker``: run the store's queued background jobs (imports, exports, probing,
media preparation), beside or instead of the API server's own worker threads.

Any number of workers may run against one PostgreSQL store: each job is taken by one.
"""

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from rosetta.cli.common import store
from rosetta.services.job_worker import Worker
from rosetta.services.jobs import Job
from rosetta.services.settings import Settings


def worker(
    ctx: typer.Context,
    *,
    once: Annotated[
        bool, typer.Option("--once", help="Run the queued jobs one by one, then exit.")
    ] = False,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            metavar="ADDRESS",
            help="Run the jobs on this Ray cluster (default: ROSETTA_RAY_ADDRESS).",
        ),
    ] = None,
    threads: Annotated[
        int | None,
        typer.Option(min=1, help="Jobs run at a time (default: ROSETTA_JOB_WORKERS, at least 1)."),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            file_okay=False,
            help="Where uploads and exports are (default: ROSETTA_DATA_DIR).",
        ),
    ] = None,
) -> None:
    """Run queued background jobs until stopped (Ctrl-C or SIGTERM: running jobs stop at
    their next progress report and are queued again, to resume from their checkpoints)."""
    settings = Settings()
    runner = Worker(
        store(ctx),
        data_dir=data_dir or settings.data_dir,
        settings=settings,
        threads=threads or max(1, settings.job_workers),
        ray_address=ray or settings.ray_address,
    )
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    if once:
        finished = runner.run_until_idle()
        for job in finished:
            console.print(_line(job))
        console.print(f"ran {len(finished)} job{'' if len(finished) == 1 else 's'}")
        if any(job.status == "failed" for job in finished):
            raise typer.Exit(1)
        return
    stopping = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda _signal, _frame: stopping.set())
    runner.start()
    console.print(f"worker {escape(runner.name)} runs jobs; Ctrl-C stops it")
    stopping.wait()
    console.print("stopping: running jobs are queued again")
    runner.stop()


def _line(job: Job) -> str:
    status = {"done": "green", "failed": "red"}.get(job.status, "yellow")
    error = f": {escape(job.error)}" if job.error else ""
    return f"job {job.id} {escape(job.kind)} [{status}]{job.status}[/]{error}"
