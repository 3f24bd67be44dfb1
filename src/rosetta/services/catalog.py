"""Read-side queries for browsing a project: pages of samples, a stream's media, an object's history."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, func, select

from rosetta.core.errors import NotFoundError
from rosetta.core.schema import Stream
from rosetta.store.events import Event, history
from rosetta.store.records import stream_from_row
from rosetta.store.tables import annotations, events, links, samples, streams


@dataclass(frozen=True)
class SampleSummary:
    """One sample in a listing: its ids, status, metadata and how much is drawn on it."""

    id: str
    external_id: str | None
    status: str
    metadata: dict[str, Any]
    modalities: list[str] = field(default_factory=list)
    annotations: int = 0
    links: int = 0
    stale_links: int = 0


@dataclass(frozen=True)
class SamplePage:
    """A page of a project's samples in insertion order; ``total`` counts them all."""

    total: int
    offset: int
    limit: int
    items: list[SampleSummary]


def _count_by_sample(
    connection: Connection, column: Any, sample_ids: Sequence[str], *where: Any
) -> dict[str, int]:
    rows = connection.execute(
        select(column, func.count()).where(column.in_(sample_ids), *where).group_by(column)
    )
    return {row[0]: int(row[1]) for row in rows}


def list_samples(
    connection: Connection, project_id: str, *, offset: int = 0, limit: int = 50
) -> SamplePage:
    """Samples ``offset`` … ``offset + limit`` of the project, with per-sample counts."""
    total = int(
        connection.execute(
            select(func.count()).select_from(samples).where(samples.c.project_id == project_id)
        ).scalar_one()
    )
    rows = connection.execute(
        select(samples)
        .where(samples.c.project_id == project_id)
        .order_by(samples.c.pk)
        .offset(offset)
        .limit(limit)
    ).all()
    ids = [row.id for row in rows]
    if not ids:
        return SamplePage(total=total, offset=offset, limit=limit, items=[])
    modalities: dict[str, list[str]] = {sample_id: [] for sample_id in ids}
    for row in connection.execute(
        select(streams.c.sample_id, streams.c.modality)
        .where(streams.c.sample_id.in_(ids))
        .order_by(streams.c.pk)
    ):
        modalities[row.sample_id].append(row.modality)
    annotation_counts = _count_by_sample(connection, annotations.c.sample_id, ids)
    link_counts = _count_by_sample(connection, links.c.sample_id, ids)
    stale_counts = _count_by_sample(connection, links.c.sample_id, ids, links.c.status == "stale")
    items = [
        SampleSummary(
            id=row.id,
            external_id=row.external_id,
            status=row.status,
            metadata=orjson.loads(row.metadata),
            modalities=modalities[row.id],
            annotations=annotation_counts.get(row.id, 0),
            links=link_counts.get(row.id, 0),
            stale_links=stale_counts.get(row.id, 0),
        )
        for row in rows
    ]
    return SamplePage(total=total, offset=offset, limit=limit, items=items)


def sample_project(connection: Connection, sample_id: str) -> str:
    """The id of the project sample `sample_id` belongs to."""
    project_id = connection.execute(
        select(samples.c.project_id).where(samples.c.id == sample_id)
    ).scalar_one_or_none()
    if project_id is None:
        raise NotFoundError("sample", sample_id)
    return str(project_id)


def find_stream(connection: Connection, stream_id: str) -> Stream:
    """The stream `stream_id`."""
    row = connection.execute(select(streams).where(streams.c.id == stream_id)).first()
    if row is None:
        raise NotFoundError("stream", stream_id)
    return stream_from_row(row)


def object_history(connection: Connection, object_id: str) -> list[Event]:
    """Every event about `object_id`, oldest first; `NotFoundError` when it has none."""
    found = history(connection, object_id)
    if not found:
        raise NotFoundError("object", object_id)
    return found


def sample_revision(connection: Connection, sample_id: str) -> int:
    """The sample's revision: the number of its newest event (0 before any), which grows
    with every change to it or anything on it. Whole-sample reads send it as their ETag
    and whole-sample writes expect it in ``If-Match``."""
    newest = connection.execute(
        select(func.max(events.c.pk)).where(events.c.sample_id == sample_id)
    ).scalar_one()
    return 0 if newest is None else int(newest)
