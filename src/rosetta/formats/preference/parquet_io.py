"""DPO pairs as Parquet (``dpo.parquet``): the rows of the ``trl`` JSONL in TRL's standard
form (``prompt``, ``chosen``, ``rejected`` strings; a conversation is written as its
prompt's text), Rosetta's fields beside them, zstd-compressed, one row group per
`ROW_GROUP_ROWS` rows streamed through one `pyarrow.parquet.ParquetWriter` into
``dpo.parquet.part`` (renamed when whole). ``images`` / ``videos`` / ``audios`` are null in
a row whose prompt has none. Loads with ``datasets.load_dataset("parquet",
data_files="dpo.parquet")``."""

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from rosetta.core.ontology import Ontology
from rosetta.core.schema import Sample
from rosetta.formats.interchange import WriteReport
from rosetta.formats.preference.dpo_lines import Response, dump_line
from rosetta.formats.preference.pairs import PairLines, PairMode

#: The file `write_dpo_parquet` writes.
PARQUET_FILE: Final = "dpo.parquet"
#: Rows per row group (and per batch held in memory).
ROW_GROUP_ROWS: Final = 1000

_MEDIA = pa.list_(
    pa.struct(
        [
            pa.field("stream", pa.string()),
            pa.field("modality", pa.string(), nullable=False),
            pa.field("uri", pa.string(), nullable=False),
        ]
    )
)

#: The columns of ``dpo.parquet``.
SCHEMA: Final = pa.schema(
    [
        pa.field("prompt", pa.string()),
        pa.field("chosen", pa.string(), nullable=False),
        pa.field("rejected", pa.string(), nullable=False),
        pa.field("images", pa.list_(pa.string())),
        pa.field("videos", pa.list_(pa.string())),
        pa.field("audios", pa.list_(pa.string())),
        pa.field("sample", pa.string()),
        pa.field("chosen_model", pa.string()),
        pa.field("rejected_model", pa.string()),
        pa.field("chosen_media", _MEDIA, nullable=False),
        pa.field("rejected_media", _MEDIA, nullable=False),
        pa.field("prompt_media", _MEDIA, nullable=False),
        pa.field("strength", pa.int8()),
        pa.field("evaluators", pa.list_(pa.string()), nullable=False),
        pa.field("agreement", pa.float64()),
    ]
)


def write_dpo_parquet(
    samples: Iterable[Sample], ontology: Ontology, out: Path, *, pairs: PairMode = "majority"
) -> WriteReport:
    """Write the preference pairs of `samples` to ``dpo.parquet`` in the folder `out`."""
    path = out / PARQUET_FILE
    part = path.with_name(f"{path.name}.part")
    lines = PairLines(pairs)
    meta = {"rosetta.ontology": orjson.dumps({"name": ontology.name, "version": ontology.version})}
    written = flattened = 0
    rows: list[dict[str, Any]] = []
    try:
        with pq.ParquetWriter(part, SCHEMA.with_metadata(meta), compression="zstd") as writer:
            for sample in samples:
                wrote = False
                for line in lines(sample):
                    if line.conversation is not None or line.chosen.messages:
                        flattened += 1
                    standard = replace(
                        line,
                        conversation=None,
                        chosen=Response(line.chosen.text),
                        rejected=Response(line.rejected.text),
                    )
                    rows.append(dump_line(standard, "trl", provenance=True))
                    wrote = True
                    if len(rows) >= ROW_GROUP_ROWS:
                        writer.write_table(pa.Table.from_pylist(rows, schema=writer.schema))
                        rows.clear()
                written += wrote
            if rows:
                writer.write_table(pa.Table.from_pylist(rows, schema=writer.schema))
        part.replace(path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    report = lines.report(PARQUET_FILE)
    if flattened:
        report["conversations"] = (
            f"{flattened} pair(s) written with their prompt's text only (the JSONL `dpo` "
            "keeps the messages)"
        )
    return WriteReport([PARQUET_FILE], written, 0, report)
