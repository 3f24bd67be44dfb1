"""Findings as data (`rosetta.services.findings`) on SQLite and PostgreSQL: what the checks
find is upserted by key, resolved when a check that ran finds it no more, reopened when it
comes back; a waived finding stays waived; people's status changes are versioned events
(a stale revision is a conflict); listings filter and page; annotators see findings only
about work they see; the summary counts by check, severity, status, annotator, day and
drift pair, and annotator metrics count each person's open findings."""

import datetime
from collections.abc import Sequence
from dataclasses import replace

import pytest
from sqlalchemy import Engine, func, select

from builders import box, empty_sample, span
from qa_checks import Broken, LinkedLabels, NarrowBox
from rosetta.core.checks import Check, Finding, Severity
from rosetta.core.errors import ConflictError, NotFoundError, RosettaError, RuleViolation
from rosetta.core.geometry import Box
from rosetta.core.policies import Access, Assignment, Principal, Role
from rosetta.core.schema import Annotation, Link, Project
from rosetta.services.accounts import create_user, find_user
from rosetta.services.annotator_metrics import project_metrics
from rosetta.services.catalog import sample_revision
from rosetta.services.editing import create_annotation, create_link, update_annotation
from rosetta.services.findings import (
    FindingRecord,
    Recorded,
    find_finding,
    findings_summary,
    project_findings,
    record_findings,
    sample_findings,
    seen_by,
    set_finding_status,
)
from rosetta.services.metric_scope import MetricScope
from rosetta.services.projects import load_ontology
from rosetta.services.qa_runs import check_sample
from rosetta.store.engine import write_transaction
from rosetta.store.events import Actor, history
from rosetta.store.records import load_sample
from rosetta.store.tables import finding_authors, findings

ANN, BOB, REV = Actor("ann"), Actor("bob"), Actor("rev")
CHECKS: list[Check] = [NarrowBox(), LinkedLabels()]


def narrow(ident: str, sample_id: str, width: float, label: str = "person") -> Annotation:
    """A box `width` pixels wide on the sample's photo."""
    return box(ident, sample_id, label).model_copy(
        update={"geometry": Box(x=5, y=5, w=width, h=40)}
    )


def run(
    engine: Engine, project: Project, sample_id: str, checks: Sequence[Check] = CHECKS
) -> Recorded:
    """Check the stored sample with `checks` and record what they found."""
    with engine.connect() as connection:
        sample = load_sample(connection, sample_id)
        ontology = load_ontology(connection, project.id)
    checked = check_sample(sample, ontology, checks)
    with write_transaction(engine) as connection:
        return record_findings(connection, project.id, sample_id, checked.found, checked.ran)


def stored(engine: Engine, sample_id: str) -> dict[str, FindingRecord]:
    """The sample's findings by their first subject ("-": none)."""
    with engine.connect() as connection:
        found = sample_findings(connection, sample_id)
    return {(item.subjects or ["-"])[0]: item for item in found}


def test_found_again_updates_and_found_no_more_resolves(engine: Engine, project: Project) -> None:
    empty_sample(engine, project.id, "s1")
    create_annotation(engine, project.id, "s1", narrow("thin", "s1", 1.5), ANN)
    create_annotation(engine, project.id, "s1", narrow("wide", "s1", 60), BOB)
    assert run(engine, project, "s1") == Recorded(found=1, new=1)
    first = stored(engine, "s1")["thin"]
    assert (first.check, first.severity, first.status, first.revision) == (
        "narrow-box",
        Severity.WARNING,
        "open",
        1,
    )
    assert (first.message, first.fix, first.detail) == (
        "box thin is 1.5 px wide",
        "redraw it or delete it",
        {"width": 1.5},
    )
    assert first.first_seen == first.last_seen

    update_annotation(engine, project.id, "thin", 1, ANN, geometry=Box(x=5, y=5, w=0.5, h=40))
    assert run(engine, project, "s1") == Recorded(found=1)
    again = stored(engine, "s1")["thin"]
    assert (again.id, again.revision, again.status) == (first.id, 1, "open")
    assert (again.message, again.detail) == ("box thin is 0.5 px wide", {"width": 0.5})
    assert again.first_seen == first.first_seen < again.last_seen

    # found again unchanged: only the time it was last seen moves
    assert run(engine, project, "s1") == Recorded(found=1)
    unchanged = stored(engine, "s1")["thin"]
    assert unchanged.last_seen > again.last_seen
    assert replace(unchanged, last_seen=again.last_seen) == again
    again = unchanged

    update_annotation(engine, project.id, "thin", 2, ANN, geometry=Box(x=5, y=5, w=30, h=40))
    assert run(engine, project, "s1") == Recorded(resolved=1)
    gone = stored(engine, "s1")["thin"]
    assert (gone.status, gone.status_by, gone.revision) == ("resolved", None, 2)
    assert gone.status_changed_at is not None and gone.last_seen == again.last_seen

    update_annotation(engine, project.id, "thin", 3, ANN, geometry=Box(x=5, y=5, w=1, h=40))
    assert run(engine, project, "s1") == Recorded(found=1, reopened=1)
    back = stored(engine, "s1")["thin"]
    assert (back.id, back.status, back.revision, back.status_by) == (first.id, "open", 3, None)
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(findings)).scalar_one()
    assert count == 1


def test_a_check_that_did_not_run_or_failed_leaves_its_findings(
    engine: Engine, project: Project
) -> None:
    empty_sample(engine, project.id, "s1")
    create_annotation(engine, project.id, "s1", narrow("thin", "s1", 1), ANN)
    run(engine, project, "s1")
    update_annotation(engine, project.id, "thin", 1, ANN, geometry=Box(x=5, y=5, w=30, h=40))
    assert run(engine, project, "s1", [LinkedLabels()]) == Recorded()
    assert stored(engine, "s1")["thin"].status == "open"

    class FailingNarrowBox(Broken):
        name = "narrow-box"

    recorded = run(engine, project, "s1", [FailingNarrowBox()])
    assert recorded == Recorded(found=1, new=1)
    kept = stored(engine, "s1")
    assert kept["thin"].status == "open"
    failed = kept["-"]
    assert (failed.check, failed.severity, failed.detail) == (
        "narrow-box",
        Severity.ERROR,
        {"kind": "check-failed"},
    )
    assert "ZeroDivisionError" in failed.message

    assert run(engine, project, "s1") == Recorded(resolved=2)
    assert {f.status for f in stored(engine, "s1").values()} == {"resolved"}


def test_a_waived_finding_stays_waived(engine: Engine, project: Project) -> None:
    empty_sample(engine, project.id, "s1")
    create_annotation(engine, project.id, "s1", narrow("thin", "s1", 1), ANN)
    run(engine, project, "s1")
    found = stored(engine, "s1")["thin"]
    with pytest.raises(RuleViolation, match="reason"):
        set_finding_status(engine, REV, found.id, "waived", reason="  ", expected_revision=1)
    waived = set_finding_status(
        engine, REV, found.id, "waived", reason="a flagpole is thin", expected_revision=1
    )
    assert (waived.status, waived.status_by, waived.reason, waived.revision) == (
        "waived",
        "rev",
        "a flagpole is thin",
        2,
    )
    assert run(engine, project, "s1") == Recorded(found=1)
    assert stored(engine, "s1")["thin"].status == "waived"
    update_annotation(engine, project.id, "thin", 1, ANN, geometry=Box(x=5, y=5, w=30, h=40))
    assert run(engine, project, "s1") == Recorded()
    still = stored(engine, "s1")["thin"]
    assert (still.status, still.revision, still.reason) == ("waived", 2, "a flagpole is thin")


def test_status_changes_are_versioned_events_that_leave_the_sample_alone(
    engine: Engine, project: Project
) -> None:
    empty_sample(engine, project.id, "s1")
    create_annotation(engine, project.id, "s1", narrow("thin", "s1", 1), ANN)
    run(engine, project, "s1")
    found = stored(engine, "s1")["thin"]
    with engine.connect() as connection:
        revision = sample_revision(connection, "s1")
    resolved = set_finding_status(engine, REV, found.id, "resolved", expected_revision=1)
    assert (resolved.status, resolved.status_by, resolved.revision) == ("resolved", "rev", 2)
    with pytest.raises(ConflictError) as conflict:
        set_finding_status(engine, BOB, found.id, "waived", reason="no", expected_revision=1)
    assert conflict.value.current["status"] == "resolved"
    with pytest.raises(RuleViolation, match="resolved already"):
        set_finding_status(engine, REV, found.id, "resolved", expected_revision=2)
    reopened = set_finding_status(
        engine, REV, found.id, "open", reason="still thin", expected_revision=2
    )
    assert (reopened.status, reopened.reason, reopened.revision) == ("open", "still thin", 3)
    with pytest.raises(NotFoundError):
        set_finding_status(engine, REV, "nothing", "resolved", expected_revision=1)

    with engine.connect() as connection:
        trail = history(connection, found.id)
        assert sample_revision(connection, "s1") == revision
    assert [(e.object_kind, e.action, e.actor, e.revision, e.sample_id) for e in trail] == [
        ("finding", "resolve", "rev", 2, None),
        ("finding", "reopen", "rev", 3, None),
    ]
    assert trail[0].before["status"] == "open" and trail[0].after["status"] == "resolved"
    assert trail[1].note == "still thin"


def test_a_finding_on_another_sample_is_refused(engine: Engine, project: Project) -> None:
    empty_sample(engine, project.id, "s1")
    stray = Finding(check="x", severity=Severity.INFO, sample="s2", message="elsewhere")
    with write_transaction(engine) as connection, pytest.raises(RosettaError, match="s2"):
        record_findings(connection, project.id, "s1", [stray], ["x"])


@pytest.fixture
def linked(engine: Engine, project: Project) -> None:
    """s1: ann's thin box "thin" (a person), bob's span "who" (a cat) linked to it by
    bob, and bob's thin box "bobs"; s2: ann's thin box "other"."""
    empty_sample(engine, project.id, "s1")
    empty_sample(engine, project.id, "s2")
    create_annotation(engine, project.id, "s1", narrow("thin", "s1", 1), ANN)
    create_annotation(engine, project.id, "s1", span("who", "s1", 3, 12, label="cat"), BOB)
    create_annotation(engine, project.id, "s1", narrow("bobs", "s1", 1), BOB)
    create_link(
        engine, project.id, "s1", Link(id="ref", type="refers-to", source="who", target="thin"), BOB
    )
    create_annotation(engine, project.id, "s2", narrow("other", "s2", 1), ANN)
    run(engine, project, "s1")
    run(engine, project, "s2")


@pytest.mark.usefixtures("linked")
def test_listing_filters_and_pages(engine: Engine, project: Project) -> None:
    with engine.connect() as connection:
        everything = project_findings(connection, project.id)
        assert [f.subjects for f in everything.items] == [
            ["thin"],
            ["bobs"],
            ["ref", "who", "thin"],
            ["other"],
        ]
        assert everything.next_cursor is None
        authors: dict[str, int] = dict(
            connection.execute(
                select(findings.c.id, func.count())
                .join(finding_authors, finding_authors.c.finding_pk == findings.c.pk)
                .group_by(findings.c.id)
            ).all()
        )
        link_finding = everything.items[2]
        assert authors[link_finding.id] == 2  # ann's box, bob's span and bob's link

        def subjects(**filters: object) -> list[list[str]]:
            page = project_findings(connection, project.id, **filters)  # type: ignore[arg-type]
            return [f.subjects for f in page.items]

        assert subjects(check="linked-labels") == [["ref", "who", "thin"]]
        assert subjects(severity="warning", sample="s1") == [["thin"], ["bobs"]]
        assert subjects(annotator="bob") == [["bobs"], ["ref", "who", "thin"]]
        assert subjects(annotator="ann", check="narrow-box") == [["thin"], ["other"]]
        assert subjects(status="resolved") == []

        first = project_findings(connection, project.id, limit=3)
        assert len(first.items) == 3 and first.next_cursor is not None
        rest = project_findings(connection, project.id, limit=3, cursor=first.next_cursor)
        assert [f.subjects for f in rest.items] == [["other"]] and rest.next_cursor is None
        with pytest.raises(RuleViolation, match="cursor"):
            project_findings(connection, project.id, cursor="bm90LWEtY3Vyc29y")
        assert find_finding(connection, link_finding.id) == link_finding


@pytest.mark.usefixtures("linked")
def test_an_annotator_sees_findings_whose_subjects_are_all_work_they_see(
    engine: Engine, project: Project
) -> None:
    def as_person(name: str, role: Role, assignment: Assignment | None, *, gold: bool) -> list[str]:
        access = Access(Principal(f"u-{name}", name), project.id, role)
        with engine.connect() as connection:
            items = sample_findings(connection, "s1")
            return sorted(
                f.subjects[0] for f in seen_by(connection, items, access, assignment, gold=gold)
            )

    everything = ["bobs", "ref", "thin"]
    assert as_person("rev", Role.REVIEWER, None, gold=True) == everything
    assert as_person("ann", Role.ANNOTATOR, Assignment("s1", "u-ann"), gold=False) == everything
    blind = Assignment("s1", "u-ann", blind=True)
    assert as_person("ann", Role.ANNOTATOR, blind, gold=False) == ["thin"]
    assert as_person("bob", Role.ANNOTATOR, Assignment("s1", "u-bob", blind=True), gold=False) == [
        "bobs"
    ]
    assert as_person("ann", Role.ANNOTATOR, Assignment("s1", "u-ann"), gold=True) == []


def test_the_summary_counts_by_check_annotator_day_and_drift(
    engine: Engine, project: Project, linked: None
) -> None:
    thin = stored(engine, "s1")["thin"]
    set_finding_status(engine, REV, thin.id, "waived", reason="a pole", expected_revision=1)

    def drift(sample_id: str, member: str, finer: str, coarser: str) -> Finding:
        return Finding(
            check="entity-consistency",
            severity=Severity.INFO,
            sample=sample_id,
            subjects=(member,),
            message=f"{finer} here, {coarser} there",
            detail={"kind": "drift", "finer": finer, "coarser": coarser},
        )

    day = datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC).timestamp()
    with write_transaction(engine) as connection:
        record_findings(
            connection,
            project.id,
            "s1",
            [drift("s1", "thin", "cat", "animal"), drift("s1", "who", "car", "vehicle")],
            ["entity-consistency"],
            at=day,
        )
        record_findings(
            connection,
            project.id,
            "s2",
            [drift("s2", "other", "cat", "animal")],
            ["entity-consistency"],
            at=day + 3600,
        )
    with engine.connect() as connection:
        summary = findings_summary(connection, project.id)
    assert (summary.project, summary.total, summary.open) == (project.id, 7, 6)
    assert [(c.check, c.severity, c.status, c.count) for c in summary.checks] == [
        ("entity-consistency", Severity.INFO, "open", 3),
        ("linked-labels", Severity.ERROR, "open", 1),
        ("narrow-box", Severity.WARNING, "open", 2),
        ("narrow-box", Severity.WARNING, "waived", 1),
    ]
    assert [(a.annotator, a.status, a.count) for a in summary.annotators] == [
        ("ann", "open", 4),
        ("ann", "waived", 1),
        ("bob", "open", 3),
    ]
    today = datetime.datetime.fromtimestamp(thin.first_seen, datetime.UTC).date().isoformat()
    assert [(d.day, d.found, d.open) for d in summary.days] == [
        ("2026-03-01", 3, 3),
        (today, 4, 3),
    ]
    assert [(p.finer, p.coarser, p.findings, p.samples) for p in summary.drift] == [
        ("cat", "animal", 2, 2),
        ("car", "vehicle", 1, 1),
    ]


def test_annotator_metrics_count_the_open_findings_about_each_persons_work(
    engine: Engine, project: Project, linked: None
) -> None:
    for name in ("ann", "bob"):
        create_user(engine, name)
    thin = stored(engine, "s1")["thin"]
    set_finding_status(engine, REV, thin.id, "waived", reason="a pole", expected_revision=1)
    with engine.connect() as connection:
        everyone = project_metrics(connection, MetricScope(project.id))
        ann = find_user(connection, "ann")
        alone = project_metrics(connection, MetricScope(project.id, user_id=ann.id, user="ann"))
        later = project_metrics(connection, MetricScope(project.id, since=4_000_000_000.0))
    # ann: s2's thin box and bob's link to her box (hers waived); bob: his box and link
    assert {p.user: p.metrics.open_findings for p in everyone.annotators} == {"ann": 2, "bob": 2}
    assert everyone.total.open_findings == 3  # the link finding is counted once
    assert [(p.user, p.metrics.open_findings) for p in alone.annotators] == [("ann", 2)]
    assert later.total.open_findings == 0 and later.annotators == []
