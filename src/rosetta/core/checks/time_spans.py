"""When an annotation happens: its span on the sample's reference timeline.

Intervals and transcript segments are stored in reference seconds. A box, polygon, mask
or keypoints on a video frame, and a track (its key frames), are by frame index of their
stream: frame ``i`` covers ``[time_of(i), time_of(i + 1))`` of the stream's clock
(`rosetta.core.timeline.stream_clock`); the last entry of a timestamp table, whose end is
not recorded, lasts as long as the entry before it. A track spans from its first frame in
view to the end of its last one: the frame before an ``outside`` key frame, or, when its
last key frame is in view, the stream's last frame (that key frame when the stream's
length is unknown). Everything else (text spans, still images, cuboids, classifications)
has no time. Times are exact fractions of a second.
"""

from fractions import Fraction
from typing import NamedTuple

from rosetta.core.checks.spec import SampleIndex
from rosetta.core.clock import ClockMap, compile_clock
from rosetta.core.geometry import Box, Interval, Keypoints, Mask, Polygon, Track, TranscriptSegment
from rosetta.core.modality import Modality
from rosetta.core.schema import Annotation, Stream
from rosetta.core.timebase import exact
from rosetta.core.timeline import stream_clock, stream_length


class TimeSpan(NamedTuple):
    """The half-open reference interval ``[start, end)``, seconds."""

    start: Fraction
    end: Fraction

    def overlaps(self, other: "TimeSpan") -> bool:
        """Whether the two spans share some time."""
        return max(self.start, other.start) < min(self.end, other.end)

    def inside(self, other: "TimeSpan", tolerance: Fraction) -> bool:
        """Whether this span lies within `other` widened by `tolerance` at both ends."""
        return self.start >= other.start - tolerance and self.end <= other.end + tolerance

    def seconds(self) -> list[float]:
        """``[start, end]`` as floats (for a finding's detail)."""
        return [float(self.start), float(self.end)]


class Timed(NamedTuple):
    """An annotation and its time span."""

    annotation: Annotation
    span: TimeSpan


def _frame_span(clock: ClockMap, first: int, last: int) -> TimeSpan | None:
    """Frames `first` to `last` (inclusive); ``None`` when they are not on the clock."""
    try:
        start, end_of_last = clock.time_of(first), clock.time_of(last)
    except IndexError:
        return None
    if clock.count is None or last + 1 < clock.count:
        end = clock.time_of(last + 1)
    elif last > 0:
        end = end_of_last + (end_of_last - clock.time_of(last - 1))
    else:
        end = end_of_last
    return TimeSpan(start, end)


def _track_frames(track: Track, length: int | None) -> tuple[int, int] | None:
    """The first and the last frame on which the track is in view (``None``: never)."""
    keys = [key for key in track.keyframes if key.is_key]
    shown = [index for index, key in enumerate(keys) if not key.outside]
    if not shown:
        return None
    last_shown = shown[-1]
    if last_shown + 1 < len(keys):  # the next key frame is outside
        last = keys[last_shown + 1].frame - 1
    else:
        last = keys[last_shown].frame if length is None else max(length - 1, keys[-1].frame)
    return keys[shown[0]].frame, last


class TimeSpans:
    """The time spans of one sample's annotations, each computed once."""

    def __init__(self, index: SampleIndex) -> None:
        self.index = index
        self._spans: dict[str, TimeSpan | None] = {}
        self._clocks: dict[str, ClockMap | None] = {}

    def of(self, annotation: Annotation) -> TimeSpan | None:
        """The annotation's reference-time span; ``None`` when it has no time."""
        if annotation.id not in self._spans:
            self._spans[annotation.id] = self._span(annotation)
        return self._spans[annotation.id]

    def behind(self, object_id: str) -> list[Timed]:
        """The annotations an endpoint stands for (itself, or an entity's members) that
        have a time, with their spans."""
        found = []
        for annotation in self.index.annotations_behind(object_id):
            span = self.of(annotation)
            if span is not None:
                found.append(Timed(annotation, span))
        return found

    def _span(self, annotation: Annotation) -> TimeSpan | None:
        geometry = annotation.geometry
        if isinstance(geometry, Interval | TranscriptSegment):
            return TimeSpan(exact(geometry.start), exact(geometry.end))
        stream = self.index.streams.get(annotation.stream or "")
        if stream is None:
            return None
        clock = self._clock(stream)
        if clock is None:
            return None
        if isinstance(geometry, Track):
            frames = _track_frames(geometry, stream_length(stream))
            return None if frames is None else _frame_span(clock, *frames)
        if (
            isinstance(geometry, Box | Polygon | Mask | Keypoints)
            and geometry.frame is not None
            and stream.modality is Modality.VIDEO
        ):
            return _frame_span(clock, geometry.frame, geometry.frame)
        return None

    def _clock(self, stream: Stream) -> ClockMap | None:
        if stream.id not in self._clocks:
            clock = stream_clock(stream)
            self._clocks[stream.id] = None if clock is None else compile_clock(clock)
        return self._clocks[stream.id]
