"""COCO instances JSON and COCO results files (https://cocodataset.org/#format-data).

**Reading.** An *instances* file (``{"images", "annotations", "categories"}``) gives one
sample per image: one image stream (``uri`` and ``external_id`` = ``file_name``; width and
height from the image record, else probed (`rosetta.media.probe`) under ``ReadOptions.media_root``).
Each COCO annotation becomes the Rosetta annotations of its parts, labelled with its
category's *name* (mapping onto the ontology happens afterwards, `label_map`):

- ``segmentation`` as polygons → one `Polygon` per polygon (a closing point repeating the
  first is dropped). An object of several polygons keeps every polygon as its own
  annotation, joined by an `Entity` (no label) that says they are one object;
- ``segmentation`` as RLE → a `Mask`: compressed (``counts`` a string) as it is,
  uncompressed (``counts`` a list) compressed with pycocotools ``frPyObjects``;
- no segmentation → a `Box` from ``bbox`` (``[x, y, w, h]``, pixels, top-left: Rosetta's
  own convention, so no conversion). With a segmentation the ``bbox`` and ``area`` are
  derived from it (as pycocotools does) and not read;
- ``keypoints`` with at least one visible or hidden point → `Keypoints` named by the
  category's ``keypoints``, one more part of the object's entity; all-zero keypoints
  (``num_keypoints`` 0) are no keypoints. The category's ``skeleton`` is kept in the
  sample's metadata (``coco.skeletons``, by keypoint names) for the writer;
- ``iscrowd: 1`` → the attribute ``iscrowd: true`` (so the class needs a bool attribute
  ``iscrowd``); the non-standard ``attributes`` object (CVAT, Datumaro) → the attributes.

A *results* file (a bare list of detections with ``score``, no images or categories) is
read against the images and categories of the instances file(s) in its folder: each
detection is a model candidate (``Source(kind="model", name=<file stem> or the
detection's ``model``, confidence=score)``) with a segmentation, keypoints or else a box, as
above. Keypoint scores in place of visibilities (values other than 0, 1, 2) read as 2.

A *folder* is read whole: every instances file and results file in it (JSON files of
other kinds, e.g. a dataset card, are skipped), merged by image (an annotation listed in
two instances files under one id, as COCO's ``instances_*`` and ``person_keypoints_*``
do, is one object), and the sidecar ``links.jsonl`` that `write_coco` writes beside them:
its entities and links are put back. Ids: sample ``<stem>.<image id>``, stream
``<stem>.<image id>.image``, annotation ``<stem>.<image id>.<annotation id>`` for an
object's first part and ``...<annotation id>.<k>`` for its k-th (k ≥ 2), entity
``...<annotation id>.object``; a detection's ``<annotation id>`` is its index in the list.

A COCO file is one JSON document, so a file is parsed whole (pydantic, straight from the
bytes) before its first sample is yielded; samples are then built one at a time. JSON
cannot say on which line a record is: errors name the file and the record's place
(``annotations[3] (id 7): bbox``); a syntax error names the line.

**Writing** is `rosetta.formats.coco_writer.write_coco`: the same mapping the other way,
with what COCO cannot hold (links, entities, other geometries) in the sidecar
``links.jsonl`` that a folder import reads back.
"""

import codecs
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import orjson
from pycocotools import mask as mask_utils
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from rosetta.core.errors import ImportFailed
from rosetta.core.geometry import Box, Keypoints, Mask, Polygon, Rle
from rosetta.core.modality import Modality
from rosetta.core.schema import (
    Annotation,
    Entity,
    Link,
    MediaInfo,
    Sample,
    Source,
    Stream,
)
from rosetta.formats.coco_writer import IMAGE_KEYS, SIDECAR, write_coco
from rosetta.formats.found_media import probe_found
from rosetta.formats.interchange import (
    ForeignSample,
    FormatSpec,
    Origin,
    ReadOptions,
)

_IMPORTED = Source(kind="import", name="coco")
_ID_LENGTH: Final = 64

# --- the format's own records ---------------------------------------------------------------


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CocoImage(BaseModel):
    """An ``images`` entry; other keys (license, URLs, dates) are kept as they are."""

    model_config = ConfigDict(extra="allow", frozen=True)
    id: int
    file_name: str = Field(min_length=1)
    width: int | None = Field(default=None, gt=0)
    height: int | None = Field(default=None, gt=0)


class CocoCategory(_Record):
    """A ``categories`` entry (``supercategory`` is not read: the ontology has the tree)."""

    id: int
    name: str = Field(min_length=1)
    keypoints: list[str] | None = None
    skeleton: list[tuple[int, int]] | None = None


class CocoObject(_Record):
    """What an annotation and a detection share: where, which category, the shapes."""

    image_id: int
    category_id: int
    segmentation: list[Any] | dict[str, Any] | None = None
    bbox: list[float] | None = None
    keypoints: list[float] | None = None
    iscrowd: int = Field(default=0, ge=0, le=1)
    attributes: dict[str, Any] = Field(default_factory=dict)


class CocoAnnotation(CocoObject):
    """An ``annotations`` entry of an instances file."""

    id: int


class CocoDetection(CocoObject):
    """An entry of a results file; ``model``/``model_version`` are `write_coco`'s extras."""

    score: float
    model: str | None = None
    model_version: str | None = None


class CocoInstances(_Record):
    """An instances file."""

    images: list[CocoImage]
    annotations: list[CocoAnnotation] = Field(default_factory=list)
    categories: list[CocoCategory] = Field(default_factory=list)


_RESULTS: TypeAdapter[list[CocoDetection]] = TypeAdapter(list[CocoDetection])


@dataclass(frozen=True)
class _Document:
    path: Path
    instances: CocoInstances | None = None
    results: list[CocoDetection] | None = None

    @property
    def stem(self) -> str:
        return self.path.stem


# --- parsing --------------------------------------------------------------------------------

_AT_LINE = re.compile(r"line (\d+)")


def _failure(file: Path, error: ValidationError) -> ImportFailed:
    first = error.errors(include_url=False)[0]
    loc = list(first["loc"])
    if first["type"] == "json_invalid":
        found = _AT_LINE.search(first["msg"])
        return ImportFailed(str(file), int(found.group(1)) if found else 0, "", first["msg"])
    # the record (``annotations[3]``, ``[3]`` in a results list), then the field in it
    split = next((i + 1 for i, part in enumerate(loc) if isinstance(part, int)), 0)
    detail = (
        "a value is required here"
        if first["type"] == "missing"
        else f"{first['msg']} (got {_shown(first.get('input'))})"
    )
    return Origin(str(file), 0, _path(loc[:split]) or None).error(_path(loc[split:]), detail)


def _path(loc: list[int | str]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _load(path: Path, *, in_folder: bool) -> _Document | None:
    """The COCO document at `path`; in a folder, ``None`` for JSON of another kind."""
    raw = path.read_bytes().removeprefix(codecs.BOM_UTF8)
    start = raw.lstrip()[:1]
    try:
        if start == b"[":
            return _Document(path, results=_RESULTS.validate_json(raw))
        if start == b"{":
            return _Document(path, instances=CocoInstances.model_validate_json(raw))
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        if in_folder and first["type"] == "missing" and first["loc"] == ("images",):
            return None  # a dataset card, an ontology: not COCO
        raise _failure(path, error) from None
    raise ImportFailed(
        str(path),
        1,
        "",
        "expected a COCO instances file (an object with images, annotations, categories) "
        "or a results file (a list of detections)",
    )


# --- reading --------------------------------------------------------------------------------


@dataclass
class _Image:
    record: CocoImage
    document: _Document
    index: int

    @property
    def origin(self) -> Origin:
        return Origin(str(self.document.path), 0, f"images[{self.index}] (id {self.record.id})")


@dataclass
class _Object:
    """One COCO annotation or detection of an image, and where it was read."""

    record: CocoAnnotation | CocoDetection
    document: _Document
    index: int
    key: int
    """The annotation's id, or the detection's index."""

    @property
    def origin(self) -> Origin:
        if isinstance(self.record, CocoAnnotation):
            where = f"annotations[{self.index}] (id {self.record.id})"
        else:
            where = f"[{self.index}]"
        return Origin(str(self.document.path), 0, where)


@dataclass
class _Catalog:
    """The images and categories of the instances files, and each image's objects."""

    images: dict[int, _Image] = field(default_factory=dict)
    categories: dict[int, CocoCategory] = field(default_factory=dict)
    objects: defaultdict[int, list[_Object]] = field(default_factory=lambda: defaultdict(list))
    by_id: dict[tuple[int, int], _Object] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)

    def add_images(self, document: _Document) -> None:
        assert document.instances is not None
        for index, image in enumerate(document.instances.images):
            here = Origin(str(document.path), 0, f"images[{index}] (id {image.id})")
            known = self.images.get(image.id)
            if known is None:
                if image.file_name in self.names:
                    raise here.error("file_name", f"{image.file_name!r} names another image too")
                self.names.add(image.file_name)
                self.images[image.id] = _Image(image, document, index)
            elif known.record.file_name != image.file_name:
                raise here.error(
                    "file_name",
                    f"image {image.id} is {known.record.file_name!r} in "
                    f"{known.document.path.name}, {image.file_name!r} here",
                )
            elif known.document is document:
                raise here.error("id", f"image id {image.id} is used twice")
        for index, category in enumerate(document.instances.categories):
            seen = self.categories.get(category.id)
            if seen is not None and seen.name != category.name:
                raise Origin(str(document.path), 0, f"categories[{index}]").error(
                    "name", f"category {category.id} is {seen.name!r} elsewhere"
                )
            if seen is None or (category.keypoints and not seen.keypoints):
                self.categories[category.id] = category

    def add_annotations(self, document: _Document) -> None:
        assert document.instances is not None
        for index, annotation in enumerate(document.instances.annotations):
            item = _Object(annotation, document, index, annotation.id)
            self._check(item)
            known = self.by_id.get((annotation.image_id, annotation.id))
            if known is None:
                self.by_id[(annotation.image_id, annotation.id)] = item
                self.objects[annotation.image_id].append(item)
            else:
                known.record = _merged(known, item)

    def add_detections(self, document: _Document) -> None:
        assert document.results is not None
        for index, detection in enumerate(document.results):
            item = _Object(detection, document, index, index)
            self._check(item)
            self.objects[detection.image_id].append(item)

    def _check(self, item: _Object) -> None:
        if item.record.image_id not in self.images:
            raise item.origin.error(
                "image_id", f"{item.record.image_id} is not the id of an image of {self._where()}"
            )
        if item.record.category_id not in self.categories:
            raise item.origin.error(
                "category_id",
                f"{item.record.category_id} is not the id of a category of {self._where()}",
            )

    def _where(self) -> str:
        files = sorted({image.document.path.name for image in self.images.values()})
        return ", ".join(files) or "the instances files"


def _merged(known: _Object, again: _Object) -> CocoAnnotation:
    """One annotation listed by two instances files: the first's fields, completed."""
    first, second = known.record, again.record
    assert isinstance(first, CocoAnnotation) and isinstance(second, CocoAnnotation)
    if known.document is again.document:
        raise again.origin.error("id", f"annotation id {second.id} is used twice")
    if first.category_id != second.category_id:
        raise again.origin.error(
            "category_id",
            f"annotation {second.id} is of category {first.category_id} in "
            f"{known.document.path.name}",
        )
    update = {
        name: getattr(second, name)
        for name in ("segmentation", "bbox", "keypoints")
        if not getattr(first, name) and getattr(second, name)
    }
    return first.model_copy(update=update)


def read_coco(source: Path, options: ReadOptions) -> Iterator[ForeignSample]:
    """Stream the samples of a COCO instances file, a results file (with the instances
    files beside it) or a folder of them (see the module)."""
    if source.is_dir():
        catalog, sidecar = _folder(source)
    elif source.is_file():
        catalog, sidecar = _file(source), {}
    else:
        raise ImportFailed(str(source), 0, "", "no such file or folder")
    for image_id, image in catalog.images.items():
        yield _sample(
            image,
            catalog.objects.get(image_id, []),
            catalog.categories,
            sidecar.get(image.record.file_name, []),
            options,
        )


def _folder(source: Path) -> tuple[_Catalog, dict[str, list[tuple[int, dict[str, Any]]]]]:
    """Every COCO file of the folder, and its sidecar by image."""
    documents = [
        document
        for path in sorted(source.glob("*.json"))
        if (document := _load(path, in_folder=True)) is not None
    ]
    instances = [document for document in documents if document.instances is not None]
    if not documents:
        raise ImportFailed(str(source), 0, "", "expected COCO JSON files in this folder")
    if not instances:
        raise ImportFailed(str(source), 0, "", "a results file needs an instances file beside it")
    catalog = _Catalog()
    for document in instances:
        catalog.add_images(document)
    for document in documents:
        if document.instances is not None:
            catalog.add_annotations(document)
        else:
            catalog.add_detections(document)
    if not (source / SIDECAR).is_file():
        return catalog, {}
    return catalog, _read_sidecar(source / SIDECAR, catalog)


def _file(source: Path) -> _Catalog:
    """An instances file, or a results file with the images of the instances beside it."""
    document = _load(source, in_folder=False)
    assert document is not None
    catalog = _Catalog()
    if document.instances is not None:
        catalog.add_images(document)
        catalog.add_annotations(document)
        return catalog
    companions = [
        found
        for path in sorted(source.parent.glob("*.json"))
        if path != source
        and (found := _load(path, in_folder=True)) is not None
        and found.instances is not None
    ]
    if not companions:
        raise ImportFailed(
            str(source),
            0,
            "",
            "a results file names images and categories by id only: put the instances file "
            "they come from beside it",
        )
    for companion in companions:
        catalog.add_images(companion)
    catalog.add_detections(document)
    return catalog


def _media(image: _Image, options: ReadOptions) -> MediaInfo:
    record = image.record
    if record.width is not None and record.height is not None:
        return MediaInfo(width=record.width, height=record.height)
    if options.media_root is None:
        raise image.origin.error(
            "width", "missing: give the folder of the images (media root) to measure them"
        )
    return probe_found(
        options.media_root / record.file_name, Modality.IMAGE, image.origin, "file_name"
    )


def _sample(
    image: _Image,
    objects: list[_Object],
    categories: dict[int, CocoCategory],
    sidecar: list[tuple[int, dict[str, Any]]],
    options: ReadOptions,
) -> ForeignSample:
    record = image.record
    sample_id = f"{image.document.stem}.{record.id}"
    stream_id = f"{sample_id}.image"
    _check_length(stream_id, image.document, image.origin)
    media = _media(image, options)
    annotations: list[Annotation] = []
    entities: list[Entity] = []
    parts: dict[str, Origin] = {}
    skeletons: dict[tuple[str, ...], list[tuple[int, int]]] = {}
    for item in objects:
        origin = item.origin
        category = categories[item.record.category_id]
        prefix = f"{item.document.stem}.{record.id}.{item.key}"
        shapes = _parts(item.record, category, origin)
        ids = [prefix] + [f"{prefix}.{k}" for k in range(2, len(shapes) + 1)]
        _check_length(ids[-1] if len(ids) == 1 else f"{prefix}.object", item.document, origin)
        source = _source(item, origin)
        attributes = _attributes(item.record)
        annotations += [
            Annotation(
                id=ident,
                stream=stream_id,
                label=category.name,
                geometry=shape,
                attributes=attributes,
                source=source,
            )
            for ident, shape in zip(ids, shapes, strict=True)
        ]
        parts.update(dict.fromkeys(ids, origin))
        if len(ids) > 1:
            entities.append(Entity(id=f"{prefix}.object", members=ids))
            parts[f"{prefix}.object"] = origin
        if category.keypoints and category.skeleton and item.record.keypoints:
            skeletons[tuple(category.keypoints)] = category.skeleton
    restored_entities, links = _restored(image, sidecar, parts)
    entities += restored_entities
    metadata: dict[str, Any] = {}
    extra = {k: v for k, v in (record.model_extra or {}).items() if k not in IMAGE_KEYS}
    if extra:
        metadata["image"] = extra
    if skeletons:
        metadata["skeletons"] = [
            {"keypoints": list(names), "skeleton": [list(pair) for pair in pairs]}
            for names, pairs in skeletons.items()
        ]
    try:
        sample = Sample(
            id=sample_id,
            external_id=record.file_name,
            metadata={"coco": metadata} if metadata else {},
            streams=[
                Stream(
                    id=stream_id,
                    name="image",
                    modality=Modality.IMAGE,
                    uri=record.file_name,
                    media=media,
                )
            ],
            annotations=annotations,
            entities=entities,
            links=links,
        )
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        raise image.origin.error(
            ".".join(str(part) for part in first["loc"]), str(first["msg"])
        ) from None
    return ForeignSample(sample, image.origin, parts)


def _restored(
    image: _Image, sidecar: list[tuple[int, dict[str, Any]]], parts: dict[str, Origin]
) -> tuple[list[Entity], list[Link]]:
    """The entities and links of the image's sidecar lines (their places added to `parts`)."""
    entities: list[Entity] = []
    links: list[Link] = []
    for line, restored in sidecar:
        where = Origin(str(image.document.path.parent / SIDECAR), line, image.record.file_name)
        try:
            found_entities = [Entity.model_validate(e) for e in restored.get("entities", [])]
            found_links = [Link.model_validate(link) for link in restored.get("links", [])]
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            raise where.error(".".join(str(p) for p in first["loc"]), first["msg"]) from None
        entities += found_entities
        links += found_links
        parts.update({entity.id: where for entity in found_entities})
        parts.update({link.id: where for link in found_links})
    return entities, links


def _check_length(ident: str, document: _Document, origin: Origin) -> None:
    if len(ident) > _ID_LENGTH:
        raise origin.error(
            "id",
            f"the id {ident!r} would be longer than {_ID_LENGTH} characters "
            f"(ids begin with the file's name, {document.stem!r}: shorten it)",
        )


def _source(item: _Object, origin: Origin) -> Source:
    record = item.record
    if not isinstance(record, CocoDetection):
        return _IMPORTED
    if not 0 <= record.score <= 1:
        raise origin.error("score", f"expected a confidence from 0 to 1, got {record.score}")
    return Source(
        kind="model",
        name=record.model or item.document.stem,
        version=record.model_version,
        confidence=record.score,
    )


def _attributes(record: CocoObject) -> dict[str, Any]:
    if record.iscrowd:
        return {**record.attributes, "iscrowd": True}
    return record.attributes


def _parts(
    record: CocoObject, category: CocoCategory, origin: Origin
) -> list[Box | Polygon | Mask | Keypoints]:
    """The object's shapes (polygons, a mask or a box), then its keypoints."""
    found: list[Box | Polygon | Mask | Keypoints] = []
    segmentation = record.segmentation
    if isinstance(segmentation, dict):
        found.append(_mask(segmentation, origin))
    elif segmentation:
        polygons = segmentation if isinstance(segmentation[0], list) else [segmentation]
        found += [_polygon(p, f"segmentation[{i}]", origin) for i, p in enumerate(polygons)]
    elif record.bbox:  # (some tools write [] for none)
        if len(record.bbox) != 4:
            raise origin.error("bbox", f"expected [x, y, width, height], got {record.bbox}")
        x, y, w, h = record.bbox
        if w <= 0 or h <= 0:
            raise origin.error("bbox", f"expected a positive width and height, got {record.bbox}")
        found.append(Box(x=x, y=y, w=w, h=h))
    keypoints = record.keypoints or []
    if any(keypoints[2::3]):
        found.append(_keypoints(keypoints, category, isinstance(record, CocoDetection), origin))
    if not found:
        raise origin.error(
            "segmentation", "expected a segmentation, a bbox or keypoints: the object has none"
        )
    return found


def _polygon(values: Any, where: str, origin: Origin) -> Polygon:
    if not isinstance(values, list) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in values
    ):
        raise origin.error(where, "expected a list of numbers x1, y1, x2, y2, ...")
    if len(values) % 2:
        raise origin.error(where, f"expected pairs of x, y; got {len(values)} numbers")
    points = [(float(x), float(y)) for x, y in zip(values[::2], values[1::2], strict=True)]
    if len(points) > 3 and points[-1] == points[0]:
        points.pop()
    if len(points) < 3:
        raise origin.error(where, f"a polygon needs 3 points or more, got {len(points)}")
    return Polygon(points=points)


def _mask(segmentation: dict[str, Any], origin: Origin) -> Mask:
    size, counts = segmentation.get("size"), segmentation.get("counts")
    if (
        not isinstance(size, list)
        or len(size) != 2
        or not all(isinstance(n, int) and n > 0 for n in size)
    ):
        raise origin.error("segmentation.size", f"expected [height, width], got {_shown(size)}")
    if isinstance(counts, list):
        if not all(isinstance(n, int) and n >= 0 for n in counts) or sum(counts) != (
            size[0] * size[1]
        ):
            raise origin.error(
                "segmentation.counts",
                f"expected run lengths adding up to {size[0]}x{size[1]} = {size[0] * size[1]}",
            )
        counts = mask_utils.frPyObjects(segmentation, *size)["counts"].decode("ascii")
    if not isinstance(counts, str):
        raise origin.error(
            "segmentation.counts", f"expected a string or a list of runs, got {_shown(counts)}"
        )
    rle = Rle(size=(size[0], size[1]), counts=counts)
    try:
        rle.runs()
    except ValueError as exc:
        raise origin.error("segmentation.counts", str(exc)) from None
    return Mask(rle=rle)


def _keypoints(
    values: list[float], category: CocoCategory, predicted: bool, origin: Origin
) -> Keypoints:
    if len(values) % 3:
        raise origin.error("keypoints", f"expected x, y, v triples; got {len(values)} numbers")
    points = []
    for index, (x, y, v) in enumerate(zip(values[::3], values[1::3], values[2::3], strict=True)):
        if v in (0, 1, 2):
            points.append((x, y, int(v)))
        elif predicted:  # a model's per-point score where COCO has the visibility
            points.append((x, y, 2))
        else:
            raise origin.error(
                f"keypoints[{3 * index + 2}]", f"expected visibility 0, 1 or 2, got {v}"
            )
    names = category.keypoints
    if names is not None and len(names) != len(points):
        raise origin.error(
            "keypoints",
            f"{len(points)} points, but category {category.name!r} names {len(names)}",
        )
    return Keypoints(points=points, names=names)


def _read_sidecar(path: Path, catalog: _Catalog) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    found: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise ImportFailed(str(path), number, "", f"not valid JSON: {exc}") from None
            name = record.get("file_name") if isinstance(record, dict) else None
            if name is None:
                continue  # a sample without an image: kept under "uncarried" only
            if name not in catalog.names:
                raise ImportFailed(
                    str(path), number, "file_name", f"{name!r} is not an image of the COCO files"
                )
            found[name].append((number, record))
    return found


SPECS: tuple[FormatSpec, ...] = (
    FormatSpec(
        name="coco",
        title="COCO instances JSON and results files",
        read=read_coco,
        write=write_coco,
        not_carried=(
            "links",
            "entities",
            "intervals, spans, tracks, cuboids, transcripts, classifications",
            "non-image streams",
            "human sources and authors",
        ),
    ),
)
