"""Skill-matched assignment on both backends: people's profile skills (set by managers, over
HTTP too), the skills a queued sample requires (modalities, metadata, required ones), and
the next task leasing only slots whose sample needs no skill the person lacks, through
the index of the next-task probe."""

from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from api_clients import client_as
from builders import insert_sample, streams_of
from conftest import TESTER
from rosetta.core.policies import Access, Role
from rosetta.core.schema import Project, Sample
from rosetta.core.workflow import AnnotateStage, SkillRules, Workflow
from rosetta.services import accounts
from rosetta.services.skills import grant, required_skills, set_profile_skills, skills_of
from rosetta.services.task_leases import next_task
from rosetta.services.workflow import enqueue, set_workflow
from rosetta.store.events import Actor, history
from rosetta.store.tables import sample_skills

RULES = SkillRules(required=("domain:news",), modalities=True, metadata=("language",))
SKILLED = Workflow(stages=(AnnotateStage(),), skills=RULES)


def member(engine: Engine, project: Project, name: str, role: Role = Role.ANNOTATOR) -> Access:
    user = accounts.create_user(engine, name)
    accounts.set_role(engine, TESTER, project.id, user.id, role)
    return Access(user.principal(), project.id, role)


def sample(
    engine: Engine, project: Project, sample_id: str, modalities: set[str], **meta: Any
) -> None:
    streams = [s for s in streams_of(sample_id) if s.modality in modalities]
    insert_sample(engine, project.id, Sample(id=sample_id, streams=streams, metadata=meta))


def required(engine: Engine, sample_id: str) -> set[str]:
    with engine.connect() as connection:
        return set(
            connection.execute(
                select(sample_skills.c.skill).where(sample_skills.c.sample_id == sample_id)
            ).scalars()
        )


def test_required_skills_come_from_the_rules_modalities_and_metadata() -> None:
    assert required_skills(RULES, ["image", "audio"], {"language": "de", "domain": "x"}) == {
        "domain:news",
        "modality:image",
        "modality:audio",
        "language:de",
    }
    assert required_skills(RULES, [], {"language": ["de", "fr"]}) == {
        "domain:news",
        "language:de",
        "language:fr",
    }
    assert required_skills(SkillRules(), ["image"], {"language": "de"}) == set()


def test_queueing_writes_each_samples_required_skills(engine: Engine, project: Project) -> None:
    set_workflow(engine, TESTER, project.id, SKILLED)
    sample(engine, project, "pic", {"image"}, language="de")
    sample(engine, project, "talk", {"audio", "text"})
    assert enqueue(engine, TESTER, project.id) == 2
    assert required(engine, "pic") == {"domain:news", "modality:image", "language:de"}
    assert required(engine, "talk") == {"domain:news", "modality:audio", "modality:text"}


def test_profile_skills_are_replaced_keeping_earned_ones_and_each_change_is_an_event(
    engine: Engine, project: Project
) -> None:
    ann = member(engine, project, "ann")
    user_id = ann.principal.user_id
    set_profile_skills(
        engine, Actor("mona"), project.id, user_id, ["language:de", "modality:image"]
    )
    with engine.begin() as connection:
        grant(connection, user_id, "modality:audio", "qualification:p", 1.0)
    after = set_profile_skills(engine, Actor("mona"), project.id, user_id, ["language:fr"])
    assert [(s.skill, s.source) for s in after] == [
        ("language:fr", "profile"),
        ("modality:audio", "qualification"),
    ]
    assert after[0].granted_by == "mona"
    set_profile_skills(engine, Actor("mona"), project.id, user_id, ["language:fr"])  # no change
    with engine.connect() as connection:
        logged = [e for e in history(connection, user_id) if e.object_kind == "skills"]
        assert skills_of(connection, user_id) == after
    assert [(e.before, e.after) for e in logged] == [
        ([], ["language:de", "modality:image"]),
        (["language:de", "modality:audio", "modality:image"], ["language:fr", "modality:audio"]),
    ]


def test_the_next_task_needs_every_skill_its_sample_requires(
    engine: Engine, project: Project
) -> None:
    set_workflow(engine, TESTER, project.id, SKILLED)
    sample(engine, project, "talk", {"audio"}, language="de")
    sample(engine, project, "pic", {"image"}, language="de")
    enqueue(engine, TESTER, project.id)
    ann, bob, cid = (member(engine, project, name) for name in ("ann", "bob", "cid"))
    for access, skills in (
        (ann, ["domain:news", "language:de", "modality:image"]),
        (bob, ["domain:news", "language:de", "modality:audio", "modality:image"]),
        (cid, ["domain:news", "modality:audio", "modality:image"]),  # no German
    ):
        set_profile_skills(engine, TESTER, project.id, access.principal.user_id, skills)

    def take(access: Access) -> str | None:
        got = next_task(engine, Actor(access.principal.name), access, ("annotate",))
        return None if got is None else got.sample

    assert take(cid) is None
    assert take(ann) == "pic"  # "talk" is older but needs audio
    assert take(bob) == "talk"


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # reads SQLite's query plans
def test_the_skill_filter_probes_sample_skills_by_sample_within_the_next_task_index(
    engine: Engine, project: Project
) -> None:
    set_workflow(engine, TESTER, project.id, SKILLED)
    sample(engine, project, "pic", {"image"})
    enqueue(engine, TESTER, project.id)
    ann = member(engine, project, "ann")
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "ORDER BY tasks.priority DESC" in statement and "sample_skills" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        assert next_task(engine, Actor("ann"), ann, ("annotate",)) is None  # lacks the skills
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert len(seen) == 2  # open, and expired leases
    with engine.connect() as connection:
        for statement, parameters in seen:
            plan = " | ".join(
                row[3]
                for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            )
            assert "USING INDEX ix_tasks_next" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
            assert "SEARCH sample_skills USING COVERING INDEX" in plan, plan


def test_managers_read_and_set_members_skills_over_http(engine: Engine, project: Project) -> None:
    mona = client_as(engine, "mona", admin=False, project_id=project.id, role=Role.MANAGER)
    rev = client_as(engine, "rev", admin=False, project_id=project.id, role=Role.REVIEWER)
    member(engine, project, "ann")
    accounts.create_user(engine, "stranger")
    path = f"/api/projects/{project.id}/members"
    try:
        put = mona.put(f"{path}/ann/skills", json={"skills": ["language:de", "modality:audio"]})
        assert put.status_code == 200, put.text
        assert [s["skill"] for s in put.json()] == ["language:de", "modality:audio"]
        assert put.json()[0]["source"] == "profile" and put.json()[0]["granted_by"] == "mona"
        assert mona.get(f"{path}/ann/skills").json() == put.json()
        bad = mona.put(f"{path}/ann/skills", json={"skills": ["juggling"]})
        assert bad.status_code == 422
        assert mona.get(f"{path}/ann/skills").json() == put.json()  # nothing half-written
        assert mona.get(f"{path}/stranger/skills").status_code == 404  # no member
        assert rev.get(f"{path}/ann/skills").status_code == 403
        assert rev.put(f"{path}/ann/skills", json={"skills": []}).status_code == 403
    finally:
        for client in (mona, rev):
            client.close()
