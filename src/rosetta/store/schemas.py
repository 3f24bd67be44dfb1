"""Scratch schemas of a PostgreSQL server: a store of its own inside a shared database, as
the tests, the benchmarks and the fixture builder make them.

A store lives in the schema its URL selects (``options=-csearch_path=<schema>``), so one
database can hold many stores side by side, each dropped with everything in it.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

from rosetta.store.engine import make_engine


def schema_url(server_url: str, schema: str) -> str:
    """`server_url` with the connection option that makes `schema` its search path."""
    joiner = "&" if "?" in server_url else "?"
    return f"{server_url}{joiner}options=-csearch_path%3D{schema}"


def new_schema_name(prefix: str) -> str:
    """A fresh schema name: `prefix`, an underscore and 12 random hex digits."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def create_schema(admin: Engine, schema: str) -> None:
    """Create the empty schema `schema` through `admin` (an engine on the server)."""
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))


def drop_schema(admin: Engine, schema: str) -> None:
    """Drop `schema` and everything in it, if it exists."""
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@contextmanager
def scratch_schema(server_url: str, prefix: str) -> Iterator[str]:
    """The URL of a new, empty schema named after `prefix` on the PostgreSQL server at
    `server_url`, dropped with all it holds afterwards."""
    admin = make_engine(server_url)
    schema = new_schema_name(prefix)
    try:
        create_schema(admin, schema)
        try:
            yield schema_url(server_url, schema)
        finally:
            drop_schema(admin, schema)
    finally:
        admin.dispose()
