"""Pascal VOC XML annotations: one ``<annotation>`` file per image (``Annotations/*.xml``).

Reading (`read`): the source is one ``.xml`` file or a folder (its ``Annotations/`` when it
has one, else the ``.xml`` files in it, in name order); each file is one sample, id the
file's stem, ``external_id`` the ``<filename>``, with one image stream ``<stem>.image``.

- **Size**: the image is looked for as ``<media_root>/<filename>``,
  ``<media_root>/<folder>/<filename>``, beside the XML file and in ``../JPEGImages/``; the
  first found becomes the stream's URI (relative to ``ReadOptions.media_root`` when inside
  it, else absolute) and is probed (`rosetta.media.probe`: width, height, MIME type; an
  image that cannot be read is an error naming the file and the image, and a ``<size>``
  other than the image's is an error at ``<size>``: the boxes were drawn on another
  image). Not found, the URI is the ``<filename>`` as written and ``<size>`` gives the
  width and height (missing or 0: an error).
- **Boxes**: VOC pixel coordinates are 1-based and inclusive: ``xmin = 1`` is the first
  column and ``xmax = W`` the last, so a box ``xmin..xmax`` covers ``[xmin - 1, xmax)`` in
  Rosetta's continuous pixel coordinates (the origin at the top-left corner of the first
  pixel): ``x = xmin - 1``, ``w = xmax - xmin + 1`` (as Detectron2's VOC loader does).
  Fractional coordinates are converted by the same rule. A coordinate below 1 (a 0-based
  export) is refused, naming the element.
- **Objects** ``<object>`` (the n-th in the file: ``<stem>.<n>``) become `Box`
  annotations labelled ``<name>``, ``Source(kind="import", name="voc")``. Their
  ``<pose>`` (text), ``<truncated>``, ``<difficult>`` and ``<occluded>`` (``0``/``1``:
  booleans) become attributes of those names when present; each ``<actions>`` child
  (VOC's action classes, ``0``/``1``) a boolean attribute of its name; and the
  ``<attributes><attribute><name/><value/></attribute>`` block that CVAT and Datumaro
  write, attributes whose values are ``true``/``false``, numbers or text.
- **Parts** ``<part>`` (the m-th of object n: ``<stem>.<n>.<m>``; parts of parts nest the
  same way) are boxes of their own, read like objects, joined to their whole by a
  ``part-of`` link ``<part id>.part-of`` (part -> whole). A link, not an entity: an entity
  gathers annotations of *one* real-world thing (its members must be of one class or
  is-a related), while a head is a different thing from the person it belongs to. The
  project's ontology needs a ``part-of`` relation (or a mapping of it).
- The image-level ``<folder>``, ``<path>``, ``<segmented>``, ``<size><depth>``,
  ``<source>`` and ``<owner>`` are kept in the sample's metadata under ``voc``; other
  unknown elements are ignored.

Writing (`write`): one ``Annotations/<image name>.xml`` per image stream, the boxes as
objects (the reverse conversion), boxes that are the source of exactly one ``part-of``
link to another box of the stream as ``<part>`` of it, attributes back where they came
from (booleans other than the three flags as ``<actions>``, anything else in an
``<attributes>`` block), the ``voc`` metadata back. What VOC cannot hold (other
geometries, other links, entities, annotations on other streams) is written, as native
JSON records, to ``not_carried.jsonl`` beside, one line per sample, with the ids the
written objects get when the files are read back.

The XML is parsed with defusedxml's SAX parser (entity declarations and external entities
refused: no billion laughs, no file disclosure) into a small tree that keeps each
element's line, because ElementTree does not tell lines and every error names the file,
the line and the element.
"""

import math
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import AttributesImpl, Locator

import defusedxml.sax
import orjson
from defusedxml import DefusedXmlException

from rosetta.core.errors import ImportFailed
from rosetta.core.geometry import Box
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Link, MediaInfo, Sample, Source, Stream
from rosetta.formats.found_media import probe_found
from rosetta.formats.interchange import (
    NOT_CARRIED,
    ForeignSample,
    FormatSpec,
    Origin,
    ReadOptions,
    WriteReport,
)

#: The relation type that joins a part to its whole.
PART_OF: Final = "part-of"
#: The object flags VOC writes as ``0``/``1`` elements.
FLAGS: Final = ("truncated", "difficult", "occluded")
#: The sidecar the writer puts what VOC cannot hold into.
_SOURCE: Final = Source(kind="import", name="voc")
_METADATA: Final = "voc"
_BOX_FIELDS: Final = ("xmin", "ymin", "xmax", "ymax")


# --- parsing ---------------------------------------------------------------------------------


@dataclass
class _Node:
    """An XML element: its tag, the line it starts on, its text and its children."""

    tag: str
    line: int
    text: list[str] = field(default_factory=list)
    children: list["_Node"] = field(default_factory=list)

    def all(self, tag: str) -> list["_Node"]:
        return [child for child in self.children if child.tag == tag]

    def first(self, tag: str) -> "_Node | None":
        return next((child for child in self.children if child.tag == tag), None)

    def value(self) -> str:
        return "".join(self.text).strip()

    def text_of(self, tag: str) -> str | None:
        child = self.first(tag)
        return None if child is None else child.value()


class _TreeBuilder(ContentHandler):
    """SAX events -> `_Node` tree, each node with the line its start tag is on."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[_Node] = []
        self.root: _Node | None = None
        self.locator: Locator | None = None

    def setDocumentLocator(self, locator: Locator) -> None:
        self.locator = locator

    def startElement(self, name: str, attrs: AttributesImpl) -> None:
        node = _Node(name, (self.locator.getLineNumber() or 0) if self.locator else 0)
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)

    def endElement(self, name: str) -> None:
        self.stack.pop()

    def characters(self, content: str) -> None:
        if self.stack:
            self.stack[-1].text.append(content)


def _parse(path: Path) -> _Node:
    """The element tree of the XML file `path`; an `ImportFailed` when it is not
    well-formed or declares entities or refers to external ones."""
    builder = _TreeBuilder()
    parser = defusedxml.sax.make_parser()
    parser.setContentHandler(builder)
    try:
        with path.open("rb") as stream:
            parser.parse(stream)
    except SAXParseException as exc:
        raise ImportFailed(
            str(path), exc.getLineNumber() or 0, "", f"not well-formed XML: {exc.getMessage()}"
        ) from None
    except DefusedXmlException as exc:
        raise ImportFailed(
            str(path),
            parser.getLineNumber() or 0,
            "",
            f"entity declarations and external entities are refused ({exc})",
        ) from None
    if builder.root is None:
        raise ImportFailed(str(path), 1, "", "expected an <annotation> element")
    return builder.root


# --- reading ---------------------------------------------------------------------------------


def _xml_files(source: Path) -> list[Path]:
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise ImportFailed(str(source), 0, "", "expected a VOC .xml file or a folder of them")
    folder = source / "Annotations" if (source / "Annotations").is_dir() else source
    return sorted(folder.glob("*.xml"))


def _find_image(xml: Path, filename: str, folder: str | None, options: ReadOptions) -> Path | None:
    candidates = []
    if options.media_root is not None:
        candidates.append(options.media_root / filename)
        if folder:
            candidates.append(options.media_root / folder / filename)
    candidates += [xml.parent / filename, xml.parent.parent / "JPEGImages" / filename]
    return next((path for path in candidates if path.is_file()), None)


def _number(node: _Node, origin: Origin, element: str) -> float:
    text = node.value()
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ImportFailed(origin.file, node.line, element, f"expected a number, got {text!r}")
    return value


def _size(root: _Node, origin: Origin) -> tuple[int, int] | None:
    size = root.first("size")
    if size is None:
        return None
    found = []
    for name in ("width", "height"):
        node = size.first(name)
        if node is None:
            return None
        value = _number(node, origin, f"size.{name}")
        if value < 0 or not value.is_integer():
            raise ImportFailed(
                origin.file, node.line, f"size.{name}", f"expected a whole number, got {value:g}"
            )
        found.append(int(value))
    return None if 0 in found else (found[0], found[1])


def _flag(node: _Node, origin: Origin, element: str) -> bool:
    text = node.value()
    if text not in ("0", "1"):
        raise ImportFailed(origin.file, node.line, element, f"expected 0 or 1, got {text!r}")
    return text == "1"


def _typed(text: str) -> bool | int | float | str:
    """A CVAT/Datumaro attribute value: ``true``/``false``, a number, else the text."""
    if text in ("true", "false"):
        return text == "true"
    for kind in (int, float):
        try:
            number = kind(text)
        except ValueError:
            continue
        if math.isfinite(number):
            return number
    return text


def _attributes(node: _Node, origin: Origin, element: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    lines: dict[str, int] = {}

    def put(name: str, value: Any, line: int) -> None:
        if name in found and found[name] != value:
            raise ImportFailed(
                origin.file,
                line,
                f"{element}.{name}",
                f"given twice with different values (first on line {lines[name]})",
            )
        found[name], lines[name] = value, line

    pose = node.first("pose")
    if pose is not None and pose.value():
        put("pose", pose.value(), pose.line)
    for name in FLAGS:
        flag = node.first(name)
        if flag is not None:
            put(name, _flag(flag, origin, f"{element}.{name}"), flag.line)
    for actions in node.all("actions"):
        for action in actions.children:
            put(action.tag, _flag(action, origin, f"{element}.actions.{action.tag}"), action.line)
    for block in node.all("attributes"):
        for attribute in block.all("attribute"):
            key = attribute.text_of("name")
            if not key:
                raise ImportFailed(
                    origin.file, attribute.line, f"{element}.attributes", "expected a <name>"
                )
            put(key, _typed(attribute.text_of("value") or ""), attribute.line)
    return found


def _box(node: _Node, origin: Origin, element: str) -> Box:
    bndbox = node.first("bndbox")
    if bndbox is None:
        raise ImportFailed(
            origin.file,
            node.line,
            f"{element}.bndbox",
            "expected <bndbox> with xmin ymin xmax ymax",
        )
    values = []
    for name in _BOX_FIELDS:
        child = bndbox.first(name)
        if child is None:
            raise ImportFailed(
                origin.file, bndbox.line, f"{element}.bndbox.{name}", f"expected <{name}>"
            )
        value = _number(child, origin, f"{element}.bndbox.{name}")
        if name.endswith("min") and value < 1:
            raise ImportFailed(
                origin.file,
                child.line,
                f"{element}.bndbox.{name}",
                f"expected at least 1 (VOC pixel coordinates are 1-based), got {value:g}",
            )
        values.append(value)
    xmin, ymin, xmax, ymax = values
    if xmax <= xmin - 1 or ymax <= ymin - 1:
        raise ImportFailed(
            origin.file,
            bndbox.line,
            f"{element}.bndbox",
            f"expected xmax >= xmin and ymax >= ymin (pixels xmin..xmax are covered), got {values}",
        )
    return Box(x=xmin - 1, y=ymin - 1, w=xmax - xmin + 1, h=ymax - ymin + 1)


@dataclass
class _Read:
    """What the objects of one file became."""

    stream: str
    origin: Origin
    default_label: str | None
    annotations: list[Annotation] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    parts: dict[str, Origin] = field(default_factory=dict)

    def take(self, node: _Node, ident: str, element: str, whole: str | None) -> None:
        origin = Origin(self.origin.file, node.line, element)
        label = node.text_of("name") or self.default_label
        if not label:
            raise origin.error("name", "expected the object's class in <name>")
        self.annotations.append(
            Annotation(
                id=ident,
                stream=self.stream,
                label=label,
                geometry=_box(node, origin, element),
                attributes=_attributes(node, origin, element),
                source=_SOURCE,
            )
        )
        self.parts[ident] = origin
        if whole is not None:
            link = f"{ident}.{PART_OF}"
            self.links.append(Link(id=link, type=PART_OF, source=ident, target=whole))
            self.parts[link] = origin
        for index, part in enumerate(node.all("part"), start=1):
            self.take(part, f"{ident}.{index}", f"{element}.part[{index}]", ident)


def _metadata(root: _Node, origin: Origin) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for name in ("folder", "path"):
        text = root.text_of(name)
        if text:
            kept[name] = text
    segmented = root.first("segmented")
    if segmented is not None:
        kept["segmented"] = _flag(segmented, origin, "segmented")
    size = root.first("size")
    depth = None if size is None else size.first("depth")
    if depth is not None and depth.value():
        value = _number(depth, origin, "size.depth")
        kept["depth"] = int(value) if value.is_integer() else value
    for name in ("source", "owner"):
        block = root.first(name)
        if block is not None:
            kept[name] = {child.tag: child.value() for child in block.children}
    return {_METADATA: kept} if kept else {}


def read_file(path: Path, options: ReadOptions) -> ForeignSample:
    """The sample of one VOC annotation file (see the module for what maps to what)."""
    root = _parse(path)
    origin = Origin(str(path), root.line, "annotation")
    if root.tag != "annotation":
        raise ImportFailed(
            str(path), root.line, "", f"expected a Pascal VOC <annotation>, found <{root.tag}>"
        )
    filename = root.text_of("filename")
    if not filename:
        raise origin.error("filename", "expected the image's file name in <filename>")
    stem = path.stem
    image = _find_image(path, filename, root.text_of("folder"), options)
    size = _size(root, origin)
    if image is not None:
        media = probe_found(image, Modality.IMAGE, origin, "filename")
        if size is not None and size != (media.width, media.height):
            raise origin.error(
                "size",
                f"<size> says {size[0]}x{size[1]} but the image {image} is "
                f"{media.width}x{media.height}",
            )
    elif size is not None:
        media = MediaInfo(width=size[0], height=size[1])
    else:
        raise origin.error(
            "size",
            f"expected <size> with <width> and <height>, or the image {filename!r} under the "
            "media root, beside the file or in ../JPEGImages to take the size from",
        )
    stream = Stream(
        id=f"{stem}.image",
        name="image",
        modality=Modality.IMAGE,
        uri=filename if image is None else options.uri_of(image),
        media=media,
    )
    objects = _Read(stream.id, origin, options.default_label)
    for index, node in enumerate(root.all("object"), start=1):
        objects.take(node, f"{stem}.{index}", f"object[{index}]", None)
    sample = Sample(
        id=stem,
        external_id=filename,
        metadata=_metadata(root, origin),
        streams=[stream],
        annotations=objects.annotations,
        links=objects.links,
    )
    return ForeignSample(sample, origin, objects.parts)


def read(source: Path, options: ReadOptions) -> Iterator[ForeignSample]:
    """The samples of a VOC ``.xml`` file or folder, one file at a time."""
    for path in _xml_files(source):
        yield read_file(path, options)


# --- writing ---------------------------------------------------------------------------------


def _text(parent: ET.Element, tag: str, value: object) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = _format(value)
    return element


def _format(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _attribute_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _format(value)


def _object(
    parent: ET.Element,
    tag: str,
    annotation: Annotation,
    children: dict[str, list[Annotation]],
) -> None:
    element = ET.SubElement(parent, tag)
    _text(element, "name", annotation.label)
    attributes = dict(annotation.attributes)
    if isinstance(attributes.get("pose"), str):
        _text(element, "pose", attributes.pop("pose"))
    for name in FLAGS:
        if isinstance(attributes.get(name), bool):
            _text(element, name, attributes.pop(name))
    box = annotation.geometry
    assert isinstance(box, Box)
    bndbox = ET.SubElement(element, "bndbox")
    for name, value in zip(
        _BOX_FIELDS, (box.x + 1, box.y + 1, box.x + box.w, box.y + box.h), strict=True
    ):
        _text(bndbox, name, float(value))
    for part in children.get(annotation.id, ()):
        _object(element, "part", part, children)
    actions = {name: value for name, value in attributes.items() if isinstance(value, bool)}
    if actions:
        block = ET.SubElement(element, "actions")
        for name, value in actions.items():
            _text(block, name, value)
    others = {name: value for name, value in attributes.items() if name not in actions}
    if others:
        block = ET.SubElement(element, "attributes")
        for name, value in others.items():
            attribute = ET.SubElement(block, "attribute")
            _text(attribute, "name", name)
            _text(attribute, "value", _attribute_text(value))


def _wholes(boxes: dict[str, Annotation], links: Iterable[Link]) -> dict[str, str]:
    """Part id -> whole id for the ``part-of`` links VOC can hold: between two boxes of the
    stream, one whole per part, no cycles."""
    whole: dict[str, str] = {}
    for link in links:
        if (
            link.type == PART_OF
            and link.source in boxes
            and link.target in boxes
            and link.source not in whole
        ):
            ancestor: str | None = link.target
            while ancestor is not None and ancestor != link.source:
                ancestor = whole.get(ancestor)
            if ancestor is None:
                whole[link.source] = link.target
    return whole


def _name(stream: Stream, sample: Sample, taken: set[str]) -> str:
    base = stream.uri or sample.external_id or sample.id
    name = Path(base.replace("\\", "/")).name or sample.id
    stem = Path(name).stem
    if stem in taken:
        stem = f"{sample.id}_{stream.id}"
    taken.add(stem)
    return stem


@dataclass
class _Tally:
    files: list[str] = field(default_factory=list)
    samples: int = 0
    annotations: int = 0
    left: dict[str, int] = field(default_factory=dict)

    def leave(self, what: str, count: int = 1) -> None:
        self.left[what] = self.left.get(what, 0) + count


def _write_image(
    sample: Sample, stream: Stream, stem: str, folder: Path
) -> tuple[dict[str, str], set[str]]:
    """Write one image stream's file; the reader's id of each written annotation and the
    ids of the links written as parts."""
    boxes = {
        a.id: a
        for a in sample.annotations
        if a.stream == stream.id and isinstance(a.geometry, Box) and a.geometry.frame is None
    }
    wholes = _wholes(boxes, sample.links)
    children: dict[str, list[Annotation]] = {}
    for ident, annotation in boxes.items():
        if ident in wholes:
            children.setdefault(wholes[ident], []).append(annotation)
    root = ET.Element("annotation")
    kept = sample.metadata.get(_METADATA, {})
    if kept.get("folder"):
        _text(root, "folder", kept["folder"])
    filename = Path((stream.uri or sample.external_id or stem).replace("\\", "/")).name
    _text(root, "filename", filename)
    if kept.get("path"):
        _text(root, "path", kept["path"])
    for name in ("source", "owner"):
        if isinstance(kept.get(name), dict):
            block = ET.SubElement(root, name)
            for key, value in kept[name].items():
                _text(block, key, value)
    if stream.media.width and stream.media.height:
        size = ET.SubElement(root, "size")
        _text(size, "width", stream.media.width)
        _text(size, "height", stream.media.height)
        _text(size, "depth", kept.get("depth", 3))
    _text(root, "segmented", bool(kept.get("segmented", False)))
    ids: dict[str, str] = {}

    def number(annotation: Annotation, ident: str) -> None:
        ids[annotation.id] = ident
        for index, part in enumerate(children.get(annotation.id, ()), start=1):
            number(part, f"{ident}.{index}")

    tops = [annotation for ident, annotation in boxes.items() if ident not in wholes]
    for index, annotation in enumerate(tops, start=1):
        _object(root, "object", annotation, children)
        number(annotation, f"{stem}.{index}")
    ET.indent(root)
    ET.ElementTree(root).write(folder / f"{stem}.xml", encoding="utf-8", xml_declaration=True)
    carried = {
        link.id
        for link in sample.links
        if link.type == PART_OF and wholes.get(link.source) == link.target
    }
    return ids, carried


def write(samples: Iterable[Sample], ontology: Ontology, out: Path) -> WriteReport:
    """Write one VOC file per image stream into ``out/Annotations`` (see the module)."""
    folder = out / "Annotations"
    folder.mkdir(parents=True, exist_ok=True)
    tally = _Tally(files=["Annotations/"])
    taken: set[str] = set()
    with (out / NOT_CARRIED).open("wb") as sidecar:
        for sample in samples:
            tally.samples += 1
            ids: dict[str, str] = {}
            carried: set[str] = set()
            for stream in sample.streams:
                if stream.modality is Modality.IMAGE:
                    written, parts = _write_image(
                        sample, stream, _name(stream, sample, taken), folder
                    )
                    ids |= written
                    carried |= parts
            tally.annotations += len(ids)
            left = [a for a in sample.annotations if a.id not in ids]
            links = [link for link in sample.links if link.id not in carried]
            for annotation in left:
                tally.leave(f"{annotation.geometry.type} annotations")
            tally.leave("links", len(links))
            tally.leave("entities", len(sample.entities))
            if left or links or sample.entities:
                line = {
                    "sample": sample.id,
                    "external_id": sample.external_id,
                    "ids": ids,
                    "annotations": [a.model_dump(mode="json") for a in left],
                    "entities": [e.model_dump(mode="json") for e in sample.entities],
                    "links": [link.model_dump(mode="json") for link in links],
                }
                sidecar.write(orjson.dumps(line) + b"\n")
    not_carried = {
        what: f"{count} written to {NOT_CARRIED} (VOC holds boxes and part-of links only)"
        for what, count in sorted(tally.left.items())
        if count
    }
    if not_carried:
        tally.files.append(NOT_CARRIED)
    else:
        (out / NOT_CARRIED).unlink()
    return WriteReport(tally.files, tally.samples, tally.annotations, not_carried)


SPECS: Final = (
    FormatSpec(
        name="voc",
        title="Pascal VOC XML (boxes, parts, difficult/truncated)",
        read=read,
        write=write,
        not_carried=(
            "polygons",
            "masks",
            "keypoints",
            "tracks",
            "links other than part-of",
            "entities",
            "annotation sources",
        ),
    ),
)
