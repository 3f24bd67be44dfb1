"""Conversions between schema records and table rows, and loading whole samples."""

from collections.abc import Collection, Sequence
from functools import cache
from typing import Any

import orjson
from sqlalchemy import Connection, Row, Select, Table, bindparam, select

from rosetta.core.errors import NotFoundError
from rosetta.core.preference import Candidate, Judgement
from rosetta.core.schema import Annotation, Entity, Link, Sample, Stream
from rosetta.store.direct import Prepared
from rosetta.store.events import dumps
from rosetta.store.id_lists import among
from rosetta.store.tables import (
    annotations,
    candidates,
    entities,
    entity_members,
    judgements,
    links,
    samples,
    streams,
)


def sample_row(sample: Sample, project_id: str) -> dict[str, Any]:
    """The samples row of `sample`."""
    return {
        "id": sample.id,
        "project_id": project_id,
        "external_id": sample.external_id,
        "status": sample.status,
        "metadata": dumps(sample.metadata),
        "ego_poses": _optional_json(
            [pose.model_dump(exclude_none=True) for pose in sample.ego_poses] or None
        ),
    }


def stream_row(stream: Stream, sample_id: str) -> dict[str, Any]:
    """The streams row of `stream`."""
    return {
        "id": stream.id,
        "sample_id": sample_id,
        "name": stream.name,
        "modality": stream.modality.value,
        "uri": stream.uri,
        "text": stream.text,
        "media": dumps(stream.media.model_dump(exclude_none=True)),
        "clock": _optional_json(stream.clock and stream.clock.model_dump(exclude_none=True)),
        "sensor": _optional_json(stream.sensor and stream.sensor.model_dump(exclude_none=True)),
    }


def _optional_json(value: Any) -> str | None:
    return None if value is None else dumps(value)


def annotation_row(annotation: Annotation, project_id: str, sample_id: str) -> dict[str, Any]:
    """The annotations row of `annotation`."""
    return {
        "id": annotation.id,
        "project_id": project_id,
        "sample_id": sample_id,
        "stream_id": annotation.stream,
        "label": annotation.label,
        "geometry": dumps(annotation.geometry.model_dump(exclude_none=True)),
        "attributes": dumps(annotation.attributes),
        "revision": annotation.revision,
        "ontology_version": annotation.ontology_version,
        "author": annotation.author,
        "source": dumps(annotation.source.model_dump(exclude_none=True)),
        "flags": dumps(annotation.flags),
    }


def entity_row(entity: Entity, project_id: str, sample_id: str) -> dict[str, Any]:
    """The entities row of `entity` (members go to `member_rows`)."""
    return {
        "id": entity.id,
        "project_id": project_id,
        "sample_id": sample_id,
        "label": entity.label,
        "revision": entity.revision,
        "author": entity.author,
    }


def member_rows(entity: Entity) -> list[dict[str, Any]]:
    """The entity_members rows of `entity`, in member order."""
    return [{"entity_id": entity.id, "annotation_id": member} for member in entity.members]


def link_row(link: Link, project_id: str, sample_id: str) -> dict[str, Any]:
    """The links row of `link`."""
    return {
        "id": link.id,
        "project_id": project_id,
        "sample_id": sample_id,
        "type": link.type,
        "source_id": link.source,
        "target_id": link.target,
        "status": link.status,
        "attributes": dumps(link.attributes),
        "revision": link.revision,
        "source_revision": link.source_revision,
        "target_revision": link.target_revision,
        "author": link.author,
    }


def candidate_row(
    candidate: Candidate, project_id: str, sample_id: str, position: int
) -> dict[str, Any]:
    """The candidates row of `candidate`, the `position`-th of its sample."""
    return {
        "id": candidate.id,
        "project_id": project_id,
        "sample_id": sample_id,
        "position": position,
        "model": candidate.model,
        "model_version": candidate.model_version,
        "streams": dumps(candidate.streams),
        "metadata": dumps(candidate.metadata),
    }


def judgement_row(
    judgement: Judgement,
    project_id: str,
    sample_id: str,
    *,
    task_id: str | None = None,
    at: float,
) -> dict[str, Any]:
    """The judgements row of `judgement`, made (and last changed) at `at`."""
    return {
        "id": judgement.id,
        "project_id": project_id,
        "sample_id": sample_id,
        "author": judgement.author,
        "task_id": task_id,
        "presented": dumps(judgement.presented),
        "pairs": dumps([pair.model_dump(exclude_none=True) for pair in judgement.pairs]),
        "ranking": dumps(judgement.ranking),
        "scores": dumps([score.model_dump() for score in judgement.scores]),
        "rationale": judgement.rationale,
        "revision": judgement.revision,
        "created_at": at,
        "updated_at": at,
    }


def candidate_from_row(row: Row[Any]) -> Candidate:
    """The record of a candidates row."""
    return Candidate(
        id=row.id,
        model=row.model,
        model_version=row.model_version,
        streams=orjson.loads(row.streams),
        metadata=orjson.loads(row.metadata),
    )


def judgement_from_row(row: Row[Any]) -> Judgement:
    """The record of a judgements row."""
    return Judgement.model_validate(
        {
            "id": row.id,
            "author": row.author,
            "presented": orjson.loads(row.presented),
            "pairs": orjson.loads(row.pairs),
            "ranking": orjson.loads(row.ranking),
            "scores": orjson.loads(row.scores),
            "rationale": row.rationale,
            "revision": row.revision,
        }
    )


#: The candidates of the sample ``:sample_id``, in order.
SAMPLE_CANDIDATES = (
    select(candidates)
    .where(candidates.c.sample_id == bindparam("sample_id"))
    .order_by(candidates.c.position)
)


def annotation_from_row(row: Row[Any]) -> Annotation:
    """The record of an annotations row."""
    return Annotation.model_validate(
        {
            "id": row.id,
            "stream": row.stream_id,
            "label": row.label,
            "geometry": orjson.loads(row.geometry),
            "attributes": orjson.loads(row.attributes),
            "revision": row.revision,
            "ontology_version": row.ontology_version,
            "author": row.author,
            "source": orjson.loads(row.source),
            "flags": orjson.loads(row.flags),
        }
    )


def stream_from_row(row: Row[Any]) -> Stream:
    """The record of a streams row."""
    return Stream.model_validate(
        {
            "id": row.id,
            "name": row.name,
            "modality": row.modality,
            "uri": row.uri,
            "text": row.text,
            "media": orjson.loads(row.media),
            "clock": _optional_loads(row.clock),
            "sensor": _optional_loads(row.sensor),
        }
    )


def _optional_loads(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


def link_from_row(row: Row[Any]) -> Link:
    """The record of a links row."""
    return Link(
        id=row.id,
        type=row.type,
        source=row.source_id,
        target=row.target_id,
        status=row.status,
        attributes=orjson.loads(row.attributes),
        revision=row.revision,
        source_revision=row.source_revision,
        target_revision=row.target_revision,
        author=row.author,
    )


def entity_from_row(row: Row[Any], members: Sequence[str]) -> Entity:
    """The record of an entities row with its member ids."""
    return Entity(
        id=row.id, label=row.label, members=list(members), revision=row.revision, author=row.author
    )


_MEMBERS = Prepared(
    select(entity_members.c.entity_id, entity_members.c.annotation_id)
    .where(among(entity_members.c.entity_id, "entity_ids"))
    .order_by(entity_members.c.pk)
)


def members_of(connection: Connection, entity_ids: Collection[str]) -> dict[str, list[str]]:
    """The member annotation ids of each entity, in member order."""
    members: dict[str, list[str]] = {ident: [] for ident in entity_ids}
    if members:
        for member in _MEMBERS.rows(connection, {"entity_ids": list(members)}):
            members[member.entity_id].append(member.annotation_id)
    return members


@cache
def rows_of_sample(table: Table) -> Select[Any]:
    """Every row of `table` (one with ``sample_id`` and ``pk``) of the sample
    ``:sample_id``, in stored order: built once, so a request only binds the id."""
    return select(table).where(table.c.sample_id == bindparam("sample_id")).order_by(table.c.pk)


_SAMPLE = select(samples).where(samples.c.id == bindparam("sample_id"))


def _of_samples(table: Table) -> Select[Any]:
    """Every row of `table` of the samples ``:ids``, in stored order."""
    return select(table).where(among(table.c.sample_id, "ids")).order_by(table.c.pk)


_SAMPLES = select(samples).where(among(samples.c.id, "ids"))
_SAMPLE_STREAMS, _SAMPLE_ANNOTATIONS, _SAMPLE_ENTITIES, _SAMPLE_LINKS, _SAMPLE_JUDGEMENTS = (
    _of_samples(table) for table in (streams, annotations, entities, links, judgements)
)
_SAMPLE_CANDIDATES = (
    select(candidates)
    .where(among(candidates.c.sample_id, "ids"))
    .order_by(candidates.c.sample_id, candidates.c.position)
)


def load_samples(connection: Connection, sample_ids: Sequence[str]) -> list[Sample]:
    """The whole samples of `sample_ids` that exist, in that order, read with one query
    per table for them all (`load_sample` makes eight per sample)."""
    bound = {"ids": list(sample_ids)}
    heads = {row.id: row for row in connection.execute(_SAMPLES, bound)}
    parts: dict[str, dict[str, list[Any]]] = {
        ident: {
            "streams": [],
            "annotations": [],
            "entities": [],
            "links": [],
            "candidates": [],
            "judgements": [],
        }
        for ident in heads
    }
    for row in connection.execute(_SAMPLE_STREAMS, bound):
        parts[row.sample_id]["streams"].append(stream_from_row(row))
    for row in connection.execute(_SAMPLE_ANNOTATIONS, bound):
        parts[row.sample_id]["annotations"].append(annotation_from_row(row))
    entity_rows = connection.execute(_SAMPLE_ENTITIES, bound).all()
    members = members_of(connection, [row.id for row in entity_rows])
    for row in entity_rows:
        parts[row.sample_id]["entities"].append(entity_from_row(row, members[row.id]))
    for row in connection.execute(_SAMPLE_LINKS, bound):
        parts[row.sample_id]["links"].append(link_from_row(row))
    for row in connection.execute(_SAMPLE_CANDIDATES, bound):
        parts[row.sample_id]["candidates"].append(candidate_from_row(row))
    for row in connection.execute(_SAMPLE_JUDGEMENTS, bound):
        parts[row.sample_id]["judgements"].append(judgement_from_row(row))
    return [
        Sample(
            id=ident,
            external_id=heads[ident].external_id,
            status=heads[ident].status,
            metadata=orjson.loads(heads[ident].metadata),
            ego_poses=_optional_loads(heads[ident].ego_poses) or [],
            **parts[ident],
        )
        for ident in sample_ids
        if ident in heads
    ]


def load_sample(connection: Connection, sample_id: str) -> Sample:
    """The whole sample `sample_id` with its streams, annotations, entities, links,
    candidates and judgements."""
    bound = {"sample_id": sample_id}
    head = connection.execute(_SAMPLE, bound).first()
    if head is None:
        raise NotFoundError("sample", sample_id)
    stream_rows = connection.execute(rows_of_sample(streams), bound)
    annotation_rows = connection.execute(rows_of_sample(annotations), bound)
    entity_rows = connection.execute(rows_of_sample(entities), bound).all()
    members = members_of(connection, [row.id for row in entity_rows])
    link_rows = connection.execute(rows_of_sample(links), bound)
    return Sample(
        id=head.id,
        external_id=head.external_id,
        status=head.status,
        metadata=orjson.loads(head.metadata),
        ego_poses=_optional_loads(head.ego_poses) or [],
        streams=[stream_from_row(row) for row in stream_rows],
        annotations=[annotation_from_row(row) for row in annotation_rows],
        entities=[entity_from_row(row, members[row.id]) for row in entity_rows],
        links=[link_from_row(row) for row in link_rows],
        candidates=[
            candidate_from_row(row) for row in connection.execute(SAMPLE_CANDIDATES, bound)
        ],
        judgements=[
            judgement_from_row(row) for row in connection.execute(rows_of_sample(judgements), bound)
        ],
    )
