"""People and task slots: leasing the next task, submitting, releasing and reviewing it.

**Next task.** `next_task` gives a person the task they hold (a live lease, or a slot a
reviewer returned to them), or else leases them the waiting slot of highest priority, then
the oldest, in the stages asked for: an open one, or one whose lease expired (taken over).
Never a slot of a sample on which they hold or held another slot of that stage, never one
someone else holds with a live lease, never one of a sample that requires a skill they
lack (`rosetta.services.skills`; a skill the workflow tests counts once they passed its
qualification test). Instead of work they may get a slot on a gold sample: a training
task, a qualification test of a skill the work needs, or an audit sample mixed in
(`rosetta.services.gold_tasks`); such a slot is theirs until they submit it, and its
submit scores it instead of routing the sample. On PostgreSQL the candidate is read ``FOR UPDATE
SKIP LOCKED`` (two people asking at once get different slots) under an advisory lock per
person and project (one person asking twice at once gets one lease); on SQLite the
writers' lock of `write_transaction` runs one at a time. Submits, releases and reviews
lock the sample's row first, so the last two slots of a sample submitted at once route it
exactly once (`rosetta.services.task_routing`).

**Assignments.** The workflow keeps the assignments of the samples it queues: a lease
assigns the sample to its holder (``blind`` on an overlap slot, so peers never see each
other's work), and a release, or a takeover of an expired lease, takes it back when the
person holds no other slot of the sample.

Every transition is a ``task`` event (`rosetta.services.workflow`): a ``lease`` (its
``before`` names the previous holder of an expired lease; ``blind`` beside the task; the
task names its ``kind``), a ``submit`` (``work`` beside the task: the ids and revisions of
the holder's annotations, entities and links on the sample; on a gold slot its ``score``,
and a qualification slot's result after), a ``release``, a ``review`` (``decision`` beside it).
"""

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    Connection,
    Engine,
    Row,
    and_,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)

from rosetta.core.errors import NotFoundError, PermissionDenied, RuleViolation
from rosetta.core.policies import Access, holds_task
from rosetta.core.workflow import TaskKind, TaskStage, Workflow
from rosetta.services import gold_tasks, qualifications
from rosetta.services.skills import sample_skills_of
from rosetta.services.task_routing import finish, route_annotated, route_reviewed
from rosetta.services.workflow import TASKS, Step, Task, read_task, task_from, workflow_of
from rosetta.store.engine import write_transaction
from rosetta.store.events import Actor
from rosetta.store.tables import (
    annotations,
    assignments,
    entities,
    links,
    samples,
    tasks,
    user_skills,
)

#: What a reviewer decides about a review task.
ReviewDecision = Literal["accepted", "rejected"]

#: The longest reviewer's comment, in characters.
MAX_COMMENT = 2000


def next_task(
    engine: Engine, actor: Actor, access: Access, stages: Sequence[TaskStage]
) -> Task | None:
    """The task the person of `access` works on next, in one of `stages` (the caller
    checks they may work them): the one they hold, or else a slot leased to them now (see
    the module); ``None`` when nothing is waiting."""
    user_id = access.principal.user_id
    project_id = access.project_id
    with write_transaction(engine) as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(_lock_key(project_id, user_id))))
        now = time.time()
        held = connection.execute(
            TASKS.where(
                tasks.c.user_id == user_id,
                tasks.c.project_id == project_id,
                or_(
                    tasks.c.status == "returned",
                    and_(
                        tasks.c.status == "leased",
                        or_(tasks.c.lease_expires_at > now, tasks.c.kind != "work"),
                    ),
                ),
            )
            .order_by(tasks.c.priority.desc(), tasks.c.pk)
            .limit(1)
        ).first()
        if held is not None:
            return task_from(held)
        workflow = workflow_of(connection, project_id)
        step = Step(connection, actor, project_id, now)
        annotating = "annotate" in stages
        training = annotating and gold_tasks.training_sample(
            connection, workflow, project_id, user_id
        )
        if training:
            return _lease_gold(step, workflow, user_id, training, "training")
        skills = _skills(connection, workflow, project_id, user_id)
        testing = skills.testable if annotating else set()
        found = _waiting(
            connection, user_id, project_id, stages, now, skills=skills.held, testable=testing
        )
        if found is None:
            return None
        if found.stage == "annotate":
            return _instead_of_work(step, workflow, access, found, skills)
        return _lease(step, access, workflow, found)


@dataclass(frozen=True)
class _Skills:
    """A person's skills in a project: those they may work with (``held``: their skills,
    less those the workflow tests that they have not passed) and the tested ones they may
    still take a test of (``testable``)."""

    held: set[str]
    testable: set[str]


def _skills(connection: Connection, workflow: Workflow, project_id: str, user_id: str) -> _Skills:
    mine = set(
        connection.execute(select(user_skills.c.skill).where(user_skills.c.user_id == user_id))
        .scalars()
        .all()
    )
    if not workflow.qualifications:
        return _Skills(mine, set())
    status = qualifications.standing(connection, project_id, user_id)
    tested = {test.skill for test in workflow.qualifications}
    passed = {skill for skill in tested if status.get(skill) == "passed"}
    open_tests = [t for t in workflow.qualifications if status.get(t.skill, "pending") == "pending"]
    return _Skills(
        (mine - tested) | passed, gold_tasks.testable(connection, project_id, open_tests)
    )


def _instead_of_work(
    step: Step, workflow: Workflow, access: Access, found: Row[Any], skills: _Skills
) -> Task | None:
    """Lease the person the annotate slot `found`, unless they get a gold slot instead: a
    test of a skill it requires that they have not passed, or an audit sample mixed in."""
    connection = step.connection
    user_id = access.principal.user_id
    untested = (
        sorted(sample_skills_of(connection, found.sample_id) - skills.held)
        if skills.testable
        else []
    )
    if untested:
        test = gold_tasks.qualification_sample(connection, step.project_id, user_id, untested[0])
        if test is None:
            return None
        qualifications.start(connection, step.project_id, user_id, untested[0], step.now)
        return _lease_gold(step, workflow, user_id, test, "qualification")
    if gold_tasks.mixes_gold(connection, workflow, step.project_id, user_id):
        audit = gold_tasks.audit_sample(connection, step.project_id, user_id, skills.held)
        if audit is not None:
            return _lease_gold(step, workflow, user_id, audit, "gold")
    return _lease(step, access, workflow, found)


def _lease_gold(
    step: Step, workflow: Workflow, user_id: str, sample_id: str, kind: TaskKind
) -> Task:
    """Make and lease the person a slot of `kind` on the gold sample, assigned to them
    blind."""
    pk, hidden = gold_tasks.open_gold_slot(step, workflow, user_id, sample_id, kind)
    _assign(step, sample_id, user_id, blind=True)
    after = read_task(step.connection, pk)
    seen = "hidden" if hidden else "shown"
    step.record("lease", None, after, extra={"blind": True, "candidates": seen})
    return after


def _lock_key(project_id: str, user_id: str) -> int:
    """The PostgreSQL advisory lock of one person's leases in one project."""
    digest = hashlib.blake2b(f"tasks\x00{project_id}\x00{user_id}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def _waiting(
    connection: Connection,
    user_id: str,
    project_id: str,
    stages: Sequence[TaskStage],
    now: float,
    *,
    skills: set[str],
    testable: set[str],
) -> Row[Any] | None:
    """The waiting work slot of highest priority, then the oldest, in `stages` that the
    user may take: open, or leased with an expired lease, of no sample on which the user
    holds or held another slot of the stage, and of a sample requiring no skill beyond
    `skills` (and `testable` ones, on annotate slots). Each stage and way of waiting is one
    probe of the index ``ix_tasks_next``; the skills a probe of ``sample_skills``."""
    other = tasks.alias("other")
    theirs = exists().where(
        other.c.sample_id == tasks.c.sample_id,
        other.c.stage == tasks.c.stage,
        other.c.user_id == user_id,
        other.c.pk != tasks.c.pk,
    )
    best: Row[Any] | None = None
    for stage in stages:
        for waiting in (
            tasks.c.status == "open",
            and_(tasks.c.status == "leased", tasks.c.lease_expires_at <= now),
        ):
            usable = skills | testable if stage == "annotate" else skills
            query = (
                select(tasks)
                .where(
                    tasks.c.project_id == project_id,
                    tasks.c.stage == stage,
                    waiting,
                    tasks.c.kind == "work",
                    ~theirs,
                    ~gold_tasks.missing_skill(tasks.c.sample_id, usable),
                )
                .order_by(tasks.c.priority.desc(), tasks.c.pk)
                .limit(1)
            )
            if connection.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True, of=tasks)
            row = connection.execute(query).first()
            if row is not None and (
                best is None or (-row.priority, row.pk) < (-best.priority, best.pk)
            ):
                best = row
    return best


def _lease(step: Step, access: Access, workflow: Workflow, row: Row[Any]) -> Task:
    """Lease the slot `row` to the person of `access`, assign them its sample, and take it
    back from the holder of an expired lease."""
    connection = step.connection
    before = read_task(connection, row.pk)
    user_id = access.principal.user_id
    connection.execute(
        update(tasks)
        .where(tasks.c.pk == row.pk)
        .values(
            status="leased",
            user_id=user_id,
            lease_expires_at=step.now + workflow.lease_seconds(row.stage),
            updated_at=step.now,
        )
    )
    if row.user_id is not None and row.user_id != user_id:
        _unassign_if_idle(connection, row.sample_id, row.user_id)
    blind = row.stage == "annotate" and _slots(connection, row.sample_id, "annotate") > 1
    _assign(step, row.sample_id, user_id, blind=blind)
    after = read_task(connection, row.pk)
    note = None if before.status == "open" else f"the lease of {before.user!r} had expired"
    candidates = "hidden" if row.candidates_hidden else "shown"
    step.record("lease", before, after, extra={"blind": blind, "candidates": candidates}, note=note)
    return after


def _slots(connection: Connection, sample_id: str, stage: TaskStage) -> int:
    return int(
        connection.execute(
            select(func.count()).where(tasks.c.sample_id == sample_id, tasks.c.stage == stage)
        ).scalar_one()
    )


def _assign(step: Step, sample_id: str, user_id: str, *, blind: bool) -> None:
    """Assign the sample to the user (``blind`` on an overlap slot; an assignment they
    have already is made blind when needed, never less blind)."""
    mine = and_(assignments.c.sample_id == sample_id, assignments.c.user_id == user_id)
    current = step.connection.execute(select(assignments.c.blind).where(mine)).first()
    if current is None:
        step.connection.execute(
            insert(assignments).values(
                project_id=step.project_id,
                sample_id=sample_id,
                user_id=user_id,
                blind=blind,
                created_at=step.now,
            )
        )
    elif blind and not current.blind:
        step.connection.execute(update(assignments).where(mine).values(blind=True))


def _unassign_if_idle(connection: Connection, sample_id: str, user_id: str) -> None:
    """Take the sample back from the user unless they hold another slot of it."""
    holds = connection.execute(
        select(tasks.c.pk).where(tasks.c.sample_id == sample_id, tasks.c.user_id == user_id)
    ).first()
    if holds is None:
        _unassign(connection, sample_id, user_id)


def _unassign(connection: Connection, sample_id: str, user_id: str) -> None:
    connection.execute(
        delete(assignments).where(
            assignments.c.sample_id == sample_id, assignments.c.user_id == user_id
        )
    )


def submit_task(engine: Engine, actor: Actor, access: Access, task_id: str) -> Task:
    """Hand in the work of an annotate or adjudicate task the person of `access` holds
    (while their lease is live, or expired but not yet taken over; or returned to them),
    routing its sample on when it was the last of its stage; the task after. A gold,
    training or qualification slot is scored instead, and done (`gold_tasks.score_slot`).
    Submitting a submitted task again is a no-op, so a retry is harmless."""
    with write_transaction(engine) as connection:
        row = _held(connection, access, task_id, "submit")
        if row.stage == "review":
            detail = "a review task is decided with review"
            raise RuleViolation(f"task {task_id!r}", "stage", "task-review", detail)
        if row.status in ("submitted", "done"):
            return task_from(row)
        _expect_status(row, ("leased", "returned"), "submit")
        step = Step(connection, actor, access.project_id, time.time())
        gold = row.kind != "work"
        connection.execute(
            update(tasks)
            .where(tasks.c.pk == row.pk)
            .values(
                status="done" if gold else "submitted", lease_expires_at=None, updated_at=step.now
            )
        )
        extra: dict[str, Any] = {
            "work": _work_ids(connection, row.sample_id, access.principal.name)
        }
        if gold:
            extra |= gold_tasks.score_slot(step, row, access.principal.name)
        step.record("submit", task_from(row), read_task(connection, row.pk), extra=extra)
        if row.stage == "annotate" and not gold:
            route_annotated(step, row.sample_id, priority=row.priority)
        elif not gold:
            finish(step, row.sample_id)
        return read_task(connection, row.pk)


def release_task(engine: Engine, actor: Actor, access: Access, task_id: str) -> Task:
    """Give a leased task the person of `access` holds back to the queue (its sample's
    assignment with it); the task after. A returned task is theirs to fix, not to
    release; a training or qualification task theirs until they submit it. An audit gold
    slot, which its holder must not tell from work, is released too: it ends unscored
    (``done``, still theirs, so that sample is not given to them again)."""
    with write_transaction(engine) as connection:
        row = _held(connection, access, task_id, "release")
        if row.kind in ("training", "qualification"):
            detail = f"a {row.kind} task is the holder's until they submit it"
            raise RuleViolation(f"task {task_id!r}", "kind", "task-kind", detail)
        _expect_status(row, ("leased",), "release")
        step = Step(connection, actor, access.project_id, time.time())
        given_back = (
            {"status": "open", "user_id": None}
            if row.kind == "work"
            else {"status": "done", "user_id": row.user_id}
        )
        connection.execute(
            update(tasks)
            .where(tasks.c.pk == row.pk)
            .values(**given_back, lease_expires_at=None, updated_at=step.now)
        )
        if row.kind == "work":
            _unassign_if_idle(connection, row.sample_id, row.user_id)
        else:  # the gold sample leaves their list, as a released sample does
            _unassign(connection, row.sample_id, row.user_id)
        after = read_task(connection, row.pk)
        step.record("release", task_from(row), after)
        return after


def review_task(
    engine: Engine,
    actor: Actor,
    access: Access,
    task_id: str,
    *,
    decision: ReviewDecision,
    comment: str | None = None,
) -> Task:
    """Decide a review task the person of `access` holds (`task_routing.route_reviewed`):
    ``accepted`` finishes the sample or opens its second review; ``rejected`` (with a
    `comment` saying what to fix) returns its annotate slots to their own annotators with
    the comment. The task after; deciding a decided task again is a no-op."""
    _check_decision(f"task {task_id!r}", decision, comment)
    with write_transaction(engine) as connection:
        row = _held(connection, access, task_id, "review")
        if row.stage != "review":
            detail = f"a {row.stage} task is handed in with submit"
            raise RuleViolation(f"task {task_id!r}", "stage", "task-not-review", detail)
        if row.status == "done":
            return task_from(row)
        _expect_status(row, ("leased",), "review")
        step = Step(connection, actor, access.project_id, time.time())
        connection.execute(
            update(tasks)
            .where(tasks.c.pk == row.pk)
            .values(status="done", lease_expires_at=None, comment=comment, updated_at=step.now)
        )
        after = read_task(connection, row.pk)
        step.record("review", task_from(row), after, extra={"decision": decision})
        route_reviewed(step, row, decision, comment or "")
        return read_task(connection, row.pk)


def _check_decision(obj: str, decision: str, comment: str | None) -> None:
    if decision not in ("accepted", "rejected"):
        detail = f"expected accepted or rejected, got {decision!r}"
        raise RuleViolation(obj, "decision", "review-decision", detail)
    if comment is not None and len(comment) > MAX_COMMENT:
        detail = f"expected at most {MAX_COMMENT} characters, got {len(comment)}"
        raise RuleViolation(obj, "comment", "review-comment", detail)
    if decision == "rejected" and not (comment or "").strip():
        detail = "a rejected sample goes back to its annotators: say what to fix"
        raise RuleViolation(obj, "comment", "review-comment", detail)


def _held(connection: Connection, access: Access, task_id: str, action: str) -> Row[Any]:
    """The task's row, locked after its sample's (PostgreSQL), if the person of `access`
    holds it: a `NotFoundError` when it is not in their project, a `PermissionDenied` when
    they do not hold it (a lease that expired may have gone to someone else)."""
    sample_id = connection.execute(
        select(tasks.c.sample_id).where(
            tasks.c.id == task_id, tasks.c.project_id == access.project_id
        )
    ).scalar_one_or_none()
    if sample_id is None:
        raise NotFoundError("task", task_id)
    # FOR NO KEY UPDATE: a lease running meanwhile inserts an assignment referring to the
    # sample (a KEY SHARE lock), which FOR UPDATE would deadlock with
    connection.execute(
        select(samples.c.pk).where(samples.c.id == sample_id).with_for_update(key_share=True)
    )
    row = connection.execute(TASKS.where(tasks.c.id == task_id).with_for_update(of=tasks)).one()
    if not holds_task(access, row.holder):
        raise PermissionDenied(action, f"task {task_id!r}, which is not yours (any more)")
    return row


def _expect_status(row: Row[Any], allowed: Sequence[str], action: str) -> None:
    if row.status not in allowed:
        detail = f"one may {action} a {' or '.join(allowed)} task; this one is {row.status}"
        raise RuleViolation(f"task {row.id!r}", "status", "task-status", detail)


def _work_ids(connection: Connection, sample_id: str, author: str) -> dict[str, dict[str, int]]:
    """The ids and revisions of `author`'s annotations, entities and links on the sample."""
    return {
        name: {
            row.id: row.revision
            for row in connection.execute(
                select(table.c.id, table.c.revision).where(
                    table.c.sample_id == sample_id, table.c.author == author
                )
            )
        }
        for name, table in (("annotations", annotations), ("entities", entities), ("links", links))
    }
