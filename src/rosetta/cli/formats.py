"""``rosetta format``: the file formats other tools use — which there are, importing a
file or folder in one, exporting a project to one (`rosetta.services.format_io`)."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rosetta.cli.common import actor, project_of, store
from rosetta.formats.interchange import ReadOptions
from rosetta.formats.label_map import LabelMap, parse_label_map
from rosetta.services.exporter import TrackForm
from rosetta.services.format_io import export_foreign, import_foreign, known_formats
from rosetta.services.projects import read_structured

format_app = typer.Typer(
    help="Import and export the file formats other tools use.", no_args_is_help=True
)

FormatArgument = Annotated[str, typer.Argument(help="Format name (rosetta format list).")]
ProjectOption = Annotated[
    str | None,
    typer.Option("--project", "-p", help="Project name or id (default: the store's only one)."),
]


@format_app.command("list")
def list_formats() -> None:
    """The formats, what each can do and what it cannot carry."""
    table = Table(title="File formats", title_justify="left")
    for column in ("name", "format", "read", "write", "cannot carry"):
        table.add_column(column)
    for info in known_formats():
        table.add_row(
            info.name,
            info.title,
            "yes" if info.read else "–",
            "yes" if info.write else "–",
            ", ".join(info.not_carried) or "–",
        )
    Console().print(table)


@format_app.command("import")
def import_format(
    ctx: typer.Context,
    name: FormatArgument,
    source: Annotated[Path, typer.Argument(help="The file or folder to import.")],
    *,
    project: ProjectOption = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--map", help="YAML/JSON mapping: labels: {foreign: class}, relations:, drop: [...]"
        ),
    ] = None,
    media_root: Annotated[
        Path | None, typer.Option(help="Where the media files the annotations refer to are.")
    ] = None,
    default_label: Annotated[
        str | None,
        typer.Option(help="The label of records the format leaves without one (cues, tiers)."),
    ] = None,
    instances: Annotated[
        Path | None,
        typer.Option(
            help="COCO: the instances file (or folder) whose images and categories a results "
            "file names by id, when they are not beside it."
        ),
    ] = None,
    zero_based_pixels: Annotated[
        bool,
        typer.Option(
            "--zero-based-pixels",
            help="VOC: coordinates are pixel edges from 0 (Datumaro, CVAT), not 1-based pixels.",
        ),
    ] = False,
    new_ids: Annotated[
        bool, typer.Option("--new-ids", help="Give every record a fresh id (a second copy).")
    ] = False,
) -> None:
    """Import a file (or folder) in another tool's format: every label must map to a class
    (else the unmapped ones are listed and nothing is imported)."""
    engine = store(ctx)
    target = project_of(engine, project)
    labels = (
        LabelMap() if mapping is None else parse_label_map(read_structured(mapping), str(mapping))
    )
    done = import_foreign(
        engine,
        target.id,
        name,
        source,
        actor(),
        mapping=labels,
        options=ReadOptions(
            media_root=media_root,
            default_label=default_label,
            instances=instances,
            zero_based_pixels=zero_based_pixels,
        ),
        new_ids=new_ids,
    )
    report = done.imported
    dropped = "".join(f", {n} {label!r} dropped" for label, n in sorted(done.dropped.items()))
    Console(highlight=False).print(
        f"Imported {escape(str(source))} ({name}) into [bold]{escape(target.name)}[/]: "
        f"{report.samples_written} samples ({report.samples_skipped} already there), "
        f"{report.annotations} annotations, {report.entities} entities, {report.links} links"
        f"{escape(dropped)}."
    )


@format_app.command("export")
def export_format(
    ctx: typer.Context,
    name: FormatArgument,
    out: Annotated[Path, typer.Argument(help="The folder to write into (made if missing).")],
    project: ProjectOption = None,
    tracks: Annotated[
        TrackForm, typer.Option(help="Tracks as stored key frames (sparse) or every frame (dense).")
    ] = "sparse",
) -> None:
    """Export the project in another tool's format, with a dataset card beside it."""
    engine = store(ctx)
    target = project_of(engine, project)
    report = export_foreign(engine, target.id, name, out, tracks=tracks)
    console = Console(highlight=False)
    console.print(
        f"Exported [bold]{escape(target.name)}[/] as {name} to {escape(str(out))}: "
        f"{report.samples} samples, {report.annotations} annotations in "
        f"{', '.join(escape(f) for f in report.files)}."
    )
    for what, where in sorted(report.not_carried.items()):
        console.print(f"  {escape(what)}: {escape(where)}")
