"""What a sample holds at reference time t, and which stretch of one stream overlaps
another: the records from the store, sensor values from the streams' files.

A time-series stream's values are read from its CSV (`media.timeseries.read_sensor_file`)
and placed on the timeline by the stream's clock when it has one with a row per reading,
else by its own timestamps with the first reading at reference 0. Files are read once
per (path, size, modification time) and kept in a small cache. Given the server's
`Settings`, a stream's file is read only inside the media roots
(`services.media_access.stream_media_file`); without them (the CLI) from where it is.
"""

import os
from collections.abc import Callable
from functools import lru_cache

from sqlalchemy import Connection

from rosetta.core.clock import Rounding
from rosetta.core.errors import RosettaError
from rosetta.core.geometry import Interval
from rosetta.core.modality import Modality
from rosetta.core.schema import Sample, Stream
from rosetta.core.timebase import TimeLike
from rosetta.core.timeline import StreamMoment, TimeSeries, overlapping, what_is_at
from rosetta.media.timeseries import SensorTable, read_sensor_file
from rosetta.services.media_access import stream_media_file
from rosetta.services.settings import Settings
from rosetta.store.records import load_sample


def moments_at(
    connection: Connection,
    sample_id: str,
    t: TimeLike,
    rounding: Rounding | None = None,
    *,
    settings: Settings | None = None,
    shown: Callable[[Sample], Sample] | None = None,
) -> list[StreamMoment]:
    """One moment per stream of the sample at reference time `t` (`core.timeline.what_is_at`),
    with the interpolated values of its time-series streams; its transcript segments are
    those of the sample `shown` keeps (what the asking person may see), or all."""
    sample = load_sample(connection, sample_id)
    if shown is not None:
        sample = shown(sample)
    return what_is_at(sample, t, values=sensor_values(sample, settings), rounding=rounding)


def overlap(
    connection: Connection,
    sample_id: str,
    stream_a: str,
    span: range | Interval | tuple[TimeLike, TimeLike],
    stream_b: str,
    *,
    shown: Callable[[Sample], Sample] | None = None,
) -> range:
    """The indices of `stream_b` that overlap `span` (indices or a reference interval) of
    `stream_a` (`core.timeline.overlapping`) in the sample as `shown` keeps it (what the
    asking person may see), or whole."""
    sample = load_sample(connection, sample_id)
    if shown is not None:
        sample = shown(sample)
    try:
        return overlapping(sample, stream_a, span, stream_b)
    except ValueError as exc:
        raise RosettaError(f"sample {sample_id!r}: {exc}") from exc


def sensor_values(sample: Sample, settings: Settings | None = None) -> dict[str, TimeSeries]:
    """The values of every time-series stream of `sample` that has a local CSV file."""
    series = {}
    for stream in sample.streams:
        if stream.modality is Modality.TIMESERIES and stream.uri is not None:
            series[stream.id] = stream_series(stream, settings)
    return series


def stream_series(stream: Stream, settings: Settings | None = None) -> TimeSeries:
    """The values of a time-series stream on the reference timeline."""
    assert stream.uri is not None
    path = stream_media_file(stream.id, stream.uri, settings)
    try:
        status = os.stat(path)
    except OSError as exc:
        raise RosettaError(f"stream {stream.id!r}: cannot read {path}: {exc.strerror}") from exc
    table = _read(str(path), status.st_size, status.st_mtime_ns)
    clock = stream.clock
    if clock is not None and (clock.ticks is None or len(clock.ticks) == len(table.ticks)):
        try:
            return TimeSeries.from_clock(clock, table.values, table.columns)
        except ValueError as exc:
            raise RosettaError(f"stream {stream.id!r} ({path}): {exc}") from exc
    return table.series(origin_ticks=int(table.ticks[0]))


@lru_cache(maxsize=16)
def _read(path: str, size: int, mtime_ns: int) -> SensorTable:
    del size, mtime_ns  # part of the cache key: a changed file is read again
    return read_sensor_file(path)
