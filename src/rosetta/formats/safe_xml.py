"""A streaming expat parser that reads XML safely and says where things are.

Expat is used directly, fed 64 KiB at a time, because ElementTree (and defusedxml, which
wraps it) does not tell an element's line, and every error of a format reader names the
file, the line of the offending element and its attribute. The parser refuses what
defusedxml refuses: any ``<!ENTITY>`` declaration (internal ones are how a billion-laughs
bomb grows; external ones read local files or URLs) and any external entity reference.
The XML formats Rosetta reads (VOC, CVAT, ELAN) have no DTD, so nothing a real file holds
is refused. A reader either handles expat's events itself (streaming) or captures elements
as `Element` trees with their lines (`Capture`; `parse_tree` for a whole small document).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from xml.parsers import expat

from rosetta.core.errors import ImportFailed, RosettaError

T = TypeVar("T")
JsonDict = dict[str, Any]

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


@dataclass
class Element:
    """An XML element as read: tag, attributes, the line it starts on, its text and
    children. Shapes Rosetta has no geometry for are kept in a sample's metadata as
    `to_json` and written back from it (`from_json`)."""

    tag: str
    attrs: dict[str, str]
    line: int
    text: str = ""
    children: list["Element"] = field(default_factory=list)

    def find(self, tag: str) -> "Element | None":
        """The first child called `tag`."""
        return next((child for child in self.children if child.tag == tag), None)

    def find_all(self, tag: str) -> list["Element"]:
        """The children called `tag`."""
        return [child for child in self.children if child.tag == tag]

    def child_text(self, tag: str) -> str | None:
        """The stripped text of the first child called `tag` (``None``: no such child)."""
        child = self.find(tag)
        return None if child is None else child.text.strip()

    def attributes(self) -> list["Element"]:
        """The ``<attribute name="...">value</attribute>`` children (CVAT's)."""
        return self.find_all("attribute")

    def to_json(self) -> JsonDict:
        """The element as JSON (``tag``, ``attrs``, ``text`` and ``children`` when there
        are any; no line)."""
        data: JsonDict = {"tag": self.tag, "attrs": dict(self.attrs)}
        if self.text.strip():
            data["text"] = self.text
        if self.children:
            data["children"] = [child.to_json() for child in self.children]
        return data

    @classmethod
    def from_json(cls, data: JsonDict) -> "Element":
        """The element `to_json` wrote."""
        return cls(
            tag=str(data["tag"]),
            attrs={str(k): str(v) for k, v in data.get("attrs", {}).items()},
            line=0,
            text=str(data.get("text", "")),
            children=[cls.from_json(child) for child in data.get("children", [])],
        )


class Capture:
    """Builds `Element` trees from expat events: `start` and `end` each element below the
    one capture began with, `characters` its text; `end` returns the element it closed."""

    def __init__(self) -> None:
        self._open: list[tuple[Element, list[str]]] = []

    @property
    def active(self) -> bool:
        """Whether an element is being captured."""
        return bool(self._open)

    def start(self, tag: str, attrs: dict[str, str], line: int) -> None:
        element = Element(tag, dict(attrs), line)
        if self._open:
            self._open[-1][0].children.append(element)
        self._open.append((element, []))

    def characters(self, data: str) -> None:
        if self._open:
            self._open[-1][1].append(data)

    def end(self) -> Element:
        element, text = self._open.pop()
        element.text = "".join(text)
        return element


def parse_tree(path: Path) -> Element:
    """The XML document at `path` as an `Element` tree, every element with its line (an
    `ImportFailed` naming the line when it is not well-formed or declares entities)."""
    parser = safe_parser(str(path))
    capture = Capture()
    done: list[Element] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        capture.start(name, attrs, parser.CurrentLineNumber)

    def end(_: str) -> None:
        element = capture.end()
        if not capture.active:
            done.append(element)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = capture.characters
    (root,) = feed(path, parser, done)  # expat refuses a document of no element, or of two
    return root
