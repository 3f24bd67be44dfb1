"""Parquet tables for training pipelines (Hugging Face ``datasets``, pandas, DuckDB, Spark),
written only.

Four files, zstd-compressed, written with one `pyarrow.parquet.ParquetWriter` each in row
groups of `ROW_GROUP_SAMPLES` samples, so memory holds one group, never the project:

- ``samples.parquet``, one row per sample: ``id``, ``external_id``, ``status``,
  ``metadata`` and ``ego_poses`` (JSON text), ``streams`` (a list of structs: id, name,
  modality, ``uri`` — media by reference, never its bytes —, inline ``text``, the common
  media fields ``width``/``height``/``duration``/``frame_rate``/``frame_count`` and the
  whole ``media``, ``clock`` and ``sensor`` as JSON text), ``labels`` (the distinct
  labels of its annotations, sorted) and the counts ``annotations``, ``entities``,
  ``links``;
- ``annotations.parquet``, one row per annotation: ``id``, ``sample``, ``stream``,
  ``modality``, ``label``, ``geometry_type`` and ``geometry`` (JSON text, as the native
  format writes it), typed box columns ``box_x``/``box_y``/``box_w``/``box_h``/``frame``
  (pixels, top-left corner; null for other geometries), ``attributes`` (JSON text),
  ``revision``, ``ontology_version``, ``author``, ``source_kind``/``source_name``/
  ``source_version``/``confidence`` and ``flags``;
- ``entities.parquet``, one row per entity: ``id``, ``sample``, ``label``, ``members``,
  ``revision``, ``author``;
- ``links.parquet``, one row per link: ``id``, ``sample``, ``type``, ``source``,
  ``target``, ``status``, ``attributes`` (JSON text), ``revision``, ``source_revision``,
  ``target_revision``, ``author``.

Every field of every record has a column, so the native records can be rebuilt from the
four tables; only a preference sample's candidates and judgements (`rosetta.core.preference`)
are left out, counted in the report (`NOT_WRITTEN`: the ``dpo``, ``dpo-parquet`` and
``ranked-lists`` formats and the native export carry them). Each file loads on its own with
``datasets.load_dataset("parquet", data_files="annotations.parquet")``; the dataset card
beside them lists them as configurations. The schemas' metadata name the ontology.
"""

from collections import Counter
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Final

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from rosetta.core.geometry import Box
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Sample, Stream
from rosetta.formats.interchange import FormatSpec, WriteReport
from rosetta.formats.native import part_json, poses_json

#: Samples per row group (and per batch held in memory).
ROW_GROUP_SAMPLES: Final = 1000

_STREAM = pa.struct(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("modality", pa.string(), nullable=False),
        pa.field("uri", pa.string()),
        pa.field("text", pa.string()),
        pa.field("width", pa.int32()),
        pa.field("height", pa.int32()),
        pa.field("duration", pa.float64()),
        pa.field("frame_rate", pa.string()),
        pa.field("frame_count", pa.int64()),
        pa.field("media", pa.string(), nullable=False),
        pa.field("clock", pa.string()),
        pa.field("sensor", pa.string()),
    ]
)

#: The columns of each file.
SCHEMAS: Final[dict[str, pa.Schema]] = {
    "samples": pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("external_id", pa.string()),
            pa.field("status", pa.string(), nullable=False),
            pa.field("metadata", pa.string(), nullable=False),
            pa.field("ego_poses", pa.string()),
            pa.field("streams", pa.list_(_STREAM), nullable=False),
            pa.field("labels", pa.list_(pa.string()), nullable=False),
            pa.field("annotations", pa.int32(), nullable=False),
            pa.field("entities", pa.int32(), nullable=False),
            pa.field("links", pa.int32(), nullable=False),
        ]
    ),
    "annotations": pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("sample", pa.string(), nullable=False),
            pa.field("stream", pa.string()),
            pa.field("modality", pa.string()),
            pa.field("label", pa.string(), nullable=False),
            pa.field("geometry_type", pa.string(), nullable=False),
            pa.field("geometry", pa.string(), nullable=False),
            pa.field("box_x", pa.float64()),
            pa.field("box_y", pa.float64()),
            pa.field("box_w", pa.float64()),
            pa.field("box_h", pa.float64()),
            pa.field("frame", pa.int64()),
            pa.field("attributes", pa.string(), nullable=False),
            pa.field("revision", pa.int32(), nullable=False),
            pa.field("ontology_version", pa.int32()),
            pa.field("author", pa.string()),
            pa.field("source_kind", pa.string(), nullable=False),
            pa.field("source_name", pa.string()),
            pa.field("source_version", pa.string()),
            pa.field("confidence", pa.float64()),
            pa.field("flags", pa.list_(pa.string()), nullable=False),
        ]
    ),
    "entities": pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("sample", pa.string(), nullable=False),
            pa.field("label", pa.string()),
            pa.field("members", pa.list_(pa.string()), nullable=False),
            pa.field("revision", pa.int32(), nullable=False),
            pa.field("author", pa.string()),
        ]
    ),
    "links": pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("sample", pa.string(), nullable=False),
            pa.field("type", pa.string(), nullable=False),
            pa.field("source", pa.string(), nullable=False),
            pa.field("target", pa.string(), nullable=False),
            pa.field("status", pa.string(), nullable=False),
            pa.field("attributes", pa.string(), nullable=False),
            pa.field("revision", pa.int32(), nullable=False),
            pa.field("source_revision", pa.int32()),
            pa.field("target_revision", pa.int32()),
            pa.field("author", pa.string()),
        ]
    ),
}

#: Why the report counts a preference sample's candidates and judgements.
NOT_WRITTEN: Final = (
    "not written: the tables hold no preferences; the dpo, dpo-parquet and ranked-lists "
    "formats and the native export carry them"
)

#: The box columns of an annotation that is not a box.
_NO_BOX: Final = (None, None, None, None, None)

#: The rows of each file not written yet, each a tuple in its schema's column order.
_Rows = dict[str, list[tuple[Any, ...]]]


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _stream(stream: Stream) -> dict[str, Any]:
    media = stream.media
    return {
        "id": stream.id,
        "name": stream.name,
        "modality": stream.modality.value,
        "uri": stream.uri,
        "text": stream.text,
        "width": media.width,
        "height": media.height,
        "duration": media.duration,
        "frame_rate": media.frame_rate,
        "frame_count": media.frame_count,
        "media": part_json(media),
        "clock": None if stream.clock is None else part_json(stream.clock),
        "sensor": None if stream.sensor is None else part_json(stream.sensor),
    }


def _add(rows: _Rows, sample: Sample) -> None:
    """Append the rows of one sample to `rows` (in the column order of `SCHEMAS`)."""
    modality = {stream.id: stream.modality.value for stream in sample.streams}
    rows["samples"].append(
        (
            sample.id,
            sample.external_id,
            sample.status,
            _json(sample.metadata),
            poses_json(sample) if sample.ego_poses else None,
            [_stream(stream) for stream in sample.streams],
            sorted({annotation.label for annotation in sample.annotations}),
            len(sample.annotations),
            len(sample.entities),
            len(sample.links),
        )
    )
    for annotation in sample.annotations:
        geometry = annotation.geometry
        box = (
            (geometry.x, geometry.y, geometry.w, geometry.h, geometry.frame)
            if isinstance(geometry, Box)
            else _NO_BOX
        )
        source = annotation.source
        rows["annotations"].append(
            (
                annotation.id,
                sample.id,
                annotation.stream,
                modality.get(annotation.stream or ""),
                annotation.label,
                geometry.type,
                part_json(geometry),
                *box,
                _json(annotation.attributes),
                annotation.revision,
                annotation.ontology_version,
                annotation.author,
                source.kind,
                source.name,
                source.version,
                source.confidence,
                annotation.flags,
            )
        )
    for entity in sample.entities:
        rows["entities"].append(
            (entity.id, sample.id, entity.label, entity.members, entity.revision, entity.author)
        )
    for link in sample.links:
        rows["links"].append(
            (
                link.id,
                sample.id,
                link.type,
                link.source,
                link.target,
                link.status,
                _json(link.attributes),
                link.revision,
                link.source_revision,
                link.target_revision,
                link.author,
            )
        )


def _table(rows: list[tuple[Any, ...]], schema: pa.Schema) -> pa.Table:
    """The rows as a table of `schema`, built column by column."""
    columns = zip(*rows, strict=True)
    return pa.Table.from_arrays(
        [pa.array(column, type=f.type) for f, column in zip(schema, columns, strict=True)],
        schema=schema,
    )


def write_parquet(samples: Iterable[Sample], ontology: Ontology, out: Path) -> WriteReport:
    """Write `samples` as the four Parquet files into the folder `out` (see the module);
    a failure removes the files begun."""
    meta = {"rosetta.ontology": _json({"name": ontology.name, "version": ontology.version})}
    paths = {name: out / f"{name}.parquet" for name in SCHEMAS}
    counts = dict.fromkeys(SCHEMAS, 0)
    left = Counter[str]()
    try:
        with ExitStack() as stack:
            writers = {
                name: stack.enter_context(
                    pq.ParquetWriter(
                        paths[name], SCHEMAS[name].with_metadata(meta), compression="zstd"
                    )
                )
                for name in SCHEMAS
            }

            def flush(rows: _Rows) -> None:
                for name, batch in rows.items():
                    if batch:
                        writers[name].write_table(_table(batch, writers[name].schema))
                        counts[name] += len(batch)
                    batch.clear()

            rows: _Rows = {name: [] for name in SCHEMAS}
            for sample in samples:
                _add(rows, sample)
                left.update(candidates=len(sample.candidates), judgements=len(sample.judgements))
                if len(rows["samples"]) >= ROW_GROUP_SAMPLES:
                    flush(rows)
            flush(rows)
    except BaseException:
        for path in paths.values():
            path.unlink(missing_ok=True)
        raise
    return WriteReport(
        files=[path.name for path in paths.values()],
        samples=counts["samples"],
        annotations=counts["annotations"],
        not_carried={what: f"{n} {NOT_WRITTEN}" for what, n in sorted(left.items()) if n},
    )


SPECS: tuple[FormatSpec, ...] = (
    FormatSpec(
        name="parquet",
        title="Parquet tables (samples, annotations, entities, links), write only",
        write=write_parquet,
        not_carried=("preference candidates and judgements",),
    ),
)
