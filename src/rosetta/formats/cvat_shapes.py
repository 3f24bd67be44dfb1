"""CVAT shapes and Rosetta geometry, both ways, for CVAT for images and CVAT for video.

Reading (`shape_geometry`), in pixels with the top-left origin as both use:

- ``<box xtl ytl xbr ybr>`` -> `Box` ``x=xtl, y=ytl, w=xbr-xtl, h=ybr-ytl``; a box with a
  ``rotation`` (degrees, clockwise about its centre) -> the `Polygon` of its four corners;
- ``<polygon points="x,y;x,y;...">`` -> `Polygon`;
- ``<points points=...>`` -> `Keypoints` without names, visibility 2 (1 when the shape is
  ``occluded``);
- ``<skeleton>`` with one ``<points label=... points="x,y">`` per element -> `Keypoints`
  named after the elements, in file order; an ``outside`` element is visibility 0 (absent),
  an ``occluded`` one 1, the others 2;
- ``<mask rle left top width height>`` -> `Mask`. CVAT's RLE covers only the mask's box
  (``width`` x ``height`` pixels from ``left, top``), row by row, runs of 0s and 1s
  alternating from a run of 0s (pixels after the last run are 0). It is rebuilt as a
  full-image mask and encoded as COCO RLE (column-major, pycocotools' compressed string);
  writing crops the COCO mask to the box of its pixels and encodes it CVAT's way.

``polyline``, ``ellipse`` and ``cuboid`` (CVAT's 2D pseudo-cuboid) have no Rosetta geometry:
`shape_geometry` gives ``None`` and the readers keep the element as it is.

Writing (`shape_element`) is the reverse: a `Keypoints` without names whose points are all
visible (or all hidden) is a ``<points>`` shape, any other a ``<skeleton>`` (elements named
``1``, ``2``, ... when the keypoints have no names).
"""

import math
from collections.abc import Iterable

import numpy as np

from rosetta.core.errors import ImportFailed
from rosetta.core.geometry import Box, Geometry, Keypoints, Mask, Polygon, Rle
from rosetta.core.schema import JsonDict, Sample
from rosetta.formats.cvat_xml import CvatMeta, typed_value
from rosetta.formats.safe_xml import Element
from rosetta.formats.xml_values import number

#: CVAT shapes Rosetta has no geometry for: kept as they are.
KEPT_AS_IS = frozenset({"polyline", "ellipse", "cuboid"})
#: CVAT shapes read into Rosetta geometry.
SHAPES = frozenset({"box", "polygon", "points", "skeleton", "mask"})

FloatPair = tuple[float, float]


def _fail(file: str, element: Element, attribute: str, detail: str) -> ImportFailed:
    return ImportFailed(file, element.line, f"<{element.tag}> {attribute}".strip(), detail)


def required(element: Element, name: str, file: str) -> str:
    """The XML attribute `name` of `element` (an `ImportFailed` when it is missing)."""
    value = element.attrs.get(name)
    if value is None:
        raise _fail(file, element, name, f"the {name!r} attribute is required")
    return value


def numeric(element: Element, name: str, file: str) -> float:
    """The XML attribute `name` as a finite number."""
    text = required(element, name, file)
    try:
        value = float(text)
    except ValueError:
        raise _fail(file, element, name, f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise _fail(file, element, name, f"expected a finite number, got {text!r}")
    return value


def integer(element: Element, name: str, file: str, least: int = 0) -> int:
    """The XML attribute `name` as an integer of at least `least`."""
    text = required(element, name, file)
    try:
        value = int(text)
    except ValueError:
        raise _fail(file, element, name, f"expected an integer, got {text!r}") from None
    if value < least:
        raise _fail(file, element, name, f"expected at least {least}, got {value}")
    return value


def flag(element: Element, name: str, file: str, default: str = "0") -> bool:
    """The 0/1 XML attribute `name` (absent: `default`)."""
    value = element.attrs.get(name, default)
    if value not in ("0", "1"):
        raise _fail(file, element, name, f"expected 0 or 1, got {value!r}")
    return value == "1"


def points(element: Element, file: str, least: int) -> list[FloatPair]:
    """The ``points="x,y;x,y;..."`` of `element`: at least `least` pairs."""
    found: list[FloatPair] = []
    for pair in required(element, "points", file).split(";"):
        x, comma, y = pair.partition(",")
        try:
            point = (float(x), float(y))
        except ValueError:
            raise _fail(file, element, "points", f"expected 'x,y;x,y;...', got {pair!r}") from None
        if not comma or not all(math.isfinite(v) for v in point):
            raise _fail(file, element, "points", f"expected 'x,y;x,y;...', got {pair!r}")
        found.append(point)
    if len(found) < least:
        raise _fail(
            file,
            element,
            "points",
            f"a <{element.tag}> needs at least {least} points, got {len(found)}",
        )
    return found


def corners(element: Element, file: str) -> tuple[float, float, float, float]:
    """A box's ``xtl, ytl, xbr, ybr``, the bottom-right below and right of the top-left."""
    left, top = numeric(element, "xtl", file), numeric(element, "ytl", file)
    right, bottom = numeric(element, "xbr", file), numeric(element, "ybr", file)
    for corner, low, high in (("xbr", left, right), ("ybr", top, bottom)):
        if high <= low:
            raise _fail(file, element, corner, f"{corner}={high} must be greater than {low}")
    return left, top, right, bottom


def _box(element: Element, file: str, frame: int | None) -> Box | Polygon:
    left, top, right, bottom = corners(element, file)
    rotation = numeric(element, "rotation", file) if element.attrs.get("rotation") else 0.0
    if rotation % 360 == 0:
        return Box(x=left, y=top, w=right - left, h=bottom - top, frame=frame)
    angle = math.radians(rotation)
    cx, cy = (left + right) / 2, (top + bottom) / 2
    cos, sin = math.cos(angle), math.sin(angle)
    turned = [(left, top), (right, top), (right, bottom), (left, bottom)]
    return Polygon(
        points=[
            (cx + (x - cx) * cos - (y - cy) * sin, cy + (x - cx) * sin + (y - cy) * cos)
            for x, y in turned
        ],
        frame=frame,
    )


def _skeleton(element: Element, file: str, frame: int | None) -> Keypoints:
    nodes = [child for child in element.children if child.tag != "attribute"]
    if not nodes:
        raise _fail(file, element, "", "a skeleton needs at least one <points> element")
    found: list[tuple[float, float, int]] = []
    names: list[str] = []
    for node in nodes:
        if node.tag != "points":
            raise _fail(file, node, "", "expected a skeleton element <points>")
        found_points = points(node, file, 1)
        if len(found_points) != 1:
            raise _fail(
                file, node, "points", f"a skeleton element is one point, got {len(found_points)}"
            )
        ((x, y),) = found_points
        hidden = 1 if flag(node, "occluded", file) else 2
        found.append((x, y, 0 if flag(node, "outside", file) else hidden))
        names.append(required(node, "label", file))
    return Keypoints(points=found, names=names, frame=frame)


def _mask(element: Element, file: str, size: tuple[int, int], frame: int | None) -> Mask:
    width, height = size
    left, top = integer(element, "left", file), integer(element, "top", file)
    box_width, box_height = integer(element, "width", file, 1), integer(element, "height", file, 1)
    if left + box_width > width or top + box_height > height:
        raise _fail(
            file,
            element,
            "left",
            f"the mask's box ({left}, {top}) + {box_width}x{box_height} must lie inside the "
            f"{width}x{height} image",
        )
    text = required(element, "rle", file)
    try:
        runs = np.array([int(v) for v in text.split(",")], dtype=np.int64)
    except ValueError:
        raise _fail(file, element, "rle", "expected comma-separated run lengths") from None
    if runs.size == 0 or runs.min() < 0 or runs.sum() > box_width * box_height:
        raise _fail(
            file,
            element,
            "rle",
            f"expected non-negative runs covering at most {box_width}x{box_height} = "
            f"{box_width * box_height} pixels, got {int(runs.sum())}",
        )
    flat = np.zeros(box_width * box_height, dtype=np.uint8)
    flat[: int(runs.sum())] = np.repeat(np.arange(runs.size, dtype=np.uint8) % 2, runs)
    full = np.zeros((height, width), dtype=np.uint8)
    full[top : top + box_height, left : left + box_width] = flat.reshape(box_height, box_width)
    return Mask(rle=Rle.from_array(full), frame=frame)


def shape_geometry(
    element: Element, file: str, size: tuple[int, int], frame: int | None = None
) -> Geometry | None:
    """The geometry of the CVAT shape `element` on an image (or frame `frame` of a
    video) of `size` ``(width, height)``; ``None`` for a shape kept as it is."""
    if element.tag == "box":
        return _box(element, file, frame)
    if element.tag == "polygon":
        return Polygon(points=points(element, file, 3), frame=frame)
    if element.tag == "points":
        visibility = 1 if flag(element, "occluded", file) else 2
        found = [(x, y, visibility) for x, y in points(element, file, 1)]
        return Keypoints(points=found, frame=frame)
    if element.tag == "skeleton":
        return _skeleton(element, file, frame)
    if element.tag == "mask":
        return _mask(element, file, size, frame)
    return None


#: The XML attributes each shape's geometry is read from.
_GEOMETRY_ATTRS = {
    "box": {"xtl", "ytl", "xbr", "ybr", "rotation"},
    "polygon": {"points"},
    "points": {"points", "occluded"},
    "skeleton": {"points"},
    "mask": {"rle", "left", "top", "width", "height"},
}
#: XML attributes at their default values, which are not kept.
_DEFAULTS = {"occluded": "0", "z_order": "0", "source": "manual", "group_id": "0", "outside": "0"}


def shape_label(element: Element, file: str, default: str | None) -> str:
    """The shape's label: its ``label`` attribute, else `default` (the reader's default
    label); an `ImportFailed` when it has neither."""
    label = element.attrs.get("label", "")
    if label:
        return label
    if default:
        return default
    raise _fail(
        file,
        element,
        "label",
        "expected a label; the shape has none (import with a default label to give it one)",
    )


def shape_attributes(element: Element, label: str, meta: CvatMeta, file: str) -> JsonDict:
    """The shape's ``<attribute>`` children, typed by the meta's input types."""
    values: JsonDict = {}
    for child in element.attributes():
        name = required(child, "name", file)
        try:
            values[name] = typed_value(meta.attribute(label, name), child.text)
        except ValueError as exc:
            raise _fail(file, child, name, str(exc)) from None
    return values


def shape_extras(element: Element, consumed: Iterable[str] = ()) -> dict[str, str]:
    """The shape's XML attributes its geometry, label and frame flags do not use and that
    are not at their defaults (``occluded="1"``, ``z_order``, ``group_id``, ``source``,
    ...): a reader keeps them in the sample's metadata and the writer puts them back."""
    used = {"label", *_GEOMETRY_ATTRS.get(element.tag, ()), *consumed}
    return {
        name: value
        for name, value in element.attrs.items()
        if name not in used and _DEFAULTS.get(name) != value and not _zero_rotation(name, value)
    }


def _zero_rotation(name: str, value: str) -> bool:
    try:
        return name == "rotation" and float(value) % 360 == 0
    except ValueError:
        return False


# --- writing ---------------------------------------------------------------------------------


def _pairs(pairs: Iterable[tuple[float, ...]]) -> str:
    return ";".join(f"{number(p[0])},{number(p[1])}" for p in pairs)


def mask_attrs(mask: Mask) -> dict[str, str]:
    """CVAT's ``rle``, ``left``, ``top``, ``width`` and ``height`` of a COCO mask."""
    height, width = mask.rle.size
    runs = np.asarray(mask.rle.runs(), dtype=np.int64)
    flat = np.repeat(np.arange(runs.size, dtype=np.uint8) % 2, runs)
    full = flat.reshape(width, height).T  # COCO runs go column by column
    rows = np.flatnonzero(full.any(axis=1))
    columns = np.flatnonzero(full.any(axis=0))
    if rows.size == 0:
        return {"rle": "1", "left": "0", "top": "0", "width": "1", "height": "1"}
    top, bottom, left, right = rows[0], rows[-1], columns[0], columns[-1]
    box = np.ascontiguousarray(full[top : bottom + 1, left : right + 1]).ravel()
    changes = np.flatnonzero(box[1:] != box[:-1]) + 1
    runs = np.diff(np.concatenate(([0], changes, [box.size])))
    if box[0]:
        runs = np.concatenate(([0], runs))
    return {
        "rle": ", ".join(str(int(run)) for run in runs),
        "left": str(int(left)),
        "top": str(int(top)),
        "width": str(int(right - left + 1)),
        "height": str(int(bottom - top + 1)),
    }


def keypoint_names(keypoints: Keypoints) -> list[str] | None:
    """The skeleton element names a `Keypoints` is written with (``None``: a ``<points>``)."""
    visibilities = {v for _, _, v in keypoints.points}
    if keypoints.names is None and visibilities in ({2}, {1}):
        return None
    return keypoints.names or [str(i) for i in range(1, len(keypoints.points) + 1)]


def shape_element(geometry: Geometry, attrs: dict[str, str]) -> Element | None:
    """The CVAT shape of `geometry` with the XML attributes `attrs` put first (the label,
    the frame flags); ``None`` for a geometry CVAT has no shape for."""
    if isinstance(geometry, Box):
        corners = (geometry.x, geometry.y, geometry.x + geometry.w, geometry.y + geometry.h)
        coords = dict(zip(("xtl", "ytl", "xbr", "ybr"), map(number, corners), strict=True))
        return Element("box", {**attrs, **coords}, 0)
    if isinstance(geometry, Polygon):
        return Element("polygon", {**attrs, "points": _pairs(geometry.points)}, 0)
    if isinstance(geometry, Mask):
        return Element("mask", {**attrs, **mask_attrs(geometry)}, 0)
    if isinstance(geometry, Keypoints):
        names = keypoint_names(geometry)
        if names is None:
            occluded = "1" if geometry.points[0][2] == 1 else "0"
            flags = {**attrs, "occluded": occluded}
            return Element("points", {**flags, "points": _pairs(geometry.points)}, 0)
        skeleton = Element("skeleton", {**attrs, "points": ""}, 0)
        frame_flags = {k: v for k, v in attrs.items() if k in ("frame", "keyframe")}
        for name, (x, y, visibility) in zip(names, geometry.points, strict=True):
            node = {
                "label": name,
                **frame_flags,
                "outside": "1" if visibility == 0 else "0",
                "occluded": "1" if visibility == 1 else "0",
                "points": _pairs([(x, y)]),
            }
            skeleton.children.append(Element("points", node, 0))
        return skeleton
    return None


def cvat_metadata(sample: Sample) -> JsonDict:
    """The sample's ``metadata["cvat"]``, where the readers keep what Rosetta has no field
    for (empty when it is missing or not an object)."""
    return entry(sample.metadata, "cvat")


def entry(data: object, key: str) -> JsonDict:
    """``data[key]`` when both are objects, else an empty one (metadata may be edited)."""
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def entries(data: object, key: str) -> list[JsonDict]:
    """The objects in the list ``data[key]`` (none when it is no list)."""
    value = data.get(key) if isinstance(data, dict) else None
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
