"""Agreement of two people's regions (boxes, polygons, COCO RLE masks) on one image or
video: IoU matrices, one-to-one matching, precision/recall/F1, mean IoU and the labels'
agreement over the matches, overall and per class. Pure: no I/O.

The agreement modules (regions here, `segment_agreement`, `transcript_agreement`,
`track_agreement`) share `rosetta.core.matching`'s conventions (`Match`, `Matching`,
`optimal_matches`): ``first`` is the reference, F1 is symmetric, a 0/0 ratio is NaN, and
matching is one-to-one and optimal (the most pairs, then the greatest total similarity).

IoU: boxes and masks with ``pycocotools.mask.iou`` (``iscrowd`` all 0: plain IoU, not the
crowd region's intersection over the detection's area); polygons with shapely over
arrays (``make_valid`` first), exactly: rasterising to RLE would round each sub-pixel
vertex to the pixel grid. Regions of different types, on different frames, or masks of
different image sizes never match.
"""

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import shapely
from numpy.typing import NDArray
from pycocotools import mask as coco_mask

from rosetta.core.geometry import Box, Mask, Polygon
from rosetta.core.matching import MATCH_IOU, Match, Matching, optimal_matches, ratio
from rosetta.core.reliability import cohens_kappa

Region = Box | Polygon | Mask
Floats = NDArray[np.float64]


# --- IoU ------------------------------------------------------------------------------------


def box_iou(first: Sequence[Box], second: Sequence[Box]) -> Floats:
    """IoU of every pair of boxes (frames aside), ``len(first) × len(second)``."""
    if not first or not second:
        return np.zeros((len(first), len(second)))
    return _coco_iou(_xywh(first), _xywh(second), len(second))


def mask_iou(first: Sequence[Mask], second: Sequence[Mask]) -> Floats:
    """IoU of every pair of masks (frames aside), ``len(first) × len(second)``; all masks
    must be of one image size."""
    if not first or not second:
        return np.zeros((len(first), len(second)))
    sizes = {m.rle.size for m in [*first, *second]}
    if len(sizes) > 1:
        raise ValueError(f"masks of different image sizes cannot be compared: {sorted(sizes)}")
    return _coco_iou(_rles(first), _rles(second), len(second))


def polygon_iou(first: Sequence[Polygon | Box], second: Sequence[Polygon | Box]) -> Floats:
    """IoU of every pair of polygons or boxes (frames aside), ``len(first) × len(second)``,
    by exact areas (shapely; self-intersecting polygons made valid first); 0 where both
    are empty."""
    a, b = _shapes(first), _shapes(second)
    intersection = shapely.area(shapely.intersection(a[:, None], b[None, :]))
    union = shapely.area(a)[:, None] + shapely.area(b)[None, :] - intersection
    result: Floats = np.divide(
        intersection, union, out=np.zeros_like(intersection), where=union > 0
    )
    return result


def iou_matrix(first: Sequence[Region], second: Sequence[Region]) -> Floats:
    """IoU of every pair of regions, ``len(first) × len(second)``: NaN where they may not
    match (other type, other frame, other mask size)."""
    matrix = np.full((len(first), len(second)), np.nan)
    for rows, columns in _comparable(first, second):
        matrix[np.ix_(rows, columns)] = _block_iou(
            [first[i] for i in rows], [second[j] for j in columns]
        )
    return matrix


def _block_iou(first: list[Region], second: list[Region]) -> Floats:
    """IoU of regions that are all of one type."""
    if isinstance(first[0], Box):
        return box_iou(cast(list[Box], first), cast(list[Box], second))
    if isinstance(first[0], Mask):
        return mask_iou(cast(list[Mask], first), cast(list[Mask], second))
    return polygon_iou(cast(list[Polygon], first), cast(list[Polygon], second))


def _coco_iou(first: object, second: object, columns: int) -> Floats:
    return np.asarray(coco_mask.iou(first, second, [0] * columns), dtype=np.float64)


def _xywh(boxes: Sequence[Box]) -> Floats:
    return np.array([(b.x, b.y, b.w, b.h) for b in boxes], dtype=np.float64)


def _rles(masks: Sequence[Mask]) -> list[dict[str, object]]:
    return [{"size": list(m.rle.size), "counts": m.rle.counts} for m in masks]


def _shapes(regions: Sequence[Polygon | Box]) -> NDArray[np.object_]:
    """The regions as shapely polygons, built in one call from their rings."""
    rings = [r.points if isinstance(r, Polygon) else _corners(r) for r in regions]
    if not rings:
        return np.empty(0, dtype=object)
    coordinates = np.concatenate([np.asarray(ring, dtype=np.float64) for ring in rings])
    owner = np.repeat(np.arange(len(rings)), [len(ring) for ring in rings])
    polygons = shapely.polygons(shapely.linearrings(coordinates, indices=owner))
    valid: NDArray[np.object_] = shapely.make_valid(polygons)
    return valid


def _corners(box: Box) -> list[tuple[float, float]]:
    right, bottom = box.x + box.w, box.y + box.h
    return [(box.x, box.y), (right, box.y), (right, bottom), (box.x, bottom)]


def _comparable(
    first: Sequence[Region], second: Sequence[Region]
) -> list[tuple[list[int], list[int]]]:
    """The groups (indexes in `first`, indexes in `second`) that may match: one per type,
    frame and mask size present on both sides."""
    groups: defaultdict[Hashable, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for side, regions in enumerate((first, second)):
        for index, region in enumerate(regions):
            groups[_group(region)][side].append(index)
    return [(rows, columns) for rows, columns in groups.values() if rows and columns]


def _group(region: Region) -> Hashable:
    size = region.rle.size if isinstance(region, Mask) else None
    return region.type, region.frame, size


# --- agreement ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassAgreement:
    """Agreement on one label: how many regions each side gave it, how many matched
    pairs both labelled so (``agreed``), and precision, recall and F1 of those."""

    label: str
    first_count: int
    second_count: int
    agreed: int

    @property
    def precision(self) -> float:
        """``agreed / second_count`` (NaN when 0)."""
        return ratio(self.agreed, self.second_count)

    @property
    def recall(self) -> float:
        """``agreed / first_count`` (NaN when 0)."""
        return ratio(self.agreed, self.first_count)

    @property
    def f1(self) -> float:
        """``2·agreed / (first_count + second_count)``."""
        return ratio(2 * self.agreed, self.first_count + self.second_count)


@dataclass(frozen=True)
class RegionAgreement:
    """Two sides' regions matched by IoU (`matching`; its scores are IoUs) and their labels.

    ``label_agreement`` is the share of matched pairs with equal labels and ``kappa``
    Cohen's κ of the matched pairs' labels (``None`` without pairs, or when both sides
    used one and the same label: κ is 0/0 then). ``classes``: per label (sorted), counted
    over the whole sides: a matched pair with different labels is a miss for the first
    label and a false alarm for the second.
    """

    matching: Matching
    label_agreement: float
    kappa: float | None
    classes: tuple[ClassAgreement, ...]

    @property
    def mean_iou(self) -> float:
        """Mean IoU of the matched pairs (NaN without any)."""
        return self.matching.mean_score


def region_agreement(
    first: Sequence[Region],
    second: Sequence[Region],
    first_labels: Sequence[str],
    second_labels: Sequence[str],
    *,
    threshold: float = MATCH_IOU,
    same_label: bool = False,
) -> RegionAgreement:
    """Match `first` with `second` one-to-one where IoU ≥ `threshold` (in (0, 1]), per
    frame and type, and measure their agreement; `same_label`: only regions of one label
    may match (class-aware matching, as COCO evaluates)."""
    if len(first) != len(first_labels) or len(second) != len(second_labels):
        raise ValueError("every region needs one label")
    if not 0 < threshold <= 1:
        raise ValueError(f"the IoU threshold must lie in (0, 1], got {threshold}")
    labels_a, labels_b = (
        np.asarray(first_labels, dtype=object),
        np.asarray(second_labels, dtype=object),
    )
    matches: list[Match] = []
    for rows, columns in _comparable(first, second):
        block = _block_iou([first[i] for i in rows], [second[j] for j in columns])
        if same_label:
            block[labels_a[rows][:, None] != labels_b[columns][None, :]] = np.nan
        matches += [
            Match(rows[i], columns[j], score) for i, j, score in optimal_matches(block, threshold)
        ]
    matches.sort()
    matching = Matching(tuple(matches), len(first), len(second))
    paired_a = [first_labels[m.first] for m in matches]
    paired_b = [second_labels[m.second] for m in matches]
    return RegionAgreement(
        matching=matching,
        label_agreement=ratio(
            sum(a == b for a, b in zip(paired_a, paired_b, strict=True)), len(matches)
        ),
        kappa=_kappa(paired_a, paired_b),
        classes=per_class(first_labels, second_labels, matching),
    )


def _kappa(first: list[str], second: list[str]) -> float | None:
    if not first or len(set(first) | set(second)) < 2:
        return None
    return cohens_kappa(first, second)


def per_class(
    first_labels: Sequence[str], second_labels: Sequence[str], matching: Matching
) -> tuple[ClassAgreement, ...]:
    """Agreement per label of a matching of labelled items (see `RegionAgreement`), the
    labels in sorted order."""
    names, codes = np.unique(
        np.array([*first_labels, *second_labels], dtype=str), return_inverse=True
    )
    first_codes, second_codes = codes[: len(first_labels)], codes[len(first_labels) :]
    pairs = np.array([(m.first, m.second) for m in matching.matches], dtype=np.intp).reshape(-1, 2)
    both = first_codes[pairs[:, 0]]
    agreed = both[both == second_codes[pairs[:, 1]]]
    size = len(names)
    counts = zip(
        np.bincount(first_codes, minlength=size).tolist(),
        np.bincount(second_codes, minlength=size).tolist(),
        np.bincount(agreed, minlength=size).tolist(),
        strict=True,
    )
    return tuple(
        ClassAgreement(str(name), a, b, c) for name, (a, b, c) in zip(names, counts, strict=True)
    )
