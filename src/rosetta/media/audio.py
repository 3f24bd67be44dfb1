"""Reading an audio track in blocks, mixed to mono: the one decoder behind waveform peaks
and audio alignment.

libsndfile formats (WAV, FLAC, OGG, ...) are read with soundfile; anything else (an MP4's
AAC track, WebM's Opus, MP3) with PyAV from its first audio track, stopping at the track's
stated duration (an MP4 edit list trims the encoder's padding, which the decoder still
outputs). Channels are mixed by their mean, as float32.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import soundfile
from numpy.typing import NDArray

from rosetta.core.errors import RosettaError

#: Frames per block read from the file.
BLOCK_FRAMES = 256 * 1024

Progress = Callable[[float], None]
Block = NDArray[np.float32]

_EXPECTED = "expected an audio file or a video with audio"


def _ignore(_fraction: float) -> None:
    return None


@dataclass(frozen=True)
class MonoBlocks:
    """An opened audio track: its sample rate, the container time of its first sample
    (nonzero for some tracks in video containers) and its mono blocks, read lazily."""

    rate: int
    start: float
    blocks: Iterator[Block]


def mono_blocks(path: Path, progress: Progress = _ignore) -> MonoBlocks:
    """The first audio track of `path` as mono blocks; `progress` gets the fraction read.

    Raises `RosettaError` naming the file when it is missing, unreadable or has no audio
    track; decoding errors while reading the blocks are raised as `RosettaError` too.
    """
    if not path.is_file():
        raise RosettaError(f"{path}: no such file ({_EXPECTED})")
    try:
        sound = soundfile.SoundFile(str(path))
    except soundfile.LibsndfileError:
        return _av_blocks(path, progress)
    return MonoBlocks(int(sound.samplerate), 0.0, _soundfile_blocks(path, sound, progress))


def has_audio(path: Path) -> bool:
    """Whether the container at `path` has an audio track."""
    try:
        with av.open(str(path)) as container:
            return bool(container.streams.audio)
    except av.FFmpegError as exc:
        raise RosettaError(f"{path}: not readable as a media file: {exc}") from exc


def _soundfile_blocks(
    path: Path, sound: soundfile.SoundFile, progress: Progress
) -> Iterator[Block]:
    with sound:
        done = 0
        try:
            for block in sound.blocks(BLOCK_FRAMES, dtype="float32", always_2d=True):
                yield block.mean(axis=1, dtype=np.float32)
                done += len(block)
                progress(done / sound.frames if sound.frames else 0.0)
        except soundfile.LibsndfileError as exc:
            raise RosettaError(f"{path}: cannot decode the audio: {exc}") from exc


def _av_blocks(path: Path, progress: Progress) -> MonoBlocks:
    try:
        container = av.open(str(path))
    except (av.FFmpegError, UnicodeDecodeError) as exc:
        raise RosettaError(f"{path}: not readable as audio ({_EXPECTED}): {exc}") from exc
    if not container.streams.audio:
        container.close()
        raise RosettaError(f"{path}: has no audio track ({_EXPECTED})")
    stream = container.streams.audio[0]
    rate = int(stream.codec_context.sample_rate)
    if stream.duration is not None and stream.time_base is not None:
        limit: int | None = round(stream.duration * stream.time_base * rate)
    elif container.duration is not None:
        limit = round(container.duration * rate / av.time_base)
    else:
        limit = None
    start = (
        float(stream.start_time * stream.time_base)
        if stream.start_time is not None and stream.time_base is not None
        else 0.0
    )

    def blocks() -> Iterator[Block]:
        resampler = av.AudioResampler(format="fltp")
        done = 0
        with container:
            try:
                for frame in container.decode(stream):
                    for planar in resampler.resample(frame):
                        mono = planar.to_ndarray().mean(axis=0, dtype=np.float32)
                        if limit is not None:
                            mono = mono[: max(0, limit - done)]
                        done += len(mono)
                        yield mono
                    if limit:
                        progress(min(1.0, done / limit))
                    if limit is not None and done >= limit:
                        return
            except av.FFmpegError as exc:
                raise RosettaError(f"{path}: cannot decode the audio: {exc}") from exc

    return MonoBlocks(rate, start, blocks())
