"""Writing COCO: ``instances.json`` and ``results.json`` (`rosetta.formats.coco.reader`
reads them back; its docstring says what maps to what).

The writer streams: images are written to ``instances.json`` as the samples come, the
annotations meanwhile to a temporary file that is copied in after them, and the
categories last (they name the keypoints met on the way). Model candidates
(``source.kind == "model"``) go to ``results.json``, a results list with ``score`` (the
confidence; 1 when the model gave none) and the extra keys ``model``/``model_version``.
An earlier export's ``results.json`` that this one does not write is removed, so that the
folder reads back as what was written.

Categories are the ontology's classes: ids 1, 2, ... in ontology order, ``supercategory``
the parent class (the class itself at the root). Every image stream of a sample is one
COCO image (``file_name`` its URI; width and height from its media info; the image
record's other fields from the sample's ``metadata.coco.image``), with new ids from 1: a
file shown by several streams (one photo in two samples) is several images of one
``file_name``, as COCO keys images by id (pycocotools and the reader take them apart).

One COCO object is written from one annotation (a box, polygon, mask or keypoints on an
image), or from an entity without a label whose members on one image are one box, one
mask or polygons, and/or one keypoints, with one label, attributes and source: the
objects the reader makes come back as they were read. The attribute ``iscrowd: true``
is COCO's ``iscrowd: 1``; other attributes go into the annotation's ``attributes``. A
class's keypoint names must be one list (COCO gives a category one); its skeleton comes
from the samples' ``metadata.coco.skeletons``.

What COCO cannot hold goes to ``not_carried.jsonl`` (`rosetta.formats.not_carried`), into
the sample read back from the image it belongs to, under the ids the reader gives the COCO
objects: annotations of other kinds or on other streams, entities and links (but the
entities written as objects), the sample's metadata other than ``coco``, a false
``iscrowd`` attribute (COCO's ``iscrowd: 0`` reads back as none), and whole samples without
an image. A folder import puts it all back.
"""

import tempfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

import orjson
from pycocotools import mask as mask_utils

from rosetta.core.errors import RosettaError
from rosetta.core.geometry import Box, Keypoints, Mask, Polygon
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Sample, Stream
from rosetta.formats.coco.records import IMAGE_KEYS
from rosetta.formats.interchange import WriteReport
from rosetta.formats.not_carried import NotCarried, ReadBack

#: The files `write_coco` writes.
INSTANCES: Final = "instances.json"
RESULTS: Final = "results.json"
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
        self.sidecar = files.enter_context(NotCarried(out))
        self.classes = ontology.classes
        self.category_ids = {cls.name: index for index, cls in enumerate(ontology.classes, 1)}
        self.keypoints: dict[str, list[str]] = {}
        self.skeletons: dict[str, list[list[int]]] = {}
        self.image_id = 0
        self.annotation_id = 0
        self.detections = 0
        self.samples = 0
        self.written = 0
        self.instances = files.enter_context((out / INSTANCES).open("wb"))
        self.instances.write(
            b'{"info":{"description":"exported by Rosetta"},"licenses":[],"images":[\n'
        )
        #: the annotations, copied into `instances` after the images
        staged = tempfile.TemporaryFile(dir=out)  # noqa: SIM115 - closed by `files`
        self.annotations: IO[bytes] = files.enter_context(staged)
        self.results: IO[bytes] | None = None

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
        else:  # an earlier export's, which a folder import would read with this one
            (self.out / RESULTS).unlink(missing_ok=True)
        self.sidecar.close()
        files += self.sidecar.files()
        return WriteReport(files, self.samples, self.written, self.sidecar.report())

    def sample(self, sample: Sample) -> None:
        """Write one sample's images and objects; what they cannot hold to the sidecar."""
        self.samples += 1
        back = ReadBack()
        images = [stream for stream in sample.streams if stream.modality is Modality.IMAGE]
        on_image: dict[str, list[Annotation]] = {stream.id: [] for stream in images}
        for annotation in sample.annotations:
            geometry = annotation.geometry
            if (
                isinstance(geometry, Box | Polygon | Mask | Keypoints)
                and geometry.frame is None
                and annotation.stream in on_image
            ):
                on_image[annotation.stream].append(annotation)
        coco = sample.metadata.get("coco")
        coco = coco if isinstance(coco, dict) else {}
        skeletons = {
            tuple(item["keypoints"]): item["skeleton"]
            for item in coco.get("skeletons", [])
            if isinstance(item, dict) and isinstance(item.get("keypoints"), list)
        }
        extra = coco.get("image") if len(images) == 1 else None
        for stream in images:
            self._image(sample, stream, on_image[stream.id], back, extra=extra, skeletons=skeletons)
        if images:
            back.drop_sample_fields(sample, carried=("coco",))
        self.sidecar.add(sample, back)

    def _image(
        self,
        sample: Sample,
        stream: Stream,
        annotations: list[Annotation],
        back: ReadBack,
        *,
        extra: Any,
        skeletons: dict[tuple[str, ...], list[list[int]]],
    ) -> None:
        """Write one image and its objects, noting in `back` the ids the reader gives them."""
        self.image_id += 1
        name = stream.uri or sample.external_id or f"{sample.id}.{stream.id}"
        image: dict[str, Any] = {"id": self.image_id, "file_name": name}
        if stream.media.width is not None and stream.media.height is not None:
            image["width"], image["height"] = stream.media.width, stream.media.height
        if isinstance(extra, dict):
            image.update({k: v for k, v in extra.items() if k not in IMAGE_KEYS})
        self.instances.write((b",\n" if self.image_id > 1 else b"") + orjson.dumps(image))
        read_as = f"{_INSTANCES_STEM}.{self.image_id}"
        back.put(stream.id, read_as, f"{read_as}.image")
        for group in _groups(sample, annotations):
            prefix = self._object(group, stream, skeletons)
            first, *others = group.members
            back.put(first.id, read_as, prefix)
            for index, member in enumerate(others, 2):
                back.put(member.id, read_as, f"{prefix}.{index}")
            if group.entity is not None:
                back.put(group.entity, read_as, f"{prefix}.object")
            crowd = first.attributes.get("iscrowd", True) if first.attributes else True
            if crowd is not True:  # COCO's iscrowd is 0 or 1: 0 reads back as none
                for member in group.members:  # (one object: the same attributes)
                    back.drop(member.id, "attributes", {"attributes": {"iscrowd": crowd}})

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
    """Write `samples` as ``instances.json`` (+ ``results.json``, ``not_carried.jsonl``) in
    `out`."""
    with ExitStack() as files:
        writer = _CocoWriter(ontology, out, files)
        for sample in samples:
            writer.sample(sample)
        return writer.finish()
