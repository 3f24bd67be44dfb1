"""Request bodies decoded with orjson: routes whose bodies are large (a whole sample's work)
spend most of their request time in the standard library's JSON decoder otherwise.

`OrjsonRoute` is FastAPI's documented custom route class pattern: the handler gets a
request whose ``json()`` is orjson's. Invalid JSON is still the usual 422: orjson's
decode error is a `json.JSONDecodeError`. Unlike the standard decoder it refuses ``NaN``
and ``Infinity``, which are not JSON.
"""

from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute


class OrjsonRequest(Request):
    """A request whose JSON body orjson decodes."""

    async def json(self) -> Any:
        """The body's JSON value (decoded once)."""
        if not hasattr(self, "_json"):
            self._json = orjson.loads(await self.body())
        return self._json


class OrjsonRoute(APIRoute):
    """A route whose handler reads JSON bodies with orjson (`OrjsonRequest`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The default handler, given an `OrjsonRequest`."""
        handler = super().get_route_handler()

        async def decode_with_orjson(request: Request) -> Response:
            return await handler(OrjsonRequest(request.scope, request.receive))

        return decode_with_orjson
