"""``rosetta media``: preparing long media (waveform peaks, frame tables, thumbnails)."""

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from rosetta.cli.common import actor, project_of, store
from rosetta.core.errors import RosettaError
from rosetta.services.media_prep import prepare_project

media_app = typer.Typer(
    help="Prepare long media for the workspace: waveform peaks, frame tables, thumbnails.",
    no_args_is_help=True,
)


@media_app.command("prepare")
def prepare(
    ctx: typer.Context,
    project: Annotated[str, typer.Argument(help="Project name or id.")],
) -> None:
    """Compute the peaks, frame tables and thumbnails of every audio and video stream of
    the project; streams whose files have not changed since are skipped."""
    engine = store(ctx)
    target = project_of(engine, project)
    with Progress(
        TextColumn("{task.description:<40}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task("preparing", total=1.0)

        def advance(fraction: float, message: str | None) -> None:
            bar.update(task, completed=fraction, description=f"stream {message or ''}")

        job = prepare_project(engine, actor(), target.id, advance)
        bar.update(task, completed=1.0, description="done")
    if job.status == "failed" or job.result is None:
        raise RosettaError(f"preparing {target.name} failed: {job.error}")
    counts = ", ".join(f"{n} {status}" for status, n in sorted(job.result["counts"].items()))
    console = Console(highlight=False)
    console.print(
        f"Prepared [bold]{escape(target.name)}[/]: {job.result['streams']} audio/video streams"
        + (f" ({counts})" if counts else "")
        + f"; job {job.id}."
    )
    failures = job.result["failures"]
    for failure in failures:
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            f"[bold red]error:[/] stream {escape(failure['stream'])}: {escape(failure['error'])}"
        )
    if failures:
        raise typer.Exit(1)
