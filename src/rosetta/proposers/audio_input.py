"""Samples in for audio proposers: a request's audio as one mono float32 array at the rate
a model wants, cut to the prompt's interval.

The audio is an audio stream's or a video's first audio track, decoded by
`rosetta.media.audio.mono_blocks` (soundfile for WAV, FLAC, OGG...; PyAV for containers
such as an MP4's AAC or a WebM's Opus track), channels mixed by their mean, and
resampled with `scipy.signal.resample_poly`. Media the host only opens (remote) is
copied to a temporary file first, as the decoders read files. Times are the media's:
seconds from its start.
"""

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from math import gcd
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt
from scipy.signal import resample_poly

from rosetta.core.errors import RosettaError, RuleViolation
from rosetta.core.geometry import Interval
from rosetta.media.audio import mono_blocks
from rosetta.proposers.spec import MediaRef, ProposalRequest

Samples = npt.NDArray[np.float32]
Pcm16 = npt.NDArray[np.int16]


def mono_audio(request: ProposalRequest, rate: int = 16000) -> tuple[Samples, float]:
    """The request's audio as float32 mono samples in [-1, 1] at `rate` Hz, and the media
    time in seconds of the first sample: ``request.prompt.interval`` cuts a window (its
    start, to the nearest sample), else the whole track from its first sample (0.0 for an
    audio file).

    Reads ``request.media.path`` when the host resolved one, else ``request.media.open()``.
    Raises `RuleViolation` when the stream has no media, and `RosettaError` naming the
    stream and its URI when the media cannot be decoded, has no audio track, or holds no
    samples inside the interval.
    """
    media = request.media
    stream = request.stream
    if media is None:
        raise RuleViolation(stream.id, "uri", "proposer-media", "the stream has no media to read")
    window = request.prompt.interval
    try:
        with _local_file(media) as path:
            samples, native, start = _read(path, window)
    except RosettaError as exc:
        raise RosettaError(f"stream {stream.id!r} ({media.uri}): no audio to read: {exc}") from exc
    if samples.size == 0:
        where = "" if window is None else f" in [{window.start}, {window.end}) s"
        raise RosettaError(f"stream {stream.id!r} ({media.uri}): no audio samples{where}")
    if native != rate:
        common = gcd(native, rate)
        resampled = resample_poly(samples, rate // common, native // common)
        samples = np.clip(resampled, -1.0, 1.0).astype(np.float32)
    return samples, start


def pcm16(samples: Samples) -> Pcm16:
    """`samples` in [-1, 1] as little-endian 16-bit PCM (what speech decoders read)."""
    return np.clip(np.round(samples * 32768), -32768, 32767).astype("<i2")


def _read(path: Path, window: Interval | None) -> tuple[Samples, int, float]:
    """The samples of `path` inside `window` (all without one) at the file's own rate,
    that rate, and the media time of the first sample kept."""
    track = mono_blocks(path)
    first = 0 if window is None else max(0, round((window.start - track.start) * track.rate))
    last = None if window is None else round((window.end - track.start) * track.rate)
    kept: list[Samples] = []
    done = 0
    for block in track.blocks:
        low = max(first - done, 0)
        high = len(block) if last is None else min(last - done, len(block))
        if high > low:
            kept.append(block[low:high])
        done += len(block)
        if last is not None and done >= last:
            break
    samples = np.concatenate(kept) if kept else np.empty(0, dtype=np.float32)
    return samples, track.rate, track.start + first / track.rate


@contextmanager
def _local_file(media: MediaRef) -> Iterator[Path]:
    """The media's local file: the host's path, else a temporary copy of what it opens
    (named with the URI's suffix, which some decoders go by)."""
    if media.path is not None:
        yield media.path
        return
    suffix = PurePosixPath(urlsplit(media.uri).path).suffix
    with tempfile.TemporaryDirectory(prefix="rosetta-audio-") as folder:
        copy = Path(folder) / f"media{suffix}"
        with media.open() as source, copy.open("wb") as target:
            shutil.copyfileobj(source, target)
        yield copy
