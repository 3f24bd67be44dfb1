"""What a decision changed of a candidate (`rosetta.core.candidate_edits`): region IoU
(boxes with shapely, masks with pycocotools, 0 on another frame), boundary shift of spans,
intervals and transcripts, normalised WER of transcripts, class changes; and which
decision it was."""

import numpy as np
import pytest
from pycocotools import mask as coco_mask

from rosetta.core.candidate_edits import decision_of, edit_measures
from rosetta.core.geometry import Box, Interval, Mask, Rle, TextSpan, TranscriptSegment
from rosetta.core.schema import Annotation


def note(geometry: object, label: str = "cup") -> Annotation:
    return Annotation.model_validate(
        {"id": "c", "stream": "s", "label": label, "geometry": geometry}
    )


def mask(rows: slice) -> Mask:
    pixels = np.zeros((20, 20), dtype=np.uint8)
    pixels[rows, 0:10] = 1
    counts = coco_mask.encode(np.asfortranarray(pixels))["counts"].decode()
    return Mask(rle=Rle(size=(20, 20), counts=counts))


def test_regions_compare_by_iou_and_frames() -> None:
    first = note(Box(x=0, y=0, w=10, h=10))
    moved = note(Box(x=5, y=0, w=10, h=10), "plate")
    measures = edit_measures(first, moved)
    assert measures.iou == pytest.approx(50 / 150)
    assert measures.label_changed is True
    assert measures.boundary_shift is None
    later = note(Box(x=0, y=0, w=10, h=10, frame=3))
    assert edit_measures(note(Box(x=0, y=0, w=10, h=10, frame=2)), later).iou == 0.0
    assert edit_measures(note(mask(slice(0, 10))), note(mask(slice(5, 15)))).iou == pytest.approx(
        50 / 150
    )


def test_ranges_compare_by_boundary_shift_and_transcripts_by_wer() -> None:
    assert (
        edit_measures(note(TextSpan(start=3, end=9)), note(TextSpan(start=4, end=7))).boundary_shift
        == 3
    )
    heard = note(TranscriptSegment(start=1.0, end=2.0, text="a cup of coffee"), "speech")
    fixed = note(TranscriptSegment(start=1.1, end=2.0, text="A cup of espresso."), "speech")
    measures = edit_measures(heard, fixed)
    assert measures.boundary_shift == pytest.approx(0.1)
    assert measures.wer == pytest.approx(1 / 4)
    assert edit_measures(note(Interval(start=0, end=1)), note(Interval(start=0, end=2))).wer is None


def test_the_decision_follows_what_changed() -> None:
    first = note(Box(x=0, y=0, w=10, h=10))
    assert decision_of(first, None) == "rejected"
    assert (
        decision_of(first, first.model_copy(update={"author": "ann", "revision": 2})) == "accepted"
    )
    assert (
        decision_of(first, first.model_copy(update={"attributes": {"colour": "red"}})) == "edited"
    )
    assert edit_measures(first, None).iou is None
