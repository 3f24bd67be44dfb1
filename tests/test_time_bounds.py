"""Intervals (reference seconds) must fall inside their audio or video stream's media,
mapped through the stream's clock when it is offset or drifts."""

import pytest

from rosetta.core.clock import Clock, SyncPoint
from rosetta.core.errors import RuleViolation
from rosetta.core.geometry import Interval
from rosetta.core.modality import Modality
from rosetta.core.schema import Annotation, MediaInfo, Stream
from rosetta.core.validation import check_geometry


def _audio(clock: Clock | None) -> Stream:
    media = MediaInfo(duration=10.0, sample_rate=16000)
    return Stream(
        id="s-audio",
        name="narration",
        modality=Modality.AUDIO,
        uri="a.wav",
        media=media,
        clock=clock,
    )


def _interval(start: float, end: float) -> Annotation:
    return Annotation(
        id="a", stream="s-audio", label="speech", geometry=Interval(start=start, end=end)
    )


@pytest.mark.parametrize(
    ("clock", "inside", "outside"),
    [
        (None, [(0, 10), (9.5, 10)], [(9.5, 10.2)]),
        # the narration starts 2 s into the sample: its last second is [11, 12)
        (Clock(rate="16000", offset="2"), [(2, 12), (11, 12)], [(1, 3), (11, 12.5)]),
        # hardware timestamps from 1,000 s (1 ms ticks) whose first is reference 0
        (
            Clock(
                time_base="1/1000",
                ticks=[1_000_000 + 10 * i for i in range(1000)],
                sync=[SyncPoint(local="1000", reference="0")],
            ),
            [(0, 10), (1, 2.5)],
            [(9.5, 10.5)],
        ),
        # 1 % fast against the reference: 10 media seconds span 9.9 reference seconds
        (
            Clock(
                rate="16000",
                sync=[SyncPoint(local="0", reference="0"), SyncPoint(local="10", reference="9.9")],
            ),
            [(0, 9.9)],
            [(0, 9.95)],
        ),
    ],
)
def test_an_interval_is_checked_in_the_streams_own_seconds(
    clock: Clock | None, inside: list[tuple[float, float]], outside: list[tuple[float, float]]
) -> None:
    stream = _audio(clock)
    for start, end in inside:
        check_geometry(_interval(start, end), stream)
    for start, end in outside:
        with pytest.raises(RuleViolation) as refused:
            check_geometry(_interval(start, end), stream)
        assert (refused.value.field, refused.value.rule) == ("geometry", "inside-bounds")
        assert "must lie inside the stream's duration (10.0 s)" in str(refused.value)
