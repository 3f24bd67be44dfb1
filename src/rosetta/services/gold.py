"""Gold samples: what each is used for, and the scores people got on them.

A manager marks a sample of the project gold for a use (``gold_uses``): ``audit`` (mixed
into the annotators' queues, `rosetta.core.workflow.GoldMixing`), ``training`` (a
newcomer's first tasks, `rosetta.core.workflow.Training`) or ``qualification`` (a test of
a skill, `rosetta.core.workflow.Qualification`). Marking sets the sample's ``gold`` flag
(its work is then the reference answer, which annotators never see) and writes the skills
its slots require under the workflow in force; unmarking its last use clears the flag. A
sample queued as work cannot be marked, and gold samples are never queued
(`rosetta.services.workflow.enqueue`). Each change is a ``gold`` event about the sample.

The slots people get on gold samples (`rosetta.services.gold_tasks`) keep their score and
its parts (``tasks.score``, ``tasks.score_detail``, `rosetta.core.gold_scoring`);
`gold_results` lists them for managers and reviewers.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from sqlalchemy import Connection, Engine, delete, insert, select, update

from rosetta.core.errors import NotFoundError, RuleViolation
from rosetta.core.workflow import TaskKind
from rosetta.services.catalog import decode_cursor, encode_cursor
from rosetta.services.skills import write_sample_skills
from rosetta.services.workflow import current_workflow
from rosetta.store import events
from rosetta.store.engine import write_transaction
from rosetta.store.events import Actor
from rosetta.store.tables import gold_uses, samples, tasks, users

#: What a gold sample is used for.
GoldPurpose = Literal["audit", "training", "qualification"]

#: The kinds of task slot people get on gold samples.
GOLD_KINDS: tuple[TaskKind, ...] = ("gold", "training", "qualification")


@dataclass(frozen=True)
class GoldUse:
    """A use of a gold sample (`skill`: the skill a qualification sample tests), since
    when (seconds since the epoch)."""

    sample: str
    purpose: GoldPurpose
    skill: str | None
    created_at: float


@dataclass(frozen=True)
class GoldUsePage:
    """A page of a project's gold uses in the order they were made; ``next_cursor`` is
    ``None`` on the last."""

    items: list[GoldUse]
    next_cursor: str | None


@dataclass(frozen=True)
class GoldResult:
    """One person's scored slot on a gold sample: its task, kind, sample, who, the score
    (0 to 1) and its parts (`rosetta.core.gold_scoring`), when it was handed in."""

    task: str
    kind: TaskKind
    sample: str
    user: str
    score: float
    detail: dict[str, Any]
    submitted_at: float


@dataclass(frozen=True)
class GoldResultPage:
    """A page of scored gold slots in the order they were made."""

    items: list[GoldResult]
    next_cursor: str | None


def _use(row: Any) -> GoldUse:
    return GoldUse(row.sample_id, row.purpose, row.skill, row.created_at)


def mark_gold(
    engine: Engine,
    actor: Actor,
    project_id: str,
    sample_id: str,
    purpose: GoldPurpose,
    *,
    skill: str | None = None,
) -> GoldUse:
    """Use the project's sample as gold for `purpose` (``qualification`` names the
    `skill` it tests; the others none); marking it again changes the skill."""
    obj = f"sample {sample_id!r}"
    if (purpose == "qualification") != (skill is not None):
        detail = "a qualification sample names the skill it tests; other uses name none"
        raise RuleViolation(obj, "skill", "gold-skill", detail)
    with write_transaction(engine) as connection:
        found = connection.execute(
            select(samples.c.pk)
            .where(samples.c.id == sample_id, samples.c.project_id == project_id)
            .with_for_update(key_share=True)
        ).first()
        if found is None:
            raise NotFoundError("sample", sample_id)
        queued = connection.execute(
            select(tasks.c.pk).where(tasks.c.sample_id == sample_id, tasks.c.kind == "work")
        ).first()
        if queued is not None:
            detail = "the sample is queued as work; gold samples hold reference answers"
            raise RuleViolation(obj, "gold", "gold-queued", detail)
        mine = (gold_uses.c.sample_id == sample_id, gold_uses.c.purpose == purpose)
        before = connection.execute(select(gold_uses).where(*mine)).first()
        now = time.time()
        if before is None:
            connection.execute(
                insert(gold_uses).values(
                    project_id=project_id,
                    sample_id=sample_id,
                    purpose=purpose,
                    skill=skill,
                    created_at=now,
                )
            )
        else:
            connection.execute(update(gold_uses).where(*mine).values(skill=skill))
        connection.execute(update(samples).where(samples.c.id == sample_id).values(gold=True))
        version = current_workflow(connection, project_id)
        if version is not None:
            write_sample_skills(connection, version.workflow.skills, [sample_id])
        after = _use(connection.execute(select(gold_uses).where(*mine)).one())
        _record(connection, actor, project_id, sample_id, (before, after), now=now)
        return after


def unmark_gold(
    engine: Engine, actor: Actor, project_id: str, sample_id: str, purpose: GoldPurpose
) -> None:
    """Stop using the sample as gold for `purpose` (nothing to do when it was not); with
    its last use gone it is no gold sample any more."""
    with write_transaction(engine) as connection:
        mine = (
            gold_uses.c.project_id == project_id,
            gold_uses.c.sample_id == sample_id,
            gold_uses.c.purpose == purpose,
        )
        before = connection.execute(select(gold_uses).where(*mine)).first()
        if before is None:
            return
        connection.execute(delete(gold_uses).where(*mine))
        left = connection.execute(
            select(gold_uses.c.pk).where(gold_uses.c.sample_id == sample_id)
        ).first()
        if left is None:
            connection.execute(update(samples).where(samples.c.id == sample_id).values(gold=False))
        _record(connection, actor, project_id, sample_id, (before, None), now=time.time())


def _record(
    connection: Connection,
    actor: Actor,
    project_id: str,
    sample_id: str,
    change: tuple[Any, GoldUse | None],
    *,
    now: float,
) -> None:
    before, after = change
    action = "delete" if after is None else "create" if before is None else "update"
    events.record(
        connection,
        [
            events.event_row(
                project_id,
                actor,
                "gold",
                sample_id,
                action,
                before=None if before is None else _use(before).__dict__,
                after=None if after is None else after.__dict__,
                at=now,
            )
        ],
    )


def list_gold(
    connection: Connection,
    project_id: str,
    *,
    purpose: GoldPurpose | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> GoldUsePage:
    """A page of the project's gold uses after `cursor` (of `purpose`, or all)."""
    query = select(gold_uses).where(
        gold_uses.c.project_id == project_id, gold_uses.c.pk > decode_cursor("gold", cursor)
    )
    if purpose is not None:
        query = query.where(gold_uses.c.purpose == purpose)
    rows = connection.execute(query.order_by(gold_uses.c.pk).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return GoldUsePage(
        items=[_use(row) for row in rows],
        next_cursor=encode_cursor("gold", rows[-1].pk) if more else None,
    )


def gold_results(
    connection: Connection,
    project_id: str,
    *,
    kinds: Sequence[TaskKind] = GOLD_KINDS,
    user_id: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> GoldResultPage:
    """A page of the project's scored gold slots after `cursor`, of `kinds`, of the user
    `user_id` (or everyone's), in the order the slots were made."""
    query = (
        select(tasks, users.c.name.label("holder"))
        .select_from(tasks.join(users, users.c.id == tasks.c.user_id))
        .where(
            tasks.c.project_id == project_id,
            tasks.c.kind.in_(kinds),
            tasks.c.score.is_not(None),
            tasks.c.pk > decode_cursor("gold-results", cursor),
        )
    )
    if user_id is not None:
        query = query.where(tasks.c.user_id == user_id)
    rows = connection.execute(query.order_by(tasks.c.pk).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return GoldResultPage(
        items=[
            GoldResult(
                task=row.id,
                kind=row.kind,
                sample=row.sample_id,
                user=row.holder,
                score=row.score,
                detail=orjson.loads(row.score_detail),
                submitted_at=row.updated_at,
            )
            for row in rows
        ],
        next_cursor=encode_cursor("gold-results", rows[-1].pk) if more else None,
    )
