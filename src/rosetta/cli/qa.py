"""``rosetta qa``: running the QA checks over a project, reading their findings, and
writing the project's quality report."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from rosetta.cli.common import actor, project_of, store
from rosetta.core.checks import Severity
from rosetta.core.errors import RosettaError
from rosetta.services.check_registry import select_checks
from rosetta.services.findings import FindingRecord, FindingStatus, project_findings
from rosetta.services.qa_runs import QaParams, catch_up, run_project_checks

qa_app = typer.Typer(
    help="Run the QA checks over a project, read what they found, write its quality report.",
    no_args_is_help=True,
)

ProjectArgument = Annotated[str, typer.Argument(help="Project name or id.")]

#: Findings read per query while listing.
_PAGE = 500


@qa_app.command("run")
def run(
    ctx: typer.Context,
    project: ProjectArgument,
    checks: Annotated[
        list[str] | None,
        typer.Option("--check", "-c", help="A check to run (repeat it; default: every one)."),
    ] = None,
) -> None:
    """Check every sample of the project, here and now (recorded as a job of kind qa),
    and print what the checks found, by check and severity."""
    engine = store(ctx)
    target = project_of(engine, project)
    params = QaParams(checks=checks or None)
    select_checks(params.checks)  # an unknown name is an error before any work starts
    with Progress(
        TextColumn("{task.description:<30}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task("checking", total=1.0)

        def advance(fraction: float, message: str | None) -> None:
            bar.update(task, completed=fraction, description=f"{message or ''} samples")

        job = run_project_checks(engine, actor(), target.id, params, advance)
        bar.update(task, completed=1.0, description="done")
    if job.status != "done" or job.result is None:
        raise RosettaError(f"checking {target.name} failed: {job.error}")
    result = job.result
    console = Console(highlight=False)
    console.print(
        f"Checked [bold]{escape(target.name)}[/]: {result['samples']} samples, "
        f"{result['found']} findings ({result['new']} new, {result['reopened']} reopened), "
        f"{result['resolved']} resolved; job {job.id}."
    )
    if result["skipped"]:
        console.print(
            f"{result['skipped']} samples changed while being checked: the next read of "
            "their findings checks them again."
        )
    console.print(_counts_table(result["findings"]))


def _counts_table(counts: dict[str, dict[str, int]]) -> Table:
    """Findings per check, one column per severity."""
    table = Table(title="Findings by check and severity", title_justify="left")
    table.add_column("check")
    severities = [severity.value for severity in reversed(Severity)]
    for severity in severities:
        table.add_column(severity, justify="right")
    for check, by_severity in sorted(counts.items()):
        table.add_row(check, *(str(by_severity.get(severity, 0)) for severity in severities))
    return table


@qa_app.command("findings")
def findings(
    ctx: typer.Context,
    project: ProjectArgument,
    *,
    status: Annotated[
        FindingStatus | None, typer.Option("--status", "-s", help="With this status.")
    ] = None,
    check: Annotated[str | None, typer.Option("--check", "-c", help="Of this check.")] = None,
    severity: Annotated[
        Severity | None, typer.Option("--severity", help="With this severity.")
    ] = None,
    sample: Annotated[str | None, typer.Option("--sample", help="On this sample.")] = None,
    annotator: Annotated[
        str | None, typer.Option("--annotator", "-a", help="About this user's work.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many.")] = 50,
) -> None:
    """List the project's findings, oldest first, after checking the samples changed
    since the checks last ran."""
    engine = store(ctx)
    target = project_of(engine, project)
    catch_up(engine, target.id)
    shown: list[FindingRecord] = []
    cursor = None
    with engine.connect() as connection:
        while True:
            page = project_findings(
                connection,
                target.id,
                status=status,
                check=check,
                severity=severity,
                sample=sample,
                annotator=annotator,
                limit=min(_PAGE, limit - len(shown)),
                cursor=cursor,
            )
            shown.extend(page.items)
            cursor = page.next_cursor
            if cursor is None or len(shown) >= limit:
                break
    console = Console(highlight=False)
    console.print(_findings_table(target.name, shown))
    if cursor is not None:
        console.print(f"Showing the first {limit}; more with --limit.")


def _findings_table(project: str, items: list[FindingRecord]) -> Table:
    table = Table(title=f"Findings of {project}: {len(items)}", title_justify="left")
    for column in ("id", "sample", "check", "severity", "status"):
        table.add_column(column, no_wrap=True)
    table.add_column("message", overflow="fold", ratio=1)
    for item in items:
        table.add_row(
            item.id, item.sample, item.check, item.severity.value, item.status, item.message
        )
    return table


@qa_app.command("report")
def report(
    ctx: typer.Context,
    project: ProjectArgument,
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="The HTML file to write; its JSON twin goes beside it."),
    ] = Path("quality-report.html"),
) -> None:
    """Write the project's quality report: an HTML page with plots (agreement per class and
    modality, confusion matrices, link agreement, findings by check over time, drift pairs)
    and the same numbers as JSON beside it (``.json``). The findings of samples changed
    since the checks last ran are brought up to date first."""
    # the agreement and plotting stacks load for this command only
    from rosetta.services.quality_report import quality_report
    from rosetta.services.report_html import render_report

    engine = store(ctx)
    target = project_of(engine, project)
    catch_up(engine, target.id)
    with engine.connect() as connection:
        found = quality_report(connection, target.id)
    twin = out.with_suffix(".json")
    out.write_text(render_report(found), encoding="utf-8")
    twin.write_text(found.model_dump_json(indent=2) + "\n", encoding="utf-8")
    console = Console(highlight=False)
    console.print(
        f"Wrote the quality report of [bold]{escape(target.name)}[/] to {escape(str(out))} "
        f"and {escape(str(twin))}: {found.totals.samples} samples, "
        f"{sum(c.count for c in found.findings.by_check if c.status == 'open')} open findings."
    )
