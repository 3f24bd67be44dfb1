"""YOLO datasets: Ultralytics ``data.yaml`` or Darknet ``obj.data``, one label file per image.

Reading (`read`): the source is a ``data.yaml`` (any ``.yaml``), an ``obj.data``, or a
folder holding one of them.

- **Ultralytics** ``data.yaml``: ``names`` (a list, or a mapping ``index: name``), the
  dataset root ``path`` (relative to the YAML file's folder; the folder itself when it is
  absent or does not exist, since Ultralytics' own datasets directory is not known here),
  the splits ``train``/``val``/``test`` (each a folder of images, a ``.txt`` list of image
  paths, or a list of those, relative to the root), and for pose datasets ``kpt_shape:
  [K, D]`` and optionally ``kpt_names`` (``class index: [names]``).
- **Darknet** ``obj.data`` (``key = value`` lines): ``names`` is the ``obj.names`` file
  (one name per line), ``train``/``valid``/``test`` are ``.txt`` lists of image paths.
  Paths such as ``data/train.txt`` (Darknet runs from its own folder) are looked for
  under the file's folder, dropping leading folders until one exists.
- The label file of an image is Ultralytics' rule: the image's path with its last
  ``images`` folder replaced by ``labels`` and the suffix by ``.txt`` (beside the image
  when there is no ``images`` folder, as Darknet has it). A split that is a folder is
  listed both ways: every image (an image without a label file has no objects) and every
  label file (``classes.txt`` excepted).

Image sizes come from the images, probed (`rosetta.media.probe`; an image that cannot be
read is an error naming the label file and the image): the image beside the label file (the
``images`` folder), else under ``ReadOptions.media_root`` (at the image folder's path
relative to the dataset root, then directly). **A label file whose image is not found is an
error naming that label file**: normalised coordinates cannot be turned into pixels without
the size (there is no sizes option). Image orientation tags (EXIF) are not applied.

One sample per image: id the image's stem, ``external_id`` its file name, one image stream
``<stem>.image`` whose URI is relative to the media root when inside it (else absolute),
and the split in the metadata (``{"yolo": {"split": "train"}}``). Line ``n`` of the label
file (``class`` then normalised values, by their count):

- ``class cx cy w h``: a `Box` ``<stem>.<n>``; ``x = cx·W - w·W/2``, ``w = w·W`` (and so
  for y with H). Files print rounded values (usually 6 decimals), so a box touching the
  image's edge can come out past it by a hair: an edge past the image by no more than the
  printed values' rounding (half a unit of the last decimal of ``cx``, plus half that of
  ``w``, times W) is put on the edge; anything further stays as it is (and the import's
  bounds check refuses it). ``class cx cy w h conf`` (a prediction saved with
  ``save_conf``): the same box as a model candidate, ``Source(kind="model", name="yolo",
  confidence=conf)``; polygons and poses take no confidence (an odd count of polygon
  values would be ambiguous with a missing coordinate).
- ``class x1 y1 x2 y2 ...`` (three points or more): a `Polygon` ``<stem>.<n>``, each point
  ``(x·W, y·H)``.
- with ``kpt_shape [K, D]``, ``class cx cy w h`` and K·D keypoint values: the `Box`
  ``<stem>.<n>``, the `Keypoints` ``<stem>.<n>.keypoints`` (``D = 3``: visibility as
  written, COCO's 0/1/2; ``D = 2``: a point at (0, 0) is absent, v 0, others seen, v 2)
  and the entity ``<stem>.<n>.pose`` joining them (one thing, both of its class).

Other annotations are ``Source(kind="import", name="yolo")``; labels are the names of the
class indices.

Writing (`write`): ``labels/<split>/<image name>.txt`` per image stream (the split from
the ``yolo`` metadata, else ``train``), and a ``data.yaml`` with ``train``/``val``/``test``
pointing at ``images/<split>``, ``names`` the ontology's classes in order (an index per
class, stable between exports), and ``kpt_shape: [K, 3]`` (and ``kpt_names``) when there
are keypoints. Values are written with Python's shortest exact float form, so pixels come
back to within float rounding (1e-9). Boxes become detection lines, polygons segmentation
lines, keypoints pose lines whose box is the box in the same entity (written once, with
them) or else the keypoints' extent; keypoints whose count differs from the first ones'
cannot share the file's ``kpt_shape``. **Images are not copied** (media stays by
reference): put them in ``images/<split>/`` under the names of their label files, or give
the media root when importing. What the labels cannot hold (attributes, other geometry,
links, entities, annotations on other streams) goes as native JSON records to
``not_carried.jsonl``, one line per sample, with the ids the written records get when the
files are read back; confidences of model annotations are not written.
"""

import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import orjson
import yaml

from rosetta.core.errors import ImportFailed
from rosetta.core.geometry import Box, Keypoints, Polygon
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Entity, Sample, Source, Stream
from rosetta.formats.found_media import probe_found
from rosetta.formats.interchange import (
    NOT_CARRIED,
    ForeignSample,
    FormatSpec,
    Origin,
    ReadOptions,
    WriteReport,
)

#: The image suffixes Ultralytics reads (``ultralytics.data.utils.IMG_FORMATS``).
IMAGE_SUFFIXES: Final = (
    ".bmp",
    ".dng",
    ".jpeg",
    ".jpg",
    ".mpo",
    ".png",
    ".tif",
    ".tiff",
    ".webp",
    ".pfm",
    ".heic",
)
#: The sidecar the writer puts what the labels cannot hold into.
_SPLITS: Final = ("train", "val", "test")
_DARKNET_SPLITS: Final = {"train": "train", "valid": "val", "test": "test"}
_SOURCE: Final = Source(kind="import", name="yolo")
_METADATA: Final = "yolo"
_SPLIT_NAME: Final = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")
#: LabelImg keeps its class list beside the label files.
_NOT_LABELS: Final = frozenset({"classes.txt"})


@dataclass(frozen=True)
class Dataset:
    """A YOLO dataset's description: the file it came from, the root its paths are
    relative to, class names by index, the splits (each a list of image folders or image
    list files) and, for pose, ``kpt_shape`` and keypoint names per class index."""

    file: Path
    root: Path
    names: dict[int, str]
    splits: list[tuple[str, Path]]
    kpt_shape: tuple[int, int] | None = None
    kpt_names: dict[int, list[str]] = field(default_factory=dict)


# --- the dataset file ------------------------------------------------------------------------


def _fail(file: Path, line: int, where: str, detail: str) -> ImportFailed:
    return ImportFailed(str(file), line, where, detail)


def _locate(bases: Iterable[Path], relative: str) -> Path | None:
    """The first existing ``base / relative``, dropping leading folders of `relative`."""
    path = Path(relative)
    if path.is_absolute():
        return path if path.exists() else None
    parts = path.parts
    for start in range(len(parts)):
        for base in bases:
            candidate = base.joinpath(*parts[start:])
            if candidate.exists():
                return candidate
    return None


def _names(value: Any, file: Path) -> dict[int, str]:
    if isinstance(value, list):
        pairs = list(enumerate(value))
    elif isinstance(value, dict):
        pairs = []
        for key, name in value.items():
            try:
                pairs.append((int(key), name))
            except (TypeError, ValueError):
                raise _fail(file, 0, f"names.{key}", "expected a class index (0, 1, ...)") from None
    else:
        raise _fail(file, 0, "names", "expected the class names: a list or {index: name}")
    for index, name in pairs:
        if not isinstance(name, str | int | float) or isinstance(name, bool) or str(name) == "":
            raise _fail(file, 0, f"names.{index}", f"expected a class name, got {name!r}")
    return {index: str(name) for index, name in pairs}


def _kpt_shape(value: Any, file: Path) -> tuple[int, int] | None:
    if value is None:
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        and value[0] > 0
        and value[1] in (2, 3)
    ):
        return value[0], value[1]
    raise _fail(file, 0, "kpt_shape", f"expected [K, 2] or [K, 3], got {value!r}")


def _kpt_names(value: Any, file: Path, names: dict[int, str]) -> dict[int, list[str]]:
    if value is None:
        return {}
    if isinstance(value, list):
        value = dict.fromkeys(names, value)
    if not isinstance(value, dict) or not all(
        isinstance(v, list) and all(isinstance(n, str) for n in v) for v in value.values()
    ):
        raise _fail(file, 0, "kpt_names", "expected {class index: [keypoint names]}")
    try:
        return {int(key): list(v) for key, v in value.items()}
    except (TypeError, ValueError):
        raise _fail(file, 0, "kpt_names", "expected class indices as keys") from None


def _ultralytics(file: Path) -> Dataset:
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise _fail(file, mark.line + 1 if mark else 0, "", f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise _fail(file, 1, "", "expected a mapping with names and train/val/test")
    if "names" not in data:
        raise _fail(file, 0, "names", "expected the class names (a list or {index: name})")
    names = _names(data["names"], file)
    root = file.parent
    if isinstance(data.get("path"), str) and (root / data["path"]).is_dir():
        root = root / data["path"]
    splits: list[tuple[str, Path]] = []
    for split in _SPLITS:
        value = data.get(split)
        entries = value if isinstance(value, list) else [] if value is None else [value]
        for entry in entries:
            if not isinstance(entry, str):
                raise _fail(file, 0, split, f"expected a folder or a .txt list, got {entry!r}")
            splits.append((split, root / entry))
    if not splits:
        raise _fail(file, 0, "train", "expected at least one of train, val, test")
    return Dataset(
        file,
        root,
        names,
        splits,
        _kpt_shape(data.get("kpt_shape"), file),
        _kpt_names(data.get("kpt_names"), file, names),
    )


def _darknet(file: Path) -> Dataset:
    entries: dict[str, tuple[int, str]] = {}
    with file.open(encoding="utf-8") as lines:
        for number, raw in enumerate(lines, start=1):
            text = raw.split("#", 1)[0].strip()
            if not text:
                continue
            key, sep, value = text.partition("=")
            if not sep:
                raise _fail(file, number, "", f"expected 'key = value', got {text!r}")
            entries[key.strip()] = (number, value.strip())
    bases = [file.parent]
    if "names" not in entries:
        raise _fail(file, 0, "names", "expected 'names = <obj.names file>'")
    number, value = entries["names"]
    names_file = _locate(bases, value)
    if names_file is None or not names_file.is_file():
        raise _fail(file, number, "names", f"no such file: {value}")
    with names_file.open(encoding="utf-8") as lines:
        names = dict(enumerate(name for line in lines if (name := line.strip())))
    splits = []
    for key, split in _DARKNET_SPLITS.items():
        if key in entries:
            number, value = entries[key]
            found = _locate(bases, value)
            if found is None or not found.is_file():
                raise _fail(file, number, key, f"no such image list: {value}")
            splits.append((split, found))
    if not splits:
        raise _fail(file, 0, "train", "expected at least one of train, valid, test")
    return Dataset(file, file.parent, names, splits)


def read_dataset(source: Path) -> Dataset:
    """The dataset description of `source`: a ``.yaml``, an ``obj.data`` or a folder with
    one of them (a folder with several YAML files takes ``data.yaml``)."""
    if source.is_dir():
        yamls = sorted(source.glob("*.yaml")) + sorted(source.glob("*.yml"))
        preferred = [path for path in yamls if path.stem == "data"] or yamls
        darknet = sorted(source.glob("*.data"))
        if len(preferred) == 1:
            source = preferred[0]
        elif len(darknet) == 1 and not preferred:
            source = darknet[0]
        else:
            raise _fail(
                source,
                0,
                "",
                "expected one data.yaml (Ultralytics) or obj.data (Darknet) in the folder, "
                f"found {[p.name for p in preferred + darknet]}",
            )
    if not source.is_file():
        raise _fail(source, 0, "", "no such file (expected a data.yaml or an obj.data)")
    if source.suffix in (".yaml", ".yml"):
        return _ultralytics(source)
    return _darknet(source)


# --- label files -----------------------------------------------------------------------------


def label_path(image: Path) -> Path:
    """The label file of `image` (Ultralytics' ``img2label_paths``)."""
    folder = _labels_folder(image.parent)
    return folder / f"{image.stem}.txt"


def _labels_folder(folder: Path) -> Path:
    parts = list(folder.parts)
    if "images" in parts:
        last = len(parts) - 1 - parts[::-1].index("images")
        parts[last] = "labels"
    return Path(*parts)


def _number(token: str, file: Path, line: int, where: str) -> float:
    try:
        value = float(token)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise _fail(file, line, where, f"expected a number, got {token!r}")
    return value


def _whole(token: str, file: Path, line: int, where: str) -> int:
    value = _number(token, file, line, where)
    if not value.is_integer() or value < 0:
        raise _fail(file, line, where, f"expected a whole number, got {token!r}")
    return int(value)


@dataclass
class _Objects:
    """The records one label file becomes."""

    annotations: list[Annotation] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    parts: dict[str, Origin] = field(default_factory=dict)


def _rounding(token: str) -> float:
    """How far the value that `token` was rounded from can be: half a unit of its last
    decimal (0 for a whole number or an exponent form, taken as exact)."""
    mantissa = token.lower().lstrip("+-")
    if "e" in mantissa or "." not in mantissa:
        return 0.0
    return 0.5 * 10.0 ** -len(mantissa.split(".", 1)[1])


def _edges(
    centre: str, extent: str, size: int, *, file: Path, line: int, axis: str
) -> tuple[float, float]:
    """The start and the length in pixels of a normalised centre and extent along an axis of
    `size` pixels; an edge past the image by no more than the rounding of the printed
    values is put on the image's edge."""
    c = _number(centre, file, line, f"c{axis}")
    e = _number(extent, file, line, "w" if axis == "x" else "h")
    if e <= 0:
        raise _fail(
            file, line, "w" if axis == "x" else "h", f"expected a positive size, got {extent!r}"
        )
    start, length = c * size - e * size / 2, e * size
    slack = (_rounding(centre) + _rounding(extent) / 2) * size
    end = start + length
    if -slack <= start < 0 or size < end <= size + slack:
        start, end = max(start, 0.0), min(end, float(size))
        length = end - start
    return start, length


def _box(tokens: list[str], size: tuple[int, int], file: Path, line: int) -> Box:
    """The box of the tokens ``cx cy w h`` (normalised) on an image of `size`."""
    x, w = _edges(tokens[0], tokens[2], size[0], file=file, line=line, axis="x")
    y, h = _edges(tokens[1], tokens[3], size[1], file=file, line=line, axis="y")
    return Box(x=x, y=y, w=w, h=h)


def _keypoints(
    tokens: list[str], shape: tuple[int, int], size: tuple[int, int], file: Path, line: int
) -> list[tuple[float, float, int]]:
    count, dims = shape
    points = []
    for k in range(count):
        at = 5 + k * dims
        x = _number(tokens[at], file, line, f"keypoints[{k}].x")
        y = _number(tokens[at + 1], file, line, f"keypoints[{k}].y")
        if dims == 3:
            v = _whole(tokens[at + 2], file, line, f"keypoints[{k}].v")
            if v > 2:
                raise _fail(file, line, f"keypoints[{k}].v", f"expected 0, 1 or 2, got {v}")
        else:
            v = 0 if x == 0 and y == 0 else 2
        points.append((x * size[0], y * size[1], v))
    return points


def _flat(
    tokens: list[str], size: tuple[int, int], shape: tuple[int, int] | None, file: Path, line: int
) -> tuple[Box | Polygon, Source]:
    """The box (with its source: a prediction's confidence) or polygon of a line that is
    not a pose."""
    count = len(tokens) - 1
    if count in (4, 5):
        if count == 4:
            return _box(tokens[1:5], size, file, line), _SOURCE
        conf = _number(tokens[5], file, line, "conf")
        if not 0 <= conf <= 1:
            raise _fail(file, line, "conf", f"expected a confidence in [0, 1], got {conf:g}")
        box = _box(tokens[1:5], size, file, line)
        return box, Source(kind="model", name="yolo", confidence=conf)
    if count >= 6 and count % 2 == 0:
        values = [
            _number(token, file, line, f"points[{i // 2}].{'xy'[i % 2]}")
            for i, token in enumerate(tokens[1:])
        ]
        points = [(values[i] * size[0], values[i + 1] * size[1]) for i in range(0, count, 2)]
        return Polygon(points=points), _SOURCE
    pose = (
        f", or class cx cy w h and {shape[0] * shape[1]} keypoint values (kpt_shape {list(shape)})"
        if shape
        else ""
    )
    raise _fail(
        file,
        line,
        "",
        "expected class cx cy w h (a box), class cx cy w h conf (a prediction), or class "
        f"x1 y1 x2 y2 x3 y3 ... (a polygon of 3 points or more){pose}; "
        f"got {count} values after the class",
    )


def _class(token: str, dataset: Dataset, file: Path, line: int) -> str:
    index = _whole(token, file, line, "class")
    if index not in dataset.names:
        raise _fail(
            file,
            line,
            "class",
            f"expected a class index of {dataset.file.name} "
            f"({min(dataset.names, default=0)}..{max(dataset.names, default=-1)}), got {index}",
        )
    return dataset.names[index]


def _objects(
    label: Path, stem: str, stream: str, size: tuple[int, int], dataset: Dataset
) -> _Objects:
    found = _Objects()
    shape = dataset.kpt_shape
    with label.open(encoding="utf-8") as lines:
        for line, text in enumerate(lines, start=1):
            tokens = text.split()
            if not tokens:
                continue
            name = _class(tokens[0], dataset, label, line)
            ident = f"{stem}.{line}"
            origin = Origin(str(label), line)
            if shape is not None and len(tokens) == 5 + shape[0] * shape[1]:
                box = _box(tokens[1:5], size, label, line)
                points = _keypoints(tokens, shape, size, label, line)
                names = dataset.kpt_names.get(int(float(tokens[0])))
                keypoints = Keypoints(
                    points=points, names=names if names and len(names) == len(points) else None
                )
                kid, eid = f"{ident}.keypoints", f"{ident}.pose"
                found.annotations += [
                    Annotation(id=ident, stream=stream, label=name, geometry=box, source=_SOURCE),
                    Annotation(
                        id=kid, stream=stream, label=name, geometry=keypoints, source=_SOURCE
                    ),
                ]
                found.entities.append(Entity(id=eid, label=name, members=[ident, kid]))
                found.parts |= {ident: origin, kid: origin, eid: origin}
                continue
            geometry, source = _flat(tokens, size, shape, label, line)
            found.annotations.append(
                Annotation(id=ident, stream=stream, label=name, geometry=geometry, source=source)
            )
            found.parts[ident] = origin
    return found


# --- finding the images ----------------------------------------------------------------------


def _with_suffix(base: Path) -> Path | None:
    """The image ``base.<suffix>`` for an image suffix (either case), if there is one."""
    for suffix in IMAGE_SUFFIXES:
        for candidate in (
            base.with_name(base.name + suffix),
            base.with_name(base.name + suffix.upper()),
        ):
            if candidate.is_file():
                return candidate
    return None


def _tree(folder: Path, keep: Callable[[Path], bool]) -> dict[Path, Path]:
    """The files under `folder` that `keep` accepts, by their path without suffix relative
    to `folder`."""
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).with_suffix(""): path
        for path in sorted(folder.rglob("*"))
        if path.is_file() and keep(path)
    }


@dataclass(frozen=True)
class _Item:
    """One image of a split: its label file and, when found, the image."""

    split: str
    label: Path
    image: Path | None
    where: Origin


def _folder_items(
    dataset: Dataset, split: str, images: Path, options: ReadOptions
) -> Iterator[_Item]:
    labels = _labels_folder(images)
    found = _tree(images, lambda p: p.suffix.lower() in IMAGE_SUFFIXES)
    texts = _tree(labels, lambda p: p.suffix == ".txt" and p.name not in _NOT_LABELS)
    if not found and not texts:
        raise _fail(
            dataset.file,
            0,
            split,
            f"expected images in {images} or label files in {labels}: found neither",
        )
    relative = images.relative_to(dataset.root) if images.is_relative_to(dataset.root) else None
    for key in sorted(found.keys() | texts.keys()):
        label = texts.get(key, labels / key.parent / f"{key.name}.txt")
        image = found.get(key)
        if image is None and options.media_root is not None:
            roots = [options.media_root / relative] if relative is not None else []
            for root in [*roots, options.media_root]:
                image = _with_suffix(root / key)
                if image is not None:
                    break
        yield _Item(split, label, image, Origin(str(label), 0))


def _list_items(
    dataset: Dataset, split: str, listing: Path, options: ReadOptions
) -> Iterator[_Item]:
    bases = [dataset.root, listing.parent]
    if options.media_root is not None:
        bases.append(options.media_root)
    with listing.open(encoding="utf-8") as lines:
        for number, text in enumerate(lines, start=1):
            entry = text.strip()
            if not entry:
                continue
            if entry.startswith("./"):
                entry = str(listing.parent / entry[2:])
            image = _locate(bases, entry)
            if image is None:
                guess = Path(entry) if Path(entry).is_absolute() else dataset.root / entry
                label = label_path(guess)
                yield _Item(split, label, None, Origin(str(listing), number))
                continue
            yield _Item(split, label_path(image), image, Origin(str(image), 0))


def _items(dataset: Dataset, options: ReadOptions) -> Iterator[_Item]:
    for split, path in dataset.splits:
        if path.is_file():
            yield from _list_items(dataset, split, path, options)
        else:
            yield from _folder_items(dataset, split, path, options)


# --- reading ---------------------------------------------------------------------------------


def _sample(item: _Item, dataset: Dataset, options: ReadOptions) -> ForeignSample:
    if item.image is None:
        if item.label.is_file():
            raise _fail(
                item.label,
                0,
                "image",
                "no image for this label file (looked for it in the images folder"
                + (" and under the media root" if options.media_root else "")
                + "); YOLO coordinates are normalised, so the image's size is needed",
            )
        raise item.where.error("image", f"no such image (nor its label file {item.label})")
    document = Origin(str(item.label if item.label.is_file() else item.image), 0)
    media = probe_found(item.image, Modality.IMAGE, document, "image")
    assert media.width is not None and media.height is not None
    stem = item.image.stem
    stream = Stream(
        id=f"{stem}.image",
        name="image",
        modality=Modality.IMAGE,
        uri=options.uri_of(item.image),
        media=media,
    )
    objects = (
        _objects(item.label, stem, stream.id, (media.width, media.height), dataset)
        if item.label.is_file()
        else _Objects()
    )
    sample = Sample(
        id=stem,
        external_id=item.image.name,
        metadata={_METADATA: {"split": item.split}},
        streams=[stream],
        annotations=objects.annotations,
        entities=objects.entities,
    )
    return ForeignSample(sample, document, objects.parts)


def read(source: Path, options: ReadOptions) -> Iterator[ForeignSample]:
    """The samples of a YOLO dataset, one image at a time (see the module)."""
    dataset = read_dataset(source)
    for item in _items(dataset, options):
        yield _sample(item, dataset, options)


# --- writing ---------------------------------------------------------------------------------


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
    splits: dict[str, None] = field(default_factory=dict)
    keypoints: int | None = None
    kpt_names: dict[int, list[str]] = field(default_factory=dict)
    taken: set[tuple[str, str]] = field(default_factory=set)
    samples: int = 0
    annotations: int = 0
    left: dict[str, int] = field(default_factory=dict)

    def index(self, label: str) -> int:
        return self.names.setdefault(label, len(self.names))

    def leave(self, what: str, count: int = 1) -> None:
        if count:
            self.left[what] = self.left.get(what, 0) + count

    def stem(self, stream: Stream, sample: Sample, split: str) -> str:
        base = stream.uri or sample.external_id or sample.id
        stem = Path(Path(base.replace("\\", "/")).name).stem or sample.id
        if (split, stem) in self.taken:
            stem = f"{sample.id}_{stream.id}"
        self.taken.add((split, stem))
        return stem

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

    def image(self, sample: Sample, stream: Stream, split: str) -> tuple[dict[str, str], set[str]]:
        """Write one image stream's label file; the reader's id of each written record and
        the ids of the entities that pose lines carry."""
        size = (stream.media.width or 0, stream.media.height or 0)
        stem = self.stem(stream, sample, split)
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
        ids: dict[str, str] = {}
        carried: set[str] = set()
        for ident, annotation in mine.items():
            number = f"{stem}.{len(lines) + 1}"
            if isinstance(annotation.geometry, Keypoints):
                if ident not in poses:
                    continue
                ids[ident] = f"{number}.keypoints"
                if ident in box_of:
                    ids[box_of[ident]] = number
                if ident in entity_of:
                    ids[entity_of[ident]] = f"{number}.pose"
                    carried.add(entity_of[ident])
            elif ident in paired:
                continue
            else:
                ids[ident] = number
            lines.append(self.line(annotation, size, poses.get(ident)))
        folder = self.out / "labels" / split
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{stem}.txt").write_text("".join(f"{t}\n" for t in lines), encoding="utf-8")
        return ids, carried

    def sample(self, sample: Sample, sidecar: Any) -> None:
        self.samples += 1
        split = sample.metadata.get(_METADATA, {}).get("split", "train")
        if not isinstance(split, str) or not _SPLIT_NAME.fullmatch(split):
            split = "train"
        ids: dict[str, str] = {}
        carried: set[str] = set()
        for stream in sample.streams:
            if stream.modality is Modality.IMAGE and stream.media.width and stream.media.height:
                self.splits.setdefault(split, None)
                written, poses = self.image(sample, stream, split)
                ids |= written
                carried |= poses
        annotations = [a for a in sample.annotations if a.id not in ids]
        entities = [e for e in sample.entities if e.id not in carried]
        attributes = {
            ids[a.id]: a.attributes for a in sample.annotations if a.id in ids and a.attributes
        }
        self.annotations += sum(1 for a in sample.annotations if a.id in ids)
        for annotation in annotations:
            self.leave(f"{annotation.geometry.type} annotations")
        self.leave("entities", len(entities))
        self.leave("links", len(sample.links))
        self.leave("attributes", len(attributes))
        if annotations or entities or sample.links or attributes:
            line = {
                "sample": sample.id,
                "external_id": sample.external_id,
                "ids": ids,
                "annotations": [a.model_dump(mode="json") for a in annotations],
                "attributes": attributes,
                "entities": [e.model_dump(mode="json") for e in entities],
                "links": [link.model_dump(mode="json") for link in sample.links],
            }
            sidecar.write(orjson.dumps(line) + b"\n")

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
    writer = _Writer(out, {c.name: i for i, c in enumerate(ontology.classes)})
    (out / "labels").mkdir(parents=True, exist_ok=True)
    with (out / NOT_CARRIED).open("wb") as sidecar:
        for sample in samples:
            writer.sample(sample, sidecar)
    writer.data_yaml()
    not_carried = {
        what: f"{count} written to {NOT_CARRIED} (YOLO labels hold classes and geometry only)"
        for what, count in sorted(writer.left.items())
    }
    files = ["data.yaml", *(f"labels/{split}/" for split in writer.splits)]
    if not_carried:
        files.append(NOT_CARRIED)
    else:
        (out / NOT_CARRIED).unlink()
    if writer.splits:
        not_carried["images"] = (
            "not copied: put each image in images/<split>/ under its label file's name, "
            "or give the media root when importing"
        )
    return WriteReport(files, writer.samples, writer.annotations, not_carried)


SPECS: Final = (
    FormatSpec(
        name="yolo",
        title="YOLO (Ultralytics data.yaml, Darknet obj.data): detection, segmentation, pose",
        read=read,
        write=write,
        not_carried=(
            "attributes",
            "masks",
            "tracks",
            "links",
            "entities other than a pose's box and keypoints",
            "annotation sources and confidences",
            "images (not copied)",
        ),
    ),
)
