"""Checkpoints of an SQLite write-ahead log off the request path, for a server process.

By default SQLite checkpoints when a commit leaves the log over 1,000 pages: that commit
copies the log into the database and syncs both files while it still holds the write
lock, so one submission in a few dozen takes tens of milliseconds longer and every writer
queued behind it waits as long. `WalCheckpointer` turns the automatic checkpoints off on
the engine's connections and runs a ``PASSIVE`` checkpoint on a thread of its own every
`every` seconds instead, which blocks neither readers nor writers (it copies what no
reader still needs; the rest waits for the next round).

A passive checkpoint never lets the log start over while readers come and go without
pause (each holds a snapshot inside it), so under steady load the log grows without end
(160 MB in a minute of eight clients submitting), and every read gets slower searching
it. So when the log holds more than `RESTART_FRAMES` pages after the passive round, a
``RESTART`` checkpoint follows: it waits (at most `RESTART_WAIT_MS`) for the readers of
old snapshots to finish, holding new writers back meanwhile, so that the next writer
starts the log from its beginning. The passive round has copied nearly everything by
then, so the pause is short. PostgreSQL engines are left as they are. Apps sharing an
engine share its checkpointer (`checkpoint_while_serving`).
"""

import logging
import threading
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError

from rosetta.store.engine import BUSY_TIMEOUT_MS

_log = logging.getLogger(__name__)

#: Seconds between two checkpoints.
EVERY = 1.0
#: Pages the log may hold after a passive checkpoint before a restart follows (16 MB).
RESTART_FRAMES = 4000
#: How long a restart waits for readers (and for the writer) before giving up this round.
RESTART_WAIT_MS = 100


def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")


class WalCheckpointer:
    """Checkpoints the log of `engine`'s SQLite database on a daemon thread between
    `start` and `stop` (see the module)."""

    def __init__(self, engine: Engine, every: float = EVERY) -> None:
        self._engine = engine
        self._every = every
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def applies(self) -> bool:
        """Whether the engine is an SQLite file (the others are left alone)."""
        url = self._engine.url
        return url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")

    def start(self) -> None:
        """Turn the automatic checkpoints off (pooled connections are replaced) and start
        checkpointing in the background."""
        if not self.applies or self._thread is not None:
            return
        event.listen(self._engine, "connect", _no_autocheckpoint)
        self._engine.dispose()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoints", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread after one last checkpoint, and give commits their automatic
        checkpoints back."""
        if self._thread is None:
            return
        self._stopped.set()
        self._thread.join()
        self._thread = None
        event.remove(self._engine, "connect", _no_autocheckpoint)
        self._engine.dispose()

    def checkpoint(self, mode: str = "PASSIVE") -> tuple[int, int, int]:
        """One checkpoint (``PASSIVE``, or ``RESTART`` waiting at most `RESTART_WAIT_MS`
        for readers): SQLite's (busy, frames in the log, frames copied)."""
        waits = mode != "PASSIVE"
        connection = self._engine.raw_connection()
        try:
            cursor = connection.cursor()
            if waits:
                cursor.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
            try:
                row = cursor.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
            finally:
                if waits:
                    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                cursor.close()
        finally:
            connection.close()
        busy, frames, copied = row
        return int(busy), int(frames), int(copied)

    def round(self) -> None:
        """A passive checkpoint, then a restart when the log is still long (see the module)."""
        _, frames, _ = self.checkpoint()
        if frames > RESTART_FRAMES:
            self.checkpoint("RESTART")

    def _run(self) -> None:
        while True:
            stopping = self._stopped.wait(self._every)
            try:
                self.round()
            except DBAPIError:  # the next round tries again; commits lose nothing meanwhile
                _log.exception("checkpoint of %s failed", self._engine.url.database)
            if stopping:
                return


#: The running checkpointer of each engine and how many apps use it.
_SHARED: "WeakKeyDictionary[Engine, tuple[WalCheckpointer, int]]" = WeakKeyDictionary()
_SHARED_LOCK = threading.Lock()


def checkpoint_while_serving(engine: Engine) -> Callable[[], None]:
    """Start checkpointing `engine`'s log in the background unless an app serving it does
    already; the function that ends this app's use of it (the last one stops it)."""
    with _SHARED_LOCK:
        checkpointer, users = _SHARED.get(engine, (None, 0))
        if checkpointer is None:
            checkpointer = WalCheckpointer(engine)
            checkpointer.start()
        _SHARED[engine] = (checkpointer, users + 1)

    def release() -> None:
        with _SHARED_LOCK:
            running, left = _SHARED[engine]
            if left > 1:
                _SHARED[engine] = (running, left - 1)
                return
            del _SHARED[engine]
        running.stop()

    return release
