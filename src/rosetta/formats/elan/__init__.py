"""ELAN annotation documents (``.eaf``, EAF 2.7 to 3.0): tiers of time-aligned annotations
on linked audio or video.

Reading (`read_elan`, `reader`): one sample per document (`document` parses it), its
annotations as intervals or transcript segments, participants as speakers, dependent
tiers as ``part-of`` and ``associated-with`` links. Writing (`write_elan`, `writer`): one
document per sample, its tiers rebuilt from ``metadata["elan"]`` or made from labels,
speakers and parents (`tiers`); what ELAN cannot carry goes to ``not_carried.jsonl``
(`rosetta.formats.not_carried`), which the reader puts back.
"""

from typing import Final

from rosetta.formats.elan.document import ASSOCIATED_WITH, CONSTRAINT_RELATIONS, PART_OF
from rosetta.formats.elan.reader import read_elan
from rosetta.formats.elan.writer import write_elan
from rosetta.formats.interchange import PREFERENCES, FormatSpec

__all__ = [
    "ASSOCIATED_WITH",
    "CONSTRAINT_RELATIONS",
    "PART_OF",
    "SPECS",
    "read_elan",
    "write_elan",
]

SPECS: Final = (
    FormatSpec(
        name="elan",
        title="ELAN annotation document (.eaf)",
        read=read_elan,
        write=write_elan,
        not_carried=(
            "annotations other than intervals and transcripts on the first audio/video stream",
            "attributes",
            "word timings",
            "entities other than speakers",
            "links other than speaker-of, part-of and associated-with",
            PREFERENCES,
        ),
    ),
)
