"""Pixels in and out of image proposers: a request's image or video frame as an RGB array,
and a binary mask as the `Mask` geometry.

Pixel coordinates are those of the stored pixels, as `rosetta.media.probe` measures an
image (Pillow's size, EXIF orientation not applied) and a video (its decoded frame size).
Video frame ``i`` is the ``i``-th frame in presentation order, as in
`rosetta.media.frames`: with a local file its frame table gives the frame's PTS and the
decoder seeks to the keyframe before it; media the host only opens (remote) is decoded
from the start, counting frames.
"""

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import av
import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError

from rosetta.core.errors import RosettaError, RuleViolation
from rosetta.core.geometry import Mask, Rle
from rosetta.core.modality import Modality
from rosetta.media.frames import FrameTable, frame_table
from rosetta.proposers.spec import ProposalRequest

RgbArray = npt.NDArray[np.uint8]

#: Frame tables kept for the video files most recently read (keyed by path, mtime, size).
_TABLES_KEPT = 16


def rgb_array(request: ProposalRequest) -> RgbArray:
    """The request's image, or for a video stream its frame ``request.prompt.frame``, as
    an ``H x W x 3`` uint8 RGB array.

    Reads ``request.media.path`` when the host resolved one, else ``request.media.open()``.
    Raises `RuleViolation` for a video request without a frame or a stream that is neither
    image nor video, and `RosettaError` naming the media's URI when it cannot be decoded
    or the frame is past the video's end.
    """
    stream = request.stream
    media = request.media
    if media is None:
        raise RuleViolation(stream.id, "uri", "proposer-media", "the stream has no media to read")
    if stream.modality is Modality.IMAGE:
        return _image(media.uri, media.path if media.path is not None else media.open)
    if stream.modality is Modality.VIDEO:
        frame = request.prompt.frame
        if frame is None:
            raise RuleViolation(
                stream.id, "prompt.frame", "proposer-prompt", "a video stream needs a frame index"
            )
        if media.path is not None:
            return _video_frame_at(media.uri, media.path, frame)
        with media.open() as source:
            return _video_frame_counted(media.uri, source, frame)
    raise RuleViolation(
        stream.id,
        "modality",
        "proposer-modality",
        f"pixels come from image or video streams, not {stream.modality}",
    )


def mask_geometry(mask: npt.NDArray[Any], frame: int | None = None) -> Mask:
    """The `Mask` of a 2-D array (nonzero: inside), as COCO compressed RLE, on `frame`."""
    return Mask(rle=Rle.from_array(mask), frame=frame)


def _image(uri: str, source: Path | Callable[[], BinaryIO]) -> RgbArray:
    try:
        if isinstance(source, Path):
            with Image.open(source) as image:
                return np.asarray(image.convert("RGB"))
        with source() as stream, Image.open(stream) as image:
            return np.asarray(image.convert("RGB"))
    except (UnidentifiedImageError, OSError) as exc:
        raise RosettaError(f"{uri}: not readable as an image: {exc}") from exc


def _video_frame_at(uri: str, path: Path, index: int) -> RgbArray:
    """Frame `index` of a local video: its PTS from the frame table, then a seek to the
    keyframe at or before it and decoding up to it."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise RosettaError(f"{uri}: cannot read the video file: {exc}") from exc
    table = _frame_table(path, stat.st_mtime_ns, stat.st_size)
    count = len(table.ticks)
    if index >= count:
        raise _past_end(uri, index, count)
    wanted = int(table.ticks[index])
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            container.seek(wanted, stream=stream, backward=True, any_frame=False)
            for frame in container.decode(stream):
                if frame.pts is not None and frame.pts >= wanted:
                    if frame.pts != wanted:
                        break
                    return frame.to_ndarray(format="rgb24").astype(np.uint8, copy=False)
    except av.FFmpegError as exc:
        raise RosettaError(f"{uri}: cannot decode video frame {index}: {exc}") from exc
    raise RosettaError(f"{uri}: cannot decode video frame {index} (PTS {wanted})")


@functools.lru_cache(maxsize=_TABLES_KEPT)
def _frame_table(path: Path, _mtime_ns: int, _size: int) -> FrameTable:
    """The frame table of `path`, kept while the file keeps its modification time and size."""
    return frame_table(path)


def _video_frame_counted(uri: str, source: BinaryIO, index: int) -> RgbArray:
    """Frame `index` of a video read from `source`, decoding from the start."""
    count = 0
    try:
        with av.open(source, mode="r") as container:
            if not container.streams.video:
                raise RosettaError(f"{uri}: has no video track")
            for frame in container.decode(container.streams.video[0]):
                if count == index:
                    return frame.to_ndarray(format="rgb24").astype(np.uint8, copy=False)
                count += 1
    except (av.FFmpegError, UnicodeDecodeError) as exc:
        raise RosettaError(f"{uri}: not readable as a video file: {exc}") from exc
    raise _past_end(uri, index, count)


def _past_end(uri: str, index: int, count: int) -> RosettaError:
    return RosettaError(
        f"{uri}: video frame {index} is past the end (the video has {count} frames, 0..{count - 1})"
    )
