"""Writing DPO JSONL: ``dpo.jsonl``, one line per preference pair (`PairLines`), streamed
sample by sample into ``dpo.jsonl.part``, renamed when whole (a failure leaves nothing).

Each sample is written in `dialect`, by default the dialect it was read in (a sample made
in Rosetta: ``trl``), so that an imported file exports as it was. ``trl`` lines carry
Rosetta's fields (`rosetta.formats.preference.dpo_lines.Provenance`; not on a line read
without them while they say nothing); the other dialects only their own keys (models,
evaluators and agreement are not theirs to hold).
"""

from collections.abc import Iterable
from pathlib import Path
from typing import Final

import orjson

from rosetta.core.ontology import Ontology
from rosetta.core.schema import Sample
from rosetta.formats.interchange import WriteReport
from rosetta.formats.preference.dpo_lines import Dialect, dump_line
from rosetta.formats.preference.pairs import PairLines, PairMode

#: The file `write_dpo` writes.
DPO_FILE: Final = "dpo.jsonl"


def write_dpo(
    samples: Iterable[Sample],
    ontology: Ontology,
    out: Path,
    *,
    dialect: Dialect | None = None,
    pairs: PairMode = "majority",
) -> WriteReport:
    """Write the preference pairs of `samples` to ``dpo.jsonl`` in the folder `out` (see
    the module); `pairs`: the majority per pair, or each judged pair."""
    path = out / DPO_FILE
    part = path.with_name(f"{path.name}.part")
    lines = PairLines(pairs)
    written = 0
    try:
        with part.open("wb") as handle:
            for sample in samples:
                wrote = False
                for line in lines(sample):
                    shape = dialect or line.dialect
                    row = dump_line(line, shape, provenance=shape == "trl")
                    handle.write(orjson.dumps(row) + b"\n")
                    wrote = True
                written += wrote
        part.replace(path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return WriteReport([DPO_FILE], written, 0, lines.report(DPO_FILE))
