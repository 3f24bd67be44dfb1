"""Reading COCO: one sample per image of the files read (`catalog`).

Each image is a sample with one image stream (``uri`` and ``external_id`` = ``file_name``;
a file named by several images is several samples, the later ones with the external id
``<file_name>#<sample id>``, `rosetta.formats.external_ids`;
width and height from the image record, else probed (`rosetta.media.probe`) under
``ReadOptions.media_root``). Each COCO object becomes the annotations of its shapes
(`shapes`), labelled with its category's *name* (mapping onto the ontology happens
afterwards, `rosetta.formats.label_map`); an object of several parts (polygons, then
keypoints) keeps every part as its own annotation, joined by an `Entity` without a label
that says they are one object. The category's ``skeleton`` is kept in the sample's
metadata (``coco.skeletons``, by keypoint names), the image record's other keys in
``coco.image``, both for the writer. ``iscrowd: 1`` -> the attribute ``iscrowd: true`` (so
the class needs a bool attribute ``iscrowd``); the non-standard ``attributes`` object
(CVAT, Datumaro) -> the attributes. A detection of a results file is a model candidate
(``Source(kind="model", name=<file stem> or the detection's ``model``, confidence=score)``).

Ids: sample ``<stem>.<image id>``, stream ``<stem>.<image id>.image``, annotation
``<stem>.<image id>.<annotation id>`` for an object's first part and ``...<annotation
id>.<k>`` for its k-th (k ≥ 2), entity ``...<annotation id>.object``; a detection's
``<annotation id>`` is its index in the list. What `rosetta.formats.coco.writer` could not
write into the files comes back from ``not_carried.jsonl`` (`rosetta.formats.not_carried`).
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from rosetta.core.modality import Modality
from rosetta.core.schema import Annotation, Entity, MediaInfo, Sample, Source, Stream
from rosetta.formats.coco.catalog import Image, Item, catalog_of
from rosetta.formats.coco.records import (
    IMAGE_KEYS,
    CocoCategory,
    CocoDetection,
    CocoObject,
    Document,
)
from rosetta.formats.coco.shapes import object_shapes
from rosetta.formats.external_ids import distinct_external_ids
from rosetta.formats.found_media import probe_found
from rosetta.formats.interchange import ForeignSample, Origin, ReadOptions
from rosetta.formats.native import field_path
from rosetta.formats.not_carried import read_back_beside

_IMPORTED: Final = Source(kind="import", name="coco")
_ID_LENGTH: Final = 64


def read_coco(source: Path, options: ReadOptions) -> Iterator[ForeignSample]:
    """Stream the samples of a COCO instances file, a results file (with its instances
    files) or a folder of them, with what the `rosetta.formats.not_carried` file beside
    them keeps (reading the folder: and the samples it keeps whole)."""
    catalog = catalog_of(source, options)
    samples = (
        _sample(image, catalog.objects.get(image_id, []), catalog.categories, options)
        for image_id, image in catalog.images.items()
    )
    yield from read_back_beside(distinct_external_ids(samples), source)


def _media(image: Image, options: ReadOptions) -> MediaInfo:
    record = image.record
    if record.width is not None and record.height is not None:
        return MediaInfo(width=record.width, height=record.height)
    if options.media_root is None:
        raise image.origin.error(
            "width", "missing: give the folder of the images (media root) to measure them"
        )
    return probe_found(
        options.media_root / record.file_name, Modality.IMAGE, image.origin, "file_name", options
    )


def _sample(
    image: Image,
    objects: list[Item],
    categories: dict[int, CocoCategory],
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
        shapes = object_shapes(item.record, category, origin)
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
        )
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        raise image.origin.error(field_path(first["loc"]), str(first["msg"])) from None
    return ForeignSample(sample, image.origin, parts)


def _check_length(ident: str, document: Document, origin: Origin) -> None:
    if len(ident) > _ID_LENGTH:
        raise origin.error(
            "id",
            f"the id {ident!r} would be longer than {_ID_LENGTH} characters "
            f"(ids begin with the file's name, {document.stem!r}: shorten it)",
        )


def _source(item: Item, origin: Origin) -> Source:
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
