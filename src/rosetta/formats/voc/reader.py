"""Reading Pascal VOC XML: one sample per ``<annotation>`` file.

The source is one ``.xml`` file or a folder (its ``Annotations/`` when it has one, else the
``.xml`` files in it, in name order); each file is one sample, id the file's stem,
``external_id`` the ``<filename>`` (a later file of the same ``<filename>``:
``<filename>#<stem>``, `rosetta.formats.external_ids`), with one image stream
``<stem>.image``.

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
  Fractional coordinates are converted by the same rule. A coordinate below 1 is refused,
  naming the element: such a file counts from 0, and a file cannot say which convention
  it follows. ``ReadOptions.zero_based_pixels`` reads every coordinate as an edge counted
  from 0, as Datumaro and CVAT write VOC (``x = xmin``, ``w = xmax - xmin``).
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

The XML is parsed by `rosetta.formats.safe_xml` (entity declarations and external entities
refused: no billion laughs, no file disclosure) into elements that keep their lines, so
every error names the file, the line and the element.
"""

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from rosetta.core.errors import ImportFailed
from rosetta.core.geometry import Box
from rosetta.core.modality import Modality
from rosetta.core.schema import Annotation, Link, MediaInfo, Sample, Source, Stream
from rosetta.formats.external_ids import distinct_external_ids
from rosetta.formats.found_media import probe_found
from rosetta.formats.interchange import ForeignSample, Origin, ReadOptions
from rosetta.formats.not_carried import read_back
from rosetta.formats.safe_xml import Element, parse_tree
from rosetta.media.paths import is_file

#: The relation type that joins a part to its whole.
PART_OF: Final = "part-of"
#: The object flags VOC writes as ``0``/``1`` elements.
FLAGS: Final = ("truncated", "difficult", "occluded")
#: ``Sample.metadata[METADATA]`` keeps the image-level elements.
METADATA: Final = "voc"
BOX_FIELDS: Final = ("xmin", "ymin", "xmax", "ymax")
_SOURCE: Final = Source(kind="import", name="voc")


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
    return next((path for path in candidates if is_file(path)), None)


def _number(node: Element, origin: Origin, element: str) -> float:
    text = node.text.strip()
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ImportFailed(origin.file, node.line, element, f"expected a number, got {text!r}")
    return value


def _size(root: Element, origin: Origin) -> tuple[int, int] | None:
    size = root.find("size")
    if size is None:
        return None
    found = []
    for name in ("width", "height"):
        node = size.find(name)
        if node is None:
            return None
        value = _number(node, origin, f"size.{name}")
        if value < 0 or not value.is_integer():
            raise ImportFailed(
                origin.file, node.line, f"size.{name}", f"expected a whole number, got {value:g}"
            )
        found.append(int(value))
    return None if 0 in found else (found[0], found[1])


def _flag(node: Element, origin: Origin, element: str) -> bool:
    text = node.text.strip()
    if text not in ("0", "1"):
        raise ImportFailed(origin.file, node.line, element, f"expected 0 or 1, got {text!r}")
    return text == "1"


def attribute_value(text: str) -> bool | int | float | str:
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


def _attributes(node: Element, origin: Origin, element: str) -> dict[str, Any]:
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

    pose = node.find("pose")
    if pose is not None and pose.text.strip():
        put("pose", pose.text.strip(), pose.line)
    for name in FLAGS:
        flag = node.find(name)
        if flag is not None:
            put(name, _flag(flag, origin, f"{element}.{name}"), flag.line)
    for actions in node.find_all("actions"):
        for action in actions.children:
            put(action.tag, _flag(action, origin, f"{element}.actions.{action.tag}"), action.line)
    for block in node.find_all("attributes"):
        for attribute in block.find_all("attribute"):
            key = attribute.child_text("name")
            if not key:
                raise ImportFailed(
                    origin.file, attribute.line, f"{element}.attributes", "expected a <name>"
                )
            put(key, attribute_value(attribute.child_text("value") or ""), attribute.line)
    return found


def _box(node: Element, origin: Origin, element: str, zero_based: bool) -> Box:
    """The object's ``<bndbox>`` in Rosetta's pixels: 1-based inclusive (VOC's), or, when
    `zero_based`, edges counted from 0."""
    bndbox = node.find("bndbox")
    if bndbox is None:
        raise ImportFailed(
            origin.file,
            node.line,
            f"{element}.bndbox",
            "expected <bndbox> with xmin ymin xmax ymax",
        )
    values = []
    least = 0 if zero_based else 1
    for name in BOX_FIELDS:
        child = bndbox.find(name)
        if child is None:
            raise ImportFailed(
                origin.file, bndbox.line, f"{element}.bndbox.{name}", f"expected <{name}>"
            )
        value = _number(child, origin, f"{element}.bndbox.{name}")
        if name.endswith("min") and value < least:
            detail = (
                f"expected at least 1 (VOC pixel coordinates are 1-based), got {value:g}; "
                "a file counting from 0 is read with the zero_based_pixels option"
                if least
                else f"expected at least 0, got {value:g}"
            )
            raise ImportFailed(origin.file, child.line, f"{element}.bndbox.{name}", detail)
        values.append(value)
    xmin, ymin, xmax, ymax = values
    if zero_based:
        if xmax <= xmin or ymax <= ymin:
            raise ImportFailed(
                origin.file,
                bndbox.line,
                f"{element}.bndbox",
                f"expected xmax > xmin and ymax > ymin (edges counted from 0), got {values}",
            )
        return Box(x=xmin, y=ymin, w=xmax - xmin, h=ymax - ymin)
    w, h = xmax - xmin + 1, ymax - ymin + 1
    if w <= 0 or h <= 0:  # (not xmax < xmin - 1: rounding may leave a width of 0)
        raise ImportFailed(
            origin.file,
            bndbox.line,
            f"{element}.bndbox",
            f"expected xmax >= xmin and ymax >= ymin (pixels xmin..xmax are covered), got {values}",
        )
    return Box(x=xmin - 1, y=ymin - 1, w=w, h=h)


@dataclass
class _Read:
    """What the objects of one file became."""

    stream: str
    origin: Origin
    options: ReadOptions
    annotations: list[Annotation] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    parts: dict[str, Origin] = field(default_factory=dict)

    def take(self, node: Element, ident: str, element: str, whole: str | None) -> None:
        origin = Origin(self.origin.file, node.line, element)
        label = node.child_text("name") or self.options.default_label
        if not label:
            raise origin.error("name", "expected the object's class in <name>")
        self.annotations.append(
            Annotation(
                id=ident,
                stream=self.stream,
                label=label,
                geometry=_box(node, origin, element, self.options.zero_based_pixels),
                attributes=_attributes(node, origin, element),
                source=_SOURCE,
            )
        )
        self.parts[ident] = origin
        if whole is not None:
            link = f"{ident}.{PART_OF}"
            self.links.append(Link(id=link, type=PART_OF, source=ident, target=whole))
            self.parts[link] = origin
        for index, part in enumerate(node.find_all("part"), start=1):
            self.take(part, f"{ident}.{index}", f"{element}.part[{index}]", ident)


def _metadata(root: Element, origin: Origin) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for name in ("folder", "path"):
        text = root.child_text(name)
        if text:
            kept[name] = text
    segmented = root.find("segmented")
    if segmented is not None:
        kept["segmented"] = _flag(segmented, origin, "segmented")
    size = root.find("size")
    depth = None if size is None else size.find("depth")
    if depth is not None and depth.text.strip():
        value = _number(depth, origin, "size.depth")
        kept["depth"] = int(value) if value.is_integer() else value
    for name in ("source", "owner"):
        block = root.find(name)
        if block is not None:
            kept[name] = {child.tag: child.text.strip() for child in block.children}
    return {METADATA: kept} if kept else {}


def read_file(path: Path, options: ReadOptions) -> ForeignSample:
    """The sample of one VOC annotation file (see the module for what maps to what)."""
    root = parse_tree(path)
    origin = Origin(str(path), root.line, "annotation")
    if root.tag != "annotation":
        raise ImportFailed(
            str(path), root.line, "", f"expected a Pascal VOC <annotation>, found <{root.tag}>"
        )
    filename = root.child_text("filename")
    if not filename:
        raise origin.error("filename", "expected the image's file name in <filename>")
    stem = path.stem
    image = _find_image(path, filename, root.child_text("folder"), options)
    size = _size(root, origin)
    if image is not None:
        media = probe_found(image, Modality.IMAGE, origin, "filename", options)
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
    objects = _Read(stream.id, origin, options)
    for index, node in enumerate(root.find_all("object"), start=1):
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
    """The samples of a VOC ``.xml`` file or folder, one file at a time, with what the
    `rosetta.formats.not_carried` file of the export folder keeps for them (reading the
    folder: and the samples it keeps whole)."""
    folder = source if source.is_dir() else source.parent
    if folder.name == "Annotations":
        folder = folder.parent
    samples = distinct_external_ids(read_file(path, options) for path in _xml_files(source))
    yield from read_back(samples, folder, whole=source.is_dir())
