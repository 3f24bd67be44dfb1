"""The workflow: a project's stages (`rosetta.core.workflow.Workflow`), queueing samples,
and the task slots people lease, submit, release and review.

::

    while (task := rosetta.next_task("my-project")) is not None:
        snapshot = rosetta.sample(task.sample)
        ...  # annotate it
        rosetta.submit_task(task.id)
"""

from collections.abc import Iterable, Mapping
from typing import Any, Literal, cast

import httpx
from pydantic import BaseModel, ConfigDict, TypeAdapter

from rosetta.core.workflow import TaskKind, TaskStage, TaskStatus, Workflow
from rosetta.sdk.jobs import JobMethods
from rosetta.sdk.pages import Page, Pages
from rosetta.sdk.transport import MethodGroup, segment


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class WorkflowVersion(_Answer):
    """One version of a project's workflow: who set it and when (seconds since the epoch)."""

    version: int
    workflow: Workflow
    actor: str
    created_at: float


class Task(_Answer):
    """A task slot: the sample's `slot` in `stage`, its status, the name of who holds or
    held it, when their lease ends (seconds since the epoch), its priority (higher first)
    and the reviewer's comment on a returned slot."""

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
    #: ``work``, or a slot on a gold sample: ``gold``, ``training``, ``qualification``
    kind: TaskKind = "work"
    #: a handed-in training task's score (0 to 1) and feedback (what was missed, extra,
    #: wrongly labelled; see `rosetta.core.gold_scoring`), else ``None``
    score: float | None = None
    feedback: list[dict[str, Any]] | None = None


_VERSION = TypeAdapter(WorkflowVersion)
_TASK = TypeAdapter(Task)
_TASKS = TypeAdapter(list[Task])


def _project_path(project: str) -> str:
    return f"/api/projects/{segment(project)}"


def _task_path(task_id: str, action: str) -> str:
    return f"/api/tasks/{segment(task_id)}/{action}"


class WorkflowMethods(MethodGroup):
    """A project's workflow and its tasks."""

    def workflow(self, project: str) -> WorkflowVersion:
        """The project's workflow in force, with its version (managers)."""
        return self._http.parse(_VERSION, "GET", f"{_project_path(project)}/workflow")

    def set_workflow(self, project: str, workflow: Workflow) -> WorkflowVersion:
        """Make `workflow` the project's, as its next version (managers)."""
        body = workflow.model_dump(mode="json")
        return self._http.parse(_VERSION, "PUT", f"{_project_path(project)}/workflow", json=body)

    def set_priorities(self, project: str, priorities: Mapping[str, float]) -> int:
        """Give the waiting slots of each sample its priority (sample id → priority,
        higher first; managers): how an active-learning ranking reorders the queue. How
        many slots changed; an unknown sample raises `NotFoundError` and changes nothing."""
        body = {"priorities": dict(priorities)}
        answer = self._http.request("PUT", f"{_project_path(project)}/tasks/priorities", json=body)
        return int(answer.json()["changed"])

    def enqueue(
        self, project: str, samples: Iterable[str] | None = None, *, priority: float = 0.0
    ) -> int:
        """Queue `samples` of the project (none: all) for annotation with `priority`
        (managers); how many task slots were made (samples queued before get none). The
        server queues more than 1,000 samples by an ``enqueue`` job; this waits for it."""
        body = {"samples": None if samples is None else list(samples), "priority": priority}
        answer = self._http.request("POST", f"{_project_path(project)}/tasks", json=body)
        if answer.status_code == httpx.codes.ACCEPTED:
            job = cast(JobMethods, self).wait(answer.json()["id"])  # the client is both
            return int((job.result or {})["created"])
        return int(answer.json()["created"])

    def next_task(self, project: str, *, stage: TaskStage | None = None) -> Task | None:
        """The caller's next task in the project, leased to them (the one they hold, else
        the waiting one of highest priority, then the oldest), in `stage` (none: annotate
        for annotators, review and adjudicate for reviewers and above); ``None`` when
        nothing is waiting."""
        answer = self._http.request(
            "POST", f"{_project_path(project)}/tasks/next", params={"stage": stage}
        )
        return None if answer.status_code == httpx.codes.NO_CONTENT else _task(answer)

    def submit_task(self, task_id: str) -> Task:
        """Hand in the work of an annotate or adjudicate task the caller holds; submitting
        again is a no-op."""
        return _task(self._http.request("POST", _task_path(task_id, "submit")))

    def release_task(self, task_id: str) -> Task:
        """Give a leased task the caller holds back to the queue."""
        return _task(self._http.request("POST", _task_path(task_id, "release")))

    def review_task(
        self,
        task_id: str,
        decision: Literal["accepted", "rejected"],
        comment: str | None = None,
    ) -> Task:
        """Decide a review task the caller holds: ``accepted`` finishes the sample,
        ``rejected`` (say what to fix in `comment`) returns it to its annotators."""
        body = {"decision": decision, "comment": comment}
        return _task(self._http.request("POST", _task_path(task_id, "review"), json=body))

    def tasks(
        self,
        project: str,
        *,
        stage: TaskStage | None = None,
        status: TaskStatus | None = None,
        user: str | None = None,
        page_size: int = 100,
    ) -> Pages[Task]:
        """The project's task slots (reviewers and above) in the order they were made, in
        `stage`, with `status`, held by `user` (a name or id), read `page_size` at a time
        as iteration goes."""
        path = f"{_project_path(project)}/tasks"
        filters = {"stage": stage, "status": status, "user": user, "limit": page_size}

        def fetch(cursor: str | None) -> Page[Task]:
            body = self._http.request("GET", path, params={**filters, "cursor": cursor}).json()
            return _TASKS.validate_python(body["items"]), body["next_cursor"]

        return Pages(f"tasks of project {project!r}", fetch)


def _task(answer: httpx.Response) -> Task:
    return _TASK.validate_json(answer.content)
