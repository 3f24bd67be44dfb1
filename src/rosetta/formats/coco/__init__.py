"""COCO instances JSON and COCO results files (https://cocodataset.org/#format-data).

Reading (`read_coco`): an instances file, a results file (with the instances file(s) it
names images and categories from) or a folder of them, gathered by image (`catalog`,
parsed as COCO's own records: `records`), one sample per image (`reader`), each object's
shapes as Rosetta geometry (`shapes`). Writing (`write_coco`, `writer`): ``instances.json``
and ``results.json``; what COCO cannot hold goes to ``not_carried.jsonl``
(`rosetta.formats.not_carried`), which a folder import puts back.
"""

from typing import Final

from rosetta.formats.coco.reader import read_coco
from rosetta.formats.coco.writer import INSTANCES, RESULTS, write_coco
from rosetta.formats.interchange import PREFERENCES, FormatSpec

__all__ = ["INSTANCES", "RESULTS", "SPECS", "read_coco", "write_coco"]

SPECS: Final = (
    FormatSpec(
        name="coco",
        title="COCO instances JSON and results files",
        read=read_coco,
        write=write_coco,
        not_carried=(
            "links",
            "entities",
            "intervals, spans, tracks, cuboids, transcripts, classifications",
            "non-image streams",
            "human sources and authors",
            PREFERENCES,
        ),
    ),
)
