"""What a person's decision changed of a model's candidate: the measures acceptance and
edit-size metrics aggregate per model and per person.

- regions (boxes, polygons, masks on one frame): ``iou`` between candidate and final (0 on
  another frame; boxes and polygons with shapely, masks with pycocotools);
- text spans, intervals and transcript segments: ``boundary_shift``, ``|Δstart| + |Δend|``
  in characters or seconds;
- transcript segments: also ``wer``, the word error rate of the final text against the
  candidate's, normalised (`rosetta.core.transcript_agreement.text_errors`);
- every kind: ``label_changed``.

A rejected candidate has no final; its measures are empty.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict

from rosetta.core.geometry import (
    Box,
    Geometry,
    Interval,
    Mask,
    Polygon,
    TextSpan,
    TranscriptSegment,
)
from rosetta.core.matching import iou
from rosetta.core.region_agreement import mask_iou
from rosetta.core.schema import Annotation
from rosetta.core.transcript_agreement import text_errors

#: What a person decided about a candidate.
Decision = Literal["accepted", "edited", "rejected"]


class EditMeasures(BaseModel):
    """How far the final annotation lies from the candidate (``None``: does not apply)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label_changed: bool = False
    iou: float | None = None
    boundary_shift: float | None = None
    wer: float | None = None


def region_iou(first: Geometry, second: Geometry) -> float | None:
    """The IoU of two regions (0 on different frames or mask sizes); ``None`` unless both
    are boxes or polygons, or both masks."""
    if isinstance(first, Box | Polygon) and isinstance(second, Box | Polygon):
        return iou(first, second) if first.frame == second.frame else 0.0
    if isinstance(first, Mask) and isinstance(second, Mask):
        if first.frame != second.frame or first.rle.size != second.rle.size:
            return 0.0
        return float(mask_iou([first], [second])[0, 0])
    return None


def boundary_shift(first: Geometry, second: Geometry) -> float | None:
    """``|Δstart| + |Δend|`` of two text spans (characters) or two time ranges, intervals
    or transcript segments (seconds); ``None`` for anything else."""
    timed = Interval | TranscriptSegment
    if (isinstance(first, TextSpan) and isinstance(second, TextSpan)) or (
        isinstance(first, timed) and isinstance(second, timed)
    ):
        return float(abs(first.start - second.start) + abs(first.end - second.end))
    return None


def _wer(first: Geometry, second: Geometry) -> float | None:
    if not (isinstance(first, TranscriptSegment) and isinstance(second, TranscriptSegment)):
        return None
    return text_errors(first.text, second.text).words.rate


def edit_measures(candidate: Annotation, final: Annotation | None) -> EditMeasures:
    """The measures of a decision on `candidate` that left `final` (``None``: rejected)."""
    if final is None:
        return EditMeasures()
    first, now = candidate.geometry, final.geometry
    return EditMeasures(
        label_changed=candidate.label != final.label,
        iou=region_iou(first, now),
        boundary_shift=boundary_shift(first, now),
        wer=_wer(first, now),
    )


def decision_of(candidate: Annotation, final: Annotation | None) -> Decision:
    """``rejected`` without a final, ``accepted`` when it kept the candidate's class,
    geometry and attributes, else ``edited``."""
    if final is None:
        return "rejected"
    same = (
        final.label == candidate.label
        and final.geometry == candidate.geometry
        and final.attributes == candidate.attributes
    )
    return "accepted" if same else "edited"
