"""The HTTP client of the load benchmarks: one keep-alive connection (the standard
library's ``http.client``), bodies as bytes and JSON by orjson.

The benchmarks' clients run on the machine that runs the server, so what a client spends
on a request is taken from the server: ``httpx`` with the standard ``json`` took about
2 ms of CPU a 200-annotation submission (writing the body, parsing the answer), which
on two cores shared by eight clients was a good part of each figure. A server's clients
are not on its machine; these keep their share small, so that the figures are the
server's.
"""

import http.client
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson


@dataclass(frozen=True)
class Reply:
    """A response: status, headers and the whole body."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return orjson.loads(self.body)


class LeanClient:
    """Requests to `base` (``http://host:port``) with `headers` on each, over one
    connection that is opened again when the server closed it (``Connection: close``) or a
    request failed."""

    def __init__(self, base: str, headers: dict[str, str], timeout: float = 120) -> None:
        parts = urlsplit(base)
        self.connection = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port, timeout=timeout
        )
        self.headers = headers

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> Reply:
        """Send a request and read the whole response (`OSError` or
        `http.client.HTTPException` when the connection fails)."""
        target = f"{path}?{urlencode(params)}" if params else path
        try:
            self.connection.request(
                method, target, body=body, headers={**self.headers, **(headers or {})}
            )
            response = self.connection.getresponse()
            return Reply(response.status, response.headers, response.read())
        except (OSError, http.client.HTTPException):
            self.connection.close()
            raise

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()
