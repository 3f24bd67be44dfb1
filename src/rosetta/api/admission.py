"""Admission control: at most as many requests in flight per process as the connection pool
can serve twice over, and on SQLite two.

A write request holds its read connection (`api.deps.Db`) while its service opens a write
transaction on a second one. With more requests in flight than half the pool, each can
hold one connection and wait for a second that never comes (SQLAlchemy's QueuePool would
time out after 30 s). Requests beyond the limit wait here, in the event loop, before they
take any connection, so the pool always has a second connection for each admitted one.
Media downloads (``/media/``) are not counted: they hold one connection at most and may
stream for long.

On SQLite the database works inside the process, so a request rarely waits for anything
but the interpreter lock: more threads at once only take turns with it, and the turns
cost. With 8 clients submitting 200-annotation samples at once, the server's CPU time per
submission was 14.9 ms with 7 requests in flight, 8.7 ms with 2 and 7.4 ms with 1
(`bench/bulk_submit.py`); two keeps one slow request from holding up the rest.
"""

import anyio
from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool
from starlette.types import ASGIApp, Receive, Scope, Send

#: Requests in flight when the pool has no fixed size (NullPool).
UNBOUNDED = 64
#: Requests in flight on SQLite.
SQLITE_LIMIT = 2


def in_flight_limit(engine: Engine) -> int:
    """How many requests may hold connections at once: half the pool's capacity, and on
    SQLite at most two."""
    pool = engine.pool
    limit = UNBOUNDED
    if isinstance(pool, QueuePool):
        limit = max(1, (pool.size() + pool._max_overflow) // 2)
    return min(limit, SQLITE_LIMIT) if engine.dialect.name == "sqlite" else limit


class AdmissionControl:
    """ASGI middleware admitting at most `limit` HTTP requests at a time."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.slots = anyio.Semaphore(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/media/"):
            await self.app(scope, receive, send)
            return
        async with self.slots:
            await self.app(scope, receive, send)
