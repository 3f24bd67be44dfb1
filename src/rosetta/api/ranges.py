"""HTTP byte ranges and conditional GET for media responses (RFC 9110 §13 and §14).

`parse_range` reads a ``Range`` header as RFC 9110 asks: a header in another unit or that
does not parse is ignored (the whole representation is sent); unsatisfiable ranges are
dropped, and only when none is left does it raise `RangeNotSatisfiable` (416); overlapping
and adjacent ranges are merged. `not_modified` decides a 304 from ``If-None-Match`` (weak
comparison, taking precedence) or else ``If-Modified-Since``; `range_applies` decides
``If-Range`` (strong comparison).
"""

import re
from email.utils import mktime_tz, parsedate_tz

from starlette.datastructures import Headers
from starlette.responses import RangeNotSatisfiable

#: A Range header with more ranges than this is ignored (a cheap denial of service otherwise).
MAX_RANGES = 100
_SPEC = re.compile(r"([0-9]*)-([0-9]*)")
_HUGE = 10**18

__all__ = ["MAX_RANGES", "RangeNotSatisfiable", "not_modified", "parse_range", "range_applies"]


def parse_range(header: str | None, size: int) -> list[tuple[int, int]] | None:
    """The byte ranges `header` asks of a representation of `size` bytes, as sorted,
    merged, half-open ``(start, end)`` pairs; ``None`` to send the whole representation.

    Raises `RangeNotSatisfiable` when the header is valid but no range overlaps the
    representation.
    """
    if header is None or size == 0:
        return None
    unit, equals, specs = header.partition("=")
    if not equals or unit.strip().lower() != "bytes":
        return None
    parts = [part.strip() for part in specs.split(",") if part.strip()]
    if not parts or len(parts) > MAX_RANGES:
        return None
    ranges: list[tuple[int, int]] = []
    for part in parts:
        match = _SPEC.fullmatch(part)
        if match is None:
            return None
        first, last = match.groups()
        if first:
            start = _number(first)
            if last and _number(last) < start:
                return None
            if start < size:
                ranges.append((start, min(_number(last) + 1, size) if last else size))
        elif last:
            if _number(last) > 0:
                ranges.append((max(size - _number(last), 0), size))
        else:
            return None
    if not ranges:
        raise RangeNotSatisfiable(size)
    return _merged(ranges)


def _number(digits: str) -> int:
    return int(digits) if len(digits) <= 18 else _HUGE


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def not_modified(request: Headers, etag: str | None, last_modified: str | None) -> bool:
    """Whether a GET or HEAD with `request`'s headers may be answered 304 Not Modified,
    given the representation's ``ETag`` and ``Last-Modified``."""
    if_none_match = request.get("if-none-match")
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        return etag is not None and _opaque(etag) in {
            _opaque(tag) for tag in if_none_match.split(",")
        }
    since = _http_date(request.get("if-modified-since"))
    modified = _http_date(last_modified)
    return since is not None and modified is not None and modified <= since


def range_applies(request: Headers, etag: str | None, last_modified: str | None) -> bool:
    """Whether `request`'s ``Range`` applies: no ``If-Range``, or one naming the current
    representation by its strong ``ETag`` or its exact ``Last-Modified`` date."""
    if_range = request.get("if-range")
    if if_range is None:
        return True
    if if_range.startswith("W/"):
        return False
    return if_range in {etag, last_modified} - {None}


def _opaque(tag: str) -> str:
    return tag.strip().removeprefix("W/")


def _http_date(text: str | None) -> int | None:
    parsed = parsedate_tz(text) if text else None
    return None if parsed is None else mktime_tz(parsed)
