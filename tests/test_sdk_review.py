"""The SDK's review methods against a real server on loopback: a reviewer reads a sample's
review and gives decisions and a verdict with the revision they judged; a stale one is a
`ConflictError`, an annotator's attempt `PermissionDenied`."""

from pathlib import Path

import pytest
from sqlalchemy import Engine

from builders import box, empty_sample
from loopback import api_token, serve
from rosetta.core.errors import ConflictError, PermissionDenied, RuleViolation
from rosetta.core.policies import Role
from rosetta.core.schema import Project
from rosetta.sdk import Client, Decision, SampleReview, Verdict
from rosetta.services.accounts import assign
from rosetta.services.editing import create_annotation
from rosetta.services.settings import Settings
from rosetta.store.events import Actor


def test_review_a_sample_through_the_sdk(engine: Engine, project: Project, tmp_path: Path) -> None:
    empty_sample(engine, project.id, "s1")
    create_annotation(engine, project.id, "s1", box("b1", "s1", "person"), Actor("ann"))
    rev_token = api_token(engine, "rev", project_id=project.id, role=Role.REVIEWER)
    ann_token = api_token(engine, "ann", project_id=project.id, role=Role.ANNOTATOR)
    assign(engine, Actor("tester"), "s1", "ann")
    settings = Settings(data_dir=tmp_path / "data", job_workers=0)
    with (
        serve(engine, settings) as url,
        Client(url, rev_token) as rev,
        Client(url, ann_token) as ann,
    ):
        read = rev.sample_review("s1")
        assert isinstance(read, SampleReview)
        assert (read.annotations, read.verdict, read.status) == ([], None, "new")
        assert read.revision == rev.sample("s1").revision

        with pytest.raises(RuleViolation, match=r"verdict\.reason"):
            rev.review_sample("s1", [], Verdict("rejected"), read.revision)
        with pytest.raises(PermissionDenied):
            ann.review_sample("s1", [Decision("b1", "accepted")], None, read.revision)

        given = rev.review_sample(
            "s1",
            [Decision("b1", "rejected", "too wide")],
            Verdict("rejected", "fix b1"),
            read.revision,
        )
        (decision,) = given.annotations
        assert (decision.annotation, decision.decision, decision.reason) == (
            "b1",
            "rejected",
            "too wide",
        )
        assert given.verdict is not None
        assert (given.verdict.decision, given.verdict.reason, given.status) == (
            "rejected",
            "fix b1",
            "in_progress",
        )
        assert given.revision == rev.sample("s1").revision > read.revision
        assert ann.sample_review("s1") == given

        with pytest.raises(ConflictError):
            rev.review_sample("s1", [], Verdict("accepted"), read.revision)
