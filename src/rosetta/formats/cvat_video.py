"""Reading the tracks of a CVAT for video 1.1 XML file into native `Track` geometry.

A CVAT video dump is ``<annotations>`` with ``<version>1.1</version>``, a ``<meta>``
block, and ``<track id label [source]>`` elements, each holding one element per frame of
one shape kind::

    <track id="0" label="car" source="manual">
      <box frame="10" outside="0" occluded="1" keyframe="1" xtl="3" ytl="4" xbr="10" ybr="5"/>
      <polygon frame="13" outside="0" occluded="0" keyframe="0" points="1,2;3,4;5,6"/>
    </track>

Frame numbers are the video's own frame indices (CVAT writes ``start_frame + i * step``),
so they are kept as they are. Boxes are corners (``xtl, ytl, xbr, ybr``) and become
``x, y, w, h``; polygon points are ``x,y`` pairs separated by ``;``. ``keyframe="0"``
frames are the ones CVAT filled in by interpolation: they are kept, marked
``interpolated`` (a sparse export drops them, a dense one recomputes them), except the
outside ones, which only repeat the absence that the outside key frame before them
states. A frame without ``keyframe`` is a key frame. ``occluded="1"`` becomes
``occluded``. A frame's ``<attribute name="...">value</attribute>`` children (CVAT's
mutable attributes) are kept per frame in `CvatTrack.attributes`.

Tracks of kinds a `Track` cannot hold (``points``, ``polyline``, ``ellipse``,
``skeleton``, ``mask``, ``cuboid``: CVAT's 2D pseudo-cuboid) are still reported, with
``geometry`` ``None``, so an importer can say what it left out.

Each track also keeps its shape elements as read (`CvatTrack.shapes`: every XML
attribute, the ``<attribute>`` and skeleton children, the line), for what the native track
does not hold. `read_video` yields the file's ``<meta>`` block (`CvatMeta`) before the
tracks.

The file is streamed: `xml.parsers.expat` is fed 64 KiB at a time and each track is
yielded as soon as its end tag is read. Expat is used directly rather than
``ElementTree.iterparse`` because ElementTree does not tell an element's line, and every
error here names the file, the line of the offending element and the attribute
(`ImportFailed`). Entity declarations and external entities are refused
(`rosetta.formats.safe_xml.safe_parser`).
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from rosetta.core.errors import ImportFailed
from rosetta.core.geometry import Track, TrackFrame
from rosetta.formats.cvat_shapes import corners, flag, integer, points, required
from rosetta.formats.cvat_xml import CvatMeta, read_meta
from rosetta.formats.safe_xml import Capture, Element, feed, safe_parser

#: The CVAT shape elements a `Track` holds, by the name of our track shape.
SUPPORTED = {"box": "box", "polygon": "polygon"}
#: The other CVAT shape elements that can appear in a track.
UNSUPPORTED = frozenset({"points", "polyline", "ellipse", "skeleton", "mask", "cuboid"})


@dataclass(frozen=True)
class CvatTrack:
    """One ``<track>`` of the file.

    ``shape`` is CVAT's element name (``box``, ``polygon``, ``points``, ...); ``geometry``
    the native track, or ``None`` for a kind a `Track` cannot hold. ``attributes`` maps a
    frame to the mutable attributes CVAT wrote on it. ``line`` is where the track begins;
    ``attrs`` are the ``<track>`` element's XML attributes and ``shapes`` its shape
    elements as read, in frame order.
    """

    id: str
    label: str
    source: str | None
    shape: str
    line: int
    geometry: Track | None
    attributes: Mapping[int, Mapping[str, str]] = field(default_factory=dict)
    attrs: Mapping[str, str] = field(default_factory=dict)
    shapes: tuple[Element, ...] = ()


@dataclass
class _Open:
    """A track being read."""

    id: str
    label: str
    source: str | None
    line: int
    attrs: dict[str, str]
    shape: str | None = None
    frames: list[TrackFrame] = field(default_factory=list)
    attributes: dict[int, dict[str, str]] = field(default_factory=dict)
    last_frame: int = -1
    shapes: list[Element] = field(default_factory=list)


class _Reader:
    """Expat handlers that turn the meta block into a `CvatMeta` and the tracks into
    `CvatTrack` records."""

    def __init__(self, file: str, parser: Any) -> None:
        self.file = file
        self.parser = parser
        self.done: list[CvatMeta | CvatTrack] = []
        self.capture = Capture()  # the <meta> block, or the shape element we are inside
        self.depth = 0
        self.track: _Open | None = None
        self.frame: int | None = None  # the frame of the shape element we are inside
        self.attribute: str | None = None  # the name of the <attribute> we are inside
        self.text: list[str] | None = None  # the text being collected, if any
        self.version_line: int | None = None

    def fail(self, attribute: str, detail: str) -> ImportFailed:
        return ImportFailed(self.file, self.parser.CurrentLineNumber, attribute, detail)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        in_meta = self.depth == 2 and name == "meta"
        in_shape = self.depth >= 3 and self.track is not None
        if self.capture.active or in_meta or in_shape:
            self.capture.start(name, attrs, self.parser.CurrentLineNumber)
        if self.depth == 1 and name != "annotations":
            raise self.fail("", f"expected a CVAT XML file (<annotations>), found <{name}>")
        if self.depth == 2 and name == "image":
            raise self.fail("", "an <image> belongs to a CVAT for images file, not to a video's")
        if self.depth == 2 and name == "version":
            self.version_line = self.parser.CurrentLineNumber
            self.text = []
        elif self.depth == 2 and name == "track":
            element = Element(name, attrs, self.parser.CurrentLineNumber)
            self.track = _Open(
                id=required(element, "id", self.file),
                label=required(element, "label", self.file),
                source=attrs.get("source"),
                line=self.parser.CurrentLineNumber,
                attrs=dict(attrs),
            )
        elif self.depth == 3 and self.track is not None:
            self._shape(self.track, name, attrs)
        elif self.depth == 4 and self.frame is not None and name == "attribute":
            at = Element(name, attrs, self.parser.CurrentLineNumber)
            self.attribute = required(at, "name", self.file)
            self.text = []

    def end(self, name: str) -> None:
        if self.capture.active:
            element = self.capture.end()
            if self.depth == 2:
                self.done.append(read_meta(element, self.file))
            elif self.depth == 3 and self.track is not None:
                self.track.shapes.append(element)
        if self.depth == 2 and name == "version":
            version = "".join(self.text or ()).strip()
            self.text = None
            if version != "1.1":
                raise ImportFailed(
                    self.file, self.version_line or 0, "version", f"expected 1.1, got {version!r}"
                )
        elif self.depth == 2 and name == "track" and self.track is not None:
            self.done.append(self._finish(self.track))
            self.track = None
        elif self.depth == 3:
            self.frame = None
        elif (
            self.depth == 4 and self.attribute is not None and self.track and self.frame is not None
        ):
            values = self.track.attributes.setdefault(self.frame, {})
            values[self.attribute] = "".join(self.text or ())
            self.attribute = None
            self.text = None
        self.depth -= 1

    def characters(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)
        self.capture.characters(data)

    def _shape(self, track: _Open, name: str, attrs: dict[str, str]) -> None:
        if name not in SUPPORTED and name not in UNSUPPORTED:
            raise self.fail("", f"unknown track element <{name}>")
        if track.shape not in (None, name):
            raise self.fail("", f"<{name}> in a track of <{track.shape}> (one kind per track)")
        track.shape = name
        element = Element(name, attrs, self.parser.CurrentLineNumber)
        frame = integer(element, "frame", self.file)
        if frame <= track.last_frame:
            raise self.fail(
                f"<{name}> frame",
                f"frames must increase within a track ({track.last_frame} then {frame})",
            )
        track.last_frame = frame
        self.frame = frame
        if name not in SUPPORTED:
            return
        outside = flag(element, "outside", self.file)
        key = flag(element, "keyframe", self.file, default="1")
        if outside and not key:
            return
        flags: dict[str, Any] = {
            "frame": frame,
            "outside": outside,
            "occluded": True if flag(element, "occluded", self.file) else None,
            "interpolated": None if key else True,
        }
        if name == "box":
            left, top, right, bottom = corners(element, self.file)
            shape: dict[str, Any] = {"x": left, "y": top, "w": right - left, "h": bottom - top}
        else:
            shape = {"points": points(element, self.file, 3)}
        try:
            track.frames.append(TrackFrame(**flags, **shape))
        except ValidationError as exc:
            raise self.fail(name, exc.errors(include_url=False)[0]["msg"]) from None

    def _finish(self, track: _Open) -> CvatTrack:
        shape = track.shape or "box"
        geometry = None
        if shape in SUPPORTED and track.frames:
            try:
                geometry = Track(shape=SUPPORTED[shape], keyframes=track.frames)
            except ValidationError as exc:
                detail = exc.errors(include_url=False)[0]["msg"]
                raise ImportFailed(self.file, track.line, "track", detail) from None
        return CvatTrack(
            id=track.id,
            label=track.label,
            source=track.source,
            shape=shape,
            line=track.line,
            geometry=geometry,
            attributes=track.attributes,
            attrs=track.attrs,
            shapes=tuple(track.shapes),
        )


def read_video(path: str | Path) -> Iterator[CvatMeta | CvatTrack]:
    """Stream the CVAT for video 1.1 file at `path`: its ``<meta>`` block (CVAT writes it
    before the tracks; a file without one yields none) and then its tracks, in file order.

    Raises `ImportFailed` naming the file, the line and the attribute for anything that
    is not a well-formed CVAT 1.1 track.
    """
    file = str(path)
    parser = safe_parser(file)
    reader = _Reader(file, parser)
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.characters
    yield from feed(Path(path), parser, reader.done)


def read_tracks(path: str | Path) -> Iterator[CvatTrack]:
    """Stream the tracks of the CVAT for video 1.1 file at `path`, in file order (see
    `read_video`)."""
    for item in read_video(path):
        if isinstance(item, CvatTrack):
            yield item
