"""Region agreement on real COCO data: IoU of boxes, polygons and RLE masks against
independent computations (shapely per pair, numpy on the decoded masks), matching per
frame, F1, label agreement and the per-class view."""

import json
from collections import Counter, defaultdict
from typing import Any

import numpy as np
import pytest
import shapely
from pycocotools import mask as coco_mask
from sklearn.metrics import cohen_kappa_score

from conftest import SHARED
from rosetta.core.geometry import Box, Mask, Polygon, Rle
from rosetta.core.matching import Matching, greedy_pairs, similarity_matrix
from rosetta.core.region_agreement import (
    Region,
    box_iou,
    iou_matrix,
    mask_iou,
    polygon_iou,
    region_agreement,
)

COCO = SHARED / "fixtures" / "formats" / "coco"
#: cocoapi's fake segmentation results: 734 detections (compressed RLE) on 99 images.
RESULTS = COCO / "cocodataset__cocoapi" / "instances_val2014_fakesegm100_results.json"
#: The five images with the most detections (39, 35, 34, 28 and 17).
BUSIEST = (164, 196, 715, 257, 139)


def _detections() -> dict[int, list[dict[str, Any]]]:
    by_image: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for detection in json.loads(RESULTS.read_text()):
        by_image[detection["image_id"]].append(detection)
    return dict(by_image)


DETECTIONS = _detections()


def _mask(rle: dict[str, Any], frame: int | None = None) -> Mask:
    counts = rle["counts"]
    text = counts.decode("ascii") if isinstance(counts, bytes) else counts
    return Mask(rle=Rle(size=tuple(rle["size"]), counts=text), frame=frame)


def _box(xywh: Any, frame: int | None = None) -> Box:
    x, y, w, h = (float(v) for v in xywh)
    return Box(x=x, y=y, w=w, h=h, frame=frame)


def _shapely_iou(a: shapely.Geometry, b: shapely.Geometry) -> float:
    union = a.union(b).area
    return 0.0 if union == 0 else a.intersection(b).area / union


def _box_shape(box: Box) -> shapely.Geometry:
    return shapely.box(box.x, box.y, box.x + box.w, box.y + box.h)


def _pixels(rle: dict[str, Any]) -> np.ndarray:
    """The mask as a height × width boolean array, decoded by `Rle.runs` (pycocotools'
    `decode` warns under numpy 2): runs of 0s and 1s alternate, column by column."""
    mask = _mask(rle)
    height, width = mask.rle.size
    runs = mask.rle.runs()
    flat = np.repeat(np.arange(len(runs)) % 2 == 1, runs)
    return flat.reshape(width, height).T


def _shifted(rle: dict[str, Any], dx: int, dy: int) -> dict[str, Any]:
    """The mask moved by (dx, dy) pixels (what leaves the image is cut off)."""
    pixels = _pixels(rle).astype(np.uint8)
    moved = np.zeros_like(pixels)
    h, w = pixels.shape
    moved[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = pixels[
        max(-dy, 0) : h - max(dy, 0), max(-dx, 0) : w - max(dx, 0)
    ]
    return dict(coco_mask.encode(np.asfortranarray(moved)))


def _best_matching(candidates: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    """The matching of the most pairs, then the greatest total IoU, by trying every
    matching of each group of candidate pairs that share an item (they are small)."""
    groups: list[list[tuple[int, int, float]]] = []
    for pair in sorted(candidates):
        joined = [g for g in groups if any(p[0] == pair[0] or p[1] == pair[1] for p in g)]
        merged = [pair] + [p for g in joined for p in g]
        groups = [g for g in groups if g not in joined] + [merged]

    def best(
        pairs: list[tuple[int, int, float]],
    ) -> tuple[int, float, list[tuple[int, int, float]]]:
        if not pairs:
            return 0, 0.0, []
        head, rest = pairs[0], pairs[1:]
        count, total, chosen = best([p for p in rest if p[0] != head[0] and p[1] != head[1]])
        taken = (count + 1, total + head[2], [head, *chosen])
        skipped = best(rest)
        return max(taken, skipped, key=lambda option: (option[0], option[1]))

    return sorted(pair for group in groups for pair in best(group)[2])


def test_mask_iou_equals_numpy_on_the_decoded_coco_masks() -> None:
    checked = 0
    for image in BUSIEST:
        rles = [d["segmentation"] for d in DETECTIONS[image]]
        first, second = rles[0::2], [_shifted(r, 2, -1) for r in rles[1::2]] + rles[:3]
        found = mask_iou([_mask(r) for r in first], [_mask(r) for r in second])
        pixels_a = [_pixels(r) for r in first]
        pixels_b = [_pixels(r) for r in second]
        for i, a in enumerate(pixels_a):
            for j, b in enumerate(pixels_b):
                union = (a | b).sum()
                expected = (a & b).sum() / union if union else 0.0
                assert found[i, j] == pytest.approx(expected, abs=1e-9)
                checked += 1
        # masks 0 and 2 are in both lists: IoU 1 with themselves
        assert found[0, -3] == found[1, -1] == 1.0
    assert checked > 1000


def test_box_iou_equals_shapely_on_the_coco_boxes() -> None:
    for image in BUSIEST:
        boxes = [_box(b) for b in coco_mask.toBbox([d["segmentation"] for d in DETECTIONS[image]])]
        moved = [b.model_copy(update={"x": b.x + 3.5, "y": b.y - 2.25}) for b in boxes]
        found = box_iou(boxes, moved)
        expected = [[_shapely_iou(_box_shape(a), _box_shape(b)) for b in moved] for a in boxes]
        np.testing.assert_allclose(found, expected, rtol=0, atol=1e-9)
        assert np.all(np.diag(found) > 0)  # each box overlaps its moved copy


def test_polygon_iou_of_boxes_as_polygons_equals_pycocotools_box_iou() -> None:
    boxes = [_box(b) for b in coco_mask.toBbox([d["segmentation"] for d in DETECTIONS[164]])]
    moved = [b.model_copy(update={"x": b.x + 1.5, "w": b.w * 1.2}) for b in boxes]

    def corners(b: Box) -> Polygon:
        return Polygon(
            points=[(b.x, b.y), (b.x + b.w, b.y), (b.x + b.w, b.y + b.h), (b.x, b.y + b.h)]
        )

    polygons = polygon_iou([corners(b) for b in boxes], [corners(b) for b in moved])
    np.testing.assert_allclose(polygons, box_iou(boxes, moved), rtol=0, atol=1e-9)
    # a polygon against a box is measured the same way
    np.testing.assert_allclose(polygon_iou(boxes, moved), polygons, rtol=0, atol=1e-9)


def test_polygon_iou_equals_shapely_per_pair_and_repairs_a_bow_tie() -> None:
    # the triangles of the CVAT video fixture's points track (frames 10 and 13) and the
    # datumaro COCO instance's polygon, moved about
    triangles = [
        [(21.95, 8.00), (2.55, 15.09), (2.23, 3.16)],
        [(21.95, 8.00), (9.55, 15.09), (5.23, 1.16)],
        [(0.0, 0.0), (1.0, 0.0), (1.0, 2.0), (0.0, 2.0)],
    ]
    first = [Polygon(points=p) for p in triangles]
    second = [Polygon(points=[(x + 0.7, y - 0.3) for x, y in p]) for p in triangles]
    found = polygon_iou(first, second)
    for i, a in enumerate(triangles):
        for j, b in enumerate(second):
            expected = _shapely_iou(shapely.Polygon(a), shapely.Polygon(b.points))
            assert found[i, j] == pytest.approx(expected, abs=1e-9)
    bow_tie = Polygon(points=[(0, 0), (2, 2), (2, 0), (0, 2)])  # two triangles of area 1
    square = Polygon(points=[(0, 0), (2, 0), (2, 2), (0, 2)])
    assert polygon_iou([bow_tie], [square])[0, 0] == pytest.approx(0.5, abs=1e-12)


def test_iou_matrix_compares_only_the_same_type_frame_and_mask_size() -> None:
    a, b = DETECTIONS[164][0]["segmentation"], DETECTIONS[139][0]["segmentation"]
    assert a["size"] != b["size"]
    box = Box(x=0, y=0, w=10, h=10)
    first: list[Region] = [box, box.model_copy(update={"frame": 3}), _mask(a), _mask(b)]
    second: list[Region] = [
        box.model_copy(update={"x": 5}),
        box.model_copy(update={"frame": 3}),
        Polygon(points=[(0, 0), (10, 0), (10, 10)]),
        _mask(a),
    ]
    found = iou_matrix(first, second)
    expected = np.full((4, 4), np.nan)
    expected[0, 0], expected[1, 1], expected[2, 3] = 1 / 3, 1.0, 1.0
    np.testing.assert_array_equal(found, expected)
    with pytest.raises(ValueError, match="different image sizes"):
        mask_iou([_mask(a)], [_mask(b)])


def test_agreement_over_the_coco_results_as_video_frames() -> None:
    """Every image of the fixture is a frame; the second annotator drew each box moved by
    a few pixels (more for every fourth) and relabelled every third: the expected matches,
    F1, mean IoU, κ and per-class counts are computed here from shapely's IoUs."""
    first: list[Box] = []
    second: list[Box] = []
    labels_a: list[str] = []
    labels_b: list[str] = []
    for frame, image in enumerate(sorted(DETECTIONS)):
        for k, d in enumerate(DETECTIONS[image]):
            box = _box(coco_mask.toBbox(d["segmentation"]), frame)
            first.append(box)
            labels_a.append(str(d["category_id"]))
            shift = 2.0 if k % 4 else 0.6 * box.w
            second.append(box.model_copy(update={"x": box.x + shift, "y": box.y + 1}))
            labels_b.append(str(d["category_id"] + (1 if k % 3 == 0 else 0)))
    # drop two of the second annotator's boxes: a miss each
    del second[5], labels_b[5], second[0], labels_b[0]
    found = region_agreement(first, second, labels_a, labels_b)

    candidates = [
        (i, j, iou)
        for i, a in enumerate(first)
        for j, b in enumerate(second)
        if a.frame == b.frame and (iou := _shapely_iou(_box_shape(a), _box_shape(b))) >= 0.5
    ]
    expected = _best_matching(candidates)
    assert [(m.first, m.second) for m in found.matching.matches] == [(i, j) for i, j, _ in expected]
    for match, (_, _, iou) in zip(found.matching.matches, expected, strict=True):
        assert match.score == pytest.approx(iou, abs=1e-9)
    n = len(expected)
    assert 400 < n < len(first)
    assert found.matching.precision == pytest.approx(n / len(second), abs=1e-12)
    assert found.matching.recall == pytest.approx(n / len(first), abs=1e-12)
    assert found.matching.f1 == pytest.approx(2 * n / (len(first) + len(second)), abs=1e-12)
    assert found.mean_iou == pytest.approx(np.mean([iou for *_, iou in expected]), abs=1e-9)
    assert len(found.matching.unmatched_first) == len(first) - n
    paired_a = [labels_a[i] for i, _, _ in expected]
    paired_b = [labels_b[j] for _, j, _ in expected]
    assert found.label_agreement == pytest.approx(
        np.mean([a == b for a, b in zip(paired_a, paired_b, strict=True)]), abs=1e-12
    )
    assert found.kappa == pytest.approx(cohen_kappa_score(paired_a, paired_b), abs=1e-9)
    counts_a, counts_b = Counter(labels_a), Counter(labels_b)
    agreed = Counter(a for a, b in zip(paired_a, paired_b, strict=True) if a == b)
    assert [(c.label, c.first_count, c.second_count, c.agreed) for c in found.classes] == [
        (label, counts_a[label], counts_b[label], agreed[label])
        for label in sorted(counts_a | counts_b)
    ]
    person = next(c for c in found.classes if c.label == "1")
    assert person.f1 == pytest.approx(2 * agreed["1"] / (counts_a["1"] + counts_b["1"]), abs=1e-12)


def test_masks_match_per_frame_like_boxes() -> None:
    first, second = [], []
    for frame, image in enumerate(BUSIEST):
        for d in DETECTIONS[image]:
            first.append(_mask(d["segmentation"], frame))
            second.append(_mask(_shifted(d["segmentation"], 1, 1), frame))
    found = region_agreement(first, second, ["thing"] * len(first), ["thing"] * len(second))
    ious = [mask_iou([a], [b])[0, 0] for a, b in zip(first, second, strict=True)]
    expected = [i for i, iou in enumerate(ious) if iou >= 0.5]
    assert [(m.first, m.second) for m in found.matching.matches] == [(i, i) for i in expected]
    assert found.mean_iou == pytest.approx(np.mean([ious[i] for i in expected]), abs=1e-9)
    # one label on both sides: κ is 0/0, the share of equal labels is 1
    assert found.kappa is None and found.label_agreement == 1.0


def test_optimal_matching_keeps_pairs_that_greedy_matching_loses() -> None:
    """A1 overlaps B1 (IoU 9/11) and B2 (7/13), A2 only B1 (8/12): best-first pairing takes
    A1-B1 and leaves A2 alone, the optimal matching pairs A1-B2 and A2-B1."""
    first = [Box(x=0, y=0, w=10, h=10), Box(x=3, y=0, w=10, h=10)]
    second = [Box(x=1, y=0, w=10, h=10), Box(x=-3, y=0, w=10, h=10)]
    greedy = greedy_pairs(
        first, second, lambda a, b: s if (s := box_iou([a], [b])[0, 0]) >= 0.5 else None
    )
    assert greedy == [(0, 0)]
    found = region_agreement(first, second, ["car", "car"], ["car", "car"])
    assert [(m.first, m.second) for m in found.matching.matches] == [(0, 1), (1, 0)]
    assert [m.score for m in found.matching.matches] == pytest.approx([7 / 13, 8 / 12], abs=1e-12)
    assert found.matching.f1 == 1.0
    np.testing.assert_allclose(
        iou_matrix(first, second),
        similarity_matrix(first, second, lambda a, b: box_iou([a], [b])[0, 0]),
    )


def test_the_most_pairs_win_over_a_greater_total_iou() -> None:
    """At threshold 0.05, A1-B1 alone (IoU 0.905) outweighs A1-B2 (0.111) with A2-B1
    (0.081) in total IoU, but two matches are better agreement than one."""
    first = [Box(x=0, y=0, w=10, h=10), Box(x=-8, y=0, w=10, h=10)]
    second = [Box(x=0.5, y=0, w=10, h=10), Box(x=8, y=0, w=10, h=10)]
    found = region_agreement(first, second, ["a", "a"], ["a", "a"], threshold=0.05)
    assert [(m.first, m.second) for m in found.matching.matches] == [(0, 1), (1, 0)]
    strict = region_agreement(first, second, ["a", "a"], ["a", "a"])
    assert [(m.first, m.second) for m in strict.matching.matches] == [(0, 0)]


def test_labels_per_class_and_class_aware_matching() -> None:
    """Three boxes each; the pair on the left is car/car, the middle car/truck, the right
    one only the first annotator drew (person)."""
    first = [Box(x=0, y=0, w=10, h=10), Box(x=20, y=0, w=10, h=10), Box(x=40, y=0, w=10, h=10)]
    second = [Box(x=1, y=0, w=10, h=10), Box(x=20, y=1, w=10, h=10)]
    found = region_agreement(first, second, ["car", "car", "person"], ["car", "truck"])
    assert found.matching.f1 == pytest.approx(4 / 5)
    assert found.label_agreement == 0.5
    assert found.kappa == pytest.approx(cohen_kappa_score(["car", "car"], ["car", "truck"]))
    car, person, truck = found.classes
    assert (car.label, car.first_count, car.second_count, car.agreed) == ("car", 2, 1, 1)
    assert (car.precision, car.recall) == (1.0, 0.5) and car.f1 == pytest.approx(2 / 3)
    assert (person.f1, person.recall) == (0.0, 0.0) and np.isnan(person.precision)
    assert (truck.first_count, truck.second_count, truck.f1) == (0, 1, 0.0)
    aware = region_agreement(
        first, second, ["car", "car", "person"], ["car", "truck"], same_label=True
    )
    assert [(m.first, m.second) for m in aware.matching.matches] == [(0, 0)]
    assert aware.matching.unmatched_first == (1, 2) and aware.matching.unmatched_second == (1,)


def test_nothing_drawn_and_bad_arguments() -> None:
    empty = region_agreement([], [], [], [])
    assert empty.matching == Matching((), 0, 0)
    assert np.isnan(empty.matching.f1) and np.isnan(empty.mean_iou)
    assert np.isnan(empty.label_agreement) and empty.kappa is None and empty.classes == ()
    one = region_agreement([Box(x=0, y=0, w=1, h=1)], [], ["a"], [])
    assert (
        one.matching.recall == 0.0 and np.isnan(one.matching.precision) and one.matching.f1 == 0.0
    )
    assert box_iou([], [Box(x=0, y=0, w=1, h=1)]).shape == (0, 1)
    with pytest.raises(ValueError, match="one label"):
        region_agreement([Box(x=0, y=0, w=1, h=1)], [], [], [])
    with pytest.raises(ValueError, match="threshold"):
        region_agreement([], [], [], [], threshold=0)
