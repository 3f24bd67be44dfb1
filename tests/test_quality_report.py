"""The quality report on both backends: the demo's samples with a second annotator's
perturbed copy (`overlap_samples`), checked by every installed check, two whole-sample
verdicts. The report is the pooled agreement, the findings' counts and the verdicts, the
same through the service, the CLI's JSON twin, the API and the SDK; its HTML page draws
them with inline SVG and runs nothing."""

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from conftest import TESTER
from loopback import api_token, serve
from overlap_samples import with_bob
from rosetta.api.app import create_app
from rosetta.cli.main import app as cli
from rosetta.core.ontology import Ontology
from rosetta.core.policies import Access, Principal, Role
from rosetta.core.quality_model import QualityReport
from rosetta.core.schema import Project
from rosetta.demo.build import demo_samples
from rosetta.sdk import Client
from rosetta.services.catalog import sample_revision
from rosetta.services.findings import findings_summary
from rosetta.services.importer import import_samples
from rosetta.services.project_agreement import project_agreement
from rosetta.services.projects import create_project, load_ontology
from rosetta.services.qa_runs import check_project
from rosetta.services.quality_report import quality_report
from rosetta.services.report_html import render_report
from rosetta.services.reviews import Verdict, decide
from rosetta.services.settings import Settings
from rosetta.store.engine import open_store
from rosetta.store.events import Actor

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
REASON = "the caption names a flag the photo cuts off"


@pytest.fixture
def reported(engine: Engine, project: Project) -> Project:
    """The project with ada's and bob's work on every demo sample, checked, and verdicts
    on two samples (portrait rejected, spoken-1 accepted)."""
    return _reported(engine, project)


def _reported(engine: Engine, project: Project) -> Project:
    import_samples(engine, project.id, [with_bob(s) for s in demo_samples()], TESTER)
    check_project(engine, project.id)
    access = Access(Principal("u-rev", "rev"), project.id, Role.REVIEWER)
    for sample, verdict in (
        ("portrait", Verdict("rejected", REASON)),
        ("spoken-1", Verdict("accepted")),
    ):
        with engine.connect() as connection:
            revision = sample_revision(connection, sample)
        decide(
            engine,
            Actor("rev"),
            access,
            sample,
            decisions=(),
            verdict=verdict,
            expected_revision=revision,
        )
    return project


def _report(engine: Engine, project: Project) -> QualityReport:
    with engine.connect() as connection:
        return quality_report(connection, project.id, now=NOW)


def test_the_report_gathers_agreement_findings_and_verdicts(
    engine: Engine, reported: Project
) -> None:
    report = _report(engine, reported)
    with engine.connect() as connection:
        agreement = project_agreement(
            connection, reported.id, load_ontology(connection, reported.id)
        )
        summary = findings_summary(connection, reported.id)
    assert (report.project, report.name, report.ontology_version) == (
        reported.id,
        "test-project",
        1,
    )
    assert report.generated_at == "2026-11-21T12:00:00+00:00"
    samples = demo_samples()
    assert report.totals.samples == len(samples)
    assert report.totals.annotations == 2 * sum(len(s.annotations) for s in samples) + 1
    assert report.totals.links == 2 * sum(len(s.links) for s in samples)
    assert report.totals.entities == 2 * sum(len(s.entities) for s in samples)
    assert (report.within, report.classes, report.confusions, report.links) == (
        agreement.within,
        agreement.classes,
        agreement.confusions,
        agreement.links,
    )
    assert sum(c.count for c in report.findings.by_check) == summary.total > 0
    assert {(c.check, c.status) for c in report.findings.by_check} == {
        (c.check, c.status) for c in summary.checks
    }
    # every finding was first seen today, by the checks named in the counts
    today = datetime.now(UTC).date().isoformat()
    assert {d.day for d in report.findings.over_time} == {today}
    assert sum(d.count for d in report.findings.over_time) == summary.total
    assert {a.annotator for a in report.findings.per_annotator} <= {"ada", "bob"}
    assert report.holistic.reviewed == 2
    assert report.holistic.verdicts == {"accepted": 1, "rejected": 1}
    assert [(r.reason, r.count) for r in report.holistic.reasons] == [(REASON, 1)]


def test_the_page_draws_every_section_and_runs_nothing(engine: Engine, reported: Project) -> None:
    report = _report(engine, reported)
    page = render_report(report)
    assert "<script" not in page.lower()
    assert "default-src 'none'" in page
    for heading in (
        "1. Agreement within modalities",
        "Agreement per class and modality",
        "Confusion of labels on matched annotations",
        "2. Agreement across modalities",
        "Findings of the automated checks",
        "Findings by check over time",
        "3. Whole samples",
    ):
        assert heading in page
    assert page.count("<svg") >= 4
    assert REASON in page
    assert render_report(report) == page  # the same report draws the same bytes


def test_a_label_cannot_become_markup(engine: Engine, reported: Project) -> None:
    report = _report(engine, reported).model_copy(update={"name": "<img src=x onerror=alert(1)>"})
    page = render_report(report)
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_the_cli_writes_the_page_and_its_json_twin(tmp_path: Path, demo_ontology: Ontology) -> None:
    """The CLI opens a store by its URL: a file of its own."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = open_store(url)
    reported = _reported(engine, create_project(engine, "test-project", demo_ontology, TESTER))
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        cli, ["--db", url, "qa", "report", "test-project", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert f"Wrote the quality report of test-project to {out}" in " ".join(result.stdout.split())
    twin = QualityReport.model_validate(json.loads(out.with_suffix(".json").read_text()))
    expected = _report(engine, reported)
    assert twin.model_copy(update={"generated_at": ""}) == expected.model_copy(
        update={"generated_at": ""}
    )
    assert "<svg" in out.read_text()
    engine.dispose()


def test_the_api_and_the_sdk_answer_the_same_numbers(
    tmp_path: Path, engine: Engine, reported: Project
) -> None:
    token = api_token(engine, "rev", project_id=reported.id, role=Role.REVIEWER)
    annotator = api_token(engine, "ann", project_id=reported.id, role=Role.ANNOTATOR)
    expected = _report(engine, reported).model_copy(update={"generated_at": ""})
    settings = Settings(data_dir=tmp_path / "data", job_workers=1)
    with TestClient(create_app(engine, settings)) as http:
        answer = http.get(
            f"/api/projects/{reported.id}/qa/report", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200
        found = QualityReport.model_validate(answer.json())
        assert found.model_copy(update={"generated_at": ""}) == expected
        page = http.get(
            f"/api/projects/{reported.id}/qa/report.html",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert re.match(r"default-src 'none'", page.headers["content-security-policy"])
        refused = http.get(
            f"/api/projects/{reported.id}/qa/report",
            headers={"Authorization": f"Bearer {annotator}"},
        )
        assert refused.status_code == 403
    with serve(engine, settings) as url, Client(url, token) as client:
        through_sdk = client.quality_report("test-project")
    assert through_sdk.model_copy(update={"generated_at": ""}) == expected
