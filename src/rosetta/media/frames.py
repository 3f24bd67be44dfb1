"""Video frame times, keyframes and thumbnails, read from the container.

Frame times are the presentation timestamps (PTS) the container stores, never
``index / fps``: `frame_table` demuxes the video track's packets without decoding them,
drops packets without a PTS, empty (flush) packets and packets the demuxer marks as
discarded, and sorts the PTS, since with B-frames the decode order differs from the
presentation order. Frame ``i`` is the ``i``-th frame in presentation order.

Start and edit lists: times are those of FFmpeg's demuxer, which applies an MP4 edit
list (so an MP4 whose edit list hides the B-frame delay starts at PTS 0) and keeps any
other non-zero start (a WebM whose video starts at 7 ms, an MPEG-TS at 1.4 s). The local
time of frame 0 is its PTS in seconds: `frame_clock` puts it in the clock's ``offset``
and writes the ticks relative to it, so ``offset + ticks[i] * time_base`` is exactly the
PTS of frame ``i``.

A rate clock needs frames exactly evenly spaced in the container's ticks. Matroska/WebM
keep milliseconds, so 30000/1001 fps there is 33 or 34 ms per frame: a timestamp table,
whose times are the ones a player shows, rather than a rate that puts frames up to half
a millisecond away from them.
"""

import io
import math
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
from PIL import Image

from rosetta.core.clock import Clock
from rosetta.core.errors import RosettaError
from rosetta.core.timebase import format_exact

Progress = Callable[[float], None]
Ticks = npt.NDArray[np.int64]

#: Packets demuxed between two progress reports.
_REPORT_EVERY = 1000


def _ignore(_fraction: float) -> None:
    """The default progress callback."""


@dataclass(frozen=True, eq=False)
class FrameTable:
    """The frames of a video track in presentation order.

    ``ticks[i]`` is the PTS of frame ``i`` in units of ``time_base`` seconds (strictly
    increasing), ``keyframes`` the indices of the frames a decoder can start at,
    ``duration`` the seconds from the start of the first frame to the end of the last,
    and ``constant_rate`` the frame rate when every frame lasts exactly as long (else
    ``None``: variable frame rate, or timestamps that are not evenly spaced).
    """

    time_base: Fraction
    ticks: Ticks
    keyframes: npt.NDArray[np.int64]
    duration: Fraction
    constant_rate: Fraction | None

    @property
    def start(self) -> Fraction:
        """The PTS of frame 0 in seconds."""
        return int(self.ticks[0]) * self.time_base

    def seconds(self) -> list[float]:
        """Each frame's PTS in seconds (floats, for display)."""
        # one rounding: the products are exact integers as floats up to 2**53
        exact = self.ticks * self.time_base.numerator
        return (exact / self.time_base.denominator).tolist()  # type: ignore[no-any-return]

    def frame_at(self, pts: int) -> int:
        """The index of the frame shown at `pts` (the last one starting at or before it)."""
        return max(0, int(np.searchsorted(self.ticks, pts, side="right")) - 1)

    def to_json(self) -> dict[str, Any]:
        """The table as JSON: exact strings for the time base, duration and rate."""
        return {
            "time_base": format_exact(self.time_base),
            "ticks": self.ticks.tolist(),
            "keyframes": self.keyframes.tolist(),
            "duration": format_exact(self.duration),
            "constant_rate": None
            if self.constant_rate is None
            else format_exact(self.constant_rate),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "FrameTable":
        """The table `to_json` wrote."""
        rate = data["constant_rate"]
        return cls(
            time_base=Fraction(data["time_base"]),
            ticks=np.asarray(data["ticks"], dtype=np.int64),
            keyframes=np.asarray(data["keyframes"], dtype=np.int64),
            duration=Fraction(data["duration"]),
            constant_rate=None if rate is None else Fraction(rate),
        )


@dataclass(frozen=True)
class Thumbnail:
    """A keyframe as a small JPEG: its frame index, PTS (in the table's time base), bytes."""

    frame: int
    pts: int
    jpeg: bytes


def frame_table(path: Path, *, progress: Progress = _ignore) -> FrameTable:
    """The frame table of the first video track of `path`, from its packets (no decoding).

    `progress` receives the fraction of the file read. Raises `RosettaError` naming the
    file when it cannot be read, has no video track or no frame with a timestamp.
    """
    pts = array("q")
    keys = array("q")
    last, last_duration = -(2**63), 0
    with _open_video(path) as container:
        size = max(1, path.stat().st_size)
        stream = container.streams.video[0]
        time_base = stream.time_base
        if time_base is None:
            raise RosettaError(f"{path}: the video track states no time base")
        try:
            for count, packet in enumerate(container.demux(stream)):
                if packet.pts is None or packet.size == 0 or packet.is_discard:
                    continue
                pts.append(packet.pts)
                if packet.is_keyframe:
                    keys.append(packet.pts)
                if packet.pts >= last:
                    last, last_duration = packet.pts, packet.duration or 0
                if count % _REPORT_EVERY == 0 and packet.pos is not None and packet.pos >= 0:
                    progress(min(1.0, packet.pos / size))
        except av.FFmpegError as exc:
            raise RosettaError(f"{path}: cannot read the video packets: {exc}") from exc
    if not pts:
        raise RosettaError(f"{path}: the video track has no frame with a timestamp")
    # two packets with one PTS are one frame of the table (a clock needs increasing ticks)
    ticks = np.unique(np.frombuffer(pts, dtype=np.int64))
    keyframes = np.unique(np.searchsorted(ticks, np.frombuffer(keys, dtype=np.int64)))
    spacing = np.diff(ticks)
    end = last + (last_duration or (int(spacing[-1]) if len(spacing) else 0))
    constant = (
        Fraction(1) / (int(spacing[0]) * time_base)
        if len(spacing) and bool(np.all(spacing == spacing[0]))
        else None
    )
    progress(1.0)
    return FrameTable(
        time_base=Fraction(time_base),
        ticks=ticks,
        keyframes=keyframes.astype(np.int64),
        duration=(end - int(ticks[0])) * Fraction(time_base),
        constant_rate=constant,
    )


def frame_clock(table: FrameTable) -> Clock:
    """The clock of the video: a rate clock when every frame lasts exactly as long, else a
    timestamp table whose ticks count from frame 0. Either way ``offset`` is the PTS of
    frame 0 in seconds, so each frame's local time is its PTS exactly."""
    offset = format_exact(table.start)
    if table.constant_rate is not None:
        return Clock(rate=format_exact(table.constant_rate), offset=offset)
    return Clock(
        time_base=format_exact(table.time_base),
        ticks=(table.ticks - table.ticks[0]).tolist(),
        offset=offset,
    )


def keyframe_choice(
    table: FrameTable, *, every_seconds: float | None = None, count: int | None = None
) -> list[int]:
    """The keyframes to show: for each target time (every `every_seconds` from frame 0, or
    `count` times spread evenly over the video), the last keyframe at or before it; each
    keyframe once, in order."""
    if (every_seconds is None) == (count is None):
        raise ValueError("give either every_seconds or count")
    if every_seconds is not None:
        if every_seconds <= 0:
            raise ValueError(f"every_seconds must be positive, got {every_seconds}")
        targets = np.arange(0, float(table.duration), every_seconds)
    else:
        assert count is not None
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        targets = np.arange(count) * (float(table.duration) / count)
    if not len(table.keyframes):
        return []
    key_times = (table.ticks[table.keyframes] - table.ticks[0]) * float(table.time_base)
    # a keyframe exactly at a target counts as before it, whatever the float rounding
    chosen = np.searchsorted(key_times, targets + 1e-9, side="right") - 1
    return sorted({int(table.keyframes[max(0, index)]) for index in chosen})


def thumbnails(
    path: Path,
    table: FrameTable,
    *,
    every_seconds: float | None = None,
    count: int | None = None,
    width: int = 160,
    quality: int = 85,
    progress: Progress = _ignore,
) -> list[Thumbnail]:
    """JPEG thumbnails `width` pixels wide of the keyframes `keyframe_choice` picks.

    Seeks to each keyframe and decodes it alone (the decoder skips non-key frames), so
    the cost grows with the number of thumbnails, not with the length of the video.
    """
    frames = keyframe_choice(table, every_seconds=every_seconds, count=count)
    found: list[Thumbnail] = []
    with _open_video(path) as container:
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = "NONKEY"
        aspect = Fraction(stream.sample_aspect_ratio or 1)
        try:
            for done, frame_index in enumerate(frames):
                wanted = int(table.ticks[frame_index])
                image = _decode_at(container, stream, wanted)
                if image is None:
                    raise RosettaError(f"{path}: cannot decode the keyframe at PTS {wanted}")
                height = max(1, round(width * image.height / (image.width * aspect)))
                small = image.to_image().resize((width, height), Image.Resampling.BILINEAR)
                out = io.BytesIO()
                small.save(out, format="JPEG", quality=quality)
                found.append(
                    Thumbnail(frame=table.frame_at(image.pts), pts=image.pts, jpeg=out.getvalue())
                )
                progress((done + 1) / len(frames))
        except av.FFmpegError as exc:
            raise RosettaError(f"{path}: cannot decode a keyframe: {exc}") from exc
    return found


def sprite_sheet(
    table: FrameTable, thumbs: Sequence[Thumbnail], *, columns: int = 10, quality: int = 85
) -> tuple[bytes, dict[str, Any]]:
    """The thumbnails packed row by row into one JPEG, and its index.

    The index is ``{"width", "height", "tiles": [...]}`` where each tile has the time
    range it stands for (``start`` to ``end`` in seconds, as players' thumbnail tracks
    do: from its keyframe to the next thumbnail, the last to the end of the video), its
    ``frame`` and ``pts``, and its place ``x, y, w, h`` in the sheet.
    """
    if not thumbs:
        raise ValueError("no thumbnails to pack")
    images = [Image.open(io.BytesIO(thumb.jpeg)) for thumb in thumbs]
    tile_w = max(image.width for image in images)
    tile_h = max(image.height for image in images)
    rows = math.ceil(len(images) / columns)
    sheet = Image.new("RGB", (tile_w * min(columns, len(images)), tile_h * rows))
    end = float(table.start + table.duration)
    tiles = []
    for number, (thumb, image) in enumerate(zip(thumbs, images, strict=True)):
        x, y = tile_w * (number % columns), tile_h * (number // columns)
        sheet.paste(image, (x, y))
        following = thumbs[number + 1].pts if number + 1 < len(thumbs) else None
        tiles.append(
            {
                "start": float(thumb.pts * table.time_base),
                "end": end if following is None else float(following * table.time_base),
                "frame": thumb.frame,
                "pts": thumb.pts,
                "x": x,
                "y": y,
                "w": image.width,
                "h": image.height,
            }
        )
    out = io.BytesIO()
    sheet.save(out, format="JPEG", quality=quality)
    return out.getvalue(), {"width": sheet.width, "height": sheet.height, "tiles": tiles}


def _open_video(path: Path) -> Any:
    try:
        container = av.open(str(path))
    except (av.FFmpegError, UnicodeDecodeError) as exc:
        raise RosettaError(f"{path}: not readable as a video file: {exc}") from exc
    if not container.streams.video:
        container.close()
        raise RosettaError(f"{path}: has no video track")
    return container


def _decode_at(container: Any, stream: Any, pts: int) -> Any:
    """The first keyframe at or after `pts`, decoded after seeking to it."""
    container.seek(pts, stream=stream, backward=True, any_frame=False)
    for frame in container.decode(stream):
        if frame.pts is not None and frame.pts >= pts:
            return frame
    return None
