"""A project's quality report: agreement within and across modalities
(`rosetta.services.project_agreement`), the findings of the QA checks
(`rosetta.services.findings`), hierarchy drift, and reviewers' whole-sample verdicts, as
one `QualityReport` — the JSON twin of the HTML page `rosetta.services.report_html`
draws, and the body of ``GET /api/projects/{project}/qa/report``.

Everything is counted by the database or streamed in batches; nothing loads the project.
"""

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import Connection, Table, func, select

from rosetta.core.quality_model import (
    AnnotatorFindings,
    DriftPair,
    FindingCount,
    FindingsOnDay,
    FindingsSummary,
    HolisticSummary,
    QualityReport,
    ReasonCount,
    Totals,
)
from rosetta.services.findings import day_date, day_number, findings_summary
from rosetta.services.project_agreement import project_agreement
from rosetta.services.projects import load_ontology
from rosetta.store.tables import annotations, entities, findings, links, projects, reviews, samples

#: The most reasons the report lists (the most frequent).
REASONS = 20


def quality_report(
    connection: Connection, project_id: str, *, now: datetime | None = None
) -> QualityReport:
    """The quality report of the project, read in `connection` (one snapshot)."""
    project = connection.execute(
        select(projects.c.name, projects.c.ontology_version).where(projects.c.id == project_id)
    ).one()
    ontology = load_ontology(connection, project_id)
    agreement = project_agreement(connection, project_id, ontology)
    summary = findings_summary(connection, project_id)
    per_annotator: dict[str, Counter[str]] = {}
    for item in summary.annotators:
        per_annotator.setdefault(item.annotator, Counter())[item.status] += item.count
    return QualityReport(
        project=project_id,
        name=project.name,
        ontology_version=project.ontology_version,
        generated_at=(now or datetime.now(UTC)).isoformat(timespec="seconds"),
        totals=_totals(connection, project_id),
        within=agreement.within,
        classes=agreement.classes,
        confusions=agreement.confusions,
        links=agreement.links,
        findings=FindingsSummary(
            by_check=[
                FindingCount(
                    check=item.check,
                    severity=item.severity.value,
                    status=item.status,
                    count=item.count,
                )
                for item in summary.checks
            ],
            over_time=_findings_by_day(connection, project_id),
            per_annotator=[
                AnnotatorFindings(annotator=name, open=counts["open"], total=sum(counts.values()))
                for name, counts in sorted(per_annotator.items())
            ],
        ),
        drift=[
            DriftPair(finer=d.finer, coarser=d.coarser, count=d.findings, samples=d.samples)
            for d in summary.drift
        ],
        holistic=_holistic(connection, project_id),
    )


def _count(connection: Connection, table: Table, project_id: str) -> int:
    return int(
        connection.execute(
            select(func.count()).select_from(table).where(table.c.project_id == project_id)
        ).scalar_one()
    )


def _totals(connection: Connection, project_id: str) -> Totals:
    return Totals(
        samples=_count(connection, samples, project_id),
        annotations=_count(connection, annotations, project_id),
        links=_count(connection, links, project_id),
        entities=_count(connection, entities, project_id),
    )


def _findings_by_day(connection: Connection, project_id: str) -> list[FindingsOnDay]:
    """Findings per check by the UTC day they were first seen."""
    day = day_number(connection, findings.c.first_seen)
    rows = connection.execute(
        select(day.label("day"), findings.c.check, func.count().label("n"))
        .where(findings.c.project_id == project_id)
        .group_by(day, findings.c.check)
        .order_by(day, findings.c.check)
    )
    return [
        FindingsOnDay(
            day=day_date(row.day),
            check=row.check,
            count=int(row.n),
        )
        for row in rows
    ]


def _holistic(connection: Connection, project_id: str) -> HolisticSummary:
    """The latest whole-sample verdict of each reviewed sample, and the reasons given."""
    latest = (
        select(func.max(reviews.c.pk))
        .where(reviews.c.project_id == project_id, reviews.c.object_kind == "sample")
        .group_by(reviews.c.sample_id)
    )
    rows = connection.execute(
        select(reviews.c.decision, reviews.c.reason).where(reviews.c.pk.in_(latest))
    ).all()
    verdicts = Counter(row.decision for row in rows)
    reasons = Counter(row.reason.strip() for row in rows if row.reason and row.reason.strip())
    return HolisticSummary(
        reviewed=len(rows),
        verdicts=dict(sorted(verdicts.items())),
        reasons=[
            ReasonCount(reason=reason, count=count)
            for reason, count in sorted(reasons.items(), key=lambda item: (-item[1], item[0]))[
                :REASONS
            ]
        ],
    )
