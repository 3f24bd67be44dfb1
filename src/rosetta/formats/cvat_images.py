"""CVAT for images 1.1 XML ("cvat-images"): read and write.

A file is ``<annotations>`` with ``<version>1.1</version>``, a ``<meta>`` block (the labels
and their attributes, `rosetta.formats.cvat_xml`) and one ``<image id name width height>``
per image holding its shapes and tags::

    <image id="0" name="img0.jpg" width="8" height="8">
      <box label="car" occluded="1" xtl="0" ytl="2" xbr="4" ybr="4" z_order="1">
        <attribute name="parked">true</attribute>
      </box>
      <tag label="daylight"/>
    </image>

**Reading.** A source is one file or a folder of ``*.xml`` files (in name order). Each
``<image>`` is a sample ``<file stem>.<image id>`` (``external_id``: the image's ``name``;
a later image of that name: ``<name>#<sample id>``, `rosetta.formats.external_ids`)
with one image stream ``<sample id>.image`` whose URI is the ``name`` (relative to the
media root) and whose size is the ``width``/``height`` the file gives (without them, the
image under ``ReadOptions.media_root`` is opened to read its size). Its children, in file
order, become annotations ``<sample id>.<n>`` (``n``: the child's position):
shapes as `rosetta.formats.cvat_shapes` converts them, ``<tag>`` a `Classification` of the
image; each with ``Source(kind="import", name="cvat-images")``, the label as written (an
empty label takes ``ReadOptions.default_label``, else it is an error) and the
``<attribute>`` children typed by the meta's input types.

What has no Rosetta field is kept in the sample's ``metadata["cvat"]``: ``image_id``,
``image`` (other ``<image>`` attributes such as ``subset``), ``shapes`` (per annotation id,
the XML attributes at non-default values: ``occluded="1"``, ``z_order``, ``group_id``,
``source``, ...) and ``kept_as_is`` (``polyline``, ``ellipse`` and ``cuboid`` shapes, as
elements with their position). CVAT groups (``group_id``) are not made entities: a group
may join any labels, a Rosetta entity only is-a related ones. The writer puts all of it
back, so a CVAT file read and written again keeps it.

The file is streamed (`rosetta.formats.cvat_xml`): one ``<image>`` at a time is held.

**Writing** (`write_images`): ``annotations.xml`` with every class of the ontology as a
label (attributes as CVAT input types; skeleton classes with their element labels) and
one ``<image>`` per image stream, its boxes, polygons, keypoints (``<points>`` or
``<skeleton>``), masks and classifications (``<tag>``). What CVAT for images cannot carry
(links, entities, annotations on other streams or of other kinds, sample-level
classifications, samples without an image) goes to ``not_carried.jsonl``
(`rosetta.formats.not_carried`), which the reader puts back.
"""

import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from rosetta.core.errors import ImportFailed
from rosetta.core.geometry import Box, Classification, Keypoints, Mask, Polygon
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, JsonDict, MediaInfo, Sample, Source, Stream
from rosetta.formats.cvat_shapes import (
    KEPT_AS_IS,
    SHAPES,
    cvat_metadata,
    entries,
    entry,
    integer,
    keypoint_names,
    required,
    shape_attributes,
    shape_element,
    shape_extras,
    shape_geometry,
    shape_label,
)
from rosetta.formats.cvat_xml import (
    CvatMeta,
    element_xml,
    input_type,
    labels_xml,
    read_meta,
    shape_xml,
    start_tag,
    unlike_read_back,
    xml_files,
)
from rosetta.formats.external_ids import distinct_external_ids
from rosetta.formats.found_media import probe_found
from rosetta.formats.interchange import (
    PREFERENCES,
    ForeignSample,
    FormatSpec,
    Origin,
    ReadOptions,
    WriteReport,
)
from rosetta.formats.not_carried import NotCarried, ReadBack, read_back_beside
from rosetta.formats.safe_xml import Capture, Element, feed, safe_parser
from rosetta.media.paths import is_file

NAME = "cvat-images"
_FILE = "annotations.xml"
SOURCE = Source(kind="import", name=NAME)
#: The ``<image>`` attributes read into the sample and its stream.
_IMAGE_ATTRS = frozenset({"id", "name", "width", "height"})
#: The geometries an ``<image>`` holds.
_WRITTEN = (Box, Polygon, Keypoints, Mask, Classification)


class _Reader:
    """Expat handlers yielding the ``<meta>`` block and each ``<image>`` as elements."""

    def __init__(self, file: str, parser: Any) -> None:
        self.file = file
        self.parser = parser
        self.done: list[CvatMeta | Element] = []
        self.capture = Capture()
        self.depth = 0
        self.version: list[str] | None = None
        self.version_line = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        line = self.parser.CurrentLineNumber
        if self.capture.active or (self.depth == 2 and name in ("meta", "image")):
            self.capture.start(name, attrs, line)
        elif self.depth == 1 and name != "annotations":
            raise ImportFailed(
                self.file, line, "", f"expected a CVAT XML file (<annotations>), found <{name}>"
            )
        elif self.depth == 2 and name == "version":
            self.version, self.version_line = [], line
        elif self.depth == 2 and name == "track":
            raise ImportFailed(
                self.file,
                line,
                "<track>",
                "a track belongs to a CVAT for video file: import this file as cvat-video",
            )
        elif self.depth == 2:
            raise ImportFailed(
                self.file, line, "", f"expected <version>, <meta> or <image>, found <{name}>"
            )

    def end(self, name: str) -> None:
        if self.capture.active:
            element = self.capture.end()
            if self.depth == 2:
                self.done.append(read_meta(element, self.file) if name == "meta" else element)
        elif self.depth == 2 and name == "version":
            version = "".join(self.version or ()).strip()
            self.version = None
            if version != "1.1":
                raise ImportFailed(
                    self.file, self.version_line, "version", f"expected 1.1, got {version!r}"
                )
        self.depth -= 1

    def characters(self, data: str) -> None:
        if self.version is not None:
            self.version.append(data)
        self.capture.characters(data)


def _size(image: Element, name: str, file: str, options: ReadOptions) -> tuple[int, int]:
    """The image's ``(width, height)``: from the file, else from the image itself."""
    if "width" in image.attrs or "height" in image.attrs:
        return integer(image, "width", file, 1), integer(image, "height", file, 1)
    path = None if options.media_root is None else options.media_root / name
    if path is None or not is_file(path):
        raise ImportFailed(
            file,
            image.line,
            "<image> width",
            "expected width and height attributes, or the image under the media root "
            f"to read its size from ({'no media root given' if path is None else f'{path}: not found'})",
        )
    origin = Origin(file, image.line, "<image>")
    media = probe_found(path, Modality.IMAGE, origin, "name", options)
    assert media.width is not None and media.height is not None
    return media.width, media.height


def _sample(
    image: Element, meta: CvatMeta, file: str, stem: str, options: ReadOptions
) -> ForeignSample:
    image_id = integer(image, "id", file)
    name = required(image, "name", file)
    width, height = _size(image, name, file, options)
    sample_id = f"{stem}.{image_id}"
    stream = Stream(
        id=f"{sample_id}.image",
        name="image",
        modality=Modality.IMAGE,
        uri=name,
        media=MediaInfo(width=width, height=height),
    )
    where = f'<image id="{image_id}">'
    annotations: list[Annotation] = []
    parts: dict[str, Origin] = {}
    shapes: dict[str, dict[str, str]] = {}
    kept: list[JsonDict] = []
    for index, child in enumerate(image.children):
        annotation_id = f"{sample_id}.{index}"
        origin = Origin(file, child.line, f"{where} <{child.tag}>")
        if child.tag in KEPT_AS_IS:
            kept.append({"index": index, **child.to_json()})
            continue
        if child.tag == "tag":
            geometry: Any = Classification()
        elif child.tag in SHAPES:
            geometry = shape_geometry(child, file, (width, height))
        else:
            raise origin.error("", f"unknown element <{child.tag}> in an <image>")
        label = shape_label(child, file, options.default_label)
        try:
            annotation = Annotation(
                id=annotation_id,
                stream=stream.id,
                label=label,
                geometry=geometry,
                attributes=shape_attributes(child, label, meta, file),
                source=SOURCE,
            )
        except ValidationError as exc:
            raise origin.error("", exc.errors(include_url=False)[0]["msg"]) from None
        annotations.append(annotation)
        parts[annotation_id] = origin
        extras = shape_extras(child)
        if extras:
            shapes[annotation_id] = extras
    cvat: JsonDict = {"image_id": image_id}
    extra_image = {k: v for k, v in image.attrs.items() if k not in _IMAGE_ATTRS}
    for key, value in (("image", extra_image), ("shapes", shapes), ("kept_as_is", kept)):
        if value:
            cvat[key] = value
    try:
        sample = Sample(
            id=sample_id,
            external_id=name,
            metadata={"cvat": cvat},
            streams=[stream],
            annotations=annotations,
        )
    except ValidationError as exc:
        raise ImportFailed(
            file, image.line, where, exc.errors(include_url=False)[0]["msg"]
        ) from None
    return ForeignSample(sample, Origin(file, image.line, where), parts)


def read_images(source: Path, options: ReadOptions) -> Iterator[ForeignSample]:
    """Stream the samples of a CVAT for images file, or of each ``*.xml`` in a folder, with
    what the `rosetta.formats.not_carried` file beside them keeps (reading the folder: and
    the samples it keeps whole)."""
    yield from read_back_beside(distinct_external_ids(_read_files(source, options)), source)


def _read_files(source: Path, options: ReadOptions) -> Iterator[ForeignSample]:
    for path in xml_files(source):
        file = str(path)
        parser = safe_parser(file)
        reader = _Reader(file, parser)
        parser.StartElementHandler = reader.start
        parser.EndElementHandler = reader.end
        parser.CharacterDataHandler = reader.characters
        meta = CvatMeta()
        seen: dict[int, int] = {}
        for item in feed(path, parser, reader.done):
            if isinstance(item, CvatMeta):
                meta = item
                continue
            foreign = _sample(item, meta, file, path.stem, options)
            image_id = foreign.sample.metadata["cvat"]["image_id"]
            if image_id in seen:
                raise ImportFailed(
                    file,
                    item.line,
                    "<image> id",
                    f"{image_id} given twice (first on line {seen[image_id]})",
                )
            seen[image_id] = item.line
            yield foreign


# --- writing ---------------------------------------------------------------------------------


def _position(kept: JsonDict) -> int:
    """Where a kept shape stood among its image's children."""
    index = kept.get("index")
    return index if isinstance(index, int) else 0


class _ImageWriter:
    """Writes ``<image>`` elements into the body of the file, noting what the meta needs."""

    def __init__(self, body: Any) -> None:
        self.body = body
        self.used_ids: set[int] = set()
        self.next_id = 0
        self.images = 0
        self.annotations = 0
        self.labels: dict[str, dict[str, str]] = {}
        self.skeletons: dict[str, list[str]] = {}

    def image_id(self, wanted: object) -> int:
        if type(wanted) is int and wanted >= 0 and wanted not in self.used_ids:
            chosen = wanted
        else:
            while self.next_id in self.used_ids:
                self.next_id += 1
            chosen = self.next_id
        self.used_ids.add(chosen)
        return chosen

    def shape(self, annotation: Annotation, extras: dict[str, str]) -> Element:
        base = {
            "label": annotation.label,
            "source": "auto" if annotation.source.kind == "model" else "manual",
            "occluded": "0",
            "z_order": "0",
        }
        attrs = {**base, **{k: str(v) for k, v in extras.items()}}
        geometry = annotation.geometry
        if isinstance(geometry, Classification):
            attrs.pop("occluded", None)
            attrs.pop("z_order", None)
            element = Element("tag", attrs, 0)
        else:
            made = shape_element(geometry, attrs)
            assert made is not None
            element = made
            if isinstance(geometry, Keypoints):
                names = keypoint_names(geometry)
                if names is not None:
                    known = self.skeletons.setdefault(annotation.label, [])
                    known.extend(n for n in names if n not in known)
        kinds = self.labels.setdefault(annotation.label, {})
        for name, value in annotation.attributes.items():
            kinds.setdefault(name, input_type(value))
        return element

    def write(
        self,
        sample: Sample,
        stream: Stream,
        image_id: int,
        cvat: JsonDict,
        back: ReadBack,
        *,
        first: bool,
    ) -> None:
        """Write the image of `stream`, noting in `back` the ids its records get when read
        back (the sample ``annotations.<image id>``)."""
        attrs = {
            "id": str(image_id),
            "name": stream.uri or sample.external_id or stream.id,
            "width": str(stream.media.width or 0),
            "height": str(stream.media.height or 0),
            **({k: str(v) for k, v in entry(cvat, "image").items()} if first else {}),
        }
        shapes = entry(cvat, "shapes") if first else {}
        kept = sorted(entries(cvat, "kept_as_is") if first else [], key=_position)
        lines = [f"  {start_tag('image', attrs)}\n"]
        read_as = f"{_FILE.removesuffix('.xml')}.{image_id}"
        back.put(stream.id, read_as, f"{read_as}.image")
        position = 0
        for annotation in sample.annotations:
            if (
                annotation.stream != stream.id
                or not isinstance(annotation.geometry, _WRITTEN)
                or getattr(annotation.geometry, "frame", None) is not None
            ):
                continue
            while kept and _position(kept[0]) <= position:
                lines.append(element_xml(Element.from_json(kept.pop(0)), "    "))
                position += 1
            element = self.shape(annotation, entry(shapes, annotation.id))
            lines.append(shape_xml(element, annotation.attributes, "    "))
            back.put(annotation.id, read_as, f"{read_as}.{position}")
            unlike = unlike_read_back(annotation.attributes)
            if unlike:
                back.drop(annotation.id, "attributes", {"attributes": unlike})
            position += 1
            self.annotations += 1
        lines.extend(element_xml(Element.from_json(k), "    ") for k in kept)
        lines.append("  </image>\n")
        self.body.write("".join(lines))
        self.images += 1


def write_images(samples: Iterable[Sample], ontology: Ontology, out: Path) -> WriteReport:
    """Write `samples` as ``annotations.xml`` in the folder `out`; what it cannot hold to
    ``not_carried.jsonl``."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / _FILE
    body_path = out / f".{_FILE}.body"
    written_samples = 0
    try:
        with body_path.open("w", encoding="utf-8") as body, NotCarried(out) as sidecar:
            writer = _ImageWriter(body)
            for sample in samples:
                back = ReadBack()
                images = [s for s in sample.streams if s.modality is Modality.IMAGE]
                cvat = cvat_metadata(sample)
                for index, stream in enumerate(images):
                    image_id = writer.image_id(cvat.get("image_id") if index == 0 else None)
                    writer.write(sample, stream, image_id, cvat, back, first=index == 0)
                if images:
                    written_samples += 1
                    back.drop_sample_fields(sample, carried=("cvat",))
                sidecar.add(sample, back)
        with target.open("w", encoding="utf-8") as handle, body_path.open(encoding="utf-8") as body:
            handle.write(
                '<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n  <version>1.1</version>\n'
                f"  <meta>\n    <task>\n      <size>{writer.images}</size>\n"
                "      <mode>annotation</mode>\n"
                + labels_xml(ontology, used=writer.labels, skeletons=writer.skeletons)
                + "    </task>\n  </meta>\n"
            )
            shutil.copyfileobj(body, handle)
            handle.write("</annotations>\n")
    finally:
        body_path.unlink(missing_ok=True)
    files = [_FILE, *sidecar.files()]
    return WriteReport(files, written_samples, writer.annotations, sidecar.report())


SPECS = (
    FormatSpec(
        name=NAME,
        title="CVAT for images 1.1 XML",
        read=read_images,
        write=write_images,
        not_carried=(
            "links",
            "entities",
            "annotations on non-image streams",
            "sample-level classifications",
            PREFERENCES,
        ),
    ),
)
