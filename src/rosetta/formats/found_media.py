"""Probing a media file that a format reader found: `rosetta.media.probe` gives what the
file holds (size, duration, frame rate, sample rate, MIME type), and a file it cannot read
is an `ImportFailed` naming the document being read and the media file. A file outside
the folders `ReadOptions.media_confined_to` names (a name with ``..`` or an absolute path,
on the server) is an `ImportFailed` too, and is not opened."""

from pathlib import Path

from rosetta.core.errors import RosettaError
from rosetta.core.modality import Modality
from rosetta.core.schema import MediaInfo
from rosetta.formats.interchange import Origin, ReadOptions
from rosetta.media.probe import probe


def confined(path: Path, options: ReadOptions, origin: Origin, field: str) -> Path:
    """`path`, resolved, when the reader may open it (see the module); else an
    `ImportFailed` at `origin`'s `field` naming the path and the folders allowed."""
    resolved = path.resolve()
    roots = options.media_confined_to
    if roots is None or any(resolved.is_relative_to(root.resolve()) for root in roots):
        return resolved
    allowed = ", ".join(str(root) for root in roots)
    raise origin.error(
        field, f"the media file {str(path)!r} lies outside the folders media may be in ({allowed})"
    )


def probe_found(
    path: Path, modality: Modality, origin: Origin, field: str, options: ReadOptions
) -> MediaInfo:
    """The media info of the file `path`, found for the document read at `origin` (whose
    `field` names the media). Raises an `ImportFailed` there, naming the media file and what
    was expected, when the file cannot be probed as `modality` or lies outside the folders
    `options` confine media to."""
    allowed = confined(path, options, origin, field)
    try:
        return probe(str(allowed), modality)
    except RosettaError as exc:
        raise origin.error(field, f"cannot probe the media file found: {exc}") from None
    except OSError as exc:  # a name the file system cannot hold (`rosetta.media.paths`)
        detail = f"cannot probe the media file found: {path}: {exc.strerror}"
        raise origin.error(field, detail) from None
