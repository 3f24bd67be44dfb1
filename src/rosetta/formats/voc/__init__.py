"""Pascal VOC XML annotations: one ``<annotation>`` file per image (``Annotations/*.xml``).

Reading (`read`, `reader`): one sample per file, its objects and parts as boxes (VOC's
1-based inclusive pixels converted) and ``part-of`` links. Writing (`write`, `writer`):
one file per image stream; what VOC cannot hold goes to ``not_carried.jsonl``
(`rosetta.formats.not_carried`), which the reader puts back.
"""

from typing import Final

from rosetta.formats.interchange import PREFERENCES, FormatSpec
from rosetta.formats.voc.reader import FLAGS, PART_OF, read, read_file
from rosetta.formats.voc.writer import write

__all__ = ["FLAGS", "PART_OF", "SPECS", "read", "read_file", "write"]

SPECS: Final = (
    FormatSpec(
        name="voc",
        title="Pascal VOC XML (boxes, parts, difficult/truncated)",
        read=read,
        write=write,
        not_carried=(
            "polygons",
            "masks",
            "keypoints",
            "tracks",
            "links other than part-of",
            "entities",
            "annotation sources",
            PREFERENCES,
        ),
    ),
)
