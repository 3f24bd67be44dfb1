"""YOLO label lines as Rosetta records, in pixels.

Line ``n`` of an image's label file (``class`` then normalised values, by their count):

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
"""

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from rosetta.core.geometry import Box, Keypoints, Polygon
from rosetta.core.schema import Annotation, Entity, Source
from rosetta.formats.interchange import Origin
from rosetta.formats.text_lines import utf8_lines
from rosetta.formats.yolo.dataset import Dataset, fail

_SOURCE: Final = Source(kind="import", name="yolo")


def _number(token: str, file: Path, line: int, where: str) -> float:
    try:
        value = float(token)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise fail(file, line, where, f"expected a number, got {token!r}")
    return value


def _whole(token: str, file: Path, line: int, where: str) -> int:
    value = _number(token, file, line, where)
    if not value.is_integer() or value < 0:
        raise fail(file, line, where, f"expected a whole number, got {token!r}")
    return int(value)


@dataclass
class Objects:
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
        raise fail(
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
                raise fail(file, line, f"keypoints[{k}].v", f"expected 0, 1 or 2, got {v}")
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
            raise fail(file, line, "conf", f"expected a confidence in [0, 1], got {conf:g}")
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
    raise fail(
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
        raise fail(
            file,
            line,
            "class",
            f"expected a class index of {dataset.file.name} "
            f"({min(dataset.names, default=0)}..{max(dataset.names, default=-1)}), got {index}",
        )
    return dataset.names[index]


def read_labels(
    label: Path, stem: str, stream: str, size: tuple[int, int], dataset: Dataset
) -> Objects:
    """The records of the label file `label` of the image `stem` (its stream `stream`, of
    `size` pixels): line ``n`` is ``<stem>.<n>`` (see the module)."""
    found = Objects()
    shape = dataset.kpt_shape
    with utf8_lines(label) as lines:
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
