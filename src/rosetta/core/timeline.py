"""What is at reference time t in each stream of a sample, and which indices of one stream
overlap a stretch of another.

Pure functions over the records: a stream's clock is its own `Stream.clock` or, for video
and audio, its probed frame or sample rate from reference time 0 (`stream_clock`).
Sampled values of time-series streams (IMU, CAN, ...) are not in the records; callers pass
them as `TimeSeries`, which the media layer reads from files.
"""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rosetta.core.clock import Clock, ClockMap, Rounding, compile_clock
from rosetta.core.errors import NotFoundError
from rosetta.core.geometry import Interval, TranscriptSegment, Word
from rosetta.core.modality import Modality
from rosetta.core.schema import Annotation, Sample, Stream
from rosetta.core.temporal import word_index_at
from rosetta.core.timebase import TimeLike, exact

#: The index `what_is_at` reports when no rounding is asked for: the frame on screen and
#: the audio sample playing at t; the LiDAR sweep or sensor reading closest to t.
DEFAULT_ROUNDING: Mapping[Modality, Rounding] = {
    Modality.VIDEO: "floor",
    Modality.AUDIO: "floor",
    Modality.POINTCLOUD: "nearest",
    Modality.TIMESERIES: "nearest",
}


def stream_clock(stream: Stream) -> Clock | None:
    """The stream's clock: its own, else its probed video frame rate or audio sample rate
    from reference time 0; ``None`` for streams without either."""
    if stream.clock is not None:
        return stream.clock
    if stream.modality is Modality.VIDEO and stream.media.frame_rate:
        return Clock(rate=stream.media.frame_rate)
    if stream.modality is Modality.AUDIO and stream.media.sample_rate:
        return Clock(rate=stream.media.sample_rate)
    return None


def stream_length(stream: Stream) -> int | None:
    """How many indices the stream has, when known: its timestamp table's length, a
    video's frame count, an audio file's sample count (duration × sample rate)."""
    if stream.clock is not None and stream.clock.ticks is not None:
        return len(stream.clock.ticks)
    media = stream.media
    if stream.modality is Modality.VIDEO and media.frame_count is not None:
        return media.frame_count
    if stream.modality is Modality.AUDIO and media.duration is not None and media.sample_rate:
        return round(exact(media.duration) * media.sample_rate)
    return None


def frame_at(stream: Stream, t: TimeLike, rounding: Rounding = "floor") -> int | None:
    """The index (frame, sample, sweep, tick) of `stream` at reference time `t`.

    Rounding as in `ClockMap.index_at`. ``None`` when the stream has no clock or no index
    qualifies: before the first index, or past the last one of a rate clock whose length
    is known (`stream_length`; a table's last entry holds every later time). ``nearest``
    instead clamps to the first or last index.
    """
    clock = stream_clock(stream)
    if clock is None:
        return None
    return _within(compile_clock(clock).index_at(t, rounding), stream_length(stream), rounding)


def segments_at(
    annotations: Iterable[Annotation], stream_id: str, t: TimeLike
) -> list[tuple[Annotation, Word | None]]:
    """The transcript segments on `stream_id` whose ``[start, end)`` holds `t`, each with
    its word at `t` (``None`` in a pause or without word timings), in the given order."""
    return [
        (annotation, word)
        for annotation, _, _, word in _transcripts_holding(annotations, exact(t))
        if annotation.stream == stream_id
    ]


def segment_at(
    annotations: Iterable[Annotation], stream_id: str, t: TimeLike
) -> tuple[Annotation, Word | None] | None:
    """The first transcript segment on `stream_id` holding `t` and its word (`segments_at`)."""
    hits = segments_at(annotations, stream_id, t)
    return hits[0] if hits else None


def interpolate_values(
    times: NDArray[np.float64], values: NDArray[np.float64], t: TimeLike
) -> NDArray[np.float64]:
    """The ``k`` columns of `values` linearly interpolated at `t` between the rows around it.

    `times` are increasing reference seconds, one per row of the ``(n, k)`` array
    `values`. At a sample time the result is that row. Raises `ValueError` when `t` lies
    outside ``[times[0], times[-1]]``: values are never extrapolated.
    """
    if times.ndim != 1 or values.ndim != 2 or values.shape[0] != times.size:
        raise ValueError(
            f"values must be an (n, k) array with one row per time; got {values.shape} "
            f"for {times.shape} times"
        )
    at = float(exact(t))
    if not times.size or not times[0] <= at <= times[-1]:
        span = f"{times[0]} s to {times[-1]} s" if times.size else "no samples"
        raise ValueError(
            f"t = {at} s lies outside the series ({span}); values are not extrapolated"
        )
    before = int(np.searchsorted(times, at, side="right")) - 1
    if before == times.size - 1:
        last: NDArray[np.float64] = values[before].astype(np.float64)
        return last
    weight = (at - times[before]) / (times[before + 1] - times[before])
    result: NDArray[np.float64] = values[before] + weight * (values[before + 1] - values[before])
    return result


@dataclass(frozen=True, eq=False)
class TimeSeries:
    """Sampled values of a time-series stream: row ``i`` of `values` was measured at ``times[i]``.

    `times` are reference seconds (float64, strictly increasing), `values` an ``(n, k)``
    float64 array, `columns` the ``k`` column names. `clock` is set when the series was
    built from a clock (`from_clock`), whose exact times then name the rows.
    """

    times: NDArray[np.float64]
    values: NDArray[np.float64]
    columns: tuple[str, ...]
    clock: ClockMap | None = field(default=None)

    def __post_init__(self) -> None:
        times, values = self.times, self.values
        if times.ndim != 1 or values.ndim != 2 or values.shape != (times.size, len(self.columns)):
            raise ValueError(
                f"a time series needs n times and an (n, k) array of values for its k columns; "
                f"got {times.shape} times, values {values.shape}, {len(self.columns)} columns"
            )
        if not times.size or not np.all(np.isfinite(times)):
            raise ValueError("a time series needs at least one row, at finite times")
        if times.size > 1 and not np.all(np.diff(times) > 0):
            row = int(np.flatnonzero(np.diff(times) <= 0)[0]) + 1
            raise ValueError(
                f"the times of a time series must increase: row {row} at {times[row]} s "
                f"follows {times[row - 1]} s"
            )

    @classmethod
    def from_clock(
        cls, clock: Clock | ClockMap, values: ArrayLike, columns: Sequence[str]
    ) -> "TimeSeries":
        """A series whose row ``i`` was measured at index ``i`` of `clock` (a table or a rate)."""
        clock_map = clock if isinstance(clock, ClockMap) else compile_clock(clock)
        rows = np.asarray(values, dtype=np.float64)
        if rows.ndim != 2:
            raise ValueError(f"values must be an (n, k) array, got shape {rows.shape}")
        if clock_map.count is not None and rows.shape[:1] != (clock_map.count,):
            raise ValueError(
                f"the clock has {clock_map.count} timestamps but values have {rows.shape[0]} rows"
            )
        times = clock_map.times_of(np.arange(rows.shape[0]))
        return cls(times, rows, tuple(columns), clock_map)

    def covers(self, t: TimeLike) -> bool:
        """Whether `t` lies between the first and the last row's times (both included)."""
        if self.clock is not None:
            time = exact(t)
            return self.clock.time_of(0) <= time <= self.clock.time_of(self.times.size - 1)
        return bool(self.times[0] <= float(exact(t)) <= self.times[-1])

    def at(self, t: TimeLike) -> NDArray[np.float64]:
        """The values linearly interpolated at `t`, as `interpolate_values` does.

        With a clock the two rows around `t` and the weight between them are found
        exactly, so at a row's exact time the result is that row.
        """
        if self.clock is None:
            return interpolate_values(self.times, self.values, t)
        if not self.covers(t):
            return interpolate_values(self.times, self.values, t)  # raises: outside
        time = exact(t)
        row = self.clock.index_at(time, "floor")
        if row == self.times.size - 1:
            last: NDArray[np.float64] = self.values[row].copy()
            return last
        start, end = self.clock.time_of(row), self.clock.time_of(row + 1)
        weight = float((time - start) / (end - start))
        result: NDArray[np.float64] = self.values[row] + weight * (
            self.values[row + 1] - self.values[row]
        )
        return result

    def row_at(self, t: TimeLike, rounding: Rounding = "nearest") -> int | None:
        """The row at `t` with `rounding` as in `ClockMap.index_at` (exact with a clock).

        ``None`` where no row qualifies: ``floor`` before the first row, ``ceil`` after the
        last; ``nearest`` always gives a row.
        """
        count = self.times.size
        if self.clock is not None:
            return _within(self.clock.index_at(t, rounding), count, rounding)
        at = float(exact(t))
        if rounding == "floor":
            index = int(np.searchsorted(self.times, at, side="right")) - 1
        elif rounding == "ceil":
            index = int(np.searchsorted(self.times, at, side="left"))
        else:  # the first time at or after t, or the one before it when that is closer
            index = int(np.searchsorted(self.times, at, side="left"))
            if index == count or (
                index > 0 and at - self.times[index - 1] <= self.times[index] - at
            ):
                index -= 1
        return _within(index, count, rounding)

    def time_of(self, row: int) -> Fraction:
        """The exact time of `row`: the clock's, else the float time as its shortest decimal."""
        if self.clock is not None:
            return self.clock.time_of(row)
        return exact(float(self.times[row]))


@dataclass(frozen=True)
class TranscriptHit:
    """A transcript segment holding t: its annotation id and text, the word at t if any."""

    annotation: str
    text: str
    word: str | None = None
    word_index: int | None = None


@dataclass(frozen=True)
class StreamMoment:
    """What one stream holds at reference time t.

    ``index`` is its frame, sample, sweep or row at t (``None`` without a clock or
    outside the stream) and ``time`` that index's exact start; ``values`` the time
    series interpolated at t (``None`` when no series was given or t is outside it);
    ``transcript`` the transcript segments on the stream holding t.
    """

    stream: str
    modality: Modality
    index: int | None = None
    time: Fraction | None = None
    values: dict[str, float] | None = None
    transcript: tuple[TranscriptHit, ...] = ()


def what_is_at(
    sample: Sample,
    t: TimeLike,
    values: Mapping[str, TimeSeries] | None = None,
    rounding: Rounding | None = None,
) -> list[StreamMoment]:
    """One `StreamMoment` per stream of `sample`, in stream order, at reference time `t`.

    `values` maps time-series stream ids to their samples. Each index is taken with
    `rounding`, or else with the stream's `DEFAULT_ROUNDING` (the frame on screen, the
    nearest sweep or reading).
    """
    time = exact(t)
    series = values or {}
    transcripts: dict[str | None, list[TranscriptHit]] = {}
    for annotation, segment, index, word in _transcripts_holding(sample.annotations, time):
        hit = TranscriptHit(annotation.id, segment.text, None if word is None else word.text, index)
        transcripts.setdefault(annotation.stream, []).append(hit)
    moments = []
    for stream in sample.streams:
        how = rounding or DEFAULT_ROUNDING.get(stream.modality, "floor")
        data = series.get(stream.id)
        moment = StreamMoment(
            stream.id, stream.modality, transcript=tuple(transcripts.get(stream.id, ()))
        )
        if data is not None:
            row = data.row_at(time, how)
            inside = data.covers(time)
            moment = replace(
                moment,
                index=row,
                time=None if row is None else data.time_of(row),
                values=dict(zip(data.columns, data.at(time).tolist(), strict=True))
                if inside
                else None,
            )
        elif (clock := stream_clock(stream)) is not None:
            clock_map = compile_clock(clock)
            index = _within(clock_map.index_at(time, how), stream_length(stream), how)
            moment = replace(
                moment, index=index, time=None if index is None else clock_map.time_of(index)
            )
        moments.append(moment)
    return moments


def overlapping(
    sample: Sample,
    stream_a: str,
    span: range | Interval | tuple[TimeLike, TimeLike],
    stream_b: str,
) -> range:
    """The indices of `stream_b` whose spans intersect a stretch of `stream_a`.

    The stretch is a range of `stream_a`'s indices (from the first one's start to the
    start of the index after the last) or a reference interval ``[start, end)`` on it.
    The answer keeps to `stream_b`'s existing indices (from 0, below its length when
    known). The last entry of a timestamp table has no recorded end: a range reaching it
    extends to `stream_b`'s end, which must then be known.
    """
    b = _stream(sample, stream_b)
    clock_b = _clock_of(sample, b)
    length_b = stream_length(b)
    end: Fraction | None
    if isinstance(span, range):
        if span.step != 1:
            raise ValueError(f"the range of {stream_a!r} indices must have step 1, got {span}")
        if not span:
            return range(0)
        clock_a = _clock_of(sample, _stream(sample, stream_a))
        start = clock_a.time_of(span.start)
        end = None if span.stop == clock_a.count else clock_a.time_of(span.stop)
    elif isinstance(span, Interval):
        start, end = exact(span.start), exact(span.end)
    else:
        start, end = exact(span[0]), exact(span[1])
    if end is None:
        if length_b is None:
            raise ValueError(
                f"the range reaches the last entry of {stream_a!r}'s timestamp table, whose "
                f"end is not recorded, and the length of {stream_b!r} is unknown"
            )
        covered = range(clock_b.index_at(start, "floor"), length_b)
    else:
        covered = clock_b.covering(start, end)
    lo = max(covered.start, 0)
    hi = covered.stop if length_b is None else min(covered.stop, length_b)
    return range(lo, max(lo, hi))


def _transcripts_holding(
    annotations: Iterable[Annotation], time: Fraction
) -> Iterator[tuple[Annotation, TranscriptSegment, int | None, Word | None]]:
    """The transcript annotations holding `time`, with the position and word at `time`."""
    for annotation in annotations:
        segment = annotation.geometry
        if isinstance(segment, TranscriptSegment) and exact(segment.start) <= time < exact(
            segment.end
        ):
            index = word_index_at(segment, time)
            words = segment.words or []
            yield annotation, segment, index, None if index is None else words[index]


def _within(index: int, length: int | None, rounding: Rounding) -> int | None:
    """`index` kept to ``0 .. length - 1``: clamped for ``nearest``, else ``None`` outside."""
    last = None if length is None else length - 1
    if rounding == "nearest":
        if last is not None and last < 0:
            return None
        index = max(index, 0)
        return index if last is None else min(index, last)
    if index < 0 or (last is not None and index > last):
        return None
    return index


def _stream(sample: Sample, stream_id: str) -> Stream:
    for stream in sample.streams:
        if stream.id == stream_id:
            return stream
    raise NotFoundError("stream", f"{stream_id} (in sample {sample.id})")


def _clock_of(sample: Sample, stream: Stream) -> ClockMap:
    clock = stream_clock(stream)
    if clock is None:
        raise ValueError(
            f"stream {stream.id!r} of sample {sample.id!r} ({stream.modality}) has no clock: "
            "give it one, or probe its frame or sample rate"
        )
    return compile_clock(clock)
