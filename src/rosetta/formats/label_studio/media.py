"""The media a Label Studio task names: telling a reference from inline text, finding the
file under the media root, and probing it.

Label Studio references media as URLs (``https://...``, ``s3://...``), as its own upload
paths (``/data/upload/18/image1.jpg``) or local-files paths
(``/data/local-files/?d=images/a.jpg``). The file is looked for under the media root (else
beside the export) by the reference's path, then by each shorter tail of it down to the
file name.

A file found is probed by the reader (`rosetta.formats.found_media`).
"""

import mimetypes
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from rosetta.core.modality import Modality
from rosetta.formats.interchange import ReadOptions
from rosetta.media.paths import is_file

_REFERENCE = re.compile(r"^(\w[\w+.-]*:|/|\.{1,2}/)")
_MAJOR = {"image": Modality.IMAGE, "audio": Modality.AUDIO, "video": Modality.VIDEO}


def is_reference(value: str) -> bool:
    """Whether a data value names media (a URL or a path) rather than being the text."""
    if not value or any(char.isspace() for char in value):
        return False
    return bool(_REFERENCE.match(value)) or guess_modality(value) is not None


def _path_of(reference: str) -> str:
    parsed = urlparse(reference)
    return unquote(parse_qs(parsed.query).get("d", [parsed.path])[0])


def guess_modality(reference: str) -> Modality | None:
    """The modality a media reference's file name (or data URI's type) suggests."""
    parsed = urlparse(reference)
    if parsed.scheme == "data":
        mime: str | None = parsed.path.split(";", 1)[0]
    else:
        mime = mimetypes.guess_type(_path_of(reference), strict=False)[0]
    return _MAJOR.get((mime or "").split("/", 1)[0])


def file_name(reference: str) -> str:
    """The file name at the end of a media reference's path (empty when it has none)."""
    return _path_of(reference).rsplit("/", 1)[-1]


def find_local(reference: str, export: Path, options: ReadOptions) -> Path | None:
    """The local file a media reference names, or ``None``."""
    if urlparse(reference).scheme == "data":
        return None
    parts = [part for part in _path_of(reference).split("/") if part not in ("", ".", "..")]
    root = options.media_root if options.media_root is not None else export.parent
    for start in range(len(parts)):
        path = root.joinpath(*parts[start:])
        if is_file(path):
            return path
    return None
