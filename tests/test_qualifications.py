"""Qualification gating on both backends: a person lacking a passed test of a skill the work
needs gets test samples instead of work, scored on submit; passing grants the skill and
opens the work, failing an attempt starts a retry on fresh samples, failing the last one
closes the test; results over HTTP for reviewers, and for annotators their own."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from api_clients import client_as
from builders import box, insert_sample, streams_of
from conftest import TESTER
from rosetta.core.policies import Access, Role
from rosetta.core.schema import Project, Sample
from rosetta.core.workflow import AnnotateStage, Qualification, SkillRules, Workflow
from rosetta.services import accounts
from rosetta.services.editing import create_annotation
from rosetta.services.gold import mark_gold
from rosetta.services.qualifications import results
from rosetta.services.skills import set_profile_skills, skills_of
from rosetta.services.task_leases import next_task, submit_task
from rosetta.services.workflow import Task, enqueue, set_workflow
from rosetta.store.events import Actor, history
from rosetta.store.tables import annotations

IMAGE = "modality:image"
TESTED = Workflow(
    stages=(AnnotateStage(),),
    skills=SkillRules(modalities=True),
    qualifications=(Qualification(skill=IMAGE, tests=2, pass_score=0.8, attempts=2),),
)


def member(engine: Engine, project: Project, name: str) -> Access:
    user = accounts.create_user(engine, name)
    accounts.set_role(engine, TESTER, project.id, user.id, Role.ANNOTATOR)
    return Access(user.principal(), project.id, Role.ANNOTATOR)


def photo(engine: Engine, project: Project, sample_id: str) -> None:
    streams = [s for s in streams_of(sample_id) if s.modality == "image"]
    insert_sample(engine, project.id, Sample(id=sample_id, streams=streams))


def draw(engine: Engine, project: Project, author: str, sample_id: str, *, x: float) -> None:
    annotation = box(f"{sample_id}-{author}-{x}", sample_id, "car", x=x)
    create_annotation(engine, project.id, sample_id, annotation, Actor(author))


def take(engine: Engine, access: Access) -> Task | None:
    return next_task(engine, Actor(access.principal.name), access, ("annotate",))


def answer(engine: Engine, project: Project, access: Access, *, right: bool) -> Task:
    """Take the next task, a test, and hand in a right (or a wrong) car; on a test sample
    they had before, their earlier car is still there, and stands."""
    task = take(engine, access)
    assert task is not None and task.kind == "qualification", task
    name = access.principal.name
    with engine.connect() as connection:
        had = connection.execute(
            select(annotations.c.pk).where(
                annotations.c.sample_id == task.sample, annotations.c.author == name
            )
        ).first()
    if had is None:
        draw(engine, project, name, task.sample, x=12 if right else 400)
    return submit_task(engine, Actor(name), access, task.id)


@pytest.fixture
def tested(engine: Engine, project: Project) -> Project:
    """Work sample w1 (an image) queued; test samples q1, q2, q3 of the image skill, each
    with mona's reference car."""
    set_workflow(engine, TESTER, project.id, TESTED)
    for sample_id in ("w1", "q1", "q2", "q3"):
        photo(engine, project, sample_id)
    for sample_id in ("q1", "q2", "q3"):
        draw(engine, project, "mona", sample_id, x=10)
        mark_gold(engine, TESTER, project.id, sample_id, "qualification", skill=IMAGE)
    enqueue(engine, TESTER, project.id)
    return project


def standing(engine: Engine, project: Project, access: Access) -> tuple[str, float | None, int]:
    with engine.connect() as connection:
        found = results(connection, project.id, user_id=access.principal.user_id)
    assert len(found) == 1
    return found[0].status, found[0].score, found[0].attempts


def test_a_person_passes_the_test_before_the_work_and_earns_the_skill(
    engine: Engine, tested: Project
) -> None:
    cid = member(engine, tested, "cid")
    first = answer(engine, tested, cid, right=True)
    assert (first.sample, first.status, first.score) == ("q1", "done", None)  # not told
    assert standing(engine, tested, cid) == ("pending", 1.0, 1)
    answer(engine, tested, cid, right=True)
    assert standing(engine, tested, cid) == ("passed", 1.0, 1)
    with engine.connect() as connection:
        earned = skills_of(connection, cid.principal.user_id)
        logged = history(connection, first.id)
    assert [(s.skill, s.source, s.granted_by) for s in earned] == [
        (IMAGE, "qualification", f"qualification:{tested.id}")
    ]
    assert (
        logged[-1].action == "submit" and logged[-1].after["qualification"]["status"] == "pending"
    )
    work = take(engine, cid)
    assert work is not None and (work.kind, work.sample) == ("work", "w1")


def test_a_profile_skill_does_not_skip_the_test_and_a_retry_gets_fresh_samples(
    engine: Engine, tested: Project
) -> None:
    ann = member(engine, tested, "ann")
    set_profile_skills(engine, TESTER, tested.id, ann.principal.user_id, [IMAGE])
    samples = [answer(engine, tested, ann, right=True).sample]
    samples.append(answer(engine, tested, ann, right=False).sample)
    assert standing(engine, tested, ann) == ("pending", 0.5, 2)  # failed attempt 1, retrying
    samples.append(answer(engine, tested, ann, right=True).sample)
    assert standing(engine, tested, ann) == ("pending", 1.0, 2)
    samples.append(answer(engine, tested, ann, right=True).sample)
    assert samples == ["q1", "q2", "q3", "q1"]
    assert standing(engine, tested, ann) == ("passed", 1.0, 2)
    work = take(engine, ann)
    assert work is not None and work.kind == "work"


def test_failing_the_last_attempt_closes_the_test_and_the_work(
    engine: Engine, tested: Project
) -> None:
    bob = member(engine, tested, "bob")
    for _ in range(4):
        answer(engine, tested, bob, right=False)
    assert standing(engine, tested, bob) == ("failed", 0.0, 2)
    assert take(engine, bob) is None
    with engine.connect() as connection:
        assert skills_of(connection, bob.principal.user_id) == []


def test_without_test_samples_no_one_gets_the_work_that_needs_the_skill(
    engine: Engine, project: Project
) -> None:
    set_workflow(engine, TESTER, project.id, TESTED)
    photo(engine, project, "w1")
    enqueue(engine, TESTER, project.id)
    assert take(engine, member(engine, project, "ann")) is None


@pytest.fixture
def clients(engine: Engine, tested: Project) -> Iterator[dict[str, TestClient]]:
    roles = {"ann": Role.ANNOTATOR, "bob": Role.ANNOTATOR, "rev": Role.REVIEWER}
    made = {
        name: client_as(engine, name, admin=False, project_id=tested.id, role=role)
        for name, role in roles.items()
    }
    yield made
    for client in made.values():
        client.close()


def test_results_over_http_everyones_for_reviewers_ones_own_for_annotators(
    tested: Project, clients: dict[str, TestClient]
) -> None:
    path = f"/api/projects/{tested.id}"
    for name in ("ann", "bob"):
        task = clients[name].post(f"{path}/tasks/next").json()
        assert (task["kind"], task["sample"]) == ("qualification", "q1")
    everyone = clients["rev"].get(f"{path}/qualifications")
    assert [(r["user"], r["skill"], r["status"]) for r in everyone.json()] == [
        ("ann", IMAGE, "pending"),
        ("bob", IMAGE, "pending"),
    ]
    own = clients["ann"].get(f"{path}/qualifications").json()
    assert [r["user"] for r in own] == ["ann"]
    assert clients["ann"].get(f"{path}/qualifications", params={"user": "bob"}).status_code == 403
    bobs = clients["rev"].get(f"{path}/qualifications", params={"user": "bob"}).json()
    assert [r["user"] for r in bobs] == ["bob"]
