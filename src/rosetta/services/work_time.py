"""Throughput from the ``task`` events: how many tasks each person handed in, over how
much active time, and when.

A **work span** runs from a ``lease`` of a task (or a ``return`` of it to its holder) to
the next event of the same task when that is its holder handing it in (``submit``,
``review``) or giving it back (``release``); a lease that expired and went to someone
else counts no time (no one knows whether it was worked). Each span is capped at `cap`
seconds (the workflow's longest lease), cut to the window, and a person's overlapping
spans are merged, so two tasks held at once count their time once. **Active time** is
the length of the merged spans; **tasks per hour** is the tasks handed in within the
window over the active hours.

One query reads the spans, paired by the database (``LEAD`` over each task's events) and
sorted by person and start, and streams them; nothing per task is kept.
"""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from rosetta.services.metric_scope import MetricScope
from rosetta.store.tables import events

#: What starts a work span, what ends one, and which ends hand a task in.
STARTS = ("lease", "return")
ENDS = ("submit", "review", "release")
HANDED_IN = ("submit", "review")


@dataclass
class WorkTime:
    """One person's throughput: tasks handed in, active seconds, and tasks handed in per
    bucket (bucket start → count)."""

    handed_in: int = 0
    active_seconds: float = 0.0
    series: Counter[float] = field(default_factory=Counter)


def work_time(
    connection: Connection, scope: MetricScope, *, cap: float, bucket: float
) -> dict[str, WorkTime]:
    """Each person's `WorkTime` in the scope, spans capped at `cap` seconds, tasks handed
    in counted per `bucket` seconds (buckets start at multiples of it)."""
    found: dict[str, WorkTime] = {}
    person: str | None = None
    merged: tuple[float, float] | None = None
    tally = WorkTime()
    for who, begin, finish, action in _spans(connection, scope):
        if who != person:
            _close(found, person, merged)
            person, merged = who, None
            tally = found.setdefault(who, WorkTime())
        if action in HANDED_IN and scope.covers(finish):
            tally.handed_in += 1
            tally.series[finish // bucket * bucket] += 1
        start, end = scope.clip(begin, min(finish, begin + cap))
        if end <= start:
            continue
        if merged is not None and start <= merged[1]:
            merged = (merged[0], max(merged[1], end))
        else:
            _close(found, person, merged)
            merged = (start, end)
    _close(found, person, merged)
    return found


def _close(
    found: dict[str, WorkTime], person: str | None, merged: tuple[float, float] | None
) -> None:
    if person is not None and merged is not None:
        found[person].active_seconds += merged[1] - merged[0]


def _spans(connection: Connection, scope: MetricScope) -> Iterator[tuple[str, float, float, str]]:
    """The work spans (person, start, end, what ended it) of the scope's people that touch
    its window, by person and start."""
    paired = (
        select(
            events.c.action,
            events.c.at,
            func.lead(events.c.action)
            .over(partition_by=events.c.object_id, order_by=events.c.pk)
            .label("end_action"),
            func.lead(events.c.at)
            .over(partition_by=events.c.object_id, order_by=events.c.pk)
            .label("end_at"),
            func.lead(events.c.actor)
            .over(partition_by=events.c.object_id, order_by=events.c.pk)
            .label("person"),
        )
        .where(
            events.c.project_id == scope.project_id,
            events.c.object_kind == "task",
            events.c.action.in_(STARTS + ENDS),
        )
        .subquery()
    )
    query = select(paired).where(paired.c.action.in_(STARTS), paired.c.end_action.in_(ENDS))
    if scope.since is not None:
        query = query.where(paired.c.end_at >= scope.since)
    if scope.until is not None:
        query = query.where(paired.c.at <= scope.until)
    if scope.user is not None:
        query = query.where(paired.c.person == scope.user)
    rows = connection.execution_options(yield_per=2000).execute(
        query.order_by(paired.c.person, paired.c.at)
    )
    for row in rows:
        yield row.person, row.at, row.end_at, row.end_action
