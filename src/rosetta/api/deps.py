"""Request dependencies for the store: a read connection per request, or the engine for
services that open their own write transaction. Who is asking: `rosetta.api.auth`."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine


def _engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def _engine(request: Request) -> Engine:
    # async: a dependency that does no I/O need not hop to a worker thread
    return _engine_of(request)


def _connection(request: Request) -> Iterator[Connection]:
    with _engine_of(request).connect() as connection:
        yield connection


#: A read connection for the duration of one request.
Db = Annotated[Connection, Depends(_connection)]

#: The engine, for services that open their own write transaction.
Store = Annotated[Engine, Depends(_engine)]


def end_read(db: Connection) -> None:
    """End the request's read transaction before a write that may wait its turn: on SQLite
    a snapshot held while waiting keeps the write-ahead log from ever starting over
    (`rosetta.store.checkpoints`). Later reads on `db` begin a new one."""
    if db.in_transaction():
        db.rollback()
