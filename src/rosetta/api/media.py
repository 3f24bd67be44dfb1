"""Serving a stream's media: local files inside the media roots and allow-listed remote
files (proxied through fsspec), with byte ranges and conditional GET.

Local files go out through Starlette's `FileResponse` (``Accept-Ranges``, ``ETag`` and
``Last-Modified`` from the file's status, 206 for one range and ``multipart/byteranges``
for several, 416 with ``Content-Range: bytes */size``, ``If-Range``), with the ``Range``
header read by `rosetta.api.ranges` as RFC 9110 asks. Remote files are read by range in
chunks, never whole, with the same headers. Both answer 304 to a matching
``If-None-Match`` or ``If-Modified-Since``, and HEAD. Which URIs may be read at all is
`rosetta.services.media_access`'s decision.

Every media response is ``Cache-Control: private`` (it needs credentials), ``nosniff``,
and sandboxed by its ``Content-Security-Policy`` should someone open it as a page.

A request is authorised as any other (a session or an API token of someone who may read
the stream's sample), or by a media grant in the query, ``?grant=<token>``: what a
proposer outside the server fetches the stream with (`rosetta.services.media_grants`).
A grant opens this stream's media and nothing else.
"""

import secrets
from collections.abc import Iterator
from email.utils import formatdate
from itertools import chain
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from sqlalchemy import Connection
from starlette.datastructures import Headers
from starlette.staticfiles import NotModifiedResponse

from rosetta.api.auth import current_principal, policy, sample_access, stream_access
from rosetta.api.deps import Db, on_loop
from rosetta.api.ranges import RangeNotSatisfiable, not_modified, parse_range, range_applies
from rosetta.core.errors import NotFoundError, PermissionDenied
from rosetta.core.policies import Principal
from rosetta.core.schema import Stream
from rosetta.services.catalog import find_stream
from rosetta.services.media_access import (
    LocalMedia,
    RemoteFile,
    content_type,
    locate,
    open_remote,
)
from rosetta.services.media_grants import Grant, resolve
from rosetta.services.settings import Settings

router = APIRouter()

#: Headers of every media response.
MEDIA_HEADERS = {
    "cache-control": "private",
    "x-content-type-options": "nosniff",
    "content-security-policy": "sandbox",
}
_OCTETS = "application/octet-stream"
_RESPONSES: dict[int | str, dict[str, str]] = {
    200: {"description": "The whole file."},
    206: {"description": "The requested byte range (or ranges, as multipart/byteranges)."},
    304: {"description": "Not modified since the ETag or date the request names."},
    401: {"description": "No credentials, or a media grant that is unknown or expired."},
    403: {
        "description": "The file lies outside the media roots or remote prefixes, or the "
        "media grant is for another stream or its granter can no longer read the sample."
    },
    416: {"description": "No requested range overlaps the file."},
}


async def media_reader(
    request: Request,
    db: Db,
    stream_id: str,
    grant: Annotated[
        str | None,
        Query(description="A media grant for this stream, instead of a session or token."),
    ] = None,
) -> Principal | Grant:
    """Who reads stream `stream_id`'s media: the media grant the request carries
    (`rosetta.services.media_grants.resolve`: 401 unknown or expired, 403 for another
    stream), else the person asking (401 without credentials)."""
    if grant is None:
        return await current_principal(request, db)
    if on_loop(request.app.state.engine):
        return resolve(db, grant, stream_id)
    return await anyio.to_thread.run_sync(resolve, db, grant, stream_id)


#: The person or the media grant reading a stream's media.
MediaReader = Annotated[Principal | Grant, Depends(media_reader)]


@router.get(
    "/media/{stream_id}",
    response_class=Response,
    responses=_RESPONSES,
    openapi_extra=policy("annotator"),
)
def media(request: Request, db: Db, reader: MediaReader, stream_id: str) -> Response:
    """The media file of stream `stream_id` (``Range: bytes=…`` answers 206 with those
    bytes; ``If-None-Match``/``If-Modified-Since`` may answer 304), to someone who may
    read its sample or with a media grant for it (``?grant=``)."""
    _authorise(db, reader, stream_id)
    return _serve(request, find_stream(db, stream_id))


@router.head(
    "/media/{stream_id}",
    response_class=Response,
    responses=_RESPONSES,
    openapi_extra=policy("annotator"),
)
def media_head(request: Request, db: Db, reader: MediaReader, stream_id: str) -> Response:
    """The headers `media` would answer, without the body."""
    _authorise(db, reader, stream_id)
    return _serve(request, find_stream(db, stream_id))


def _authorise(db: Connection, reader: Principal | Grant, stream_id: str) -> None:
    """A person must be able to read the stream's sample (404 otherwise). A grant was
    checked for this stream when it was resolved; the user who made it must still be able
    to read the sample (403 otherwise: removed from the project or unassigned since)."""
    if isinstance(reader, Principal):
        stream_access(db, reader, stream_id)
        return
    if reader.granter is None:
        return
    try:
        sample_access(db, reader.granter, reader.sample_id)
    except NotFoundError:
        raise PermissionDenied(
            "read",
            f"stream {stream_id!r} with a grant whose granter can no longer read its sample",
        ) from None


def _serve(request: Request, stream: Stream) -> Response:
    if stream.uri is None:
        raise NotFoundError("media file for stream", stream.id)
    settings: Settings = request.app.state.settings
    found = locate(stream.uri, settings)
    mime = content_type(stream.uri, stream.media.mime)
    if isinstance(found, LocalMedia):
        return _local(request, found.path, mime)
    remote = open_remote(found)
    try:
        return _remote(request, remote, mime or remote.mime or _OCTETS)
    except BaseException:
        remote.close()
        raise


class MediaFileResponse(FileResponse):
    """Starlette's `FileResponse` with the ``Range`` header read by `parse_range`.

    Starlette answers 400 to a header it cannot read and 416 when any range starts past
    the end; RFC 9110 asks to ignore the former and to serve the satisfiable ranges.
    """

    @classmethod
    def _parse_range_header(cls, http_range: str, file_size: int) -> list[tuple[int, int]]:
        return parse_range(http_range, file_size) or []


def _local(request: Request, path: Path, mime: str | None) -> Response:
    try:
        status = path.stat()
    except FileNotFoundError:
        raise NotFoundError("media file", str(path)) from None
    response = MediaFileResponse(
        path, media_type=mime or _OCTETS, headers=MEDIA_HEADERS, stat_result=status
    )
    if not_modified(request.headers, response.headers["etag"], response.headers["last-modified"]):
        return NotModifiedResponse(response.headers)
    return response


def _remote(request: Request, remote: RemoteFile, mime: str) -> Response:
    """The response for an open remote file; the file is closed once the body is sent."""
    headers = dict(MEDIA_HEADERS)
    if remote.etag is not None:
        headers["etag"] = remote.etag
    if remote.last_modified is not None:
        headers["last-modified"] = formatdate(remote.last_modified, usegmt=True)
    etag, modified = headers.get("etag"), headers.get("last-modified")
    if not_modified(request.headers, etag, modified):
        remote.close()
        return NotModifiedResponse(Headers(headers))
    size = remote.size
    headers["accept-ranges"] = "none" if size is None else "bytes"
    ranges = None
    if size is not None and range_applies(request.headers, etag, modified):
        try:
            ranges = parse_range(request.headers.get("range"), size)
        except RangeNotSatisfiable:
            remote.close()
            return Response(status_code=416, headers={"content-range": f"bytes */{size}"})
    status, parts, tail = 200, [(b"", 0, size)], b""
    headers["content-type"] = mime
    if ranges is not None and len(ranges) == 1:
        ((start, end),) = ranges
        status, parts = 206, [(b"", start, end)]
        headers["content-range"] = f"bytes {start}-{end - 1}/{size}"
    elif ranges is not None:
        boundary = secrets.token_hex(13)
        status, tail = 206, f"--{boundary}--".encode("latin-1")
        parts = [
            (_part_head(boundary, mime, start, end, size), start, end) for start, end in ranges
        ]
        headers["content-type"] = f"multipart/byteranges; boundary={boundary}"
    length = _length(parts, tail)
    if length is not None:
        headers["content-length"] = str(length)
    if request.method == "HEAD":
        remote.close()
        return Response(status_code=status, headers=headers)
    return StreamingResponse(_primed(_stream(remote, parts, tail)), status, headers)


#: What a remote body sends: for each part its multipart head (empty for a single part)
#: and its byte range (end ``None``: to the end of a file of unknown size).
_Parts = list[tuple[bytes, int, int | None]]


def _part_head(boundary: str, mime: str, start: int, end: int, size: int | None) -> bytes:
    return (
        f"--{boundary}\r\nContent-Type: {mime}\r\n"
        f"Content-Range: bytes {start}-{end - 1}/{size}\r\n\r\n"
    ).encode("latin-1")


def _length(parts: _Parts, tail: bytes) -> int | None:
    length = len(tail)
    for head, start, end in parts:
        if end is None:
            return None
        length += end - start + (len(head) + 2 if head else 0)
    return length


def _stream(remote: RemoteFile, parts: _Parts, tail: bytes) -> Iterator[bytes]:
    try:
        for head, start, end in parts:
            if head:
                yield head
            yield from remote.chunks(start, end)
            if head:
                yield b"\r\n"
        if tail:
            yield tail
    finally:
        remote.close()


def _primed(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """`chunks` with the first one read now, so that a store that cannot be read answers
    with an error response rather than a cut-off body."""
    first = next(chunks, None)
    return chain(() if first is None else (first,), chunks)
