"""Qualification tests (`rosetta.core.workflow.Qualification`): a person's standing on a
project's test of a skill, and scoring it as they hand in test samples.

A person's first qualification slot of a skill (`rosetta.services.gold_tasks`) opens their
result (``qualifications``: ``pending``, attempt 1). Each attempt is `Qualification.tests`
scored test samples; the result's score is the mean of the attempt's scores so far. When an
attempt is complete, a mean of at least `Qualification.pass_score` passes (and grants the
person the skill, ``source`` ``qualification``); a lower one starts the next attempt while
`Qualification.attempts` allow, else fails. A person who passed, or failed for good, gets
no more tests of the skill.
"""

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, and_, insert, select, update

from rosetta.core.workflow import Qualification
from rosetta.services.skills import grant
from rosetta.store.tables import gold_uses, qualifications, tasks, users

#: A person's standing on a qualification test.
QualificationStatus = Literal["pending", "passed", "failed"]


@dataclass(frozen=True)
class QualificationResult:
    """A person's result on a project's test of `skill`: its status, the mean score of
    the current (or last) attempt so far, the number of that attempt, when it last
    changed (seconds since the epoch)."""

    user: str
    skill: str
    status: QualificationStatus
    score: float | None
    attempts: int
    updated_at: float


_RESULTS = select(qualifications, users.c.name.label("holder")).select_from(
    qualifications.join(users, users.c.id == qualifications.c.user_id)
)


def _result(row: Any) -> QualificationResult:
    return QualificationResult(
        user=row.holder,
        skill=row.skill,
        status=row.status,
        score=row.score,
        attempts=row.attempts,
        updated_at=row.updated_at,
    )


def results(
    connection: Connection, project_id: str, *, user_id: str | None = None
) -> list[QualificationResult]:
    """The project's qualification results (of one user, or all), by user then skill."""
    query = _RESULTS.where(qualifications.c.project_id == project_id)
    if user_id is not None:
        query = query.where(qualifications.c.user_id == user_id)
    rows = connection.execute(query.order_by(users.c.name, qualifications.c.skill))
    return [_result(row) for row in rows]


def standing(connection: Connection, project_id: str, user_id: str) -> dict[str, str]:
    """The person's status on each of the project's tests they started (skill → status)."""
    rows = connection.execute(
        select(qualifications.c.skill, qualifications.c.status).where(
            qualifications.c.project_id == project_id, qualifications.c.user_id == user_id
        )
    )
    return {row.skill: row.status for row in rows}


def start(connection: Connection, project_id: str, user_id: str, skill: str, now: float) -> None:
    """Open the person's result on the test of `skill` (nothing when it is open)."""
    mine = _mine(project_id, user_id, skill)
    if connection.execute(select(qualifications.c.pk).where(mine)).first() is None:
        connection.execute(
            insert(qualifications).values(
                project_id=project_id,
                user_id=user_id,
                skill=skill,
                status="pending",
                score=None,
                attempts=1,
                updated_at=now,
            )
        )


def record_score(
    connection: Connection, project_id: str, user_id: str, test: Qualification, now: float
) -> QualificationResult:
    """Update the person's result on `test` after a test sample of theirs was scored (see
    the module); the result after."""
    mine = _mine(project_id, user_id, test.skill)
    row = connection.execute(select(qualifications).where(mine)).one()
    scores = list(
        connection.execute(
            select(tasks.c.score)
            .select_from(
                tasks.join(
                    gold_uses,
                    and_(
                        gold_uses.c.sample_id == tasks.c.sample_id,
                        gold_uses.c.purpose == "qualification",
                    ),
                )
            )
            .where(
                tasks.c.user_id == user_id,
                tasks.c.project_id == project_id,
                tasks.c.kind == "qualification",
                tasks.c.score.is_not(None),
                gold_uses.c.skill == test.skill,
            )
            .order_by(tasks.c.pk)
        ).scalars()
    )
    # the attempt's scores: those after the earlier attempts' tests
    current = scores[(row.attempts - 1) * test.tests :]
    mean = sum(current) / len(current) if current else None
    values: dict[str, Any] = {"score": mean, "updated_at": now}
    if mean is not None and len(current) >= test.tests:
        if mean >= test.pass_score:
            values["status"] = "passed"
            grant(connection, user_id, test.skill, f"qualification:{project_id}", now)
        elif row.attempts < test.attempts:
            values["attempts"] = row.attempts + 1
        else:
            values["status"] = "failed"
    connection.execute(update(qualifications).where(mine).values(**values))
    return _result(connection.execute(_RESULTS.where(mine)).one())


def _mine(project_id: str, user_id: str, skill: str) -> Any:
    return and_(
        qualifications.c.project_id == project_id,
        qualifications.c.user_id == user_id,
        qualifications.c.skill == skill,
    )
