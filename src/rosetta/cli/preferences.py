"""``rosetta preferences``: a project's preference judgements aggregated."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rosetta.cli.common import project_of, store
from rosetta.core.preference_report_model import PreferenceReport

preferences_app = typer.Typer(
    help="Aggregate a project's preference judgements: leaderboard, bias, agreement.",
    no_args_is_help=True,
)


@preferences_app.command("report")
def report(
    ctx: typer.Context,
    project: Annotated[str, typer.Argument(help="Project name or id.")],
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write the report as an HTML page here.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON instead of tables.")
    ] = False,
    reference: Annotated[
        str | None,
        typer.Option("--reference", help="The model fixed at 0 (default: the most compared)."),
    ] = None,
) -> None:
    """Print the project's preference report: Bradley–Terry strengths with 95% intervals,
    win rates, position and length bias, agreement among evaluators; with --html, also
    write the page with the leaderboard plot and the win-rate matrix."""
    # the statistics and plotting stacks load for this command only
    from rosetta.services.preference_report import preference_report

    engine = store(ctx)
    target = project_of(engine, project)
    with engine.connect() as connection:
        found = preference_report(connection, target.id, reference=reference)
    if html is not None:
        from rosetta.services.preference_report_html import render_preference_report

        html.write_text(render_preference_report(found), encoding="utf-8")
    if as_json:
        typer.echo(found.model_dump_json(indent=2))
        return
    console = Console(highlight=False)
    console.print(_leaderboard(found))
    console.print(_summary(found))
    if html is not None:
        console.print(f"Wrote the page to {escape(str(html))}.")


def _number(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _leaderboard(found: PreferenceReport) -> Table:
    stats = found.stats
    fit = stats.bradley_terry
    table = Table(
        title=f"Preferences in {found.name}: {stats.judgements} judgements of "
        f"{stats.samples} samples by {len(stats.evaluators)} evaluators "
        f"(Bradley–Terry vs {fit.reference})",
        title_justify="left",
    )
    for column in ("model", "strength", "95% CI", "Elo", "win rate", "W-L-T"):
        table.add_column(column, justify="left" if column == "model" else "right")
    records = {r.model: r for r in stats.models}
    for strength in fit.strengths:
        record = records.get(strength.model)
        table.add_row(
            strength.model,
            _number(strength.strength),
            f"{_number(strength.low)} – {_number(strength.high)}",
            _number(strength.elo, 0),
            _number(record.win_rate.share) if record else "–",
            f"{record.wins}-{record.losses}-{record.ties}" if record else "–",
        )
    return table


def _summary(found: PreferenceReport) -> str:
    stats = found.stats
    position = stats.position_bias.overall
    length = stats.length_bias.overall.longer_won
    return (
        f"Shown first won {position.outcomes.successes}/{position.outcomes.trials} decisive "
        f"outcomes (p = {_number(position.p_value)}); longer won "
        f"{length.outcomes.successes}/{length.outcomes.trials} (p = {_number(length.p_value)}).\n"
        f"Agreement: rankings α {_number(stats.ranking_agreement.alpha)}, "
        f"pairs α {_number(stats.pairwise_agreement.alpha)}."
    )
