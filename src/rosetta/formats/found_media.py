"""Probing a media file that a format reader found: `rosetta.media.probe` gives what the
file holds (size, duration, frame rate, sample rate, MIME type), and a file it cannot read
is an `ImportFailed` naming the document being read and the media file."""

from pathlib import Path

from rosetta.core.errors import RosettaError
from rosetta.core.modality import Modality
from rosetta.core.schema import MediaInfo
from rosetta.formats.interchange import Origin
from rosetta.media.probe import probe


def probe_found(path: Path, modality: Modality, origin: Origin, field: str) -> MediaInfo:
    """The media info of the file `path`, found for the document read at `origin` (whose
    `field` names the media). Raises an `ImportFailed` there, naming the media file and what
    was expected, when the file cannot be probed as `modality`."""
    try:
        return probe(str(path), modality)
    except RosettaError as exc:
        raise origin.error(field, f"cannot probe the media file found: {exc}") from None
