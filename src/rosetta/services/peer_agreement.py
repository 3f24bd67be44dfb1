"""Agreement with peers: on each overlap sample (more than one annotate slot of kind
``work`` handed in), each pair of its annotators' agreement
(`rosetta.core.workflow.agreement` of their annotations on it), counted for both of them,
split by whether the sample was in the blind-pass slice (``tasks.candidates_hidden``).

Overlap samples are streamed from one grouped query and handled `BATCH` at a time, with
their slots and annotations, so the work is bounded whatever the project's size. A pair counts for a
person when their own slot was last updated within the window.
"""

import itertools
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Row, case, func, select

from rosetta.core.geometry import GEOMETRY
from rosetta.core.schema import Annotation, Source
from rosetta.core.workflow import agreement
from rosetta.services.metric_scope import MetricScope, Tally
from rosetta.store.tables import annotations, tasks, users

#: Overlap samples read per batch.
BATCH = 500

_SOURCE = Source()
_NONE: dict[str, object] = {}

#: The statuses of an annotate slot whose work is handed in.
HANDED_IN = ("submitted", "done")

#: The conditions on `tasks` of handed-in annotate slots of kind ``work``.
HANDED_IN_WORK = (
    tasks.c.stage == "annotate",
    tasks.c.kind == "work",
    tasks.c.status.in_(HANDED_IN),
)


@dataclass
class PeerAgreement:
    """One person's agreement with their peers: over all pairs, per peer, and on blind
    (candidates hidden) and shown samples."""

    overall: Tally = field(default_factory=Tally)
    peers: defaultdict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    blind: Tally = field(default_factory=Tally)
    shown: Tally = field(default_factory=Tally)


@dataclass
class AgreementTotals:
    """Everyone's agreement: per person, and over the project's pairs (each counted
    once), all and on blind and shown samples."""

    people: defaultdict[str, PeerAgreement] = field(
        default_factory=lambda: defaultdict(PeerAgreement)
    )
    pairs: Tally = field(default_factory=Tally)
    blind: Tally = field(default_factory=Tally)
    shown: Tally = field(default_factory=Tally)


def peer_agreement(connection: Connection, scope: MetricScope) -> AgreementTotals:
    """The agreement of the scope's people (one person: only samples they worked on)."""
    found = AgreementTotals()
    for batch in _overlap_batches(connection, scope):
        slots = connection.execute(
            select(
                tasks.c.sample_id,
                tasks.c.candidates_hidden,
                tasks.c.updated_at,
                users.c.name,
            )
            .join(users, users.c.id == tasks.c.user_id)
            # by the sample ids alone (the slot index), not the project's whole listing
            .where(*HANDED_IN_WORK, tasks.c.sample_id.in_(batch))
            .order_by(tasks.c.sample_id, tasks.c.slot)
        ).all()
        work = _work(connection, batch, {slot.name for slot in slots})
        by_sample: defaultdict[str, list[Row[Any, Any, Any, Any]]] = defaultdict(list)
        for slot in slots:
            by_sample[slot.sample_id].append(slot)
        for sample_id, held in by_sample.items():
            _count(found, scope, held, work.get(sample_id, {}))
    return found


def _count(
    found: AgreementTotals,
    scope: MetricScope,
    held: Sequence[Row[Any, Any, Any, Any]],
    work: dict[str, list[Annotation]],
) -> None:
    for first, second in itertools.combinations(held, 2):
        score = agreement([work.get(first.name, []), work.get(second.name, [])])
        counted = False
        for me, peer in ((first, second), (second, first)):
            if scope.user is not None and me.name != scope.user:
                continue
            if not scope.covers(me.updated_at):
                continue
            counted = True
            person = found.people[me.name]
            person.overall.add(score)
            person.peers[peer.name].add(score)
            (person.blind if me.candidates_hidden else person.shown).add(score)
        if counted:
            found.pairs.add(score)
            (found.blind if first.candidates_hidden else found.shown).add(score)


def _overlap_batches(connection: Connection, scope: MetricScope) -> Iterator[list[str]]:
    """The ids of the scope's overlap samples, `BATCH` at a time, from one streamed
    query."""
    query = (
        select(tasks.c.sample_id)
        .where(tasks.c.project_id == scope.project_id, *HANDED_IN_WORK)
        .group_by(tasks.c.sample_id)
        .having(func.count() > 1)
    )
    if scope.user_id is not None:
        mine = case((tasks.c.user_id == scope.user_id, 1), else_=0)
        query = query.having(func.sum(mine) > 0)
    if scope.since is not None or scope.until is not None:
        recent = case((scope.within(tasks.c.updated_at), 1), else_=0)
        query = query.having(func.max(recent) == 1)
    result = connection.execution_options(yield_per=BATCH).execute(query)
    for partition in result.partitions():
        yield [row.sample_id for row in partition]


def _work(
    connection: Connection, sample_ids: Sequence[str], authors: Collection[str]
) -> dict[str, dict[str, list[Annotation]]]:
    """The annotations of the samples by `authors` (their slots' holders), by sample and
    author."""
    found: defaultdict[str, defaultdict[str, list[Annotation]]] = defaultdict(
        lambda: defaultdict(list)
    )
    rows = connection.execute(
        select(
            annotations.c.id,
            annotations.c.sample_id,
            annotations.c.stream_id,
            annotations.c.label,
            annotations.c.geometry,
            annotations.c.author,
        ).where(annotations.c.sample_id.in_(sample_ids), annotations.c.author.in_(authors))
    )
    for row in rows:
        # what `agreement` compares, the geometry parsed (every row was checked when written)
        found[row.sample_id][row.author].append(
            Annotation.model_construct(
                id=row.id,
                stream=row.stream_id,
                label=row.label,
                geometry=GEOMETRY.validate_json(row.geometry),
                author=row.author,
                # every field given: a default would cost pydantic a signature lookup
                attributes=_NONE,
                revision=1,
                ontology_version=None,
                source=_SOURCE,
                flags=[],
            )
        )
    return {sample: dict(work) for sample, work in found.items()}
