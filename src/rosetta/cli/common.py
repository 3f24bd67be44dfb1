"""What every command shares: the store named by ``--db`` and the acting person."""

import getpass
import os
from pathlib import Path

import typer
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from rosetta import __version__
from rosetta.core.errors import RosettaError
from rosetta.core.schema import Project
from rosetta.services.projects import find_project
from rosetta.store.engine import open_store
from rosetta.store.events import Actor


def actor() -> Actor:
    """``ROSETTA_USER`` (default: the login name) with the tool ``rosetta-cli``."""
    return Actor(
        os.environ.get("ROSETTA_USER") or getpass.getuser(),
        tool="rosetta-cli",
        tool_version=__version__,
    )


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL (None for other backends and in-memory databases)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database or "")


def open_url(url: str, *, create: bool = False) -> Engine:
    """The store at `url`; an SQLite file must exist unless `create`."""
    try:
        path = sqlite_path(url)
        if path is not None and not create and not path.exists():
            raise RosettaError(
                f"no store at {path}; create one with 'rosetta init' or name it with --db"
            )
        return open_store(url)
    except (ArgumentError, OperationalError) as exc:
        reason = exc.orig if isinstance(exc, OperationalError) else exc
        raise RosettaError(f"cannot open the store at {url}: {reason}") from exc


def store(ctx: typer.Context, *, create: bool = False) -> Engine:
    """The store named by ``--db``, closed when the command ends."""
    url: str = ctx.find_root().obj["db"]
    engine = open_url(url, create=create)
    ctx.call_on_close(engine.dispose)
    return engine


def project_of(engine: Engine, name: str | None) -> Project:
    """The project named `name` (or the store's only project)."""
    with engine.connect() as connection:
        return find_project(connection, name)
