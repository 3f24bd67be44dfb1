"""Record ids, text fields and JSON payloads, shared by every record module."""

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field

#: How deeply a JSON payload (attributes, metadata) may nest: arrays and objects in
#: arrays and objects. Deeper values are refused when validated, well before the store's
#: JSON encoder (which stops at 255 levels) or Python's recursion limit would fail.
MAX_JSON_DEPTH = 64


def _shallow(value: dict[str, Any]) -> dict[str, Any]:
    """`value` if it nests at most `MAX_JSON_DEPTH` levels, else a `ValueError` saying so."""
    level: list[Any] = [value]
    for _ in range(MAX_JSON_DEPTH):
        level = [
            inner
            for item in level
            for inner in (item.values() if isinstance(item, dict) else item)
            if isinstance(inner, dict | list)
        ]
        if not level:
            return value
    raise ValueError(f"nests deeper than {MAX_JSON_DEPTH} levels of arrays and objects")


#: A JSON object (attributes, metadata), at most `MAX_JSON_DEPTH` levels deep.
JsonDict = Annotated[dict[str, Any], AfterValidator(_shallow)]

_NOT_IN_IDS = re.compile(r"[/\x00-\x1f\x7f-\x9f]")


def _path_segment(value: str) -> str:
    """`value` if it can be one segment of a URL path, else a `ValueError` saying why."""
    bad = _NOT_IN_IDS.search(value)
    if bad is not None:
        raise ValueError(
            f"an id must not contain {bad.group()!r} ('/' and control characters cannot "
            "be part of URLs such as /api/samples/{id})"
        )
    if value in (".", ".."):
        raise ValueError(f"an id must not be {value!r} (URLs cannot name it)")
    return value


#: The id of a record: 1 to 64 characters, without '/' or control characters and not
#: ``.`` or ``..``, so that it is one segment of the URLs that name the record.
Id = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_path_segment)]


def _without_nul(value: str) -> str:
    """`value` if it holds no NUL character, else a `ValueError` saying so."""
    if "\x00" in value:
        raise ValueError(
            "must not contain the NUL character (U+0000), which PostgreSQL's text cannot hold"
        )
    return value


#: Text kept in a column of its own (a stream's name, URI and text, a sample's external id):
#: no NUL character, so that SQLite and PostgreSQL stores accept the same records. JSON
#: payloads and geometry may hold NUL (they are stored as JSON, where it is escaped).
Text = Annotated[str, AfterValidator(_without_nul)]

#: A label, link type, author or model name: `Text` of at most 200 characters (its column's).
Name = Annotated[str, Field(max_length=200), AfterValidator(_without_nul)]

#: A sample's id in the system it came from: `Text` of at most 500 characters.
ExternalId = Annotated[str, Field(max_length=500), AfterValidator(_without_nul)]
