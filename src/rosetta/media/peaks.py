"""Waveform peaks: the minimum and maximum of the audio in each bucket of samples, at
several resolutions, so that a browser draws an hour of audio without decoding the file.

The audio is read in blocks (soundfile; PyAV for what libsndfile cannot read, such as the
AAC track of an MP4), mixed to mono as the mean of its channels, and reduced to one
(min, max) pair of 16-bit values per bucket of ``samples_per_pixel`` samples (256 at the
finest level; the last bucket may be shorter). Each coarser level doubles the bucket
size, taking the min of the mins and the max of the maxes of two neighbouring buckets
(an odd last bucket stands alone), until a level has at most `COARSEST_BUCKETS` buckets.

Stored layout (`Peaks.to_bytes`): the levels, finest first, one after the other, each an
audiowaveform ``.dat`` version 2 record (the binary format of BBC audiowaveform, which
peaks.js reads), all little-endian::

    offset  size         type     field
    0       4            int32    version = 2
    4       4            uint32   flags: bit 0 set for 8-bit values; always 0 (16-bit) here
    8       4            int32    sample rate (Hz)
    12      4            int32    samples per pixel (samples per bucket)
    16      4            uint32   length: number of buckets
    20      4            int32    channels = 1
    24      4 * length   int16    min, max of bucket 0, min, max of bucket 1, ...

`PeakLevel.to_json` gives one level (optionally a time window) in audiowaveform's JSON
shape.
"""

import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rosetta.core.errors import RosettaError
from rosetta.media.audio import Progress, mono_blocks

#: Samples per bucket at the finest level.
BASE_SAMPLES_PER_PIXEL = 256
#: Coarser levels are added until one has at most this many buckets.
COARSEST_BUCKETS = 500

_HEADER = struct.Struct("<iIiiIi")
_VERSION = 2
_FULL_SCALE = 32768

Pairs = npt.NDArray[np.int16]


def _ignore(_fraction: float) -> None:
    """The default progress callback."""


@dataclass(frozen=True, eq=False)
class PeakLevel:
    """One resolution: ``pairs[i] = (min, max)`` of bucket ``i`` as 16-bit sample values."""

    sample_rate: int
    samples_per_pixel: int
    pairs: Pairs

    @property
    def length(self) -> int:
        """The number of buckets."""
        return len(self.pairs)

    def window(self, start: float | None = None, end: float | None = None) -> tuple[int, int]:
        """The buckets ``[first, last)`` that cover seconds ``start`` to ``end``."""
        scale = self.sample_rate / self.samples_per_pixel
        first = 0 if start is None else max(0, math.floor(start * scale))
        last = self.length if end is None else min(self.length, math.ceil(end * scale))
        return min(first, self.length), max(min(first, self.length), last)

    def to_dat(self) -> bytes:
        """This level as an audiowaveform ``.dat`` version 2 file."""
        header = _HEADER.pack(_VERSION, 0, self.sample_rate, self.samples_per_pixel, self.length, 1)
        return header + self.pairs.astype("<i2", copy=False).tobytes()

    def to_json(self, start: float | None = None, end: float | None = None) -> dict[str, Any]:
        """The buckets covering seconds ``start`` to ``end`` (default: all) in audiowaveform's
        JSON shape, plus ``start_bucket``, the index of the first bucket in ``data``."""
        first, last = self.window(start, end)
        return {
            "version": _VERSION,
            "channels": 1,
            "sample_rate": self.sample_rate,
            "samples_per_pixel": self.samples_per_pixel,
            "bits": 16,
            "length": last - first,
            "start_bucket": first,
            "data": self.pairs[first:last].ravel().tolist(),
        }


@dataclass(frozen=True, eq=False)
class Peaks:
    """All levels of one audio track, finest first."""

    levels: tuple[PeakLevel, ...]

    def to_bytes(self) -> bytes:
        """The stored layout (see the module docstring)."""
        return b"".join(level.to_dat() for level in self.levels)

    @classmethod
    def from_bytes(cls, data: bytes) -> "Peaks":
        """Read the stored layout; `RosettaError` if it is not one."""
        levels: list[PeakLevel] = []
        offset = 0
        while offset < len(data):
            if len(data) - offset < _HEADER.size:
                raise RosettaError(f"peaks: truncated level header at byte {offset}")
            version, flags, rate, per_pixel, length, channels = _HEADER.unpack_from(data, offset)
            if (version, flags, channels) != (_VERSION, 0, 1):
                raise RosettaError(
                    f"peaks: level at byte {offset} is not a 16-bit mono audiowaveform v2 "
                    f"record (version {version}, flags {flags}, channels {channels})"
                )
            offset += _HEADER.size
            end = offset + 4 * length
            if end > len(data):
                raise RosettaError(f"peaks: level at byte {offset} is truncated")
            pairs = np.frombuffer(data, dtype="<i2", count=2 * length, offset=offset)
            levels.append(PeakLevel(rate, per_pixel, pairs.astype(np.int16).reshape(length, 2)))
            offset = end
        if not levels:
            raise RosettaError("peaks: no levels")
        return cls(tuple(levels))


def compute_peaks(
    path: Path,
    *,
    samples_per_pixel: int = BASE_SAMPLES_PER_PIXEL,
    progress: Progress = _ignore,
) -> Peaks:
    """The peaks of the first audio track of `path` (an audio file or a video container).

    Reads the file in blocks and never holds more than one block of samples. `progress`
    receives the fraction of the track read so far. Raises `RosettaError` naming the file
    when it cannot be read or has no audio track.
    """
    buckets = _Buckets(samples_per_pixel)
    track = mono_blocks(path, progress)
    for block in track.blocks:
        buckets.add(block)
    if buckets.total == 0:
        raise RosettaError(f"{path}: the audio track holds no samples")
    progress(1.0)
    return Peaks(tuple(_levels(PeakLevel(track.rate, samples_per_pixel, buckets.pairs()))))


class _Buckets:
    """Min and max per bucket of a signal that arrives in blocks of any length."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.total = 0
        self._rest = np.empty(0, dtype=np.float32)
        self._mins: list[npt.NDArray[np.float32]] = []
        self._maxs: list[npt.NDArray[np.float32]] = []

    def add(self, block: npt.NDArray[Any]) -> None:
        self.total += len(block)
        signal = np.concatenate([self._rest, block]) if len(self._rest) else block
        whole = len(signal) // self.size * self.size
        if whole:
            buckets = signal[:whole].reshape(-1, self.size)
            self._mins.append(buckets.min(axis=1))
            self._maxs.append(buckets.max(axis=1))
        self._rest = signal[whole:].copy()

    def pairs(self) -> Pairs:
        mins, maxs = list(self._mins), list(self._maxs)
        if len(self._rest):
            mins.append(self._rest.min(keepdims=True))
            maxs.append(self._rest.max(keepdims=True))
        pairs = np.stack([np.concatenate(mins), np.concatenate(maxs)], axis=1)
        return np.clip(np.round(pairs * _FULL_SCALE), -_FULL_SCALE, _FULL_SCALE - 1).astype(
            np.int16
        )


def _levels(finest: PeakLevel) -> Iterator[PeakLevel]:
    level = finest
    yield level
    while level.length > COARSEST_BUCKETS:
        level = PeakLevel(level.sample_rate, 2 * level.samples_per_pixel, coarser(level.pairs))
        yield level


def coarser(pairs: Pairs) -> Pairs:
    """The level above `pairs`: min and max over each two neighbouring buckets."""
    if len(pairs) % 2:
        pairs = np.concatenate([pairs, pairs[-1:]])
    grouped = pairs.reshape(-1, 2, 2)
    return np.stack([grouped[:, :, 0].min(axis=1), grouped[:, :, 1].max(axis=1)], axis=1)
