"""Exporting a project as native JSONL, streamed in chunks of samples.

Samples go out in insertion order, fetched with keyset pagination; each chunk's streams,
annotations, entities, members and links come with one ``IN`` query per table. The JSON
text columns are embedded as they are stored (`orjson.Fragment`), so a line is the same
bytes as `rosetta.formats.native.dumps_sample` of the stored records, and memory stays
bounded by one chunk.
"""

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

import orjson
from sqlalchemy import Connection, Dialect, Engine, Integer, Select, String, bindparam, func, select

from rosetta.core.errors import NotFoundError
from rosetta.formats.native import (
    JsonObject,
    annotation_object,
    entity_object,
    link_object,
    sample_object,
    stream_object,
)
from rosetta.store.tables import (
    annotations,
    entities,
    entity_members,
    links,
    projects,
    samples,
    streams,
)

CHUNK = 500

Fragment = orjson.Fragment


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote."""

    samples: int
    annotations: int
    entities: int
    links: int
    seconds: float


def count_samples(connection: Connection, project_id: str) -> int:
    """The number of samples in the project."""
    return int(
        connection.execute(
            select(func.count()).select_from(samples).where(samples.c.project_id == project_id)
        ).scalar_one()
    )


def export_jsonl(
    engine: Engine,
    project_id: str,
    out: IO[bytes],
    *,
    progress: Callable[[int], None] | None = None,
) -> ExportReport:
    """Write every sample of the project to the binary file `out`, one line each.

    `progress` is called with the number of samples written so far after each chunk.
    """
    started = time.perf_counter()
    totals = [0, 0, 0, 0]
    options: dict[str, Any] = {}
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"  # one snapshot for the whole export
    queries = _Queries(engine.dialect)
    with engine.connect().execution_options(**options) as connection:
        found = connection.execute(select(projects.c.pk).where(projects.c.id == project_id))
        if found.first() is None:
            raise NotFoundError("project", project_id)
        after = -1
        while heads := queries.heads.rows(connection, project=project_id, low=after):
            chunk = _Chunk(connection, queries, project_id, after, heads[-1][0])
            after = heads[-1][0]
            lines = [
                orjson.dumps(
                    sample_object(
                        id=sample_id,
                        external_id=external_id,
                        status=status,
                        metadata=Fragment(metadata),
                        streams=chunk.streams.get(sample_id, []),
                        annotations=chunk.annotations.get(sample_id, []),
                        entities=chunk.entities.get(sample_id, []),
                        links=chunk.links.get(sample_id, []),
                    )
                )
                for _, sample_id, external_id, status, metadata in heads
            ]
            lines.append(b"")
            out.write(b"\n".join(lines))
            totals[0] += len(heads)
            totals[1] += chunk.annotation_count
            totals[2] += chunk.entity_count
            totals[3] += chunk.link_count
            if progress is not None:
                progress(totals[0])
    samples_done, annotations_done, entities_done, links_done = totals
    return ExportReport(
        samples=samples_done,
        annotations=annotations_done,
        entities=entities_done,
        links=links_done,
        seconds=time.perf_counter() - started,
    )


class _Statement:
    """A query compiled once and run through the DBAPI cursor, giving the driver's tuples.

    An export reads a few rows per annotation; SQLAlchemy result rows and compiling the
    query for every chunk would cost more than the rest of the export together.
    """

    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.defaults = dict(compiled.params)
        self.order = list(compiled.positiontup or ()) if compiled.positional else None

    def rows(self, connection: Connection, **values: Any) -> list[Any]:
        """The rows for these parameter values."""
        params = self.defaults | values
        cursor = connection.connection.cursor()
        try:
            if self.order is None:
                cursor.execute(self.sql, params)
            else:
                cursor.execute(self.sql, tuple(params[name] for name in self.order))
            return list(cursor.fetchall())
        finally:
            cursor.close()


class _Queries:
    """The chunk queries. A chunk is the project's samples with ``low < pk <= high``.

    ``project_id || ''`` keeps the planners on the pk order: with the (project_id, status)
    index they would read and sort every sample of the project for each chunk.
    """

    def __init__(self, dialect: Dialect) -> None:
        project = (samples.c.project_id + "") == bindparam("project", type_=String)
        low = samples.c.pk > bindparam("low", type_=Integer)
        in_chunk = select(samples.c.id).where(
            project & low & (samples.c.pk <= bindparam("high", type_=Integer))
        )
        self.heads = _Statement(
            select(
                samples.c.pk,
                samples.c.id,
                samples.c.external_id,
                samples.c.status,
                samples.c.metadata,
            )
            .where(project & low)
            .order_by(samples.c.pk)
            .limit(CHUNK),
            dialect,
        )
        self.streams = _Statement(
            select(
                streams.c.sample_id,
                streams.c.id,
                streams.c.name,
                streams.c.modality,
                streams.c.uri,
                streams.c.text,
                streams.c.media,
            )
            .where(streams.c.sample_id.in_(in_chunk))
            .order_by(streams.c.sample_id, streams.c.pk),
            dialect,
        )
        self.annotations = _Statement(
            select(
                annotations.c.sample_id,
                annotations.c.id,
                annotations.c.stream_id,
                annotations.c.label,
                annotations.c.geometry,
                annotations.c.attributes,
                annotations.c.revision,
                annotations.c.ontology_version,
                annotations.c.author,
                annotations.c.source,
                annotations.c.flags,
            )
            .where(annotations.c.sample_id.in_(in_chunk))
            .order_by(annotations.c.sample_id, annotations.c.pk),
            dialect,
        )
        self.entities = _Statement(
            select(
                entities.c.sample_id,
                entities.c.id,
                entities.c.label,
                entities.c.revision,
                entities.c.author,
            )
            .where(entities.c.sample_id.in_(in_chunk))
            .order_by(entities.c.sample_id, entities.c.pk),
            dialect,
        )
        self.members = _Statement(
            select(entity_members.c.entity_id, entity_members.c.annotation_id)
            .where(
                entity_members.c.entity_id.in_(
                    select(entities.c.id).where(entities.c.sample_id.in_(in_chunk))
                )
            )
            .order_by(entity_members.c.entity_id, entity_members.c.pk),
            dialect,
        )
        self.links = _Statement(
            select(
                links.c.sample_id,
                links.c.id,
                links.c.type,
                links.c.source_id,
                links.c.target_id,
                links.c.status,
                links.c.attributes,
                links.c.revision,
                links.c.source_revision,
                links.c.target_revision,
                links.c.author,
            )
            .where(links.c.sample_id.in_(in_chunk))
            .order_by(links.c.sample_id, links.c.pk),
            dialect,
        )


class _Chunk:
    """The records of a chunk of samples as JSON objects, grouped by sample id.

    Child rows come in (sample, pk) order, which the sample_id indexes give without a sort.
    """

    def __init__(
        self, connection: Connection, queries: _Queries, project_id: str, low: int, high: int
    ) -> None:
        chunk = {"project": project_id, "low": low, "high": high}
        self.streams: dict[str, list[JsonObject]] = defaultdict(list)
        self.annotations: dict[str, list[JsonObject]] = defaultdict(list)
        self.entities: dict[str, list[JsonObject]] = defaultdict(list)
        self.links: dict[str, list[JsonObject]] = defaultdict(list)
        for sample_id, ident, name, modality, uri, text, media in queries.streams.rows(
            connection, **chunk
        ):
            self.streams[sample_id].append(
                stream_object(
                    id=ident,
                    name=name,
                    modality=modality,
                    uri=uri,
                    text=text,
                    media=Fragment(media),
                )
            )
        annotation_rows = queries.annotations.rows(connection, **chunk)
        self.annotation_count = len(annotation_rows)
        for row in annotation_rows:
            self.annotations[row[0]].append(
                annotation_object(
                    id=row[1],
                    stream=row[2],
                    label=row[3],
                    geometry=Fragment(row[4]),
                    attributes=Fragment(row[5]),
                    revision=row[6],
                    ontology_version=row[7],
                    author=row[8],
                    source=Fragment(row[9]),
                    flags=Fragment(row[10]),
                )
            )
        entity_rows = queries.entities.rows(connection, **chunk)
        self.entity_count = len(entity_rows)
        members: dict[str, list[str]] = defaultdict(list)
        if entity_rows:
            for entity_id, annotation_id in queries.members.rows(connection, **chunk):
                members[entity_id].append(annotation_id)
        for sample_id, ident, label, revision, author in entity_rows:
            self.entities[sample_id].append(
                entity_object(
                    id=ident,
                    label=label,
                    members=members.get(ident, []),
                    revision=revision,
                    author=author,
                )
            )
        link_rows = queries.links.rows(connection, **chunk)
        self.link_count = len(link_rows)
        for row in link_rows:
            self.links[row[0]].append(
                link_object(
                    id=row[1],
                    type=row[2],
                    source=row[3],
                    target=row[4],
                    status=row[5],
                    attributes=Fragment(row[6]),
                    revision=row[7],
                    source_revision=row[8],
                    target_revision=row[9],
                    author=row[10],
                )
            )
