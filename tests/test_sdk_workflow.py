"""The SDK's workflow methods against the real server on loopback: a manager sets the
workflow and queues samples, an annotator leases, releases and submits, a reviewer rejects
and accepts, and the listing pages through the tasks; errors come back as the domain
tree."""

import pytest
from sqlalchemy import Engine

from builders import empty_sample
from loopback import api_token, serve
from rosetta.core.errors import NotFoundError, PermissionDenied, RuleViolation
from rosetta.core.policies import Role
from rosetta.core.schema import Project
from rosetta.core.workflow import AnnotateStage, ReviewStage, Workflow
from rosetta.sdk import Client, Task, WorkflowVersion
from rosetta.services.settings import Settings

WORKFLOW = Workflow(stages=(AnnotateStage(lease_seconds=60), ReviewStage()))


def test_the_workflow_from_the_sdk(engine: Engine, project: Project) -> None:
    for sample_id in ("s1", "s2"):
        empty_sample(engine, project.id, sample_id)
    tokens = {
        name: api_token(engine, name, project_id=project.id, role=role)
        for name, role in (("mona", Role.MANAGER), ("ann", Role.ANNOTATOR), ("rev", Role.REVIEWER))
    }
    with serve(engine, Settings(job_workers=0)) as url:
        mona, ann, rev = (Client(url, tokens[name]) for name in ("mona", "ann", "rev"))
        with mona, ann, rev:
            with pytest.raises(NotFoundError):
                mona.workflow(project.name)
            version = mona.set_workflow(project.name, WORKFLOW)
            assert isinstance(version, WorkflowVersion)
            assert (version.version, version.workflow) == (1, WORKFLOW)
            assert mona.workflow(project.name) == version
            assert mona.enqueue(project.name, ["s2"], priority=1) == 1
            assert mona.enqueue(project.name) == 1
            with pytest.raises(NotFoundError):
                mona.set_priorities(project.name, {"s1": 3.0, "nope": 1.0})
            assert mona.set_priorities(project.name, {"s2": 1.0}) == 0  # as it was

            task = ann.next_task(project.name)
            assert isinstance(task, Task) and (task.sample, task.status) == ("s2", "leased")
            assert ann.release_task(task.id).status == "open"
            task = ann.next_task(project.name)
            assert task is not None
            with pytest.raises(PermissionDenied):
                rev.submit_task(task.id)
            assert ann.submit_task(task.id).status == "submitted"

            review = rev.next_task(project.name)
            assert review is not None and review.stage == "review"
            with pytest.raises(RuleViolation, match="say what to fix"):
                rev.review_task(review.id, "rejected")
            rev.review_task(review.id, "rejected", "the caption names a person")
            back = ann.next_task(project.name)
            assert back is not None and back.id == task.id
            assert back.comment == "the caption names a person"
            ann.submit_task(task.id)
            review = rev.next_task(project.name, stage="review")
            assert review is not None
            assert rev.review_task(review.id, "accepted").status == "done"

            listed = list(rev.tasks(project.name, page_size=1))
            assert [(t.sample, t.stage) for t in listed] == [
                ("s2", "annotate"),
                ("s1", "annotate"),
                ("s2", "review"),
            ]
            assert [t.status for t in rev.tasks(project.name, status="done")] == ["done"] * 2
            assert [t.user for t in rev.tasks(project.name, user="ann")] == ["ann"]
            second = ann.next_task(project.name)
            assert second is not None and second.sample == "s1"
            ann.submit_task(second.id)
            assert ann.next_task(project.name) is None
