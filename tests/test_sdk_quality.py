"""The SDK's QA methods against a real server on loopback, with the test checks installed
as a package installs them: the installed checks, a project's findings page by page, a
sample's as an annotator sees them, a reviewer waiving one (a stale revision is a
`ConflictError`, an annotator's try a `PermissionDenied`), the summary, the open findings
in annotator metrics, and a manager's batch run followed to its end."""

from pathlib import Path

import pytest
from sqlalchemy import Engine

from builders import box, empty_sample
from loopback import api_token, serve
from qa_checks import PLUGIN_ENTRY_POINTS, installed
from rosetta.core.errors import ConflictError, PermissionDenied, RuleViolation
from rosetta.core.geometry import Box
from rosetta.core.policies import Role
from rosetta.core.schema import Project
from rosetta.sdk import Client, FindingRecord
from rosetta.services.accounts import assign
from rosetta.services.editing import create_annotation
from rosetta.services.settings import Settings
from rosetta.store.events import Actor


def test_findings_through_the_sdk(engine: Engine, project: Project, tmp_path: Path) -> None:
    for n in range(3):
        empty_sample(engine, project.id, f"s{n}")
        thin = box(f"b{n}", f"s{n}", "person").model_copy(
            update={"geometry": Box(x=1, y=1, w=0.5 + n, h=30)}
        )
        create_annotation(engine, project.id, f"s{n}", thin, Actor("ann"))
    tokens = {
        name: api_token(engine, name, project_id=project.id, role=role)
        for name, role in (("ann", Role.ANNOTATOR), ("rev", Role.REVIEWER), ("boss", Role.MANAGER))
    }
    assign(engine, Actor("tester"), "s0", "ann")
    settings = Settings(data_dir=tmp_path / "data", job_workers=1)
    with (
        installed(tmp_path / "site", {"rosetta_test_checks": PLUGIN_ENTRY_POINTS}),
        serve(engine, settings) as url,
        Client(url, tokens["ann"]) as ann,
        Client(url, tokens["rev"]) as rev,
        Client(url, tokens["boss"]) as boss,
    ):
        checks = {check.name: check for check in ann.checks()}
        assert checks["narrow-box"].modalities == ["image"]
        assert not checks["narrow-box"].needs_embedder and checks["stale-links"].description

        found = rev.findings(project.name, check="narrow-box", page_size=1)
        listed = list(found)
        assert [f.subjects for f in listed] == [["b0"], ["b1"]]  # b2 is 2.5 px wide
        assert found.pages_read == 2
        assert all(isinstance(f, FindingRecord) and f.status == "open" for f in listed)
        assert [f.subjects for f in rev.findings(project.name, sample="s1")] == [["b1"]]

        mine = [f for f in ann.sample_findings("s0") if f.check == "narrow-box"]
        assert [(f.id, f.message) for f in mine] == [(listed[0].id, "box b0 is 0.5 px wide")]
        with pytest.raises(PermissionDenied):
            ann.findings(project.name).__next__()
        with pytest.raises(PermissionDenied):
            ann.set_finding_status(listed[0].id, "resolved", 1)

        with pytest.raises(RuleViolation, match="reason"):
            rev.set_finding_status(listed[0].id, "waived", 1)
        waived = rev.set_finding_status(listed[0].id, "waived", 1, reason="a wire")
        assert (waived.status, waived.status_by, waived.reason, waived.revision) == (
            "waived",
            "rev",
            "a wire",
            2,
        )
        with pytest.raises(ConflictError):
            rev.set_finding_status(listed[0].id, "open", 1)

        summary = rev.findings_summary(project.name)
        counts = {(c.check, c.status): c.count for c in summary.checks if c.check == "narrow-box"}
        assert counts == {("narrow-box", "open"): 1, ("narrow-box", "waived"): 1}
        assert [(a.status, a.count) for a in summary.annotators if a.annotator == "ann"] == [
            ("open", 1),
            ("waived", 1),
        ]
        metrics = rev.annotator_metrics(project.name)
        (person,) = [p for p in metrics.annotators if p.user == "ann"]
        assert person.metrics.open_findings == 1
        # a new narrow box counts at once: the metrics check what changed first
        create_annotation(
            engine,
            project.id,
            "s2",
            box("b3", "s2", "person").model_copy(update={"geometry": Box(x=1, y=1, w=1, h=9)}),
            Actor("ann"),
        )
        (person,) = [p for p in rev.annotator_metrics(project.name).annotators if p.user == "ann"]
        assert person.metrics.open_findings == 2

        with pytest.raises(PermissionDenied):
            rev.run_checks(project.name)
        job = boss.run_checks(project.name, checks=["narrow-box"], settings={"projection_iou": 0.4})
        assert (job.kind, job.params["checks"]) == ("qa", ["narrow-box"])
        done = boss.wait(job, poll=0.02, timeout=60)
        assert done.result is not None
        assert (done.result["samples"], done.result["findings"]) == (
            3,
            {"narrow-box": {"warning": 3}},  # b0, b1 and b3
        )
