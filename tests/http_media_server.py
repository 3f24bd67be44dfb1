"""A real HTTP server on loopback serving a folder, with single byte ranges and optional
redirects, that records every request it gets and how many body bytes it sent: the remote
store of the media tests.

Python's `http.server` knows no ``Range``; this handler adds the one-range case.
"""

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


@dataclass
class Seen:
    """What the server was asked and what it sent."""

    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    bytes_sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True)
class MediaServer:
    """A running server: its base URL (ending in ``/``) and what it has seen."""

    url: str
    seen: Seen


class _Handler(SimpleHTTPRequestHandler):
    seen: Seen

    def __init__(self, *args: Any, seen: Seen, redirects: dict[str, str], **kwargs: Any) -> None:
        self.seen = seen
        self.redirects = redirects
        super().__init__(*args, **kwargs)

    def _redirected(self) -> bool:
        location = self.redirects.get(self.path)
        if location is not None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()
        return location is not None

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the tests read `seen`, not the log

    def _record(self) -> None:
        with self.seen.lock:
            self.seen.requests.append((self.command, self.path, self.headers.get("Range")))

    def do_HEAD(self) -> None:
        self._record()
        if not self._redirected():
            super().do_HEAD()

    def do_GET(self) -> None:
        self._record()
        if self._redirected():
            return
        wanted = _RANGE.fullmatch(self.headers.get("Range", ""))
        path = Path(self.translate_path(self.path))
        if wanted is None or not path.is_file():
            super().do_GET()
            return
        size = path.stat().st_size
        first, last = wanted.groups()
        start = int(first) if first else size - int(last)
        end = min(int(last) + 1, size) if first and last else size
        if start >= size:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
        self.send_header("Content-Length", str(end - start))
        self.end_headers()
        with path.open("rb") as handle:
            handle.seek(start)
            left = end - start
            while left:
                chunk = handle.read(min(left, 1 << 16))
                self._count(chunk)
                self.wfile.write(chunk)
                left -= len(chunk)

    def copyfile(self, source: Any, outputfile: Any) -> None:
        """The whole-file answer, counted."""
        while chunk := source.read(1 << 16):
            self._count(chunk)
            outputfile.write(chunk)

    def _count(self, chunk: bytes) -> None:
        """Count `chunk` before it is sent, so a client that has it finds it counted."""
        with self.seen.lock:
            self.seen.bytes_sent += len(chunk)


@contextmanager
def serve_folder(folder: Path, redirects: dict[str, str] | None = None) -> Iterator[MediaServer]:
    """Serve `folder` on ``127.0.0.1`` (a free port) in a thread for the ``with`` block;
    a path in `redirects` answers 302 to its location (``{base}`` is the server's URL)."""
    seen = Seen()
    targets = dict(redirects or {})
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0),
        partial(_Handler, seen=seen, redirects=targets, directory=str(folder)),
    )
    host, port = server.server_address[:2]
    base = f"http://{host!s}:{port}/"
    targets.update({path: location.format(base=base) for path, location in targets.items()})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield MediaServer(base, seen)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
