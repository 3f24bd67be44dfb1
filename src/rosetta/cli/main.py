"""The ``rosetta`` command line.

Every command works on the store named by ``--db`` (or ``ROSETTA_DB``; default
``sqlite:///./rosetta.db``). Changes are recorded as made by ``ROSETTA_USER`` (default: the
login name) with the tool ``rosetta-cli``. A domain error prints one line and exits with
status 1; a usage error exits with status 2.
"""

import os
from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
import typer
import uvicorn
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from typer.core import TyperGroup

from rosetta.api.app import ENVIRONMENT_FACTORY, server_app
from rosetta.cli import render
from rosetta.cli.backups import backup, restore
from rosetta.cli.clocks import clock_app
from rosetta.cli.common import actor, open_url, project_of, sqlite_path, store
from rosetta.cli.formats import format_app
from rosetta.cli.media import media_app
from rosetta.cli.preferences import preferences_app
from rosetta.cli.qa import qa_app
from rosetta.cli.users import user_app
from rosetta.cli.worker import worker
from rosetta.core.errors import RosettaError
from rosetta.core.ontology_migration import parse_migration
from rosetta.demo.build import (
    DEMO_PASSWORD,
    DEMO_PROJECT,
    DEMO_USERS,
    MEDIA_DIR,
    ONTOLOGY_FILE,
    build_demo,
)
from rosetta.services.catalog import object_history
from rosetta.services.exporter import count_samples, export_jsonl
from rosetta.services.importer import import_jsonl
from rosetta.services.ontology_migrations import migrate_ontology
from rosetta.services.projects import (
    create_project,
    find_project,
    load_ontology,
    load_ontology_file,
    read_structured,
)
from rosetta.services.review import review_queue
from rosetta.services.settings import Settings
from rosetta.store.engine import DEFAULT_URL

DEMO_URL = "sqlite:///./rosetta-demo.db"

TrackExport = Literal["sparse", "dense"]


class _Commands(TyperGroup):
    """Turns a domain error into one line on stderr and exit status 1."""

    def invoke(self, ctx: Any) -> Any:  # click's Context, as vendored by Typer
        try:
            return super().invoke(ctx)
        except RosettaError as exc:
            Console(stderr=True, highlight=False, soft_wrap=True).print(
                f"[bold red]error:[/] {exc}", markup=True
            )
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=_Commands,
    name="rosetta",
    help="Rosetta: multimodal annotation with cross-modal links as first-class annotations.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
ontology_app = typer.Typer(help="Show the ontology or migrate it to a new version.")
app.add_typer(ontology_app, name="ontology")
app.add_typer(clock_app, name="clock")
app.add_typer(media_app, name="media")
app.add_typer(qa_app, name="qa")
app.add_typer(preferences_app, name="preferences")
app.add_typer(format_app, name="format")
app.add_typer(user_app, name="user")
app.command()(worker)
app.command()(backup)
app.command()(restore)

ProjectOption = Annotated[
    str | None,
    typer.Option("--project", "-p", help="Project name or id (default: the store's only project)."),
]


@app.callback()
def main(
    ctx: typer.Context,
    db: Annotated[
        str,
        typer.Option("--db", envvar="ROSETTA_DB", help="Store URL (SQLite file or PostgreSQL)."),
    ] = DEFAULT_URL,
) -> None:
    """Rosetta: multimodal annotation with cross-modal links as first-class annotations."""
    ctx.obj = {"db": db}


@app.command()
def init(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", "-n", help="The new project's name.")],
    ontology: Annotated[
        Path, typer.Option("--ontology", "-o", help="Ontology YAML or JSON file.", dir_okay=False)
    ],
) -> None:
    """Create a project with its first ontology version (creating the store if needed)."""
    definition = load_ontology_file(ontology)
    project = create_project(store(ctx, create=True), name, definition, actor())
    Console().print(
        f"Created project [bold]{project.name}[/] ({project.id}) with ontology version 1: "
        f"{len(definition.classes)} classes, {len(definition.relations)} relation types."
    )


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Native JSONL file, one sample per line.")],
    *,
    project: ProjectOption = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Samples per transaction.")] = 500,
    resume: Annotated[
        bool, typer.Option("--resume", help="Go on after the last committed line of this file.")
    ] = False,
    new_ids: Annotated[
        bool, typer.Option("--new-ids", help="Give every record a fresh id (references follow).")
    ] = False,
) -> None:
    """Import native JSONL into a project: batched, resumable, idempotent by external id."""
    engine = store(ctx)
    target = project_of(engine, project)
    try:
        size = file.stat().st_size
    except OSError as exc:
        raise RosettaError(f"{file}: cannot read: {exc.strerror}") from exc
    console = Console(stderr=True)
    with Progress(
        TextColumn("importing"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("import", total=size)
        report = import_jsonl(
            engine,
            target.id,
            file,
            actor(),
            batch_size=batch_size,
            resume=resume,
            new_ids=new_ids,
            progress=lambda done: progress.update(task, completed=done),
        )
        progress.update(task, completed=size)
    Console().print(render.import_summary(report), highlight=False)


@app.command()
def export(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="Output JSONL file, or - for standard output.")],
    project: ProjectOption = None,
    tracks: Annotated[
        TrackExport,
        typer.Option(
            help="Tracks as stored key frames (sparse) or with every frame filled in (dense)."
        ),
    ] = "sparse",
) -> None:
    """Export a project as native JSONL, one sample per line (into FILE.part, renamed to
    FILE when complete)."""
    engine = store(ctx)
    source = project_of(engine, project)
    with engine.connect() as connection:
        total = count_samples(connection, source.id)
    console = Console(stderr=True)
    with Progress(
        TextColumn("exporting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("export", total=total)

        def advance(done: int) -> None:
            progress.update(task, completed=done)

        if file == "-":
            report = export_jsonl(
                engine,
                source.id,
                typer.get_binary_stream("stdout"),
                progress=advance,
                tracks=tracks,
            )
        else:
            # written as FILE.part and renamed when whole (and on disk): a killed export
            # never leaves a file that looks complete
            part = Path(f"{file}.part")
            try:
                with part.open("wb") as out:
                    report = export_jsonl(engine, source.id, out, progress=advance, tracks=tracks)
                    out.flush()
                    os.fsync(out.fileno())
                part.replace(file)
            except OSError as exc:
                raise RosettaError(f"{file}: cannot write: {exc.strerror}") from exc
            finally:
                part.unlink(missing_ok=True)
    console.print(render.export_summary(report, file), highlight=False)


@ontology_app.command("show")
def ontology_show(
    ctx: typer.Context,
    project: ProjectOption = None,
    version: Annotated[int | None, typer.Option(min=1, help="Version (default: current).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the ontology as JSON.")] = False,
) -> None:
    """Show the project's ontology: the class tree and the relation types."""
    engine = store(ctx)
    with engine.connect() as connection:
        ontology = load_ontology(connection, find_project(connection, project).id, version)
    if as_json:
        data = ontology.model_dump(mode="json", exclude_none=True)
        typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
        return
    console = Console()
    console.print(render.ontology_tree(ontology))
    console.print(render.relations_table(ontology))


@ontology_app.command("migrate")
def ontology_migrate(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Migration YAML file (description, operations).")],
    project: ProjectOption = None,
    expected_version: Annotated[
        int | None,
        typer.Option(min=1, help="Fail unless the project is at this ontology version."),
    ] = None,
) -> None:
    """Take the project's ontology to its next version and apply it to existing annotations."""
    migration = parse_migration(read_structured(file), source=str(file))
    engine = store(ctx)
    target = project_of(engine, project)
    report = migrate_ontology(
        engine, target.id, migration, actor(), expected_version=expected_version
    )
    Console().print(render.migration_summary(report))


@app.command()
def history(
    ctx: typer.Context,
    object_id: Annotated[str, typer.Argument(help="Id of an annotation, link, entity, ...")],
) -> None:
    """Every recorded change of one object: who, when, with which tool, before → after."""
    engine = store(ctx)
    with engine.connect() as connection:
        events = object_history(connection, object_id)
    Console().print(render.history_table(object_id, events))


@app.command()
def review(
    ctx: typer.Context,
    project: ProjectOption = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many of each kind.")] = 100,
) -> None:
    """What waits for a person: stale links and flagged annotations."""
    engine = store(ctx)
    with engine.connect() as connection:
        queue = review_queue(connection, find_project(connection, project).id, limit=limit)
    console = Console()
    for table in render.review_tables(queue):
        console.print(table)


def _serve(engine: Engine, settings: Settings, host: str, port: int) -> None:
    uvicorn.run(server_app(engine, settings), host=host, port=port, log_level="info")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker processes; each holds no state of its own (sessions, jobs and "
            "locks live in the store), so with PostgreSQL they share one project safely.",
        ),
    ] = 1,
    media_root: Annotated[
        list[Path] | None,
        typer.Option(
            help="A folder media may be served from (repeat for more; adds to ROSETTA_MEDIA_ROOTS)."
        ),
    ] = None,
) -> None:
    """Serve the store: the workspace page at / and the JSON API under /api. Other
    settings come from ROSETTA_* variables (see rosetta.services.settings)."""
    engine = store(ctx)
    url = engine.url.render_as_string(hide_password=False)
    roots = (*Settings().media_roots, *(path.resolve() for path in media_root or ()))
    settings = Settings(database_url=url, media_roots=roots)
    Console().print(f"Rosetta at [bold]http://{host}:{port}[/] (Ctrl+C stops)")
    if workers == 1:
        _serve(engine, settings, host, port)
        return
    engine.dispose()
    os.environ["ROSETTA_DATABASE_URL"] = url
    os.environ["ROSETTA_MEDIA_ROOTS"] = orjson.dumps([str(root) for root in roots]).decode()
    uvicorn.run(
        ENVIRONMENT_FACTORY, factory=True, host=host, port=port, workers=workers, log_level="info"
    )


def _fresh_demo_store(url: str) -> Engine:
    path = sqlite_path(url)
    if path is None and make_url(url).get_backend_name() == "sqlite":
        raise RosettaError("the demo needs an SQLite file or a PostgreSQL URL, not :memory:")
    if path is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return open_url(url, create=True)


@app.command()
def demo(
    db: Annotated[
        str, typer.Option("--db", help="Store for the demo; an SQLite file is rebuilt each run.")
    ] = DEMO_URL,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    serve_it: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the demo after building it.")
    ] = True,
) -> None:
    """Build the demo project (fresh each time) and serve it."""
    engine = _fresh_demo_store(db)
    try:
        project = build_demo(engine)
        console = Console()
        with engine.connect() as connection:
            samples = count_samples(connection, project.id)
        console.print(
            f"Built the demo project [bold]{DEMO_PROJECT}[/] in {db}: {samples} samples "
            f"(ontology {ONTOLOGY_FILE.name}, media in {ONTOLOGY_FILE.parent / 'media'})."
        )
        names = ", ".join(name for name, _ in DEMO_USERS)
        console.print(f"Log in as {names} (password [bold]{DEMO_PASSWORD}[/]).")
        if serve_it:
            console.print(f"Open the workspace at [bold]http://{host}:{port}/app[/] (Ctrl+C stops)")
            # plain HTTP on this machine only: development mode allows its cookies
            settings = Settings(media_roots=(MEDIA_DIR,), dev=True, cookie_secure=False)
            _serve(engine, settings, host, port)
    finally:
        engine.dispose()
