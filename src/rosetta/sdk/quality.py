"""QA checks and their findings: the installed checks, a project's findings and their
counts, a sample's findings, waiving or resolving one, and a batch run of the checks.

::

    for finding in rosetta.findings("my-project", status="open", severity="error"):
        print(finding.sample, finding.check, finding.message)
    rosetta.set_finding_status(finding.id, "waived", finding.revision, reason="a pole")
    job = rosetta.wait(rosetta.run_checks("my-project", checks=["stale-links"]))
    report = rosetta.quality_report("my-project")  # agreement, findings, drift, verdicts
"""

from collections.abc import Collection, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter

from rosetta.core.modality import Modality
from rosetta.core.quality_model import QualityReport
from rosetta.sdk.models import Job
from rosetta.sdk.pages import Page, Pages
from rosetta.sdk.transport import MethodGroup, if_match, segment

#: Where a finding stands.
FindingStatus = Literal["open", "resolved", "waived"]
#: How much a finding matters.
Severity = Literal["info", "warning", "error"]


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CheckInfo(_Answer):
    """An installed QA check: its name, what it finds, the modalities a sample must have
    for it to run, and whether it needs an embedder."""

    name: str
    description: str
    modalities: list[Modality]
    needs_embedder: bool


class FindingRecord(_Answer):
    """What check found what on which sample (`subjects`: the annotations, entities and
    links involved, the first to look at first; `detail`: the numbers behind the message),
    its status, who changed that last (``None``: the checks) and why, when it was first and
    last found and its status changed (seconds since the epoch), and its revision."""

    id: str
    project: str
    sample: str
    check: str
    severity: Severity
    status: FindingStatus
    message: str
    fix: str | None
    subjects: list[str]
    detail: dict[str, Any]
    revision: int
    first_seen: float
    last_seen: float
    status_changed_at: float | None
    status_by: str | None
    reason: str | None


class CheckCount(_Answer):
    """Findings of one check with one severity and status."""

    check: str
    severity: Severity
    status: FindingStatus
    count: int


class AnnotatorCount(_Answer):
    """Findings with one status about one annotator's work."""

    annotator: str
    status: FindingStatus
    count: int


class DayCount(_Answer):
    """Findings first seen on one day (UTC, ``YYYY-MM-DD``) and how many are still open."""

    day: str
    found: int
    open: int


class DriftPair(_Answer):
    """Open hierarchy-drift findings of one pair of classes (`finer` in one modality, its
    ancestor `coarser` in another) and on how many samples."""

    finer: str
    coarser: str
    findings: int
    samples: int


class FindingSummary(_Answer):
    """A project's findings counted: all and open, by check × severity × status, by
    annotator × status, by the day first seen, and the drift pairs."""

    project: str
    total: int
    open: int
    checks: list[CheckCount]
    annotators: list[AnnotatorCount]
    days: list[DayCount]
    drift: list[DriftPair]


_CHECKS = TypeAdapter(list[CheckInfo])
_FINDING = TypeAdapter(FindingRecord)
_FINDINGS = TypeAdapter(list[FindingRecord])
_SUMMARY = TypeAdapter(FindingSummary)
_JOB = TypeAdapter(Job)
_REPORT = TypeAdapter(QualityReport)


class QualityMethods(MethodGroup):
    """QA checks and findings."""

    def checks(self) -> list[CheckInfo]:
        """The QA checks installed on the server, by name."""
        return self._http.parse(_CHECKS, "GET", "/api/checks")

    def findings(
        self,
        project: str,
        *,
        status: FindingStatus | None = None,
        check: str | None = None,
        severity: Severity | None = None,
        sample: str | None = None,
        annotator: str | None = None,
        page_size: int = 100,
    ) -> Pages[FindingRecord]:
        """The project's findings, oldest first, with `status`, found by `check`, of
        `severity`, on `sample`, about work by `annotator` (each when given), read
        `page_size` at a time as iteration goes (reviewers and above)."""
        path = f"/api/projects/{segment(project)}/findings"
        filters = {
            "status": status,
            "check": check,
            "severity": severity,
            "sample": sample,
            "annotator": annotator,
            "limit": page_size,
        }

        def fetch(cursor: str | None) -> Page[FindingRecord]:
            body = self._http.request("GET", path, params={**filters, "cursor": cursor}).json()
            return _FINDINGS.validate_python(body["items"]), body["next_cursor"]

        return Pages(f"findings of project {project!r}", fetch)

    def findings_summary(self, project: str) -> FindingSummary:
        """The project's findings counted by check, severity, status, annotator and day,
        and its hierarchy drift pairs (reviewers and above)."""
        path = f"/api/projects/{segment(project)}/findings/summary"
        return self._http.parse(_SUMMARY, "GET", path)

    def sample_findings(self, sample_id: str) -> list[FindingRecord]:
        """The findings on the sample the caller sees, oldest first (annotators: those
        about work they see)."""
        return self._http.parse(_FINDINGS, "GET", f"/api/samples/{segment(sample_id)}/findings")

    def set_finding_status(
        self,
        finding_id: str,
        status: FindingStatus,
        expected_revision: int,
        *,
        reason: str | None = None,
    ) -> FindingRecord:
        """Set the finding's status (reviewers and above): ``waived`` (`reason` required:
        the checks will not raise it again), ``resolved``, or ``open`` again. The finding
        must still be at `expected_revision` (else `ConflictError`); the finding after."""
        body = {"status": status, "reason": reason}
        return self._http.parse(
            _FINDING,
            "PATCH",
            f"/api/findings/{segment(finding_id)}",
            json=body,
            headers=if_match(expected_revision),
        )

    def run_checks(
        self,
        project: str,
        *,
        checks: Collection[str] | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> Job:
        """Queue a batch run of the QA checks `checks` (none: every installed one) with the
        tolerances `settings` changed over every sample of the project (managers); follow
        the job with `wait`. The same run queued or running already is returned instead."""
        body: dict[str, Any] = {"checks": None if checks is None else list(checks)}
        if settings is not None:
            body["settings"] = dict(settings)
        path = f"/api/projects/{segment(project)}/qa/runs"
        return self._http.parse(_JOB, "POST", path, json=body)

    def quality_report(self, project: str) -> QualityReport:
        """The project's quality report: agreement within and across modalities, the
        checks' findings, drift and reviewers' verdicts (reviewers and above); the same
        numbers as ``rosetta qa report``'s JSON."""
        return self._http.parse(_REPORT, "GET", f"/api/projects/{segment(project)}/qa/report")
