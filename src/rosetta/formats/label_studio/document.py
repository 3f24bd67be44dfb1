"""The JSON of a Label Studio export, one task at a time, and checked access to its values.

An export is one JSON document: a list of tasks (or, as Label Studio's examples keep them,
one task). `tasks` decodes it one task at a time (``JSONDecoder.raw_decode`` from each
task's offset), so only the file's text and one decoded task are held at once, and says
on which line each task begins. Numbers with a fraction are decoded as `Decimal`, so that
percentages convert exactly (`coords`). The ``as_*`` helpers check a value's JSON type
and raise an `ImportFailed` naming the place and what was expected.
"""

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from rosetta.core.errors import ImportFailed
from rosetta.formats.interchange import Origin

JsonObject = dict[str, Any]
T = TypeVar("T")

_DECODER = json.JSONDecoder(parse_float=Decimal)
_SPACE = re.compile(r"\s*")
_BAD_ID = re.compile(r"[/\x00-\x1f\x7f-\x9f]")
_MAX_ID = 64


def ident(*parts: str) -> str:
    """A record id from `parts` joined by dots; one too long for an id (64 characters) or
    holding a character ids may not keeps its start and ends in a hash of the whole."""
    whole = ".".join(parts)
    if len(whole) <= _MAX_ID and not _BAD_ID.search(whole) and whole not in (".", ".."):
        return whole
    digest = hashlib.blake2b(whole.encode(), digest_size=6).hexdigest()
    return f"{_BAD_ID.sub('_', whole)[: _MAX_ID - 13]}~{digest}"


def tasks(path: Path) -> Iterator[tuple[int, str, Any]]:
    """(line, element, task) for each task of the file, decoded one at a time."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(file, 0, "", f"byte {exc.start} is not UTF-8 (expected JSON)") from None
    at = _skip(text, 0)
    if text.startswith("{", at):
        task, end = _decode(file, text, at)
        if _skip(text, end) != len(text):
            raise _json_error(file, text, end, "expected the end of the file after the task")
        yield _line(text, at), "task", task
        return
    if not text.startswith("[", at):
        raise _json_error(file, text, at, "expected a JSON list of tasks (or one task object)")
    at, index, line, counted = _skip(text, at + 1), 0, 1, 0
    while not text.startswith("]", at):
        if index:
            if not text.startswith(",", at):
                raise _json_error(file, text, at, "expected ',' or ']' after a task")
            at = _skip(text, at + 1)
        line += text.count("\n", counted, at)
        counted = at
        task, at = _decode(file, text, at)
        yield line, f"tasks[{index}]", task
        index += 1
        at = _skip(text, at)
        if at >= len(text):
            raise _json_error(file, text, at, "expected ']' at the end of the list of tasks")
    if _skip(text, at + 1) != len(text):
        raise _json_error(file, text, at + 1, "expected the end of the file after the list")


def _skip(text: str, at: int) -> int:
    match = _SPACE.match(text, at)
    return match.end() if match else at


def _line(text: str, at: int) -> int:
    return text.count("\n", 0, at) + 1


def _decode(file: str, text: str, at: int) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, at)
    except json.JSONDecodeError as exc:
        raise ImportFailed(file, exc.lineno, f"column {exc.colno}", exc.msg) from None
    except RecursionError:  # Python's decoder recurses once per level of nesting
        raise _json_error(
            file, text, at, "the task nests lists and objects too deeply to be read"
        ) from None


def _json_error(file: str, text: str, at: int, detail: str) -> ImportFailed:
    column = at - text.rfind("\n", 0, at)
    return ImportFailed(file, _line(text, at), f"column {column}", detail)


# --- checked values ---------------------------------------------------------------------------


def as_object(value: Any, origin: Origin, where: str) -> JsonObject:
    """`value` when it is a JSON object."""
    if not isinstance(value, dict):
        raise origin.error(where, f"expected a JSON object, got {_kind(value)}")
    return value


def as_list(value: Any, origin: Origin, where: str) -> list[Any]:
    """`value` when it is a JSON list."""
    if not isinstance(value, list):
        raise origin.error(where, f"expected a JSON list, got {_kind(value)}")
    return value


def as_number(value: Any, origin: Origin, where: str) -> Decimal | int:
    """`value` when it is a finite JSON number."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | Decimal)
        or (isinstance(value, Decimal) and not value.is_finite())
    ):
        raise origin.error(where, f"expected a number, got {_kind(value)}")
    return value


def as_size(value: Any, origin: Origin, where: str) -> int:
    """`value` when it is a whole number above 0 (a size in pixels)."""
    number = as_number(value, origin, where)
    if number <= 0 or number != int(number):
        raise origin.error(where, f"expected a whole number of pixels above 0, got {number}")
    return int(number)


def as_text(value: Any, origin: Origin, where: str) -> str:
    """`value` when it is a JSON string."""
    if not isinstance(value, str):
        raise origin.error(where, f"expected a string, got {_kind(value)}")
    return value


def plain(value: Any) -> Any:
    """`value` with its `Decimal`s as floats (for attributes and metadata)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def checked(make: Callable[[], T], origin: Origin, where: str) -> T:
    """What `make` makes; a record it refuses is an `ImportFailed` naming the field."""
    try:
        return make()
    except ValidationError as exc:
        first = exc.errors()[0]
        place = ".".join(str(part) for part in first["loc"])
        raise origin.error(f"{where}.{place}" if place else where, first["msg"]) from None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return repr(value)[:40]
