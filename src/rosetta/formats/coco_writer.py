"""Writing COCO: ``instances.json``, ``results.json`` and the sidecar ``links.jsonl``
(`rosetta.formats.coco` reads them back; its docstring says what maps to what).

The writer streams: images are written to ``instances.json`` as the samples come, the
annotations meanwhile to a temporary file that is copied in after them, and the
categories last (they name the keypoints met on the way). Model candidates
(``source.kind == "model"``) go to ``results.json``, a results list with ``score`` (the
confidence; 1 when the model gave none) and the extra keys ``model``/``model_version``.
An earlier export's ``results.json`` or ``links.jsonl`` that this one does not write is
removed, so that the folder reads back as what was written.

Categories are the ontology's classes: ids 1, 2, ... in ontology order, ``supercategory``
the parent class (the class itself at the root). Every image stream of a sample is one
COCO image (``file_name`` its URI; width and height from its media info; the image
record's other fields from the sample's ``metadata.coco.image``), with new ids from 1.

One COCO object is written from one annotation (a box, polygon, mask or keypoints on an
image), or from an entity without a label whose members on one image are one box, one
mask or polygons, and/or one keypoints, with one label, attributes and source: the
objects the reader makes come back as they were read. The attribute ``iscrowd: true``
is COCO's ``iscrowd: 1``; other attributes go into the annotation's ``attributes``. A
class's keypoint names must be one list (COCO gives a category one); its skeleton comes
from the samples' ``metadata.coco.skeletons``.

What COCO cannot hold goes to ``links.jsonl``, one line per image (``file_name``,
``image_id``): the entities and links between its objects, renamed as the reader names
what it reads (``instances.<image id>.entity.<n>``, ``...link.<n>``, their ends the ids the
reader gives the COCO objects; revisions left out: they are new objects there), so that
a folder import puts them back; and under ``uncarried`` the native records
(`rosetta.formats.native`) of everything else: annotations of other kinds or on other
streams, entities and links that reach them or span images, the sample's metadata other
than ``coco``, whole samples without an image (``file_name`` null). Nothing is lost, but
only the native JSONL export reads all of it back.
"""

import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final

import orjson
from pycocotools import mask as mask_utils

from rosetta.core.errors import RosettaError
from rosetta.core.geometry import Box, Keypoints, Mask, Polygon
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Sample, Stream
from rosetta.formats.interchange import WriteReport
from rosetta.formats.native import annotation_record, entity_record, link_record, sample_record

#: The files `write_coco` writes; the reader reads `SIDECAR` in a folder.
INSTANCES: Final = "instances.json"
RESULTS: Final = "results.json"
SIDECAR: Final = "links.jsonl"
#: The keys of a COCO image record that Rosetta has fields for.
IMAGE_KEYS: Final = frozenset({"id", "file_name", "width", "height"})
_INSTANCES_STEM: Final = Path(INSTANCES).stem
_RESULTS_STEM: Final = Path(RESULTS).stem


@dataclass
class _Group:
    """Annotations written as one COCO object: its shapes first, then its keypoints."""

    members: list[Annotation]
    entity: str | None = None


class _CocoWriter:
    """The state of one `write_coco` run."""

    def __init__(self, ontology: Ontology, out: Path, files: ExitStack) -> None:
        self.out = out
        self.files = files
        self.classes = ontology.classes
        self.category_ids = {cls.name: index for index, cls in enumerate(ontology.classes, 1)}
        self.keypoints: dict[str, list[str]] = {}
        self.skeletons: dict[str, list[list[int]]] = {}
        self.file_names: set[str] = set()
        self.image_id = 0
        self.annotation_id = 0
        self.detections = 0
        self.samples = 0
        self.written = 0
        self.uncarried: dict[str, int] = defaultdict(int)
        self.instances = files.enter_context((out / INSTANCES).open("wb"))
        self.instances.write(
            b'{"info":{"description":"exported by Rosetta"},"licenses":[],"images":[\n'
        )
        #: the annotations, copied into `instances` after the images
        staged = tempfile.TemporaryFile(dir=out)  # noqa: SIM115 - closed by `files`
        self.annotations: IO[bytes] = files.enter_context(staged)
        self.results: IO[bytes] | None = None
        self.sidecar: IO[bytes] | None = None

    def finish(self) -> WriteReport:
        """Close the lists, write the categories; what was written."""
        self.instances.write(b'\n],"annotations":[\n')
        self.annotations.seek(0)
        while chunk := self.annotations.read(1 << 20):
            self.instances.write(chunk)
        categories = []
        for cls in self.classes:
            category: dict[str, Any] = {
                "id": self.category_ids[cls.name],
                "name": cls.name,
                "supercategory": cls.parent or cls.name,
            }
            if cls.name in self.keypoints:
                category["keypoints"] = self.keypoints[cls.name]
                category["skeleton"] = self.skeletons.get(cls.name, [])
            categories.append(category)
        self.instances.write(b'\n],"categories":' + orjson.dumps(categories) + b"}\n")
        files = [INSTANCES]
        if self.results is not None:
            self.results.write(b"\n]\n")
            files.append(RESULTS)
        if self.sidecar is not None:
            files.append(SIDECAR)
        for name in {RESULTS, SIDECAR}.difference(files):
            # an earlier export's, which a folder import would read with this one
            (self.out / name).unlink(missing_ok=True)
        not_carried = {
            what: f"{count} written to {SIDECAR} beside {INSTANCES}"
            for what, count in sorted(self.uncarried.items())
        }
        return WriteReport(files, self.samples, self.written, not_carried)

    def sample(self, sample: Sample) -> None:
        """Write one sample's images and objects, and its sidecar lines."""
        self.samples += 1
        images = [stream for stream in sample.streams if stream.modality is Modality.IMAGE]
        if not images:
            self.uncarried["samples without an image"] += 1
            self._side({"file_name": None, "uncarried": {"sample": sample_record(sample)}})
            return
        on_image: dict[str, list[Annotation]] = {stream.id: [] for stream in images}
        other: list[Annotation] = []
        for annotation in sample.annotations:
            geometry = annotation.geometry
            if (
                isinstance(geometry, Box | Polygon | Mask | Keypoints)
                and geometry.frame is None
                and annotation.stream in on_image
            ):
                on_image[annotation.stream].append(annotation)
            else:
                other.append(annotation)
        coco = sample.metadata.get("coco")
        coco = coco if isinstance(coco, dict) else {}
        skeletons = {
            tuple(item["keypoints"]): item["skeleton"]
            for item in coco.get("skeletons", [])
            if isinstance(item, dict) and isinstance(item.get("keypoints"), list)
        }
        extra = coco.get("image") if len(images) == 1 else None
        names = _Names()
        lines = {
            stream.id: self._image(
                sample, stream, on_image[stream.id], extra=extra, skeletons=skeletons, names=names
            )
            for stream in images
        }
        self._rest(sample, images[0], other, names, lines)

    def _image(
        self,
        sample: Sample,
        stream: Stream,
        annotations: list[Annotation],
        *,
        extra: Any,
        skeletons: dict[tuple[str, ...], list[list[int]]],
        names: "_Names",
    ) -> dict[str, Any]:
        self.image_id += 1
        name = stream.uri or sample.external_id or f"{sample.id}.{stream.id}"
        if name in self.file_names:
            raise RosettaError(
                f"sample {sample.id!r}: two COCO images would be named {name!r} (file_name)"
            )
        self.file_names.add(name)
        image: dict[str, Any] = {"id": self.image_id, "file_name": name}
        if stream.media.width is not None and stream.media.height is not None:
            image["width"], image["height"] = stream.media.width, stream.media.height
        if isinstance(extra, dict):
            image.update({k: v for k, v in extra.items() if k not in IMAGE_KEYS})
        self.instances.write((b",\n" if self.image_id > 1 else b"") + orjson.dumps(image))
        named = bool(sample.entities or sample.links)
        for group in _groups(sample, annotations):
            prefix = self._object(group, stream, skeletons)
            if not named:
                continue
            for index, member in enumerate(group.members, 1):
                names.add(member.id, prefix if index == 1 else f"{prefix}.{index}", stream.id)
            if group.entity is not None:
                names.add(group.entity, f"{prefix}.object", stream.id)
                names.grouped.add(group.entity)
        return {"file_name": name, "image_id": self.image_id}

    def _object(
        self, group: _Group, stream: Stream, skeletons: dict[tuple[str, ...], list[list[int]]]
    ) -> str:
        """Write one COCO object; the id the reader will give its first part."""
        first = group.members[0]
        category = self.category_ids.get(first.label)
        if category is None:
            raise RosettaError(f"annotation {first.id!r}: {first.label!r} is not a class")
        model = first.source.kind == "model"
        record: dict[str, Any] = {}
        if model:
            prefix = f"{_RESULTS_STEM}.{self.image_id}.{self.detections}"
            self.detections += 1
        else:
            self.annotation_id += 1
            prefix = f"{_INSTANCES_STEM}.{self.image_id}.{self.annotation_id}"
            record["id"] = self.annotation_id
        record["image_id"] = self.image_id
        record["category_id"] = category
        shapes = [m.geometry for m in group.members if isinstance(m.geometry, Box | Polygon | Mask)]
        if shapes:
            record.update(_shape_fields(shapes, stream, with_segmentation=not model))
        points = [m for m in group.members if isinstance(m.geometry, Keypoints)]
        if points:
            keypoints = points[0].geometry
            assert isinstance(keypoints, Keypoints)
            self._keypoint_names(points[0], keypoints, skeletons)
            record["keypoints"] = [c for point in keypoints.points for c in point]
            record["num_keypoints"] = sum(1 for point in keypoints.points if point[2] > 0)
        attributes = dict(first.attributes)
        crowd = attributes.pop("iscrowd", False) is True
        if not model:
            record["iscrowd"] = int(crowd)
        elif crowd:
            attributes["iscrowd"] = True
        if attributes:
            record["attributes"] = attributes
        self.written += len(group.members)
        if not model:
            separator = b",\n" if self.annotation_id > 1 else b""
            self.annotations.write(separator + orjson.dumps(record))
            return prefix
        confidence = first.source.confidence
        record["score"] = 1.0 if confidence is None else confidence
        if first.source.name is not None:
            record["model"] = first.source.name
        if first.source.version is not None:
            record["model_version"] = first.source.version
        if self.results is None:
            self.results = self.files.enter_context((self.out / RESULTS).open("wb"))
            self.results.write(b"[\n")
        else:
            self.results.write(b",\n")
        self.results.write(orjson.dumps(record))
        return prefix

    def _keypoint_names(
        self,
        annotation: Annotation,
        keypoints: Keypoints,
        skeletons: dict[tuple[str, ...], list[list[int]]],
    ) -> None:
        names = keypoints.names or [str(n) for n in range(1, len(keypoints.points) + 1)]
        known = self.keypoints.setdefault(annotation.label, names)
        if known != names:
            raise RosettaError(
                f"annotation {annotation.id!r}: COCO gives a category one list of keypoints; "
                f"{annotation.label!r} has {known} elsewhere and {names} here"
            )
        skeleton = skeletons.get(tuple(names))
        if skeleton is not None:
            self.skeletons.setdefault(annotation.label, skeleton)

    def _rest(
        self,
        sample: Sample,
        first_image: Stream,
        other: list[Annotation],
        names: "_Names",
        lines: dict[str, dict[str, Any]],
    ) -> None:
        """Put the sample's entities and links, and what COCO cannot hold, in the sidecar."""
        uncarried: dict[str, Any] = defaultdict(list)
        for annotation in other:
            self.uncarried["annotations COCO cannot hold"] += 1
            uncarried["annotations"].append(annotation_record(annotation))
        for entity in sample.entities:
            if entity.id in names.grouped:
                continue
            self.uncarried["entities"] += 1
            images = {names.image.get(member) for member in entity.members}
            image = images.pop() if len(images) == 1 else None
            if image is None or not entity.members:
                uncarried["entities"].append(entity_record(entity))
                continue
            line = lines[image]
            restored = line.setdefault("entities", [])
            ident = f"{_INSTANCES_STEM}.{line['image_id']}.entity.{len(restored) + 1}"
            record = _fresh(entity_record(entity)) | {
                "id": ident,
                "members": [names.reader[member] for member in entity.members],
            }
            restored.append(record)
            names.add(entity.id, ident, image)
        for link in sample.links:
            self.uncarried["links"] += 1
            image = names.image.get(link.source)
            if image is None or names.image.get(link.target) != image:
                uncarried["links"].append(link_record(link))
                continue
            line = lines[image]
            restored = line.setdefault("links", [])
            restored.append(
                _fresh(link_record(link))
                | {
                    "id": f"{_INSTANCES_STEM}.{line['image_id']}.link.{len(restored) + 1}",
                    "source": names.reader[link.source],
                    "target": names.reader[link.target],
                }
            )
        others = {key: value for key, value in sample.metadata.items() if key != "coco"}
        if others:
            uncarried["metadata"] = others
        if uncarried:
            lines[first_image.id]["uncarried"] = dict(uncarried)
        for line in lines.values():
            if len(line) > 2:
                self._side(line)

    def _side(self, line: dict[str, Any]) -> None:
        if self.sidecar is None:
            self.sidecar = self.files.enter_context((self.out / SIDECAR).open("wb"))
        self.sidecar.write(orjson.dumps(line) + b"\n")


@dataclass
class _Names:
    """One sample's objects that the COCO files hold: the ids the reader will give them
    (`reader`), the image stream each is on (`image`), the entities written as objects."""

    reader: dict[str, str] = field(default_factory=dict)
    image: dict[str, str] = field(default_factory=dict)
    grouped: set[str] = field(default_factory=set)

    def add(self, ident: str, read_as: str, image: str) -> None:
        self.reader[ident] = read_as
        self.image[ident] = image


def _fresh(record: dict[str, Any]) -> dict[str, Any]:
    """An entity's or link's record without its revisions: new objects on reading."""
    return {
        key: value
        for key, value in record.items()
        if key not in {"revision", "source_revision", "target_revision"}
    }


def _shape_fields(
    shapes: list[Box | Polygon | Mask], stream: Stream, *, with_segmentation: bool
) -> dict[str, Any]:
    """``segmentation``, ``area`` and ``bbox`` of a box, a mask or polygons."""
    shape = shapes[0]
    if isinstance(shape, Box):
        fields: dict[str, Any] = {"segmentation": []} if with_segmentation else {}
        return fields | {"area": shape.w * shape.h, "bbox": [shape.x, shape.y, shape.w, shape.h]}
    if isinstance(shape, Mask):
        rle = {"size": list(shape.rle.size), "counts": shape.rle.counts.encode("ascii")}
        return {
            "segmentation": {"size": list(shape.rle.size), "counts": shape.rle.counts},
            "area": int(mask_utils.area(rle)),
            "bbox": mask_utils.toBbox(rle).tolist(),
        }
    polygons = [[c for point in s.points for c in point] for s in shapes if isinstance(s, Polygon)]
    xs = [x for polygon in polygons for x in polygon[::2]]
    ys = [y for polygon in polygons for y in polygon[1::2]]
    fields = {"segmentation": polygons}
    height, width = stream.media.height, stream.media.width
    if height is not None and width is not None:
        merged = mask_utils.merge(mask_utils.frPyObjects(polygons, height, width))
        fields["area"] = int(mask_utils.area(merged))
    fields["bbox"] = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
    return fields


def _groups(sample: Sample, annotations: list[Annotation]) -> Iterator[_Group]:
    """The COCO objects of one image's annotations (see the module)."""
    here = {annotation.id: annotation for annotation in annotations}
    claimed: set[str] = set()
    for entity in sample.entities:
        members = [here.get(member) for member in entity.members]
        if entity.label is not None or len(members) < 2 or None in members:
            continue
        found = [m for m in members if m is not None]
        if claimed.intersection(m.id for m in found) or not _one_object(found):
            continue
        claimed.update(m.id for m in found)
        shapes = [m for m in found if not isinstance(m.geometry, Keypoints)]
        yield _Group(shapes + [m for m in found if isinstance(m.geometry, Keypoints)], entity.id)
    for annotation in annotations:
        if annotation.id not in claimed:
            yield _Group([annotation])


def _one_object(members: list[Annotation]) -> bool:
    """Whether `members` can be one COCO object: one label, attributes and source; shapes
    that are polygons, or one box, or one mask; at most one keypoints."""
    first = members[0]
    if any(
        m.label != first.label or m.attributes != first.attributes or m.source != first.source
        for m in members
    ):
        return False
    kinds = [m.geometry.type for m in members]
    shapes = [kind for kind in kinds if kind != "keypoints"]
    if len(kinds) - len(shapes) > 1:
        return False
    return all(kind == "polygon" for kind in shapes) or len(shapes) == 1


def write_coco(samples: Iterable[Sample], ontology: Ontology, out: Path) -> WriteReport:
    """Write `samples` as ``instances.json`` (+ ``results.json``, ``links.jsonl``) in `out`."""
    with ExitStack() as files:
        writer = _CocoWriter(ontology, out, files)
        for sample in samples:
            writer.sample(sample)
        return writer.finish()
