"""UTF-8 text files of the line-based formats (YOLO and KITTI label files, image lists,
class names, ``data.yaml``) read so that a byte that is not UTF-8 is an `ImportFailed`
naming the file and the line, not Python's `UnicodeDecodeError`, which names neither."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from rosetta.core.errors import ImportFailed


@contextmanager
def utf8_lines(path: Path) -> Iterator[TextIO]:
    """The file at `path` opened as UTF-8 text (read it in the ``with`` block)."""
    with path.open(encoding="utf-8") as handle:
        try:
            yield handle
        except UnicodeDecodeError:
            raise not_utf8(path) from None


def read_utf8(path: Path) -> str:
    """The text of the UTF-8 file at `path`."""
    with utf8_lines(path) as handle:
        return handle.read()


def not_utf8(path: Path) -> ImportFailed:
    """The `ImportFailed` of the file at `path`, which is not UTF-8: at its first line that
    is not, with the offending bytes."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad = raw[exc.start : exc.end]
                return ImportFailed(
                    str(path), number, "", f"not UTF-8 text ({bad!r}); save the file as UTF-8"
                )
    return ImportFailed(str(path), 0, "", "not UTF-8 text; save the file as UTF-8")
