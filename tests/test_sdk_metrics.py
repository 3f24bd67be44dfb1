"""The SDK's annotator metrics against the real server on loopback: a reviewer reads
everyone's and one person's, an annotator their own, and another's is refused."""

import pytest
from sqlalchemy import Engine

from builders import empty_sample
from loopback import api_token, serve
from rosetta.core.errors import PermissionDenied
from rosetta.core.policies import Role
from rosetta.core.schema import Project
from rosetta.core.workflow import AnnotateStage, ReviewStage, Workflow
from rosetta.sdk import AnnotatorMetrics, Client, ProjectMetrics
from rosetta.services.settings import Settings

WORKFLOW = Workflow(stages=(AnnotateStage(), ReviewStage()))


def test_annotator_metrics_from_the_sdk(engine: Engine, project: Project) -> None:
    for sample_id in ("s1", "s2"):
        empty_sample(engine, project.id, sample_id)
    tokens = {
        name: api_token(engine, name, project_id=project.id, role=role)
        for name, role in (
            ("mona", Role.MANAGER),
            ("ann", Role.ANNOTATOR),
            ("bob", Role.ANNOTATOR),
            ("rev", Role.REVIEWER),
        )
    }
    with serve(engine, Settings(job_workers=0)) as url:
        mona, ann, bob, rev = (Client(url, tokens[n]) for n in ("mona", "ann", "bob", "rev"))
        with mona, ann, bob, rev:
            mona.set_workflow(project.name, WORKFLOW)
            mona.enqueue(project.name)
            for person in (ann, bob):
                task = person.next_task(project.name)
                assert task is not None
                person.submit_task(task.id)
            review = rev.next_task(project.name)
            assert review is not None
            rev.review_task(review.id, "rejected", "draw the flag")

            report = rev.annotator_metrics(project.name, since=0, bucket=86400)
            assert isinstance(report, ProjectMetrics)
            people = {person.user: person.metrics for person in report.annotators}
            assert sorted(people) == ["ann", "bob", "rev"]
            assert report.total.throughput.handed_in == 3
            rejected = [p for p in ("ann", "bob") if people[p].first_pass.reviewed]
            assert len(rejected) == 1
            assert people[rejected[0]].first_pass.rate == 0.0
            assert report.bucket_seconds == 86400

            own = ann.annotator_metrics_of(project.name, "ann")
            assert isinstance(own, AnnotatorMetrics)
            assert (own.user, own.metrics.throughput.handed_in) == ("ann", 1)
            assert own.metrics == rev.annotator_metrics_of(project.name, "ann").metrics
            with pytest.raises(PermissionDenied):
                ann.annotator_metrics_of(project.name, "bob")
            with pytest.raises(PermissionDenied):
                ann.annotator_metrics(project.name)
