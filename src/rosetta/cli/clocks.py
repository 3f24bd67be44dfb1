"""``rosetta clock``: show a stream's clock, align a stream to another by their sound, and
show what every stream of a sample holds at one instant.

The commands use the root command's store (``rosetta --db URL clock ...``) and act as
``ROSETTA_USER``, like every other command.
"""

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from rosetta.cli.common import actor, store
from rosetta.core.clock import Clock
from rosetta.core.errors import RosettaError
from rosetta.core.timebase import exact, format_exact
from rosetta.services.catalog import find_stream
from rosetta.services.clocks import MIN_CONFIDENCE, align_audio
from rosetta.services.timeline import moments_at

clock_app = typer.Typer(
    help="Stream clocks: show them, align a stream to another by sound, look up an instant."
)


@clock_app.command("at")
def clock_at(
    ctx: typer.Context,
    sample: Annotated[str, typer.Argument(help="The sample's id.")],
    t: Annotated[str, typer.Argument(help="Reference time in seconds (14.327 or 1001/30000).")],
) -> None:
    """What every stream of SAMPLE holds at reference time T: frame, sample, sweep or row
    (and its exact start), sensor values, the transcript word."""
    try:
        at = exact(t)
    except ValueError as exc:
        raise RosettaError(f"T: {exc}") from None
    with store(ctx).connect() as connection:
        moments = moments_at(connection, sample, at)
    table = Table(title=f"{sample} at {format_exact(at)} s", title_justify="left")
    for column in ("stream", "modality", "index", "starts at s", "what"):
        table.add_column(column, overflow="fold")
    for moment in moments:
        what = [
            f'"{hit.word}" in "{hit.text}"' if hit.word else hit.text for hit in moment.transcript
        ]
        if moment.values:
            what += [f"{name} = {value:.6g}" for name, value in list(moment.values.items())[:6]]
        table.add_row(
            moment.stream,
            moment.modality.value,
            "" if moment.index is None else str(moment.index),
            "" if moment.time is None else format_exact(moment.time),
            "\n".join(what),
        )
    Console().print(table)


@clock_app.command("align")
def clock_align(
    ctx: typer.Context,
    sample: Annotated[str, typer.Argument(help="The sample's id.")],
    reference: Annotated[str, typer.Argument(help="The stream whose timeline is kept.")],
    stream: Annotated[str, typer.Argument(help="The stream whose clock is set.")],
    *,
    max_lag: Annotated[
        float | None, typer.Option(min=0, help="Search offsets up to this many seconds.")
    ] = None,
    min_confidence: Annotated[
        float, typer.Option(min=0, max=1, help="Refuse to align below this confidence.")
    ] = MIN_CONFIDENCE,
) -> None:
    """Align STREAM to REFERENCE by cross-correlating their audio; sets STREAM's clock."""

    alignment = align_audio(
        store(ctx),
        actor(),
        sample,
        reference,
        stream,
        max_lag=max_lag,
        min_confidence=min_confidence,
    )
    estimate = alignment.estimate
    Console().print(
        f"Aligned [bold]{stream}[/] to [bold]{reference}[/]: its sounds come "
        f"{abs(estimate.offset):.4f} s {'later' if estimate.offset >= 0 else 'earlier'} than in "
        f"the reference (offset {estimate.offset:+.6f} s), confidence {estimate.confidence:.2f}, "
        f"correlation {estimate.correlation:.2f}.",
        highlight=False,
    )
    if alignment.stream.clock is not None:
        Console().print(clock_table(stream, alignment.stream.clock))


@clock_app.command("show")
def clock_show(
    ctx: typer.Context, stream: Annotated[str, typer.Argument(help="The stream's id.")]
) -> None:
    """Show STREAM's clock: its rate or timestamp table, offset and sync points."""

    with store(ctx).connect() as connection:
        found = find_stream(connection, stream)
    if found.clock is None:
        Console().print(
            f"Stream [bold]{stream}[/] has no clock: it runs at its media's rate from 0.",
            highlight=False,
        )
        return
    Console().print(clock_table(stream, found.clock))


def clock_table(stream: str, clock: Clock) -> Table:
    """A stream's clock as a table: its form, offset, then one row per sync point."""
    table = Table(title=f"clock of {stream}", title_justify="left")
    for column in ("local s", "reference s", "source", "confidence", "note"):
        table.add_column(column, overflow="fold")
    if clock.rate is not None:
        form = f"rate {clock.rate} per second"
    else:
        ticks = clock.ticks or []
        form = (
            f"timestamp table: {len(ticks)} ticks of {clock.time_base} s, "
            f"from {ticks[0]} to {ticks[-1]}"
        )
    table.caption = f"{form}; offset {clock.offset} s" + ("" if clock.sync else "; no sync points")
    for point in clock.sync:
        table.add_row(
            point.local,
            point.reference,
            point.source,
            "" if point.confidence is None else f"{point.confidence:.2f}",
            point.note or "",
        )
    return table
