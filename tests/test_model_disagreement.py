"""Inter-model disagreement (`rosetta.core.model_disagreement`): two proposers on one
stream compared by mask and box IoU, labels, transcript WER and interval overlap; the
sample's score is the largest, ``None`` without two models on a stream."""

import numpy as np
import pytest
from pycocotools import mask as coco_mask

from rosetta.core.geometry import Box, Classification, Interval, Mask, Rle, TranscriptSegment
from rosetta.core.model_disagreement import model_disagreement
from rosetta.core.schema import Annotation, Source


def by(
    model: str, ident: str, geometry: object, label: str = "cup", stream: str = "s"
) -> Annotation:
    return Annotation.model_validate(
        {
            "id": f"{model}-{ident}",
            "stream": stream,
            "label": label,
            "geometry": geometry,
            "source": Source(kind="model", name=model).model_dump(),
        }
    )


def mask(x0: int, x1: int) -> Mask:
    pixels = np.zeros((40, 60), dtype=np.uint8)
    pixels[10:30, x0:x1] = 1
    encoded = coco_mask.encode(np.asfortranarray(pixels))
    return Mask(rle=Rle(size=(40, 60), counts=encoded["counts"].decode()))


def measures(candidates: list[Annotation]) -> dict[str, float]:
    return {c.measure: c.disagreement for c in model_disagreement(candidates).comparisons}


def test_masks_disagree_by_one_minus_their_iou() -> None:
    # columns 10..30 and 20..40: 10 of 30 columns shared
    found = measures([by("sam", "1", mask(10, 30)), by("grabcut", "1", mask(20, 40))])
    assert found == {"regions": pytest.approx(1 - 10 / 30), "labels": 0.0}
    assert (
        model_disagreement([by("sam", "1", mask(10, 30)), by("grabcut", "1", mask(10, 30))]).score
        == 0.0
    )


def test_an_unmatched_region_counts_as_iou_zero_and_labels_compare_on_matches() -> None:
    a = [by("a", "1", Box(x=0, y=0, w=10, h=10)), by("a", "2", Box(x=100, y=0, w=10, h=10))]
    b = [by("b", "1", Box(x=0, y=0, w=10, h=10), label="plate")]
    assert measures(a + b) == {"regions": 0.5, "labels": 1.0}
    assert model_disagreement(a + b).score == 1.0


def test_transcripts_disagree_by_their_word_error_rate_both_ways() -> None:
    said = "a cup of espresso sits on a red saucer"
    heard = "a cup of espresso sits on the red saucer"
    found = measures(
        [
            by("whisper", "1", TranscriptSegment(start=0, end=2, text=said), "speech"),
            by(
                "sphinx", "1", TranscriptSegment(start=0, end=2, text=heard.upper() + "."), "speech"
            ),
        ]
    )
    assert found == {"transcripts": pytest.approx(1 / 9)}  # normalised: case and "." aside


def test_intervals_disagree_by_one_minus_the_iou_of_their_unions() -> None:
    found = measures(
        [
            by("silero", "1", Interval(start=0, end=3), "speech"),
            by("silero", "2", Interval(start=3.5, end=6), "speech"),
            by("webrtc", "1", Interval(start=0, end=6), "speech"),
        ]
    )
    assert found == {"intervals": pytest.approx(1 - 5.5 / 6)}


def test_classifications_disagree_by_the_classes_not_shared() -> None:
    found = measures(
        [by("clip", "1", Classification(), "cup"), by("llm", "1", Classification(), "animal")]
    )
    assert found == {"labels": 1.0}


def test_one_model_or_models_on_different_streams_give_no_score() -> None:
    assert model_disagreement([by("a", "1", Box(x=0, y=0, w=5, h=5))]).score is None
    apart = [
        by("a", "1", Box(x=0, y=0, w=5, h=5)),
        by("b", "1", Box(x=0, y=0, w=5, h=5), stream="t"),
    ]
    assert model_disagreement(apart).score is None
    person = Annotation.model_validate(
        {
            "id": "p",
            "stream": "s",
            "label": "cup",
            "geometry": {"type": "box", "x": 0, "y": 0, "w": 5, "h": 5},
        }
    )
    assert model_disagreement([by("a", "1", Box(x=50, y=0, w=5, h=5)), person]).score is None
