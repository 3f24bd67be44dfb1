"""The SDK's workforce methods against the real server on loopback, one whole flow: a
manager sets skills and marks gold samples (training, a qualification test, an audit
sample); a newcomer trains with immediate feedback, passes the test, gets work and a gold
sample mixed in; a reviewer reads the scores and the qualification results; errors come
back as the domain tree."""

import pytest
from sqlalchemy import Engine

from builders import box, insert_sample, streams_of
from loopback import api_token, serve
from rosetta.core.errors import PermissionDenied, RuleViolation
from rosetta.core.geometry import Box
from rosetta.core.policies import Role
from rosetta.core.schema import Project, Sample
from rosetta.core.workflow import (
    AnnotateStage,
    GoldMixing,
    Qualification,
    SkillRules,
    Training,
    Workflow,
)
from rosetta.sdk import Client, GoldResult, GoldUse, QualificationResult, UserSkill
from rosetta.services.editing import create_annotation
from rosetta.services.settings import Settings
from rosetta.store.events import Actor

IMAGE = "modality:image"
WORKFLOW = Workflow(
    stages=(AnnotateStage(),),
    skills=SkillRules(modalities=True),
    gold=GoldMixing(first=0, rate=1.0),
    training=Training(tasks=1),
    qualifications=(Qualification(skill=IMAGE, tests=1, pass_score=0.5, attempts=1),),
)
RIGHT = Box(x=12, y=20, w=100, h=200)


def photo_with_reference(engine: Engine, project: Project, sample_id: str) -> None:
    """An image-only sample with mona's car (none on the work sample w1)."""
    streams = [s for s in streams_of(sample_id) if s.modality == "image"]
    insert_sample(engine, project.id, Sample(id=sample_id, streams=streams))
    if sample_id != "w1":
        car = box(f"{sample_id}-ref", sample_id, "car", x=10)
        create_annotation(engine, project.id, sample_id, car, Actor("mona"))


def test_the_workforce_from_the_sdk(engine: Engine, project: Project) -> None:
    for sample_id in ("w1", "t1", "q1", "g1"):
        photo_with_reference(engine, project, sample_id)
    tokens = {
        name: api_token(engine, name, project_id=project.id, role=role)
        for name, role in (("mona", Role.MANAGER), ("ann", Role.ANNOTATOR), ("rev", Role.REVIEWER))
    }
    with serve(engine, Settings(job_workers=0)) as url:
        mona, ann, rev = (Client(url, tokens[name]) for name in ("mona", "ann", "rev"))
        with mona, ann, rev:
            mona.set_workflow(project.name, WORKFLOW)
            skills = mona.set_skills(project.name, "ann", ["language:de"])
            assert [type(s) for s in skills] == [UserSkill]
            assert mona.skills(project.name, "ann") == skills
            with pytest.raises(PermissionDenied):
                rev.set_skills(project.name, "ann", [])
            used = mona.mark_gold("t1", "training")
            assert isinstance(used, GoldUse) and used.purpose == "training"
            mona.mark_gold("q1", "qualification", skill=IMAGE)
            mona.mark_gold("g1", "audit")
            with pytest.raises(RuleViolation):
                mona.mark_gold("g1", "qualification")  # names no skill
            assert [u.sample for u in mona.gold(project.name, page_size=2)] == ["t1", "q1", "g1"]
            assert mona.enqueue(project.name, ["w1"]) == 1

            training = ann.next_task(project.name)
            assert training is not None and training.kind == "training"
            ann.create_annotation("t1", stream="t1-image", label="person", geometry=RIGHT)
            trained = ann.submit_task(training.id)
            assert trained.score == 0.0 and trained.feedback is not None
            assert [(f["kind"], f["label"], f["given"]) for f in trained.feedback] == [
                ("wrong_label", "car", "person")
            ]

            test = ann.next_task(project.name)
            assert test is not None and (test.kind, test.sample) == ("qualification", "q1")
            ann.create_annotation("q1", stream="q1-image", label="car", geometry=RIGHT)
            assert ann.submit_task(test.id).score is None  # a test's score is not told
            mine = ann.qualifications(project.name)
            assert [(r.skill, r.status) for r in mine] == [(IMAGE, "passed")]
            assert isinstance(mine[0], QualificationResult)
            assert IMAGE in {s.skill for s in mona.skills(project.name, "ann")}

            audit = ann.next_task(project.name)  # rate 1: the audit sample before the work
            # she must not tell it from work; reviewers see it is gold (below)
            assert audit is not None and (audit.kind, audit.sample) == ("work", "g1")
            assert ann.sample("g1").sample.annotations == []  # the reference stays on the server
            ann.create_annotation("g1", stream="g1-image", label="car", geometry=RIGHT)
            ann.submit_task(audit.id)
            work = ann.next_task(project.name)
            assert work is not None and (work.kind, work.sample) == ("work", "w1")

            with pytest.raises(PermissionDenied):
                list(ann.gold_results(project.name))
            results = list(rev.gold_results(project.name, page_size=1))
            assert [type(r) for r in results] == [GoldResult] * 3
            assert [(r.kind, r.sample, r.score) for r in results] == [
                ("training", "t1", 0.0),
                ("qualification", "q1", 1.0),
                ("gold", "g1", 1.0),
            ]
            assert [r.kind for r in rev.gold_results(project.name, kind="gold", user="ann")] == [
                "gold"
            ]
            everyone = rev.qualifications(project.name)
            assert [(r.user, r.status) for r in everyone] == [("ann", "passed")]
            mona.unmark_gold("g1", "audit")
            assert [u.sample for u in mona.gold(project.name, purpose="audit")] == []
