"""The names writers give the files they write per image: the stem of the image's own file
name (its stream's URI, else the sample's external id, else its id), made unique."""

from pathlib import PurePosixPath

from rosetta.core.schema import Sample, Stream


def media_name(stream: Stream, sample: Sample) -> str:
    """The file name of `stream`'s media: the last part of its URI (``\\`` taken as a
    separator too), else of the sample's external id, else the sample's id."""
    base = stream.uri or sample.external_id or sample.id
    return PurePosixPath(base.replace("\\", "/")).name or sample.id


class Stems:
    """Unique file stems: an image's own stem, or ``<sample id>_<stream id>`` when another
    image of the same `scope` (a folder) took it first."""

    def __init__(self) -> None:
        self.taken: set[tuple[str, str]] = set()

    def take(self, stream: Stream, sample: Sample, scope: str = "") -> str:
        """The stem of the file written for `stream`."""
        stem = PurePosixPath(media_name(stream, sample)).stem or sample.id
        if (scope, stem) in self.taken:
            stem = f"{sample.id}_{stream.id}"
        self.taken.add((scope, stem))
        return stem
