"""A streaming expat parser that reads XML safely and says where things are.

Expat is used directly, fed 64 KiB at a time, because ElementTree (and defusedxml, which
wraps it) does not tell an element's line, and every error of a format reader names the
file, the line of the offending element and its attribute. The parser refuses what
defusedxml refuses: any ``<!ENTITY>`` declaration (internal ones are how a billion-laughs
bomb grows; external ones read local files or URLs) and any external entity reference.
The XML formats Rosetta reads (CVAT, ELAN) have no DTD, so nothing a real file holds is
refused.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar
from xml.parsers import expat

from rosetta.core.errors import ImportFailed, RosettaError

T = TypeVar("T")

_CHUNK = 1 << 16


def safe_parser(file: str) -> Any:
    """An expat parser that refuses entity declarations and external entities, naming
    `file` and the line (`ImportFailed`); its handlers are still to be set."""
    parser = expat.ParserCreate()

    def refuse_declaration(name: str, *_: object) -> None:
        raise ImportFailed(
            file,
            parser.CurrentLineNumber,
            f"<!ENTITY>: {name}",
            "entity declarations are not allowed (entity expansion is refused): "
            "the file has no DTD, and entities are how XML bombs and external-entity "
            "reads work",
        )

    def refuse_external(_context: str, _base: str | None, system: str | None, *_: object) -> int:
        raise ImportFailed(
            file,
            parser.CurrentLineNumber,
            "<!ENTITY>",
            f"external entities are not allowed ({system!r} refused)",
        )

    parser.EntityDeclHandler = refuse_declaration
    parser.UnparsedEntityDeclHandler = refuse_declaration
    parser.ExternalEntityRefHandler = refuse_external
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    return parser


def feed(path: Path, parser: Any, done: list[T]) -> Iterator[T]:
    """Feed the file at `path` to `parser` a chunk at a time, yielding what its handlers
    appended to `done` after each chunk (so records stream out before the end of the file).
    """
    file = str(path)
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, around a generator
    except OSError as exc:
        raise RosettaError(f"{file}: cannot read: {exc.strerror}") from None
    with handle:
        while True:
            chunk = handle.read(_CHUNK)
            try:
                parser.Parse(chunk, not chunk)
            except expat.ExpatError as exc:
                raise ImportFailed(
                    file, exc.lineno, "", f"not well-formed XML: {expat.errors.messages[exc.code]}"
                ) from None
            yield from done
            done.clear()
            if not chunk:
                return
