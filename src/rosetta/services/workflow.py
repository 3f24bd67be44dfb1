"""The workflow of a project: its versioned configuration (`rosetta.core.workflow`), its
task slots queued for samples, and reading them. Leasing, submitting, releasing and
reviewing tasks: `rosetta.services.task_leases`; routing a sample from stage to stage:
`rosetta.services.task_routing`.

**Events.** Every transition of a task is an event of object kind ``task`` about the
task's id (``create``, ``lease``, ``submit``, ``release``, ``review``, ``return``,
``route``, ``done``, and ``disagree`` when a second reviewer rejects what the first
accepted) whose ``before`` and ``after`` hold the task as `Task` (with what
the transition adds beside it, such as the work submitted). They carry no sample id: a
lease does not change the sample's revision, which an overlap peer's next save expects.
A workflow change is an event of object kind ``workflow`` about the project's id.
"""

import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from itertools import islice
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Row, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from rosetta.core.errors import NotFoundError, RuleViolation
from rosetta.core.policies import Access, knows_gold
from rosetta.core.workflow import (
    TaskKind,
    TaskStage,
    TaskStatus,
    Workflow,
    annotate_slots,
    candidates_hidden,
)
from rosetta.services.catalog import decode_cursor, encode_cursor
from rosetta.services.skills import write_sample_skills
from rosetta.store import events
from rosetta.store.engine import keyset_pages, write_transaction
from rosetta.store.events import Actor
from rosetta.store.tables import projects, samples, tasks, users, workflows

#: Samples queued per transaction by `enqueue`.
ENQUEUE_BATCH = 1000


@dataclass(frozen=True)
class WorkflowVersion:
    """One version of a project's workflow: who set it and when (seconds since the epoch)."""

    version: int
    workflow: Workflow
    actor: str
    created_at: float


@dataclass(frozen=True)
class Task:
    """One task slot: a sample's `slot` in `stage` (overlap annotators count from 0), its
    status, the name of the user who holds or held it, when their lease ends, its priority
    (higher first), the reviewer's comment on a returned slot; times in seconds since the
    epoch; its `kind` (`rosetta.core.workflow.TaskKind`)."""

    id: str
    project: str
    sample: str
    stage: TaskStage
    slot: int
    status: TaskStatus
    user: str | None
    lease_expires_at: float | None
    priority: float
    comment: str | None
    created_at: float
    updated_at: float
    kind: TaskKind = "work"
    #: a handed-in training task's score against the reference, 0 to 1, and the feedback
    #: (`rosetta.core.gold_scoring`); ``None`` on every other kind (gold scores are never
    #: told to the annotator)
    score: float | None = None
    feedback: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class TaskPage:
    """A page of a project's tasks in insertion order; ``next_cursor`` is ``None`` on the
    last."""

    items: list[Task]
    next_cursor: str | None


# --- the workflow's configuration -------------------------------------------------------------


def current_workflow(connection: Connection, project_id: str) -> WorkflowVersion | None:
    """The project's workflow in force (its newest version), ``None`` before the first."""
    row = connection.execute(
        select(workflows)
        .where(workflows.c.project_id == project_id)
        .order_by(workflows.c.version.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return WorkflowVersion(
        version=row.version,
        workflow=Workflow.model_validate_json(row.body),
        actor=row.actor,
        created_at=row.created_at,
    )


def models_revealed(connection: Connection, project_id: str) -> bool:
    """Whether the project's workflow in force shows annotators the models behind a
    preference sample's candidates (`rosetta.core.workflow.AnnotateStage.reveal_models`;
    not before the first)."""
    found = current_workflow(connection, project_id)
    return found is not None and found.workflow.annotate.reveal_models


def workflow_version(connection: Connection, project_id: str) -> WorkflowVersion:
    """The project's workflow in force; a `NotFoundError` before the first."""
    found = current_workflow(connection, project_id)
    if found is None:
        raise NotFoundError("workflow of project", project_id)
    return found


def set_workflow(
    engine: Engine, actor: Actor, project_id: str, workflow: Workflow
) -> WorkflowVersion:
    """Make `workflow` the project's, as its next version. Slots queued already keep their
    stage; the new lease lengths apply to the next leases, the overlap to samples queued
    from now on."""
    with write_transaction(engine) as connection:
        # the project's row locked (PostgreSQL): two changes at once get one version each
        found = connection.execute(
            select(projects.c.id).where(projects.c.id == project_id).with_for_update(key_share=True)
        ).first()
        if found is None:
            raise NotFoundError("project", project_id)
        before = current_workflow(connection, project_id)
        version = WorkflowVersion(
            version=1 if before is None else before.version + 1,
            workflow=workflow,
            actor=actor.name,
            created_at=time.time(),
        )
        body = workflow.model_dump(mode="json")
        connection.execute(
            insert(workflows).values(
                project_id=project_id,
                version=version.version,
                body=events.dumps(body),
                actor=actor.name,
                created_at=version.created_at,
            )
        )
        events.record(
            connection,
            [
                events.event_row(
                    project_id,
                    actor,
                    "workflow",
                    project_id,
                    "create" if before is None else "update",
                    revision=version.version,
                    before=None if before is None else before.workflow.model_dump(mode="json"),
                    after=body,
                    at=version.created_at,
                )
            ],
        )
    return version


def workflow_of(connection: Connection, project_id: str) -> Workflow:
    """The project's workflow in force; a `RuleViolation` when it has none yet."""
    found = current_workflow(connection, project_id)
    if found is None:
        raise RuleViolation(
            f"project {project_id!r}",
            "workflow",
            "workflow-missing",
            "the project has no workflow yet; a manager sets one first",
        )
    return found.workflow


def new_task_id() -> str:
    """A new task's id: 32 random hex digits."""
    return uuid.uuid4().hex


# --- queueing ---------------------------------------------------------------------------------


def enqueue(
    engine: Engine,
    actor: Actor,
    project_id: str,
    sample_ids: Iterable[str] | None = None,
    *,
    priority: float = 0.0,
    batch: int = ENQUEUE_BATCH,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Queue samples of the project (`sample_ids`, or all) for annotation: their annotate
    slots (`core.workflow.annotate_slots`) open with `priority`; the number of slots made.
    `progress` is told the number of samples handled after each batch (the ``enqueue`` job
    of `rosetta.services.job_kinds` runs this in the background).

    Samples that have slots already are left alone, so queueing again is harmless; gold
    samples are never queued (their slots are made per person, `rosetta.services.gold`).
    The skills each queued sample's slots require are written with them
    (`rosetta.services.skills`). The
    samples are read and written `batch` at a time, each batch its own transaction, so a
    project of any size is never held in memory; an id that is no sample of the project
    is a `NotFoundError` (the batches before it stay queued).
    """
    with engine.connect() as connection:
        workflow = workflow_of(connection, project_id)
    if sample_ids is None:
        query = select(samples.c.pk, samples.c.id).where(
            samples.c.project_id == project_id, ~samples.c.gold
        )
        chunks: Iterator[Sequence[str]] = (
            [row.id for row in page] for page in keyset_pages(engine, query, samples.c.pk, batch)
        )
    else:
        chunks = _chunks(sample_ids, batch)
    made = handled = 0
    for chunk in chunks:
        made += _enqueue_chunk(
            engine, actor, project_id, chunk, workflow=workflow, priority=priority
        )
        handled += len(chunk)
        if progress is not None:
            progress(handled)
    return made


def has_more_samples(connection: Connection, project_id: str, count: int) -> bool:
    """Whether the project has more than `count` samples (counting stops after one more,
    on the ``samples(project_id, pk)`` index)."""
    found = select(samples.c.pk).where(samples.c.project_id == project_id).limit(count + 1)
    total = connection.execute(select(func.count()).select_from(found.subquery())).scalar_one()
    return int(total) > count


def _chunks(values: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(values)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _enqueue_chunk(
    engine: Engine,
    actor: Actor,
    project_id: str,
    sample_ids: Sequence[str],
    *,
    workflow: Workflow,
    priority: float,
) -> int:
    with write_transaction(engine) as connection:
        known = {
            row.id: row.gold
            for row in connection.execute(
                select(samples.c.id, samples.c.gold).where(
                    samples.c.project_id == project_id, samples.c.id.in_(sample_ids)
                )
            )
        }
        missing = next((ident for ident in sample_ids if ident not in known), None)
        if missing is not None:
            raise NotFoundError("sample", missing)
        queued = {ident for ident, gold in known.items() if gold} | set(
            connection.execute(
                select(tasks.c.sample_id).where(tasks.c.sample_id.in_(sample_ids)).distinct()
            ).scalars()
        )
        now = time.time()
        rows = [
            {
                "id": new_task_id(),
                "project_id": project_id,
                "sample_id": sample_id,
                "stage": "annotate",
                "slot": slot,
                "status": "open",
                "priority": priority,
                "created_at": now,
                "updated_at": now,
                "candidates_hidden": candidates_hidden(workflow, project_id, sample_id),
            }
            for sample_id in dict.fromkeys(sample_ids)
            if sample_id not in queued
            for slot in range(annotate_slots(workflow, project_id, sample_id))
        ]
        if not rows:
            return 0
        write_sample_skills(
            connection, workflow.skills, list(dict.fromkeys(str(row["sample_id"]) for row in rows))
        )
        dialect_insert = (
            postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        )
        made = set(
            connection.execute(
                dialect_insert(tasks).on_conflict_do_nothing().returning(tasks.c.id), rows
            ).scalars()
        )
        events.record(
            connection,
            [
                task_event(
                    project_id,
                    actor,
                    "create",
                    None,
                    task_of(row, None),
                    extra={"candidates": "hidden" if row["candidates_hidden"] else "shown"},
                    at=now,
                )
                for row in rows
                if row["id"] in made
            ],
        )
        return len(made)


def set_priorities(
    engine: Engine,
    actor: Actor,
    project_id: str,
    priorities: Mapping[str, float],
    *,
    batch: int = ENQUEUE_BATCH,
) -> int:
    """Set the priority of the waiting (open) slots of each sample named in `priorities`
    (sample id → priority, higher first): the hook an active-learning ranking uses to
    reorder the queue. Slots someone holds, and those handed in, keep theirs. Each change
    is a task ``prioritize`` event; the number of slots changed. All or nothing: a name
    that is no sample of the project is a `NotFoundError` and changes nothing."""
    changed = 0
    with write_transaction(engine) as connection:
        for chunk in _chunks(priorities, batch):
            known = set(
                connection.execute(
                    select(samples.c.id).where(
                        samples.c.project_id == project_id, samples.c.id.in_(chunk)
                    )
                ).scalars()
            )
            missing = next((ident for ident in chunk if ident not in known), None)
            if missing is not None:
                raise NotFoundError("sample", missing)
            rows = connection.execute(
                TASKS.where(tasks.c.sample_id.in_(chunk), tasks.c.status == "open")
            ).all()
            moved = [row for row in rows if row.priority != priorities[row.sample_id]]
            if not moved:
                continue
            now = time.time()
            connection.execute(
                update(tasks)
                .where(tasks.c.pk == bindparam("b_pk"))
                .values(priority=bindparam("b_priority"), updated_at=now),
                [{"b_pk": row.pk, "b_priority": priorities[row.sample_id]} for row in moved],
            )
            events.record(
                connection,
                [
                    task_event(
                        project_id,
                        actor,
                        "prioritize",
                        task_of(row._mapping, row.holder),
                        task_of(
                            {
                                **row._mapping,
                                "priority": priorities[row.sample_id],
                                "updated_at": now,
                            },
                            row.holder,
                        ),
                        at=now,
                    )
                    for row in moved
                ],
            )
            changed += len(moved)
    return changed


# --- reading tasks ----------------------------------------------------------------------------

#: Task rows with the name of their holder (``holder``).
TASKS = select(tasks, users.c.name.label("holder")).select_from(
    tasks.outerjoin(users, users.c.id == tasks.c.user_id)
)


def task_of(columns: Mapping[Any, Any], holder: str | None) -> Task:
    """The `Task` of a tasks row's columns (`holder`: the name of its user)."""
    return Task(
        id=columns["id"],
        project=columns["project_id"],
        sample=columns["sample_id"],
        stage=columns["stage"],
        slot=columns["slot"],
        status=columns["status"],
        user=holder,
        lease_expires_at=columns.get("lease_expires_at"),
        priority=columns["priority"],
        comment=columns.get("comment"),
        created_at=columns["created_at"],
        updated_at=columns["updated_at"],
        **_kind_of(columns),
    )


def _kind_of(columns: Mapping[Any, Any]) -> dict[str, Any]:
    """A row's kind, and a training task's score and feedback."""
    kind = columns.get("kind", "work")
    detail = columns.get("score_detail")
    if kind != "training" or detail is None:
        return {"kind": kind}
    return {"kind": kind, "score": columns["score"], "feedback": orjson.loads(detail)["feedback"]}


def task_as_seen(task: Task, access: Access) -> Task:
    """`task` as the person of `access` may see it: an audit gold slot is a work slot to
    whoever may not know gold (`knows_gold`)."""
    if task.kind == "gold" and not knows_gold(access):
        return replace(task, kind="work")
    return task


def task_from(row: Row[Any]) -> Task:
    """The `Task` of a row of `TASKS`."""
    return task_of(row._mapping, row.holder)


def find_task(connection: Connection, task_id: str) -> Task:
    """The task with this id."""
    row = connection.execute(TASKS.where(tasks.c.id == task_id)).first()
    if row is None:
        raise NotFoundError("task", task_id)
    return task_from(row)


def list_tasks(
    connection: Connection,
    project_id: str,
    *,
    stage: TaskStage | None = None,
    status: TaskStatus | None = None,
    user: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> TaskPage:
    """A page of the project's tasks after `cursor`, in insertion order, meeting every
    filter given (`user`: who holds or held it, a name or id)."""
    query = TASKS.where(
        tasks.c.project_id == project_id, tasks.c.pk > decode_cursor("tasks", cursor)
    )
    if stage is not None:
        query = query.where(tasks.c.stage == stage)
    if status is not None:
        query = query.where(tasks.c.status == status)
    if user is not None:
        query = query.where(or_(users.c.name == user, users.c.id == user))
    rows = connection.execute(query.order_by(tasks.c.pk).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return TaskPage(
        items=[task_from(row) for row in rows],
        next_cursor=encode_cursor("tasks", rows[-1].pk) if more else None,
    )


def read_task(connection: Connection, pk: int) -> Task:
    """The task whose row has primary key `pk`."""
    return task_from(connection.execute(TASKS.where(tasks.c.pk == pk)).one())


def task_event(
    project_id: str,
    actor: Actor,
    action: str,
    before: Task | None,
    after: Task,
    *,
    extra: dict[str, Any] | None = None,
    note: str | None = None,
    at: float,
) -> dict[str, Any]:
    """The events row of a task's transition: the task before and after (`extra` beside
    it)."""
    return events.event_row(
        project_id,
        actor,
        "task",
        after.id,
        action,
        before=None if before is None else asdict(before),
        after=asdict(after) | (extra or {}),
        note=note,
        at=at,
    )


@dataclass(frozen=True)
class Step:
    """One transition of the workflow: the connection of its transaction, who makes it, in
    which project, and when (seconds since the epoch)."""

    connection: Connection
    actor: Actor
    project_id: str
    now: float

    def record(
        self,
        action: str,
        before: Task | None,
        after: Task,
        *,
        extra: dict[str, Any] | None = None,
        note: str | None = None,
    ) -> None:
        """Append the task's event of this step."""
        row = task_event(
            self.project_id, self.actor, action, before, after, extra=extra, note=note, at=self.now
        )
        events.record(self.connection, [row])
