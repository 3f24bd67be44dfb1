"""Review decisions and sample verdicts (`rosetta.services.reviews`) on SQLite and
PostgreSQL: the latest decision wins, an edit makes it outdated, a verdict moves the
sample's status, everything is an event, and a refused request writes nothing; the table
of migration 0006 and its index."""

from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, event, func, inspect, select

from builders import box, empty_sample, insert_sample, span, streams_of
from rosetta.core.errors import ConflictError, PermissionDenied, RuleViolation
from rosetta.core.geometry import Box
from rosetta.core.policies import Access, Assignment, Principal, Role
from rosetta.core.schema import Project, Sample
from rosetta.services.catalog import sample_revision
from rosetta.services.editing import delete_annotation, update_annotation
from rosetta.services.reviews import (
    MAX_REASON,
    Decision,
    SampleReview,
    Verdict,
    decide,
    sample_review,
    seen_by,
)
from rosetta.store.engine import alembic_config
from rosetta.store.events import Actor, history
from rosetta.store.tables import events, reviews, samples

REV = Actor("rev")


def reviewer(project_id: str) -> Access:
    return Access(Principal("u-rev", "rev"), project_id, Role.REVIEWER)


def annotator(project_id: str, name: str = "ann") -> Access:
    return Access(Principal(f"u-{name}", name), project_id, Role.ANNOTATOR)


@pytest.fixture
def sample(engine: Engine, project: Project) -> Sample:
    """Sample s1 with ann's box "b1" and caption span "t1", and bob's box "b2"."""
    return insert_sample(
        engine,
        project.id,
        Sample(
            id="s1",
            streams=streams_of("s1"),
            annotations=[
                box("b1", "s1", "person").model_copy(update={"author": "ann", "revision": 1}),
                span("t1", "s1", 3, 12).model_copy(update={"author": "ann", "revision": 1}),
                box("b2", "s1", "flag", x=300).model_copy(update={"author": "bob", "revision": 1}),
            ],
        ),
    )


def revision(engine: Engine, sample_id: str = "s1") -> int:
    with engine.connect() as connection:
        return sample_revision(connection, sample_id)


def review_of(engine: Engine, sample_id: str = "s1") -> SampleReview:
    with engine.connect() as connection:
        return sample_review(connection, sample_id)


def counts(engine: Engine) -> tuple[int, int, str]:
    """How many reviews and events are stored, and the sample's status."""
    with engine.connect() as connection:
        return (
            connection.execute(select(func.count()).select_from(reviews)).scalar_one(),
            connection.execute(select(func.count()).select_from(events)).scalar_one(),
            connection.execute(select(samples.c.status).where(samples.c.id == "s1")).scalar_one(),
        )


def give(
    engine: Engine, project: Project, *items: Decision, verdict: Verdict | None = None
) -> SampleReview:
    return decide(
        engine,
        REV,
        reviewer(project.id),
        "s1",
        decisions=items,
        verdict=verdict,
        expected_revision=revision(engine),
    )


def test_decisions_are_recorded_with_the_revision_they_judged(
    engine: Engine, project: Project, sample: Sample
) -> None:
    before = revision(engine)
    review = give(
        engine,
        project,
        Decision("b1", "accepted"),
        Decision("t1", "rejected", "the span should cover the whole suit"),
    )
    assert review.revision > before
    assert review.status == "new"
    assert review.verdict is None
    found = {item.annotation: item for item in review.annotations}
    assert set(found) == {"b1", "t1"}
    assert (found["b1"].decision, found["b1"].reason, found["b1"].author) == (
        "accepted",
        None,
        "ann",
    )
    assert (found["t1"].decision, found["t1"].reason) == (
        "rejected",
        "the span should cover the whole suit",
    )
    assert all(item.revision == 1 and not item.outdated for item in review.annotations)
    assert all(item.reviewer == "rev" for item in review.annotations)
    assert review_of(engine) == review
    with engine.connect() as connection:
        logged = [(e.action, e.actor, e.revision, e.after) for e in history(connection, "t1")]
    assert logged[-1] == (
        "review",
        "rev",
        1,
        {"decision": "rejected", "reason": "the span should cover the whole suit", "revision": 1},
    )


def test_the_latest_decision_wins_and_an_edit_makes_it_outdated(
    engine: Engine, project: Project, sample: Sample
) -> None:
    give(engine, project, Decision("b1", "rejected", "too wide"))
    give(engine, project, Decision("b1", "accepted"))
    (latest,) = review_of(engine).annotations
    assert (latest.decision, latest.reason, latest.outdated) == ("accepted", None, False)

    update_annotation(engine, project.id, "b1", 1, Actor("ann"), geometry=Box(x=5, y=5, w=50, h=50))
    (outdated,) = review_of(engine).annotations
    assert (outdated.decision, outdated.revision, outdated.current_revision) == ("accepted", 1, 2)
    assert outdated.outdated

    give(engine, project, Decision("b1", "accepted"))
    (again,) = review_of(engine).annotations
    assert (again.revision, again.outdated) == (2, False)


def test_a_deleted_annotation_keeps_its_decisions_out_of_sight(
    engine: Engine, project: Project, sample: Sample
) -> None:
    give(engine, project, Decision("b1", "rejected", "not a person"), Decision("t1", "accepted"))
    delete_annotation(engine, project.id, "b1", 1, Actor("ann"))
    assert [item.annotation for item in review_of(engine).annotations] == ["t1"]
    assert counts(engine)[0] == 2  # the row stays, as the annotation's events do


@pytest.mark.parametrize(("outcome", "status"), [("accepted", "done"), ("rejected", "in_progress")])
def test_a_verdict_moves_the_sample_status(
    engine: Engine, project: Project, sample: Sample, outcome: str, status: str
) -> None:
    judged = revision(engine)
    review = give(engine, project, verdict=Verdict(outcome, "see the caption span"))
    assert review.status == status
    assert review.verdict is not None
    assert (review.verdict.decision, review.verdict.reason, review.verdict.revision) == (
        outcome,
        "see the caption span",
        judged,
    )
    assert counts(engine)[2] == status
    with engine.connect() as connection:
        logged = [(e.action, e.before, e.after) for e in history(connection, "s1")][-2:]
    assert logged == [
        (
            "review",
            None,
            {"decision": outcome, "reason": "see the caption span", "revision": judged},
        ),
        (
            "update",
            {"status": "new", "metadata": {}},
            {"status": status, "metadata": {}},
        ),
    ]
    assert review.revision == revision(engine)


def test_a_later_verdict_replaces_the_earlier(
    engine: Engine, project: Project, sample: Sample
) -> None:
    give(engine, project, verdict=Verdict("rejected", "label the flag"))
    review = give(engine, project, Decision("b2", "accepted"), verdict=Verdict("accepted"))
    assert review.verdict is not None
    assert (review.verdict.decision, review.verdict.reason, review.status) == (
        "accepted",
        None,
        "done",
    )


@pytest.mark.parametrize(
    ("decisions", "verdict", "field", "rule"),
    [
        ([], Verdict("rejected"), "verdict.reason", "review-reason"),
        ([], Verdict("rejected", "   "), "verdict.reason", "review-reason"),
        ([], Verdict("maybe"), "verdict.decision", "review-decision"),
        ([], None, "decisions", "review-empty"),
        (
            [Decision("b1", "accepted"), Decision("t1", "fine")],
            None,
            "decisions[1].decision",
            "review-decision",
        ),
        (
            [Decision("b1", "accepted"), Decision("b1", "rejected")],
            None,
            "decisions[1].annotation",
            "review-repeated",
        ),
        (
            [Decision("b1", "rejected", "x" * (MAX_REASON + 1))],
            None,
            "decisions[0].reason",
            "review-reason",
        ),
        (
            [Decision("b1", "accepted"), Decision("elsewhere", "accepted")],
            Verdict("accepted"),
            "decisions[1].annotation",
            "review-annotation",
        ),
    ],
)
def test_a_bad_request_names_the_field_and_writes_nothing(
    engine: Engine,
    project: Project,
    sample: Sample,
    *,
    decisions: list[Decision],
    verdict: Verdict | None,
    field: str,
    rule: str,
) -> None:
    before = counts(engine)
    with pytest.raises(RuleViolation) as refused:
        give(engine, project, *decisions, verdict=verdict)
    assert (refused.value.obj, refused.value.field, refused.value.rule) == (
        "review of sample 's1'",
        field,
        rule,
    )
    assert counts(engine) == before


def test_an_annotation_of_another_sample_is_not_one_of_this_sample(
    engine: Engine, project: Project, sample: Sample
) -> None:
    empty_sample(engine, project.id, "s2")
    with pytest.raises(RuleViolation, match="'b1' is not an annotation of the sample"):
        decide(
            engine,
            REV,
            reviewer(project.id),
            "s2",
            decisions=[Decision("b1", "accepted")],
            verdict=None,
            expected_revision=revision(engine, "s2"),
        )


def test_a_stale_revision_is_a_conflict_carrying_the_review_now(
    engine: Engine, project: Project, sample: Sample
) -> None:
    read = revision(engine)
    give(engine, project, Decision("b1", "accepted"))
    before = counts(engine)
    with pytest.raises(ConflictError) as conflict:
        decide(
            engine,
            REV,
            reviewer(project.id),
            "s1",
            decisions=[Decision("t1", "rejected")],
            verdict=Verdict("accepted"),
            expected_revision=read,
        )
    assert (conflict.value.expected, conflict.value.actual) == (read, revision(engine))
    assert [item["annotation"] for item in conflict.value.current["annotations"]] == ["b1"]
    assert counts(engine) == before


def test_annotators_may_not_review(engine: Engine, project: Project, sample: Sample) -> None:
    before = counts(engine)
    with pytest.raises(PermissionDenied, match="you may not review sample 's1'"):
        decide(
            engine,
            Actor("ann"),
            annotator(project.id),
            "s1",
            decisions=[Decision("b1", "accepted")],
            verdict=Verdict("accepted"),
            expected_revision=revision(engine),
        )
    assert counts(engine) == before


def test_annotators_see_the_decisions_on_their_own_work_and_the_verdict(
    engine: Engine, project: Project, sample: Sample
) -> None:
    review = give(
        engine,
        project,
        Decision("b1", "accepted"),
        Decision("b2", "rejected", "that is not a flag"),
        verdict=Verdict("rejected", "fix the flag"),
    )
    mine = Assignment("s1", "u-ann")
    seen = seen_by(review, annotator(project.id), mine, gold=False)
    assert [item.annotation for item in seen.annotations] == ["b1"]
    assert seen.verdict == review.verdict
    bobs = seen_by(
        review, annotator(project.id, "bob"), Assignment("s1", "u-bob", blind=True), gold=False
    )
    assert [item.annotation for item in bobs.annotations] == ["b2"]
    gold = seen_by(review, annotator(project.id), mine, gold=True)
    assert (gold.annotations, gold.verdict) == ([], None)
    unassigned = seen_by(review, annotator(project.id), None, gold=False)
    assert (unassigned.annotations, unassigned.verdict) == ([], None)
    assert seen_by(review, reviewer(project.id), None, gold=True) == review


def _plan(connection: Connection, statement: str, parameters: Any) -> str:
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return "\n".join(str(row[-1]) for row in rows)
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # the tables are tiny
    rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
    return "\n".join(str(row[0]) for row in rows)


def test_the_latest_decisions_are_found_through_the_index(
    engine: Engine, project: Project, sample: Sample
) -> None:
    give(engine, project, Decision("b1", "accepted"), verdict=Verdict("accepted"))
    seen: list[tuple[str, Any]] = []

    def capture(*args: Any) -> None:
        seen.append((args[2], args[3]))

    with engine.connect() as connection:
        event.listen(engine, "before_cursor_execute", capture)
        try:
            sample_review(connection, "s1")
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        latest = next(s for s in seen if "FROM reviews" in s[0])
        assert "ix_reviews_sample_id_object_kind_object_id_pk" in _plan(connection, *latest)


def test_downgrading_drops_the_reviews_and_upgrading_brings_the_table_back(
    engine: Engine, project: Project, sample: Sample
) -> None:
    config = alembic_config(engine)
    command.downgrade(config, "0005")
    assert "reviews" not in inspect(engine).get_table_names()
    command.upgrade(config, "head")
    assert give(engine, project, Decision("t1", "accepted")).annotations[0].annotation == "t1"
