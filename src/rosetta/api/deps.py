"""Request dependencies for the store: a read connection per request, or the engine for
services that open their own write transaction. Who is asking: `rosetta.api.auth`.

**Where they run.** FastAPI runs each synchronous dependency in a worker thread, and each
hop there and back costs the event loop and the interpreter lock about 0.1 ms: a request
opening its connection, authenticating and closing it took three hops besides its
handler's. On SQLite with a pool that never makes a checkout wait (`on_loop`) that work
runs on the event loop instead: the database is in the process, so reading a token or
handing a connection back never waits for the network, and nothing waits for a free
connection. On other stores (PostgreSQL) it runs in worker threads, as FastAPI would.
"""

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import contextmanager_in_threadpool
from sqlalchemy import Connection, Engine
from sqlalchemy.pool import QueuePool


def _engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def on_loop(engine: Engine) -> bool:
    """Whether a request's store work outside its handler may run on the event loop: an
    SQLite file whose pool opens another connection rather than make a checkout wait
    (``max_overflow=-1``, `rosetta.store.engine.make_engine`'s default)."""
    pool = engine.pool
    return (
        engine.dialect.name == "sqlite"
        and isinstance(pool, QueuePool)
        and pool._max_overflow < 0  # (SQLAlchemy keeps it private)
    )


async def _engine(request: Request) -> Engine:
    # async: a dependency that does no I/O need not hop to a worker thread
    return _engine_of(request)


@contextmanager
def _opened(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        yield connection


async def _connection(request: Request) -> AsyncIterator[Connection]:
    engine = _engine_of(request)
    if on_loop(engine):
        with _opened(engine) as connection:
            yield connection
        return
    async with contextmanager_in_threadpool(_opened(engine)) as connection:
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
