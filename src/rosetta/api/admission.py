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

**Rebalancing.** The worker processes of ``rosetta serve --workers N`` share one listening
socket, and a client keeps its connection (HTTP keep-alive), so clients stay on the
process that happened to accept them: 8 clients on 2 processes were seen split 6 to 2 for
a whole run, the six waiting three times as long as the two. With `rebalance`, a process
that admits a request while as many others wait as it admits at once (with 2 at once: a
process holding 5 or more busy clients; 4 of 8 is its fair share) answers that request
with ``Connection: close``, at most every `REBALANCE_INTERVAL` seconds: that client's next
request opens a new connection, which the process free to accept it first (the less busy
one) most often takes. A balanced
server closes nothing; an overloaded one only a few connections a second.
"""

import time

import anyio
from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Requests in flight when the pool has no fixed size (NullPool, or no limit to overflow).
UNBOUNDED = 64
#: Requests in flight on SQLite.
SQLITE_LIMIT = 2
#: Seconds between two connections a saturated process closes to rebalance.
REBALANCE_INTERVAL = 0.1


def in_flight_limit(engine: Engine) -> int:
    """How many requests may hold connections at once: half the pool's capacity, and on
    SQLite at most two."""
    pool = engine.pool
    limit = UNBOUNDED
    if isinstance(pool, QueuePool) and pool._max_overflow >= 0:  # else: no fixed size
        limit = max(1, (pool.size() + pool._max_overflow) // 2)
    return min(limit, SQLITE_LIMIT) if engine.dialect.name == "sqlite" else limit


def _closing(send: Send) -> Send:
    """`send` with ``Connection: close`` added to the response's headers."""

    async def closing(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", ()), (b"connection", b"close")]
        await send(message)

    return closing


class AdmissionControl:
    """ASGI middleware admitting at most `limit` HTTP requests at a time; with `rebalance`,
    a process with as many waiting sends a client on (see the module)."""

    def __init__(self, app: ASGIApp, limit: int, rebalance: bool = False) -> None:
        self.app = app
        self.limit = limit
        self.slots = anyio.Semaphore(limit)
        self.rebalance = rebalance
        self.waiting = 0
        self.closed_at = -REBALANCE_INTERVAL

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/media/"):
            await self.app(scope, receive, send)
            return
        self.waiting += 1
        try:
            await self.slots.acquire()
        finally:
            self.waiting -= 1
        try:
            await self.app(scope, receive, _closing(send) if self._sends_on() else send)
        finally:
            self.slots.release()

    def _sends_on(self) -> bool:
        """Whether to close this request's connection after it (see the module)."""
        now = time.monotonic()
        if not self.rebalance or self.waiting < self.limit:
            return False
        if now - self.closed_at < REBALANCE_INTERVAL:
            return False
        self.closed_at = now
        return True
