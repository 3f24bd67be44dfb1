"""Writing a YOLO dataset (Ultralytics layout).

``labels/<split>/<image name>.txt`` per image stream (the split from the ``yolo``
metadata, else ``train``; the image's stem, made unique across the splits, since it is the
sample's id when read back: a second one is ``<sample id>_<stream id>``), and a
``data.yaml`` with ``train``/``val``/``test`` pointing at ``images/<split>``, ``names`` the
ontology's classes in order (an index per class, stable between exports), and
``kpt_shape: [K, 3]`` (and ``kpt_names``) when there are keypoints.
Values are written with Python's shortest exact float form, so pixels come back to within
float rounding (1e-9). Boxes become detection lines, polygons segmentation lines, keypoints
pose lines whose box is the box in the same entity (written once, with them) or else the
keypoints' extent; keypoints whose count differs from the first ones' cannot share the
file's ``kpt_shape``. **Images are not copied** (media stays by reference): put them in
``images/<split>/`` under the names of their label files, or give the media root when
importing. What the labels cannot hold (attributes, other geometry, links, entities,
annotations on other streams, other metadata) goes to ``not_carried.jsonl``
(`rosetta.formats.not_carried`), which the reader puts back; confidences of model
annotations are not written.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from rosetta.core.geometry import Box, Keypoints, Polygon
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Sample, Stream
from rosetta.formats.interchange import WriteReport
from rosetta.formats.media_names import Stems
from rosetta.formats.not_carried import NotCarried, ReadBack
from rosetta.formats.yolo.dataset import METADATA

_SPLIT_NAME: Final = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")


def _value(number: float) -> str:
    return repr(float(number))


def _box_values(box: Box, width: int, height: int) -> list[float]:
    return [
        (box.x + box.w / 2) / width,
        (box.y + box.h / 2) / height,
        box.w / width,
        box.h / height,
    ]


def _extent(points: Keypoints) -> Box | None:
    seen = [(x, y) for x, y, v in points.points if v > 0]
    if not seen:
        return None
    xs, ys = [x for x, _ in seen], [y for _, y in seen]
    if max(xs) <= min(xs) or max(ys) <= min(ys):
        return None
    return Box(x=min(xs), y=min(ys), w=max(xs) - min(xs), h=max(ys) - min(ys))


def _pairs(sample: Sample, mine: dict[str, Annotation]) -> tuple[dict[str, str], dict[str, str]]:
    """Keypoints id -> the box of the same class in an entity with it (one each), and
    keypoints id -> that entity when it holds just the two (a pose line carries it)."""
    box_of: dict[str, str] = {}
    entity_of: dict[str, str] = {}
    for entity in sample.entities:
        members = [mine[m] for m in entity.members if m in mine]
        points = [a for a in members if isinstance(a.geometry, Keypoints)]
        boxes = [a for a in members if isinstance(a.geometry, Box)]
        if (
            len(points) == len(boxes) == 1
            and points[0].id not in box_of
            and boxes[0].id not in box_of.values()
            and boxes[0].label == points[0].label
        ):
            box_of[points[0].id] = boxes[0].id
            if len(entity.members) == 2:
                entity_of[points[0].id] = entity.id
    return box_of, entity_of


@dataclass
class _Writer:
    """What the writer has learnt so far: class indices, splits, the keypoint shape."""

    out: Path
    names: dict[str, int]
    sidecar: NotCarried
    splits: dict[str, None] = field(default_factory=dict)
    keypoints: int | None = None
    kpt_names: dict[int, list[str]] = field(default_factory=dict)
    stems: Stems = field(default_factory=Stems)
    samples: int = 0
    annotations: int = 0

    def index(self, label: str) -> int:
        return self.names.setdefault(label, len(self.names))

    def poses(self, mine: dict[str, Annotation], box_of: dict[str, str]) -> dict[str, Box]:
        """Keypoints id -> the box of its pose line, for the keypoints that can have one:
        a box (its entity's, else their extent) and the file's number of points."""
        poses: dict[str, Box] = {}
        for annotation in mine.values():
            geometry = annotation.geometry
            if isinstance(geometry, Keypoints) and geometry.frame is None:
                box_id = box_of.get(annotation.id)
                box = mine[box_id].geometry if box_id else _extent(geometry)
                if self.keypoints is None and isinstance(box, Box):
                    self.keypoints = len(geometry.points)
                if isinstance(box, Box) and len(geometry.points) == self.keypoints:
                    poses[annotation.id] = box
        return poses

    def line(self, annotation: Annotation, size: tuple[int, int], pose: Box | None) -> str:
        """The label line of a box, a polygon or (with its `pose` box) keypoints."""
        width, height = size
        geometry = annotation.geometry
        values: list[float] = []
        if isinstance(geometry, Box):
            values = _box_values(geometry, width, height)
        elif isinstance(geometry, Polygon):
            values = [v for x, y in geometry.points for v in (x / width, y / height)]
        tokens = [str(self.index(annotation.label)), *map(_value, values)]
        if isinstance(geometry, Keypoints) and pose is not None:
            tokens += map(_value, _box_values(pose, width, height))
            tokens += [
                f"{_value(x / width)} {_value(y / height)} {v}" for x, y, v in geometry.points
            ]
            if geometry.names:
                self.kpt_names.setdefault(self.index(annotation.label), list(geometry.names))
        return " ".join(tokens)

    def image(self, sample: Sample, stream: Stream, split: str, back: ReadBack) -> None:
        """Write one image stream's label file, noting in `back` the id each written record
        (the stream, annotations, pose entities) gets when read back."""
        size = (stream.media.width or 0, stream.media.height or 0)
        stem = self.stems.take(stream, sample)
        back.put(stream.id, stem, f"{stem}.image")
        mine = {
            a.id: a
            for a in sample.annotations
            if a.stream == stream.id
            and isinstance(a.geometry, Box | Polygon | Keypoints)
            and a.geometry.frame is None
        }
        box_of, entity_of = _pairs(sample, mine)
        poses = self.poses(mine, box_of)
        paired = {box_of[k] for k in poses if k in box_of}
        lines: list[str] = []
        for ident, annotation in mine.items():
            number = f"{stem}.{len(lines) + 1}"
            if isinstance(annotation.geometry, Keypoints):
                if ident not in poses:
                    continue
                back.put(ident, stem, f"{number}.keypoints")
                if ident in box_of:
                    back.put(box_of[ident], stem, number)
                if ident in entity_of:
                    back.put(entity_of[ident], stem, f"{number}.pose")
            elif ident in paired:
                continue
            else:
                back.put(ident, stem, number)
            lines.append(self.line(annotation, size, poses.get(ident)))
        folder = self.out / "labels" / split
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{stem}.txt").write_text("".join(f"{t}\n" for t in lines), encoding="utf-8")

    def sample(self, sample: Sample) -> None:
        self.samples += 1
        split = sample.metadata.get(METADATA, {}).get("split", "train")
        if not isinstance(split, str) or not _SPLIT_NAME.fullmatch(split):
            split = "train"
        back = ReadBack()
        for stream in sample.streams:
            if stream.modality is Modality.IMAGE and stream.media.width and stream.media.height:
                self.splits.setdefault(split, None)
                self.image(sample, stream, split, back)
        for annotation in sample.annotations:
            if annotation.id in back.ids:
                self.annotations += 1
                if annotation.attributes:
                    back.drop(annotation.id, "attributes", {"attributes": annotation.attributes})
        back.drop_sample_fields(sample, carried=(METADATA,))
        self.sidecar.add(sample, back)

    def data_yaml(self) -> None:
        data: dict[str, Any] = {split: f"images/{split}" for split in self.splits or ("train",)}
        data["names"] = {index: name for name, index in self.names.items()}
        if self.keypoints is not None:
            data["kpt_shape"] = [self.keypoints, 3]
            if self.kpt_names:
                data["kpt_names"] = self.kpt_names
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        (self.out / "data.yaml").write_text(
            "# Ultralytics YOLO dataset written by Rosetta; images go in images/<split>/\n" + text,
            encoding="utf-8",
        )


def write(samples: Iterable[Sample], ontology: Ontology, out: Path) -> WriteReport:
    """Write the samples as a YOLO dataset into `out` (see the module)."""
    (out / "labels").mkdir(parents=True, exist_ok=True)
    with NotCarried(out, "YOLO labels hold classes and geometry only") as sidecar:
        writer = _Writer(out, {c.name: i for i, c in enumerate(ontology.classes)}, sidecar)
        for sample in samples:
            writer.sample(sample)
    writer.data_yaml()
    not_carried = sidecar.report()
    files = ["data.yaml", *(f"labels/{split}/" for split in writer.splits), *sidecar.files()]
    if writer.splits:
        not_carried["images"] = (
            "not copied: put each image in images/<split>/ under its label file's name, "
            "or give the media root when importing"
        )
    return WriteReport(files, writer.samples, writer.annotations, not_carried)
