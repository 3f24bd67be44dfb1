"""How large a request body may be: at most ``ROSETTA_MAX_BODY_BYTES``, counted while it
streams in, so a larger one is refused (413) without being held in memory.

A body that declares a larger ``Content-Length`` is answered before the app sees the
request; one sent in chunks is counted as the app reads it, and reading past the limit
raises `BodyTooLarge`. Uploads (`UPLOAD_PATHS`: native and foreign-format imports) are
streamed to disk by `rosetta.api.job_routes.receive_upload` under their own, larger
limit, ``ROSETTA_MAX_UPLOAD_BYTES``.

FastAPI's own ``max_body_size`` is not used: its refusal is plain text or ``{"detail"}``
rather than the one error shape, and a route's limit is fixed when the route is declared,
not by the server's settings.
"""

import re
from typing import Final

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rosetta.api.errors import BodyTooLarge, too_large

#: Paths whose bodies are uploads, limited by ``ROSETTA_MAX_UPLOAD_BYTES`` instead.
UPLOAD_PATHS: Final = re.compile(r"/api/projects/[^/]+/(imports|format-imports)")


class BodyLimit:
    """ASGI middleware refusing request bodies over `limit` bytes, except on uploads."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or UPLOAD_PATHS.fullmatch(scope["path"]):
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            await too_large(BodyTooLarge(self.limit))(scope, receive, send)
            return
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive: Receive) -> Receive:
        """`receive`, raising `BodyTooLarge` once more than the limit has come in."""
        size = 0

        async def counted() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        return counted
