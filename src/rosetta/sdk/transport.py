"""HTTP to one Rosetta server: its address, the credentials sent with every request, JSON
in and out, revisions in ``ETag``/``If-Match``, and error answers raised as domain errors
(`rosetta.sdk.errors`)."""

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter

from rosetta import __version__
from rosetta.core.errors import RosettaError
from rosetta.sdk.errors import raise_for_error

T = TypeVar("T")

#: Query parameters: ``None`` values are left out.
Params = Mapping[str, str | int | float | bool | None]

CSRF_HEADER = "X-CSRF-Token"

#: Bytes read or written at a time when uploading and downloading files.
CHUNK = 1 << 20

_ETAG = re.compile(r'^\s*(?:W/)?"(\d+)"\s*$')


def segment(value: str) -> str:
    """`value` as one path segment, percent-encoded (a space, ``?``, ``#`` or ``%`` in an
    id or name stays part of it)."""
    return quote(value, safe="")


def if_match(revision: int) -> dict[str, str]:
    """The ``If-Match`` header of a write based on `revision`."""
    return {"If-Match": f'"{revision}"'}


def revision_of(response: httpx.Response) -> int:
    """The revision the response's ``ETag: "<n>"`` names."""
    found = _ETAG.match(response.headers.get("ETag", ""))
    if found is None:
        raise RosettaError(
            f"{response.request.method} {response.request.url} answered without the "
            f"revision in ETag (got {response.headers.get('ETag')!r})"
        )
    return int(found.group(1))


class Transport:
    """One connection pool to a server at `url` (no trailing slash), authenticated by the
    API `token` when given (``Authorization: Bearer``)."""

    def __init__(self, url: str, token: str | None, *, timeout: float) -> None:
        self.url = url.rstrip("/")
        headers = {"User-Agent": f"rosetta-sdk/{__version__}", "Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        #: the underlying client, for requests the SDK has no method for
        self.http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        content: Iterable[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send a request (`json` as the body, or the raw `content` streamed); the answer,
        or its domain error raised."""
        query = {key: value for key, value in (params or {}).items() if value is not None}
        response = self.http.request(
            method, path, params=query, json=json, content=content, headers=headers
        )
        raise_for_error(response)
        return response

    def parse(self, model: TypeAdapter[T], method: str, path: str, **kwargs: Any) -> T:
        """Send a request (as `request`) and parse its JSON answer as `model`."""
        return model.validate_json(self.request(method, path, **kwargs).content)

    def download(self, path: str, target: Path, *, size: int | None = None) -> Path:
        """GET `path` and stream its body into the file `target` in chunks, under a
        ``.part`` name renamed once complete (`size`: the bytes to expect); `target`."""
        part = target.with_name(target.name + ".part")
        try:
            with self.http.stream("GET", path) as response:
                if not response.is_success:
                    response.read()
                    raise_for_error(response)
                with part.open("wb") as handle:
                    for chunk in response.iter_bytes(CHUNK):
                        handle.write(chunk)
            written = part.stat().st_size
            if size is not None and written != size:
                raise RosettaError(f"{path}: expected {size} bytes, got {written}")
            part.replace(target)
        finally:
            part.unlink(missing_ok=True)
        return target

    def use_csrf_token(self, token: str) -> None:
        """Send `token` in ``X-CSRF-Token`` with every request (a browser session's)."""
        self.http.headers[CSRF_HEADER] = token

    def close(self) -> None:
        """Close the connections."""
        self.http.close()


class MethodGroup:
    """Base of the client's groups of methods (accounts, projects, samples, work, jobs),
    which share the client's one `Transport`."""

    _http: Transport
