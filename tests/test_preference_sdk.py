"""The SDK's judgement methods against a real server on loopback: an evaluator judges a
preference sample, is refused a stale revision and an unknown criterion, a reviewer reads
every judgement with the models, and the evaluator withdraws theirs."""

from pathlib import Path

import pytest
from sqlalchemy import Engine

from conftest import TESTER
from loopback import api_token, serve
from preference_samples import preference_sample
from rosetta.core.errors import ConflictError, NotFoundError, RuleViolation
from rosetta.core.policies import Role
from rosetta.core.preference import Judgement, PairVerdict, RubricScore
from rosetta.core.schema import Project
from rosetta.sdk import Client
from rosetta.services.accounts import assign
from rosetta.services.importer import import_samples
from rosetta.services.settings import Settings


def test_judge_read_and_withdraw_through_the_sdk(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    import_samples(engine, project.id, [preference_sample("p", ("bob",))], TESTER)
    tokens = {
        name: api_token(engine, name, project_id=project.id, role=role)
        for name, role in (("ann", Role.ANNOTATOR), ("rev", Role.REVIEWER))
    }
    assign(engine, TESTER, "p", "ann")
    settings = Settings(data_dir=tmp_path / "data", job_workers=0)
    with (
        serve(engine, settings) as url,
        Client(url, tokens["ann"]) as ann,
        Client(url, tokens["rev"]) as rev,
    ):
        shown = [c.id for c in ann.sample("p").sample.candidates]
        assert {c.model for c in ann.sample("p").sample.candidates} == {None}
        mine = ann.judge(
            "p",
            pairs=[PairVerdict(a=shown[0], b=shown[1], choice="tie")],
            ranking=[[shown[2]], shown[:2]],
            scores=[RubricScore(candidate=shown[2], criterion="safety", value=5)],
            rationale="Plain and true.",
            expected_revision=0,
        )
        assert isinstance(mine, Judgement)
        assert (mine.author, mine.presented, mine.revision) == ("ann", shown, 1)
        with pytest.raises(ConflictError):
            ann.judge("p", ranking=[[shown[0]]], expected_revision=0)
        with pytest.raises(RuleViolation, match=r"scores\[0\]\.criterion"):
            ann.judge("p", scores=[RubricScore(candidate=shown[0], criterion="wit", value=1)])
        assert ann.judgements("p") == [mine]
        assert [j.author for j in rev.judgements("p")] == ["bob", "ann"]
        assert {c.model for c in rev.sample("p").sample.candidates} == {
            "captioner-small",
            "captioner-large",
            "vlm-chat",
        }
        ann.withdraw_judgement("p")
        assert ann.judgements("p") == []
        with pytest.raises(NotFoundError):
            ann.withdraw_judgement("p")
