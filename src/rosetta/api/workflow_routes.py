"""The workflow over HTTP: a project's workflow (managers read and set it, each change a
new version), queueing samples for it, and the task slots people work on: the next task
(leased; 204 when nothing is waiting), submit, release and review, and the project's
task listing (reviewers and above; keyset pages).

Only a task's holder submits, releases or reviews it (403 for anyone else in its project,
404 outside it). `rosetta.services.task_leases` says how leases are given and taken over.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection

from rosetta.api.auth import CurrentUser, UserActor, policy, require
from rosetta.api.deps import Db, Store, end_read
from rosetta.api.job_routes import submitted
from rosetta.api.lookup import project_scope
from rosetta.api.paging import Cursor, PageLimit
from rosetta.core.errors import NotFoundError
from rosetta.core.policies import (
    Access,
    Principal,
    can_manage,
    can_review,
    can_work_stage,
    default_stages,
    holds_task,
    role_in,
)
from rosetta.core.workflow import TaskStage, TaskStatus, Workflow
from rosetta.services import job_kinds, task_leases, workflow
from rosetta.services.accounts import membership
from rosetta.services.jobs import Job
from rosetta.services.workflow import Task, TaskPage, WorkflowVersion

router = APIRouter()

#: The most samples a request queues itself; more, or all, are queued by a job.
ENQUEUE_INLINE = 1000


class Enqueue(BaseModel):
    """Samples to queue (none: every sample of the project) and their tasks' priority
    (higher first)."""

    model_config = ConfigDict(extra="forbid")
    samples: list[str] | None = Field(default=None, max_length=100_000)
    priority: float = 0.0


class Priorities(BaseModel):
    """New priorities of samples' waiting slots (sample id → priority, higher first)."""

    model_config = ConfigDict(extra="forbid")
    priorities: dict[str, float] = Field(min_length=1, max_length=100_000)


class Prioritized(BaseModel):
    """How many waiting slots took a new priority."""

    changed: int


class Enqueued(BaseModel):
    """How many task slots were made (samples queued before get none)."""

    created: int


class TaskReview(BaseModel):
    """A review task's decision: ``accepted`` finishes the sample, ``rejected`` (a comment
    saying what to fix required) returns it to its annotators."""

    model_config = ConfigDict(extra="forbid")
    decision: task_leases.ReviewDecision
    comment: str | None = Field(default=None, max_length=task_leases.MAX_COMMENT)


@dataclass(frozen=True)
class TaskScope:
    """A task and the caller's access to its project."""

    task: Task
    access: Access


def task_scope(db: Connection, principal: Principal, task_id: str) -> TaskScope:
    """The task and the person's access to its project; 404 when there is no such task or
    they are not a member of its project."""
    task = workflow.find_task(db, task_id)
    role = role_in(principal, membership(db, task.project, principal.user_id))
    if role is None:
        raise NotFoundError("task", task_id)
    return TaskScope(task, Access(principal, task.project, role))


@router.get("/api/projects/{project}/workflow", openapi_extra=policy("manager"))
def get_workflow(db: Db, caller: CurrentUser, project: str) -> WorkflowVersion:
    """The project's workflow in force, with its version (404 before the first)."""
    scope = project_scope(db, caller, project)
    require(can_manage(scope.access), "read the workflow of", f"project {project!r}")
    return workflow.workflow_version(db, scope.project.id)


@router.put("/api/projects/{project}/workflow", openapi_extra=policy("manager"))
def put_workflow(
    *, db: Db, store: Store, caller: CurrentUser, actor: UserActor, project: str, body: Workflow
) -> WorkflowVersion:
    """Set the project's workflow, as its next version. Queued slots keep their stage; new
    lease lengths apply to the next leases, the overlap to samples queued from now on."""
    scope = project_scope(db, caller, project)
    require(can_manage(scope.access), "set the workflow of", f"project {project!r}")
    return workflow.set_workflow(store, actor, scope.project.id, body)


@router.post(
    "/api/projects/{project}/tasks",
    responses={202: {"model": Job, "description": "Queued as an ``enqueue`` job."}},
    openapi_extra=policy("manager"),
)
def enqueue_tasks(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    request: Request,
    response: Response,
    project: str,
    body: Enqueue,
) -> Enqueued | Job:
    """Queue samples for annotation: their annotate slots open (several on the workflow's
    overlap share). Samples queued before are left alone. More than `ENQUEUE_INLINE`
    samples (named, or all of a project that has more) are queued by an ``enqueue`` job:
    202 with the job (``Location``)."""
    scope = project_scope(db, caller, project)
    require(can_manage(scope.access), "queue samples of", f"project {project!r}")
    if body.samples is None:
        many = workflow.has_more_samples(db, scope.project.id, ENQUEUE_INLINE)
    else:
        many = len(body.samples) > ENQUEUE_INLINE
    if many:
        params = body.model_dump(mode="json")
        job = job_kinds.submit(
            store, actor, "enqueue", scope.project.id, params, settings=request.app.state.settings
        )
        response.status_code = status.HTTP_202_ACCEPTED
        return submitted(request, response, job)
    made = workflow.enqueue(store, actor, scope.project.id, body.samples, priority=body.priority)
    return Enqueued(created=made)


@router.put("/api/projects/{project}/tasks/priorities", openapi_extra=policy("manager"))
def set_task_priorities(
    *, db: Db, store: Store, caller: CurrentUser, actor: UserActor, project: str, body: Priorities
) -> Prioritized:
    """Reorder the queue: the waiting slots of each named sample take its priority (the
    hook an active-learning ranking uses); slots someone holds keep theirs. All or
    nothing: an unknown sample is a 404 and changes nothing."""
    scope = project_scope(db, caller, project)
    require(can_manage(scope.access), "reorder the tasks of", f"project {project!r}")
    end_read(db)
    changed = workflow.set_priorities(store, actor, scope.project.id, body.priorities)
    return Prioritized(changed=changed)


@router.get("/api/projects/{project}/tasks", openapi_extra=policy("reviewer"))
def list_tasks(
    *,
    db: Db,
    caller: CurrentUser,
    project: str,
    stage: Annotated[TaskStage | None, Query(description="In this stage.")] = None,
    status: Annotated[TaskStatus | None, Query(description="With this status.")] = None,
    user: Annotated[str | None, Query(description="Held by this user (name or id).")] = None,
    limit: PageLimit = 100,
    cursor: Cursor = None,
) -> TaskPage:
    """A page of the project's task slots in the order they were made, meeting every
    filter given."""
    scope = project_scope(db, caller, project)
    require(can_review(scope.access), "list the tasks of", f"project {project!r}")
    return workflow.list_tasks(
        db, scope.project.id, stage=stage, status=status, user=user, limit=limit, cursor=cursor
    )


@router.post(
    "/api/projects/{project}/tasks/next",
    response_model=Task,
    responses={status.HTTP_204_NO_CONTENT: {"description": "No task is waiting."}},
    openapi_extra=policy("annotator"),
)
def next_task(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    project: str,
    stage: Annotated[
        TaskStage | None,
        Query(
            description="Only this stage (none: annotate for annotators, else review and "
            "adjudicate)."
        ),
    ] = None,
) -> Task | Response:
    """The caller's next task, leased to them: the one they hold, or the waiting one of
    highest priority, then the oldest; 204 when none is waiting."""
    scope = project_scope(db, caller, project)
    stages = (stage,) if stage is not None else default_stages(scope.access)
    allowed = bool(stages) and all(can_work_stage(scope.access, s) for s in stages)
    require(allowed, f"take {' or '.join(stages)} tasks of", f"project {project!r}")
    task = task_leases.next_task(store, actor, scope.access, stages)
    if task is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return workflow.task_as_seen(task, scope.access)


@router.post("/api/tasks/{task_id}/submit", openapi_extra=policy("annotator"))
def submit_task(
    *, db: Db, store: Store, caller: CurrentUser, actor: UserActor, task_id: str
) -> Task:
    """Hand in the work of an annotate or adjudicate task the caller holds; its sample
    moves on when it was the last. Submitting again is a no-op."""
    found = task_scope(db, caller, task_id)
    require(holds_task(found.access, found.task.user), "submit", f"task {task_id!r}")
    handed_in = task_leases.submit_task(store, actor, found.access, task_id)
    return workflow.task_as_seen(handed_in, found.access)


@router.post("/api/tasks/{task_id}/release", openapi_extra=policy("annotator"))
def release_task(
    *, db: Db, store: Store, caller: CurrentUser, actor: UserActor, task_id: str
) -> Task:
    """Give a leased task the caller holds back to the queue (not a training or
    qualification task: those are theirs until they submit them)."""
    found = task_scope(db, caller, task_id)
    require(holds_task(found.access, found.task.user), "release", f"task {task_id!r}")
    released = task_leases.release_task(store, actor, found.access, task_id)
    return workflow.task_as_seen(released, found.access)


@router.post("/api/tasks/{task_id}/review", openapi_extra=policy("reviewer"))
def review_task(
    *, db: Db, store: Store, caller: CurrentUser, actor: UserActor, task_id: str, body: TaskReview
) -> Task:
    """Decide a review task the caller holds: ``accepted`` finishes the sample,
    ``rejected`` returns it to its annotators with the comment."""
    found = task_scope(db, caller, task_id)
    may = can_review(found.access) and holds_task(found.access, found.task.user)
    require(may, "review", f"task {task_id!r}")
    return task_leases.review_task(
        store, actor, found.access, task_id, decision=body.decision, comment=body.comment
    )
