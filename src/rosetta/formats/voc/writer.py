"""Writing Pascal VOC XML: one ``Annotations/<image name>.xml`` per image stream.

The boxes become objects (the reverse of the reader's conversion: ``xmin = x + 1``,
``xmax = x + w``, integers without a decimal point), boxes that are the source of exactly
one ``part-of`` link to another box of the stream ``<part>`` of it, attributes back where
they came from (``<pose>``, the three flags, other booleans as ``<actions>``, anything
else in an ``<attributes>`` block), the ``voc`` metadata back. What VOC cannot hold (other
geometries, other links, entities, annotations on other streams, other metadata, attribute
values that would read back otherwise) goes to ``not_carried.jsonl``
(`rosetta.formats.not_carried`), which the reader puts back.
"""

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from rosetta.core.geometry import Box
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Link, Sample, Stream
from rosetta.formats.interchange import WriteReport
from rosetta.formats.media_names import Stems, media_name
from rosetta.formats.not_carried import NotCarried, ReadBack
from rosetta.formats.voc.reader import BOX_FIELDS, FLAGS, METADATA, PART_OF, attribute_value
from rosetta.formats.xml_values import number, value_text


def _text(parent: ET.Element, tag: str, value: object) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = _format(value)
    return element


def _format(value: object) -> str:
    """An element's text: a flag as ``0``/``1``, a float in its shortest form."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return number(value) if isinstance(value, float) else str(value)


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
        BOX_FIELDS, (box.x + 1, box.y + 1, box.x + box.w, box.y + box.h), strict=True
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
            _text(attribute, "value", value_text(value))


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


def _write_image(sample: Sample, stream: Stream, stem: str, folder: Path, back: ReadBack) -> int:
    """Write one image stream's file, noting in `back` the id each written record (the
    stream, boxes, part-of links) gets when read back; how many boxes it holds."""
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
    kept = sample.metadata.get(METADATA, {})
    if kept.get("folder"):
        _text(root, "folder", kept["folder"])
    filename = media_name(stream, sample)
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
    back.put(stream.id, stem, f"{stem}.image")

    def put(annotation: Annotation, ident: str) -> None:
        back.put(annotation.id, stem, ident)
        _drop_changed(annotation, back)
        for index, part in enumerate(children.get(annotation.id, ()), start=1):
            put(part, f"{ident}.{index}")

    tops = [annotation for ident, annotation in boxes.items() if ident not in wholes]
    for index, annotation in enumerate(tops, start=1):
        _object(root, "object", annotation, children)
        put(annotation, f"{stem}.{index}")
    ET.indent(root)
    ET.ElementTree(root).write(folder / f"{stem}.xml", encoding="utf-8", xml_declaration=True)
    for link in sample.links:
        if link.type == PART_OF and wholes.get(link.source) == link.target:
            back.put(link.id, stem, f"{back.ids[link.source][1]}.{PART_OF}")
            if link.attributes:
                back.drop(link.id, "link attributes", {"attributes": link.attributes})
    return len(boxes)


def _drop_changed(annotation: Annotation, back: ReadBack) -> None:
    """Drop the attributes that read back otherwise than they are (lists, objects, text
    that reads as a number or a flag), so that `rosetta.formats.not_carried` puts them
    back as they were."""
    changed = {
        name: value
        for name, value in annotation.attributes.items()
        if _read_as(name, value) != value or type(_read_as(name, value)) is not type(value)
    }
    if changed:
        back.drop(annotation.id, "attributes", {"attributes": changed})


def _read_as(name: str, value: object) -> object:
    """What an attribute written by `_object` reads back as."""
    if isinstance(value, bool):
        return value
    if name == "pose" and isinstance(value, str):
        return value.strip() or None  # an empty pose is not written
    return attribute_value(value_text(value).strip())


def write(samples: Iterable[Sample], ontology: Ontology, out: Path) -> WriteReport:
    """Write one VOC file per image stream into ``out/Annotations`` (see the module)."""
    folder = out / "Annotations"
    folder.mkdir(parents=True, exist_ok=True)
    stems = Stems()
    count = boxes = 0
    with NotCarried(out, "VOC holds boxes and part-of links only") as sidecar:
        for sample in samples:
            count += 1
            back = ReadBack()
            for stream in sample.streams:
                if stream.modality is Modality.IMAGE:
                    boxes += _write_image(sample, stream, stems.take(stream, sample), folder, back)
            back.drop_sample_fields(sample, carried=(METADATA,))
            sidecar.add(sample, back)
    files = ["Annotations/", *sidecar.files()]
    return WriteReport(files, count, boxes, sidecar.report())
