"""Where a stream's media may be read from: the one place that turns a stream URI into
something readable, and refuses everything else.

* A path or a ``file://`` URI is local. It is read only when its real path (symbolic links
  and ``..`` resolved) lies inside a folder of ``ROSETTA_MEDIA_ROOTS``; a relative path is
  looked up in each of those folders in turn. With no folder configured nothing local is
  read.
* A URI with another scheme (``s3://``, ``gs://``, ``https://``, ``memory://``: any fsspec
  URL) is remote. It is read through fsspec only when it lies under a prefix of
  ``ROSETTA_REMOTE_MEDIA`` (same scheme and host or bucket, and a path below the prefix's,
  with no ``.`` or ``..`` segments). The check reads the text of the URI alone, so a
  refused URI never causes a request. Chained fsspec URLs (``a::b``) are never read.

A refused URI raises `PermissionDenied` naming the URI and the setting that would allow it;
a permitted one that names nothing raises `NotFoundError`. Services that read a stream's
file for the server (probing, media preparation, alignment, imports) take it from
`stream_media_file`, which names the stream in those errors.
"""

import hashlib
import mimetypes
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import fsspec

from rosetta.core.errors import NotFoundError, PermissionDenied, RosettaError
from rosetta.media.paths import exists, is_file
from rosetta.media.probe import local_path
from rosetta.services.settings import Settings

#: Bytes read from a remote file per request to its store.
REMOTE_CHUNK = 1 << 20

#: Content types of media files by extension; any other extension asks `mimetypes`.
MEDIA_TYPES = {
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".m4a": "audio/mp4",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
    ".mov": "video/quicktime",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".csv": "text/csv",
    ".txt": "text/plain",
    ".json": "application/json",
}
#: Other names of the same content types, mapped to the one that is sent.
_ALIASES = {
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/vnd.wave": "audio/wav",
    "audio/x-flac": "audio/flac",
}
_CONTENT_TYPE = re.compile(
    r"[A-Za-z0-9][\w.+-]*/[\w.+-]+(;[ \t]*[\w.+-]+=(?:[\w.+-]+|\"[^\"\r\n]*\"))*", re.ASCII
)
_LOCAL_PROTOCOLS = frozenset({"file", "local"})
_T = TypeVar("_T")


@dataclass(frozen=True)
class LocalMedia:
    """A local media file: its real path, inside one of the media roots."""

    uri: str
    path: Path


@dataclass(frozen=True)
class RemoteMedia:
    """Remote media under an allow-listed prefix (nothing fetched yet)."""

    uri: str
    prefix: str


def locate(
    uri: str, settings: Settings, *, stream_id: str | None = None
) -> LocalMedia | RemoteMedia:
    """Where the media at `uri` may be read, under `settings`; never touches the network.

    Raises `PermissionDenied` when the settings do not allow reading it and
    `NotFoundError` when a local path they allow names no file; both name the stream
    `stream_id` when given.
    """
    if "\x00" in uri:
        raise RosettaError(f"media URI {uri!r} holds a NUL character")
    scheme = urlsplit(uri).scheme.lower()
    if len(scheme) > 1 and scheme != "file":
        return _remote(uri, settings)
    file = _LocalFile(uri, stream_id)
    path = local_path(uri)
    if path.is_absolute():
        return _local([path], file, settings)
    return _local([root / path for root in settings.media_roots], file, settings)


def local_media_path(uri: str, settings: Settings, *, stream_id: str | None = None) -> Path:
    """The real path of the local media file at `uri`, for readers that need a file.

    Raises `PermissionDenied` as `locate` does, and `RosettaError` for remote media.
    """
    found = locate(uri, settings, stream_id=stream_id)
    if isinstance(found, RemoteMedia):
        where = "" if stream_id is None else f" (the media of stream {stream_id!r})"
        raise RosettaError(f"{uri}{where}: remote media cannot be read here, only local files")
    return found.path


def stream_media_file(stream_id: str, uri: str, settings: Settings | None) -> Path:
    """The local file of stream `stream_id` (at `uri`), for a service that reads it.

    With `settings` (the server and its jobs) the file must lie inside the media roots
    (`local_media_path`); a `PermissionDenied` or `NotFoundError` names the stream and
    the path. Without (the command line and the demo, which read the files of the person
    running them) it is the file the URI names, wherever it is, and need not exist.
    """
    if settings is None:
        return local_path(uri)
    return local_media_path(uri, settings, stream_id=stream_id)


def content_type(uri: str, declared: str | None) -> str | None:
    """The content type to send for the media at `uri`: the stream's declared MIME type
    when it is a well-formed one, else the one its extension implies (``None``: unknown).
    """
    if declared and _CONTENT_TYPE.fullmatch(declared.strip()):
        kind, _, parameters = declared.strip().partition(";")
        kind = _ALIASES.get(kind.lower(), kind.lower())
        return f"{kind};{parameters}" if parameters else kind
    name = PurePosixPath(unquote(urlsplit(uri).path) if "://" in uri else uri).name
    suffix = PurePosixPath(name).suffix.lower()
    guessed = MEDIA_TYPES.get(suffix) or mimetypes.guess_type(name, strict=False)[0]
    return _ALIASES.get(guessed, guessed) if guessed else None


@dataclass(frozen=True)
class _LocalFile:
    """The local media file asked for, to name it in errors: its URI and its stream."""

    uri: str
    stream_id: str | None

    def __str__(self) -> str:
        of = "" if self.stream_id is None else f" of stream {self.stream_id!r}"
        return f"the local media file {self.uri!r}{of}"


def _refused_local(file: _LocalFile) -> PermissionDenied:
    return PermissionDenied(
        "read",
        f"{file}: it lies outside every folder of ROSETTA_MEDIA_ROOTS (symbolic links and "
        "'..' resolved); add its folder to ROSETTA_MEDIA_ROOTS to serve it",
    )


def _local(candidates: list[Path], file: _LocalFile, settings: Settings) -> LocalMedia:
    """The first candidate that is a file inside a root; refused when the first one that
    exists lies outside every root."""
    if not settings.media_roots:
        raise PermissionDenied(
            "read",
            f"{file}: no media folders are configured; set ROSETTA_MEDIA_ROOTS to the "
            "folders local media may be served from",
        )
    roots = [_real(root) for root in settings.media_roots]
    inside = False
    for candidate in candidates:
        real = _real(candidate)
        if any(real.is_relative_to(root) for root in roots):
            inside = True
            if is_file(real):
                return LocalMedia(file.uri, real)
        elif exists(real):
            raise _refused_local(file)
    if not inside:
        raise _refused_local(file)
    kind = "media file" if file.stream_id is None else f"media file of stream {file.stream_id!r}"
    raise NotFoundError(kind, file.uri)


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError) as exc:  # a symbolic link loop (RuntimeError on 3.11)
        raise NotFoundError("media file", f"{path} ({exc})") from None


def _remote(uri: str, settings: Settings) -> RemoteMedia:
    if "::" in uri:
        raise PermissionDenied(
            "fetch",
            f"the remote media {uri!r}: chained fsspec URLs ('::') are never fetched",
        )
    target = urlsplit(uri)
    if target.scheme.lower() in _LOCAL_PROTOCOLS:
        raise _refused_local(_LocalFile(uri, None))
    segments = re.split(r"[/\\]", unquote(target.path))
    if any(segment in (".", "..") for segment in segments):
        raise PermissionDenied(
            "fetch", f"the remote media {uri!r}: its path has '.' or '..' segments"
        )
    for prefix in settings.remote_media:
        allowed = urlsplit(prefix)
        if (
            target.scheme.lower() == allowed.scheme.lower()
            and target.netloc.lower() == allowed.netloc.lower()
            and _below(target.path, allowed.path)
        ):
            return RemoteMedia(uri, prefix)
    raise PermissionDenied(
        "fetch",
        f"the remote media {uri!r}: it is under no prefix of ROSETTA_REMOTE_MEDIA; add its "
        "URL prefix there to serve it",
    )


def _below(path: str, base: str) -> bool:
    if base in ("", "/") or base.endswith("/"):
        return path.startswith(base)
    return path == base or path.startswith(base + "/")


class RemoteFile:
    """An allow-listed remote media file: its size and validators, read by byte range.

    Made by `open_remote`; the file itself is opened at the first read and read in chunks
    of `REMOTE_CHUNK` bytes, never whole. Close it when done.
    """

    def __init__(self, uri: str, fs: Any, path: str, info: dict[str, Any], **opening: Any) -> None:
        self.uri = uri
        size = info.get("size")
        #: Bytes in the file; ``None`` when the store does not say.
        self.size: int | None = size if isinstance(size, int) else None
        #: Modification time (seconds since the epoch), when the store keeps one.
        self.last_modified = _modified(info)
        stamp = info.get("ETag") or info.get("etag") or info.get("md5Hash")
        #: A strong validator of this version of the file, when the store gives one.
        self.etag: str | None = None
        if stamp is not None or self.last_modified is not None:
            version = f"{uri}\n{self.size}\n{stamp}\n{self.last_modified}"
            self.etag = f'"{hashlib.sha256(version.encode()).hexdigest()[:32]}"'
        mime = info.get("mimetype") or info.get("ContentType") or info.get("contentType")
        #: The content type the store reports.
        self.mime: str | None = mime if isinstance(mime, str) else None
        self._fs = fs
        self._path = path
        self._opening = opening
        self._handle: Any = None

    def chunks(self, start: int, end: int | None) -> Iterator[bytes]:
        """Bytes `start` … `end` (exclusive; ``None``: to the end) in chunks."""
        position = start
        while end is None or position < end:
            want = REMOTE_CHUNK if end is None else min(REMOTE_CHUNK, end - position)
            chunk = _reading(self.uri, partial(self._read, position, want))
            if not chunk:
                if end is not None:
                    raise RosettaError(
                        f"{self.uri}: the remote file ended at byte {position}, before byte {end}"
                    )
                return
            position += len(chunk)
            yield chunk

    def _read(self, position: int, size: int) -> bytes:
        if self._handle is None:
            self._handle = self._fs.open(
                self._path, "rb", block_size=REMOTE_CHUNK, cache_type="none", **self._opening
            )
        if self._handle.tell() != position:
            self._handle.seek(position)
        data: bytes = self._handle.read(size)
        return data

    def close(self) -> None:
        """Close the remote file if it was opened."""
        if self._handle is not None:
            handle, self._handle = self._handle, None
            handle.close()


def open_remote(media: RemoteMedia) -> RemoteFile:
    """The remote file at `media` with its size and validators (one metadata request).

    Raises `NotFoundError` when the store has no such file, `PermissionDenied` when an
    HTTP server redirects (redirects are never followed: the target was not checked
    against the allow-list), and `RosettaError` when it cannot be reached or read.
    """
    http = urlsplit(media.uri).scheme.lower() in ("http", "https")
    options = {"get_client": _http_client} if http else {}
    fs, path = _reading(media.uri, lambda: fsspec.core.url_to_fs(media.uri, **options))
    info: dict[str, Any] = _reading(media.uri, lambda: fs.info(path))
    if info.get("type", "file") != "file":
        raise NotFoundError("media file", media.uri)
    # fsspec's HTTP files ask for the size again unless given it
    opening = {"size": info["size"]} if http and info.get("size") else {}
    return RemoteFile(media.uri, fs, path, info, **opening)


async def _http_client(**kwargs: Any) -> Any:
    """fsspec's HTTP client, refusing to follow redirects."""
    import aiohttp

    trace = aiohttp.TraceConfig()
    trace.on_request_redirect.append(_refuse_redirect)
    return aiohttp.ClientSession(trace_configs=[trace], **kwargs)


async def _refuse_redirect(_session: Any, _context: Any, params: Any) -> None:
    location = params.response.headers.get("Location")
    params.response.close()
    raise PermissionDenied(
        "follow",
        f"the redirect of {params.url} to {location}: remote media is read from "
        "allow-listed URLs only, never through redirects",
    )


def _reading(uri: str, read: Callable[[], _T]) -> _T:
    """`read()`, with whatever the remote store raises turned into a domain error."""
    try:
        return read()
    except Exception as exc:  # each fsspec store raises errors of its own
        ours = _ours(exc)
        if ours is not None:  # a refused redirect, perhaps wrapped by the store
            raise ours from None
        if isinstance(exc, FileNotFoundError):
            raise NotFoundError("media file", uri) from None
        raise RosettaError(f"{uri}: the remote store failed: {type(exc).__name__}: {exc}") from exc


def _ours(exc: BaseException | None) -> RosettaError | None:
    """The domain error `exc` is or was raised from, if any."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, RosettaError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _modified(info: dict[str, Any]) -> float | None:
    """The modification time in `info` (fsspec stores name and type it differently)."""
    for key in ("mtime", "LastModified", "last_modified", "Last-Modified", "updated", "created"):
        value = info.get(key)
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return parsedate_to_datetime(value).timestamp()
            except (TypeError, ValueError):
                try:
                    return datetime.fromisoformat(value).timestamp()
                except ValueError:
                    continue
    return None
