"""Checkpoints of SQLite's write-ahead log on a thread of the server's, not in commits."""

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from rosetta.api.app import create_app
from rosetta.store import checkpoints
from rosetta.store.checkpoints import WalCheckpointer
from rosetta.store.engine import open_store, write_transaction

#: Rows of 4 KiB: each takes about a page of the log.
ROW = "x" * 4000


@pytest.fixture
def file_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    with write_transaction(engine) as connection:
        connection.execute(text("CREATE TABLE filler (body TEXT)"))
    yield engine
    engine.dispose()


def _autocheckpoint(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


def _fill(engine: Engine, rows: int) -> None:
    for _ in range(rows // 100):
        with write_transaction(engine) as connection:
            connection.execute(text("INSERT INTO filler VALUES (:body)"), [{"body": ROW}] * 100)


def _log_pages(engine: Engine) -> int:
    database = engine.url.database
    assert database is not None
    return os.path.getsize(f"{database}-wal") // 4096


def test_commits_leave_the_log_to_the_checkpointer_and_it_copies_it_all(
    file_engine: Engine,
) -> None:
    checkpointer = WalCheckpointer(file_engine, every=3600)
    assert _autocheckpoint(file_engine) == 1000
    checkpointer.start()
    try:
        assert _autocheckpoint(file_engine) == 0
        _fill(file_engine, 3000)
        # no commit checkpointed: the log holds every page written
        assert _log_pages(file_engine) > 3000
        busy, frames, copied = checkpointer.checkpoint()
        assert (busy, copied) == (0, frames)
        assert frames > 3000
    finally:
        checkpointer.stop()
    assert _autocheckpoint(file_engine) == 1000


def test_the_thread_checkpoints_every_round(file_engine: Engine) -> None:
    database = Path(str(file_engine.url.database))
    checkpointer = WalCheckpointer(file_engine, every=0.05)
    checkpointer.start()
    try:
        before = database.stat().st_size
        _fill(file_engine, 500)
        deadline = time.monotonic() + 10
        # commits no longer checkpoint (above): only the thread copies the log's pages into
        # the database file
        while database.stat().st_size < before + 500 * 4000 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert database.stat().st_size >= before + 500 * 4000
    finally:
        checkpointer.stop()


def test_the_server_checkpoints_while_it_runs(file_engine: Engine) -> None:
    with TestClient(create_app(file_engine)) as client:
        assert client.get("/healthz").status_code == 200
        assert _autocheckpoint(file_engine) == 0
        # a second app on the same engine shares the checkpointer; leaving it stops nothing
        with TestClient(create_app(file_engine)) as other:
            assert other.get("/healthz").status_code == 200
        assert _autocheckpoint(file_engine) == 0
    assert _autocheckpoint(file_engine) == 1000


def test_only_sqlite_files_have_a_checkpointer(engine: Engine, file_engine: Engine) -> None:
    memory = open_store("sqlite://")
    assert not WalCheckpointer(memory).applies
    memory.dispose()
    assert WalCheckpointer(engine).applies == (engine.dialect.name == "sqlite")
    assert WalCheckpointer(file_engine).applies


def test_a_long_log_starts_over_once_the_readers_of_old_snapshots_are_done(
    file_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoints, "RESTART_FRAMES", 100)
    checkpointer = WalCheckpointer(file_engine, every=3600)
    checkpointer.start()
    try:
        _fill(file_engine, 300)
        reader = file_engine.connect()
        reader.exec_driver_sql("SELECT count(*) FROM filler").scalar_one()  # holds a snapshot
        _fill(file_engine, 300)  # newer than the reader's snapshot: a passive round stops there
        timer = threading.Timer(0.03, reader.close)  # the reader finishes meanwhile
        timer.start()
        checkpointer.round()
        timer.join()
        _fill(file_engine, 100)
        # the log started over: it holds only the last 100 rows' pages, not 700
        with file_engine.connect() as connection:
            frames = connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()[1]
        assert 0 < frames < 300
    finally:
        checkpointer.stop()
