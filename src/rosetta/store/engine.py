"""Opening a store: an SQLAlchemy engine on SQLite (WAL, the embedded default) or PostgreSQL,
brought to the newest schema by Alembic.

On SQLite the driver's own transaction handling is turned off (pysqlite would begin a
transaction only at the first write, so the reads before it would see no snapshot) and
every transaction is begun explicitly: reads with a deferred ``BEGIN``, which never blocks,
and the writes of `write_transaction` with ``BEGIN IMMEDIATE``, which takes the write lock
up front. Two writers therefore run one after the other, the second seeing what the first
committed; with a deferred begin the second would fail with "database is locked" when it
tried to write after reading an outdated snapshot. Writers also queue before they begin,
on a lock of the engine's (the threads of one process) and on an ``flock`` of a file beside
the database (the processes of ``rosetta serve --workers``): SQLite's own busy handler waits
by sleeping (up to 100 ms a try), so a writer it made wait would start well after the
database was free, while a waiter on these locks starts as soon as it is.
"""

import fcntl
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from alembic import command
from alembic.config import Config
from sqlalchemy import Column, Connection, Engine, Row, Select, create_engine, event
from sqlalchemy.engine import make_url

DEFAULT_URL = "sqlite:///./rosetta.db"
MIGRATIONS = Path(__file__).with_name("migrations")


#: How long a connection waits for a lock held outside Rosetta's writer queue.
BUSY_TIMEOUT_MS = 30000

#: The execution option `write_transaction` sets on its connection.
WRITE = "rosetta_write"


class _SqliteWriters:
    """The queue of an SQLite database's writers: a lock for this process's threads, then
    an exclusive ``flock`` on ``<database>-writers`` for the processes sharing the file
    (none for an in-memory database). Re-entrant within a thread."""

    def __init__(self, database: str | None) -> None:
        self._threads = threading.RLock()
        self._path = None if database in (None, "", ":memory:") else f"{database}-writers"
        self._depth = 0

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Wait for the other writers, and keep them waiting until the block ends."""
        with self._threads:
            outermost = self._depth == 0
            descriptor = None
            if outermost and self._path is not None:
                descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(descriptor, fcntl.LOCK_EX)  # released with the descriptor
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if descriptor is not None:
                    os.close(descriptor)


#: The writers' queue of each SQLite engine (`write_transaction`).
_WRITERS: "WeakKeyDictionary[Engine, _SqliteWriters]" = WeakKeyDictionary()


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # no implicit BEGIN: `_sqlite_begin` emits it
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: each commit syncs the log before it returns, so an acknowledged write survives a
    # power cut too (NORMAL survives a killed process only; docs/reliability.md)
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _sqlite_file(backend: str, database: str | None) -> bool:
    return backend == "sqlite" and database not in (None, "", ":memory:")


def make_engine(url: str = DEFAULT_URL, **options: Any) -> Engine:
    """An engine for `url`. ``postgresql://`` URLs use psycopg 3. An SQLite file's pool
    keeps 5 connections and opens more when they are all in use, never making a checkout
    wait (connections to a file are cheap; the writers queue on their own lock)."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if _sqlite_file(parsed.get_backend_name(), parsed.database) and "poolclass" not in options:
        # a checkout opens another connection rather than wait for one (`api.deps.on_loop`)
        options = {"max_overflow": -1, **options}
    engine = create_engine(parsed, **options)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        _WRITERS[engine] = _SqliteWriters(parsed.database)
    return engine


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that will write: committed at the end of the block,
    rolled back on an exception. On SQLite it waits its turn among the database's writers
    (see the module), then begins ``IMMEDIATE``; on PostgreSQL it is an ordinary
    transaction."""
    writers = _WRITERS.get(engine)
    with writers.hold() if writers else nullcontext(), engine.connect() as connection:
        connection.execution_options(**{WRITE: True})
        with connection.begin():
            yield connection


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration that migrates through `engine`'s connections."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision (a no-op when it is there already)."""
    command.upgrade(alembic_config(engine), "head")


def open_store(url: str = DEFAULT_URL, **options: Any) -> Engine:
    """An engine for `url` whose schema is at the newest revision."""
    engine = make_engine(url, **options)
    upgrade(engine)
    return engine


def keyset_pages(
    engine: Engine, query: Select[Any], key: Column[Any], size: int
) -> Iterator[Sequence[Row[Any]]]:
    """The rows of `query` in pages of `size`, in order of `key` (a unique, indexed column
    the query selects), each page read on its own connection: a long walk holds no
    transaction open between pages, and the caller may write between them."""
    after: Any = None
    while True:
        page_query = query if after is None else query.where(key > after)
        with engine.connect() as connection:
            page = connection.execute(page_query.order_by(key).limit(size)).all()
        if page:
            yield page
        if len(page) < size:
            return
        after = page[-1]._mapping[key]
