"""Pre-label acceptance and edit size: what people did with model candidates.

A **candidate** is an annotation whose ``source.kind`` is ``model`` (the source is set
when an annotation is made and never changed by edits). It counts for each person whose
annotate slot on its sample was handed in within the window and who saw candidates there
(``tasks.candidates_hidden`` false); a candidate deleted within the window counts, as
not accepted, for whoever deleted it (the ``delete`` event's actor). A candidate is
**accepted unchanged** while it is at its first revision, or while its class and geometry
are still its first (a person accepted it by a decision,
`rosetta.services.candidate_decisions`); else it was edited (or deleted), and its **edit
size** compares its first geometry (the ``before`` of its first ``update`` event) with its
geometry now (`rosetta.core.candidate_edits`, as decisions measure it):

- boxes, polygons and masks: the IoU distance ``1 - IoU`` (1 on another frame),
- text spans: the boundary shift ``|Δstart| + |Δend|`` in characters,
- intervals and transcript segments: the same in seconds.

Candidates are streamed, and their first revisions read `BATCH` at a time.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson
from sqlalchemy import Connection, func, select

from rosetta.core.candidate_edits import boundary_shift, region_iou
from rosetta.core.geometry import (
    GEOMETRY,
    Geometry,
    TextSpan,
)
from rosetta.services.metric_scope import MetricScope, Tally
from rosetta.services.visibility import from_model
from rosetta.store.tables import annotations, events, tasks, users

#: Edited candidates whose first revision is read per query.
BATCH = 500


@dataclass
class PrelabelEdits:
    """One person's candidates: how many, how many accepted unchanged, and the mean edit
    size of the edited ones by kind of geometry."""

    candidates: int = 0
    unchanged: int = 0
    iou_distance: Tally = field(default_factory=Tally)
    span_shift: Tally = field(default_factory=Tally)
    interval_shift: Tally = field(default_factory=Tally)

    def add_edit(self, first: Geometry, now: Geometry) -> None:
        """Count the edit of a candidate from geometry `first` to `now`."""
        overlap = region_iou(first, now)
        if overlap is not None:
            self.iou_distance.add(1.0 - overlap)
            return
        shift = boundary_shift(first, now)
        if shift is not None:
            (self.span_shift if isinstance(first, TextSpan) else self.interval_shift).add(shift)


def prelabel_edits(connection: Connection, scope: MetricScope) -> dict[str, PrelabelEdits]:
    """Each person's `PrelabelEdits` in the scope."""
    found: defaultdict[str, PrelabelEdits] = defaultdict(PrelabelEdits)
    query = (
        select(
            users.c.name,
            annotations.c.id,
            annotations.c.revision,
            annotations.c.label,
            annotations.c.geometry,
        )
        .select_from(
            tasks.join(users, users.c.id == tasks.c.user_id).join(
                annotations, annotations.c.sample_id == tasks.c.sample_id
            )
        )
        .where(
            tasks.c.project_id == scope.project_id,
            tasks.c.stage == "annotate",
            tasks.c.status.in_(("submitted", "done")),
            tasks.c.candidates_hidden.is_(False),
            scope.within(tasks.c.updated_at),
            from_model(annotations.c.source),
        )
        .order_by(annotations.c.pk)
    )
    if scope.user_id is not None:
        query = query.where(tasks.c.user_id == scope.user_id)
    edited: list[tuple[str, str, str, str]] = []
    for row in connection.execution_options(yield_per=BATCH).execute(query):
        person = found[row.name]
        person.candidates += 1
        if row.revision == 1:
            person.unchanged += 1
            continue
        edited.append((row.name, row.id, row.label, row.geometry))
        if len(edited) >= BATCH:
            _measure(connection, found, edited)
            edited = []
    _measure(connection, found, edited)
    _count_deleted(connection, scope, found)
    return dict(found)


def _measure(
    connection: Connection,
    found: dict[str, PrelabelEdits],
    edited: Sequence[tuple[str, str, str, str]],
) -> None:
    """Add the edit sizes of `edited` (person, annotation id, label and geometry now); one
    whose class and geometry are its first (accepted by a decision, or edited back) counts
    as unchanged."""
    if not edited:
        return
    # two queries, not one with a subquery: PostgreSQL would scan every event for it
    first = connection.execute(
        select(func.min(events.c.pk))
        .where(
            events.c.object_id.in_({ident for _, ident, _, _ in edited}),
            events.c.object_kind == "annotation",
            events.c.action == "update",
        )
        .group_by(events.c.object_id)
    ).scalars()
    befores = {
        row.object_id: row.before
        for row in connection.execute(
            select(events.c.object_id, events.c.before).where(events.c.pk.in_(list(first)))
        )
    }
    for person, ident, label, now in edited:
        before = befores.get(ident)
        if before is not None:
            first = orjson.loads(before)
            was, geometry = GEOMETRY.validate_python(first["geometry"]), GEOMETRY.validate_json(now)
            if was == geometry and first["label"] == label:
                found[person].unchanged += 1
            else:
                found[person].add_edit(was, geometry)


def _count_deleted(
    connection: Connection, scope: MetricScope, found: defaultdict[str, PrelabelEdits]
) -> None:
    """Count the candidates people deleted in the window (edited away)."""
    query = (
        select(events.c.actor, func.count())
        .where(
            events.c.project_id == scope.project_id,
            events.c.object_kind == "annotation",
            events.c.action == "delete",
            scope.within(events.c.at),
            from_model(events.c.before),
        )
        .group_by(events.c.actor)
    )
    if scope.user is not None:
        query = query.where(events.c.actor == scope.user)
    for actor, count in connection.execute(query):
        found[actor].candidates += int(count)
