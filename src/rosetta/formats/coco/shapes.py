"""A COCO object's shapes as Rosetta geometry (pixels, top-left: COCO's own convention).

- ``segmentation`` as polygons -> one `Polygon` per polygon (a closing point repeating the
  first is dropped);
- ``segmentation`` as RLE -> a `Mask`: compressed (``counts`` a string) as it is,
  uncompressed (``counts`` a list) compressed with pycocotools ``frPyObjects``;
- no segmentation -> a `Box` from ``bbox`` (``[x, y, w, h]``); beside a segmentation the
  ``bbox`` and ``area`` are derived from it (as pycocotools does) and not read;
- ``keypoints`` with at least one visible or hidden point -> `Keypoints` named by the
  category's ``keypoints``; all-zero keypoints (``num_keypoints`` 0) are no keypoints.
  Keypoint scores of a detection in place of visibilities (values other than 0, 1, 2)
  read as 2.
"""

import math
from typing import Any

from pycocotools import mask as mask_utils

from rosetta.core.geometry import Box, Keypoints, Mask, Polygon, Rle
from rosetta.formats.coco.records import CocoCategory, CocoDetection, CocoObject, shown
from rosetta.formats.interchange import Origin


def object_shapes(
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
    if not isinstance(values, list) or not all(_finite(v) for v in values):
        raise origin.error(where, "expected a list of finite numbers x1, y1, x2, y2, ...")
    if len(values) % 2:
        raise origin.error(where, f"expected pairs of x, y; got {len(values)} numbers")
    points = [(float(x), float(y)) for x, y in zip(values[::2], values[1::2], strict=True)]
    if len(points) > 3 and points[-1] == points[0]:
        points.pop()
    if len(points) < 3:
        raise origin.error(where, f"a polygon needs 3 points or more, got {len(points)}")
    return Polygon(points=points)


def _finite(value: Any) -> bool:
    """Whether `value` is a JSON number that is a finite double (not NaN, not 1e309 or 10**400)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer past the largest double
        return False


def _mask(segmentation: dict[str, Any], origin: Origin) -> Mask:
    size, counts = segmentation.get("size"), segmentation.get("counts")
    if (
        not isinstance(size, list)
        or len(size) != 2
        or not all(isinstance(n, int) and n > 0 for n in size)
    ):
        raise origin.error("segmentation.size", f"expected [height, width], got {shown(size)}")
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
            "segmentation.counts", f"expected a string or a list of runs, got {shown(counts)}"
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
