"""The SDK's escalation methods against a real server on loopback: an annotator asks, a
reviewer finds it in the project's open questions and answers, a manager adds it to a
guideline (a stale version is a `ConflictError`), and the annotator withdraws another."""

import itertools
from pathlib import Path

import pytest
from sqlalchemy import Engine

from builders import box, empty_sample
from loopback import api_token, serve
from rosetta.core.errors import ConflictError, PermissionDenied, RuleViolation
from rosetta.core.policies import Role
from rosetta.core.schema import Project
from rosetta.sdk import Client, Escalation
from rosetta.services.accounts import assign
from rosetta.services.editing import create_annotation
from rosetta.services.settings import Settings
from rosetta.store.events import Actor


def test_escalate_answer_and_clarify_through_the_sdk(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    empty_sample(engine, project.id, "s1")
    create_annotation(engine, project.id, "s1", box("b1", "s1", "person"), Actor("ann"))
    tokens = {
        name: api_token(engine, name, project_id=project.id, role=role)
        for name, role in (("ann", Role.ANNOTATOR), ("rev", Role.REVIEWER), ("boss", Role.MANAGER))
    }
    assign(engine, Actor("tester"), "s1", "ann")
    settings = Settings(data_dir=tmp_path / "data", job_workers=0)
    with (
        serve(engine, settings) as url,
        Client(url, tokens["ann"]) as ann,
        Client(url, tokens["rev"]) as rev,
        Client(url, tokens["boss"]) as boss,
    ):
        asked = ann.escalate("s1", "Is the helmet part of the person?", about="b1")
        assert isinstance(asked, Escalation)
        assert (asked.about, asked.status, asked.asked_by) == ("b1", "open", "ann")
        with pytest.raises(RuleViolation, match="about"):
            ann.escalate("s1", "And this?", about="elsewhere")
        others = [ann.escalate("s1", f"question {n}") for n in range(3)]
        ann.withdraw_escalation(others[0].id)

        waiting = rev.project_escalations(project.name, status="open", page_size=2)
        assert [e.id for e in waiting] == [asked.id, others[1].id, others[2].id]
        assert waiting.pages_read == 2
        with pytest.raises(PermissionDenied):
            ann.answer_escalation(asked.id, "I think so")
        done = rev.answer_escalation(asked.id, "Yes: the whole suit.")
        assert (done.status, done.answer) == ("answered", "Yes: the whole suit.")

        version = boss.ontology(project.name).version
        with pytest.raises(ConflictError):
            boss.clarify_escalation(asked.id, version + 1, cls="person")
        clarified = boss.clarify_escalation(
            asked.id, version, cls="person", question="Is a helmet part of a person?"
        )
        assert clarified.clarified is not None
        assert (clarified.clarified.name, clarified.clarified.version) == ("person", version + 1)
        guideline = ann.ontology(project.name).class_map["person"].guideline
        assert guideline is not None
        last = guideline.clarifications[-1]
        assert (last.question, last.answer) == (
            "Is a helmet part of a person?",
            "Yes: the whole suit.",
        )

        assert ann.escalations("s1")[0] == clarified
        mine = ann.project_escalations(project.name, status="withdrawn")
        assert [e.id for e in itertools.islice(mine, 5)] == [others[0].id]
