"""``rosetta backup`` and ``rosetta restore``: one store to one file and back
(`rosetta.store.backups`)."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import make_url

from rosetta.store import backups
from rosetta.store.backups import Transfer

StoreUrl = Annotated[
    str, typer.Argument(help="The store: sqlite:///path/to/file.db or a PostgreSQL URL.")
]


def _summary(transfer: Transfer, verb: str, url: str) -> str:
    shown = make_url(url).render_as_string(hide_password=True)
    return (
        f"{verb} the {transfer.backend} store {escape(shown)} (schema revision "
        f"{transfer.revision or 'none'}) {'to' if verb == 'Backed up' else 'from'} "
        f"{escape(str(transfer.file))}: {transfer.size / 1e6:.1f} MB in {transfer.seconds:.1f} s"
    )


def backup(
    store_url: StoreUrl,
    file: Annotated[Path, typer.Argument(help="The backup file to write (replaced if it exists).")],
) -> None:
    """Back a store up to one file while it is in use: SQLite's online backup, or
    pg_dump --format=custom of the store's schema on PostgreSQL."""
    Console(highlight=False, soft_wrap=True).print(
        _summary(backups.backup(store_url, file), "Backed up", store_url)
    )


def restore(
    file: Annotated[Path, typer.Argument(help="A file written by rosetta backup.", dir_okay=False)],
    store_url: StoreUrl,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the store even when it holds data.")
    ] = False,
) -> None:
    """Restore a backup into a store (refusing one that holds data unless --force) and
    upgrade it to the newest schema."""
    transfer = backups.restore(file, store_url, force=force)
    Console(highlight=False, soft_wrap=True).print(_summary(transfer, "Restored", store_url))
