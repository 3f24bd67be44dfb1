"""Probing media: what a stream's file holds (size, duration, exact frame rate, sample rate).

Media stays where its URI points; probing only reads it. Images are read with Pillow,
audio with soundfile (PyAV for formats libsndfile does not know), video with PyAV, text
as UTF-8. Only local paths and ``file://`` URIs can be probed.
"""

import mimetypes
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

import av
import soundfile
from PIL import Image, UnidentifiedImageError

from rosetta.core.errors import RosettaError
from rosetta.core.modality import Modality
from rosetta.core.schema import MediaInfo
from rosetta.media.paths import is_file


def local_path(uri: str) -> Path:
    """The local file a path or ``file://`` URI names (it need not exist)."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise RosettaError(
                f"{uri}: a file:// URI must name a local file, not host {parsed.netloc!r}"
            )
        return Path(url2pathname(unquote(parsed.path)))
    if parsed.scheme and len(parsed.scheme) > 1:
        raise RosettaError(
            f"{uri}: only local paths and file:// URIs can be read, not {parsed.scheme}:// URIs"
        )
    return Path(uri)


def probe(uri: str, modality: Modality) -> MediaInfo:
    """What the media at `uri` holds, read as `modality`.

    Raises `RosettaError` naming the file and what was expected when it is missing or is
    not a readable file of that modality. Point clouds and time series are only checked
    for existence; their media info comes from the import record.
    """
    modality = Modality(modality)
    path = local_path(uri)
    if not is_file(path):
        raise RosettaError(f"{path}: no such file (expected {_expected(modality)})")
    if modality is Modality.IMAGE:
        return _probe_image(path)
    if modality is Modality.AUDIO:
        return _probe_audio(path)
    if modality is Modality.VIDEO:
        return _probe_video(path)
    if modality is Modality.TEXT:
        return _probe_text(path)
    return MediaInfo(mime=_guess_mime(path))


def _expected(modality: Modality) -> str:
    return {
        Modality.IMAGE: "an image Pillow can read (PNG, JPEG, WebP, ...)",
        Modality.AUDIO: "an audio file (WAV, FLAC, OGG, MP3, ...)",
        Modality.VIDEO: "a video file with a video track (MP4, WebM, ...)",
        Modality.TEXT: "a UTF-8 text file",
    }.get(modality, f"a {modality} file")


def _guess_mime(path: Path) -> str | None:
    return mimetypes.guess_type(path.name, strict=False)[0]


def _probe_image(path: Path) -> MediaInfo:
    try:
        with Image.open(path) as image:
            width, height = image.size
            mime = Image.MIME.get(image.format or "") or _guess_mime(path)
    except (UnidentifiedImageError, OSError) as exc:
        raise RosettaError(f"{path}: not readable as {_expected(Modality.IMAGE)}: {exc}") from exc
    return MediaInfo(width=width, height=height, mime=mime)


def _probe_audio(path: Path) -> MediaInfo:
    try:
        info = soundfile.info(str(path))
    except soundfile.LibsndfileError:
        return _probe_audio_av(path)
    return MediaInfo(
        duration=info.frames / info.samplerate,
        sample_rate=info.samplerate,
        channels=info.channels,
        codec=str(info.subtype).lower(),
        mime=_guess_mime(path),
    )


def _open_av(path: Path, modality: Modality) -> Any:
    try:
        return av.open(str(path))
    except (av.FFmpegError, UnicodeDecodeError) as exc:
        raise RosettaError(f"{path}: not readable as {_expected(modality)}: {exc}") from exc


def _seconds(value: int | None, time_base: Fraction | None) -> float | None:
    if value is None or time_base is None:
        return None
    return float(value * time_base)


def _probe_audio_av(path: Path) -> MediaInfo:
    with _open_av(path, Modality.AUDIO) as container:
        if not container.streams.audio:
            raise RosettaError(f"{path}: has no audio track (expected {_expected(Modality.AUDIO)})")
        stream = container.streams.audio[0]
        duration = _seconds(stream.duration, stream.time_base)
        if duration is None and container.duration is not None:
            duration = container.duration / av.time_base
        return MediaInfo(
            duration=duration,
            sample_rate=stream.codec_context.sample_rate or None,
            channels=stream.codec_context.layout.nb_channels or None,
            codec=stream.codec_context.name,
            mime=_guess_mime(path),
        )


def _probe_video(path: Path) -> MediaInfo:
    with _open_av(path, Modality.VIDEO) as container:
        if not container.streams.video:
            raise RosettaError(f"{path}: has no video track (expected {_expected(Modality.VIDEO)})")
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate
        if not rate:
            raise RosettaError(f"{path}: the video track states no frame rate")
        frames = stream.frames or None
        duration = _seconds(stream.duration, stream.time_base)
        if frames is None or duration is None:
            frames, duration = _count_frames(container, stream)
        audio = container.streams.audio[0].codec_context if container.streams.audio else None
        return MediaInfo(
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            duration=duration,
            frame_rate=f"{rate.numerator}/{rate.denominator}",
            frame_count=frames,
            sample_rate=audio.sample_rate if audio is not None else None,
            channels=audio.layout.nb_channels if audio is not None else None,
            codec=stream.codec_context.name,
            mime=_guess_mime(path),
        )


def _count_frames(container: Any, stream: Any) -> tuple[int, float]:
    """Frame count and length of a video track whose container does not state them.

    Demuxes the track's packets without decoding them (WebM/Matroska keeps no frame
    count). The length runs from the first frame's start to the last frame's end.
    """
    count = 0
    start: int | None = None
    end = 0
    for packet in container.demux(stream):
        if packet.pts is None or packet.size == 0:
            continue
        count += 1
        start = packet.pts if start is None else min(start, packet.pts)
        end = max(end, packet.pts + (packet.duration or 0))
    return count, float((end - (start or 0)) * stream.time_base)


def _probe_text(path: Path) -> MediaInfo:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RosettaError(
            f"{path}: byte {exc.start} is not UTF-8 (expected {_expected(Modality.TEXT)})"
        ) from exc
    return MediaInfo(length=len(text), mime=_guess_mime(path) or "text/plain")
