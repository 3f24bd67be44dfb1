"""Escalations (`rosetta.services.escalations`) on SQLite and PostgreSQL: a question is
asked, answered or withdrawn, each change an event; an answer becomes a clarification in
the next ontology version; who sees which question and answer; refused requests write
nothing; the table of migration 0008 and its indexes."""

import datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, event, func, inspect, select, update

from builders import box, insert_sample, span, streams_of
from rosetta.core.errors import ConflictError, OntologyError, PermissionDenied, RuleViolation
from rosetta.core.policies import Access, Assignment, Principal, Role
from rosetta.core.schema import Project, Sample
from rosetta.services.catalog import sample_revision
from rosetta.services.escalations import (
    MAX_QUESTION,
    Clarified,
    Escalation,
    answer,
    ask,
    clarify,
    find_escalation,
    project_escalations,
    sample_escalations,
    seen_by,
    shown_to,
    withdraw,
)
from rosetta.services.projects import load_ontology
from rosetta.store.engine import alembic_config
from rosetta.store.events import Actor, history
from rosetta.store.tables import escalations, events, projects, samples

ANN, BOB, REV, BOSS = Actor("ann"), Actor("bob"), Actor("rev"), Actor("boss")
MINE = Assignment("s1", "u-ann")
BOBS_BLIND = Assignment("s1", "u-bob", blind=True)
TODAY = datetime.date(2026, 12, 19)


def person(project_id: str, name: str, role: Role) -> Access:
    return Access(Principal(f"u-{name}", name), project_id, role)


@pytest.fixture
def sample(engine: Engine, project: Project) -> Sample:
    """Sample s1 with ann's box "b1" and bob's box "b2"; sample s2, empty."""
    insert_sample(engine, project.id, Sample(id="s2", streams=streams_of("s2")))
    return insert_sample(
        engine,
        project.id,
        Sample(
            id="s1",
            streams=streams_of("s1"),
            annotations=[
                box("b1", "s1", "person").model_copy(update={"author": "ann", "revision": 1}),
                span("t1", "s1", 3, 12).model_copy(update={"author": "bob", "revision": 1}),
            ],
        ),
    )


def ask_as(
    engine: Engine,
    project: Project,
    who: Actor = ANN,
    question: str = "Is a helmet part of the person?",
    *,
    assignment: Assignment | None = MINE,
    about: str | None = None,
    sample_id: str = "s1",
) -> Escalation:
    access = person(project.id, who.name, Role.ANNOTATOR)
    return ask(engine, who, access, assignment, sample_id, question=question, about=about)


def answered(engine: Engine, project: Project, item: Escalation) -> Escalation:
    return answer(
        engine, REV, person(project.id, "rev", Role.REVIEWER), item.id, text="Yes, box it too."
    )


def stored(engine: Engine) -> tuple[int, int, int]:
    """How many escalations and events are stored, and the project's ontology version."""
    with engine.connect() as connection:
        return (
            connection.execute(select(func.count()).select_from(escalations)).scalar_one(),
            connection.execute(select(func.count()).select_from(events)).scalar_one(),
            connection.execute(select(projects.c.ontology_version)).scalar_one(),
        )


def test_a_question_is_asked_answered_and_every_change_is_in_its_history(
    engine: Engine, project: Project, sample: Sample
) -> None:
    with engine.connect() as connection:
        revision = sample_revision(connection, "s1")
    asked = ask_as(engine, project, about="b1")
    assert (asked.sample, asked.about, asked.asked_by, asked.status) == ("s1", "b1", "ann", "open")
    assert (asked.answer, asked.answered_by, asked.clarified) == (None, None, None)
    done = answered(engine, project, asked)
    assert (done.status, done.answer, done.answered_by) == ("answered", "Yes, box it too.", "rev")
    assert done.answered_at is not None and done.answered_at >= asked.asked_at
    with engine.connect() as connection:
        assert find_escalation(connection, asked.id) == done
        assert sample_escalations(connection, "s1") == [done]
        logged = [(e.object_kind, e.action, e.actor) for e in history(connection, asked.id)]
        last = history(connection, asked.id)[-1]
        # asking and answering leave the sample's revision alone: no conflict for its work
        assert sample_revision(connection, "s1") == revision
    assert logged == [("escalation", "create", "ann"), ("escalation", "answer", "rev")]
    assert last.before["status"] == "open"
    assert (last.after["status"], last.after["answer"]) == ("answered", "Yes, box it too.")


def test_the_project_queue_pages_by_status_oldest_first(
    engine: Engine, project: Project, sample: Sample
) -> None:
    made = [ask_as(engine, project, question=f"question {n}") for n in range(5)]
    answered(engine, project, made[1])
    withdraw(engine, ANN, person(project.id, "ann", Role.ANNOTATOR), made[3].id)
    with engine.connect() as connection:
        first = project_escalations(connection, project.id, status="open", limit=2)
        assert [e.id for e in first.items] == [made[0].id, made[2].id]
        assert first.next_cursor is not None
        second = project_escalations(
            connection, project.id, status="open", limit=2, cursor=first.next_cursor
        )
        assert [e.id for e in second.items] == [made[4].id]
        assert second.next_cursor is None
        every = project_escalations(connection, project.id)
        assert [e.status for e in every.items] == [
            "open",
            "answered",
            "open",
            "withdrawn",
            "open",
        ]
        unclarified = project_escalations(
            connection, project.id, status="answered", clarified=False
        )
        assert [e.id for e in unclarified.items] == [made[1].id]
        assert project_escalations(connection, project.id, asked_by="bob").items == []
        assert project_escalations(connection, "another", status="open").items == []


def test_an_answer_becomes_a_clarification_in_the_next_ontology_version(
    engine: Engine, project: Project, sample: Sample
) -> None:
    done = answered(engine, project, ask_as(engine, project))
    boss = person(project.id, "boss", Role.MANAGER)
    clarified = clarify(
        engine, BOSS, boss, done.id, kind="class", name="person", expected_version=1, on=TODAY
    )
    assert clarified.clarified is not None
    assert (clarified.clarified.kind, clarified.clarified.name) == ("class", "person")
    assert (clarified.clarified.version, clarified.clarified.by) == (2, "boss")
    assert clarified.status == "answered"
    with engine.connect() as connection:
        before = load_ontology(connection, project.id, 1).class_map["person"]
        after = load_ontology(connection, project.id, 2).class_map["person"]
        logged = [(e.action, e.after) for e in history(connection, done.id)]
        ontology_events = history(connection, project.id)
    assert before.guideline is not None and after.guideline is not None
    added = after.guideline.clarifications[-1]
    assert (added.date, added.question, added.answer) == (
        TODAY,
        "Is a helmet part of the person?",
        "Yes, box it too.",
    )
    assert after.guideline.clarifications[:-1] == before.guideline.clarifications
    assert logged[-1][0] == "clarify"
    assert logged[-1][1]["clarified"]["name"] == "person"
    assert ontology_events[-1].action == "migrate"
    assert ontology_events[-1].note == f"clarification from escalation {done.id}"

    with pytest.raises(RuleViolation) as refused:
        clarify(engine, BOSS, boss, done.id, kind="class", name="cat", expected_version=2)
    assert refused.value.rule == "escalation-clarified"


def test_a_relation_guideline_takes_an_edited_wording(
    engine: Engine, project: Project, sample: Sample
) -> None:
    long = "Does it refer? " * 100
    done = answered(engine, project, ask_as(engine, project, question=long))
    boss = person(project.id, "boss", Role.MANAGER)
    with pytest.raises(RuleViolation) as too_long:
        clarify(engine, BOSS, boss, done.id, kind="relation", name="refers-to", expected_version=1)
    assert too_long.value.field == "question"
    assert stored(engine)[2] == 1
    item = clarify(
        engine,
        BOSS,
        boss,
        done.id,
        kind="relation",
        name="refers-to",
        expected_version=1,
        question="Does a caption word refer to a box?",
        text="Only when it names what the box holds.",
        on=TODAY,
    )
    assert item.clarified == Clarified(
        "relation", "refers-to", 2, "boss", item.clarified.at if item.clarified else 0.0
    )
    with engine.connect() as connection:
        relation = load_ontology(connection, project.id, 2).relation_map["refers-to"]
    assert relation.guideline is not None
    last = relation.guideline.clarifications[-1]
    assert (last.question, last.answer) == (
        "Does a caption word refer to a box?",
        "Only when it names what the box holds.",
    )


def test_a_clarification_that_fails_after_the_migration_leaves_the_ontology_as_it_was(
    engine: Engine, project: Project, sample: Sample
) -> None:
    done = answered(engine, project, ask_as(engine, project))
    before = stored(engine)

    def refuse(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE ESCALATIONS"):
            raise RuntimeError("the disk is full")

    event.listen(engine, "before_cursor_execute", refuse)
    try:
        with pytest.raises(RuntimeError, match="disk is full"):
            clarify(
                engine,
                BOSS,
                person(project.id, "boss", Role.MANAGER),
                done.id,
                kind="class",
                name="person",
                expected_version=1,
            )
    finally:
        event.remove(engine, "before_cursor_execute", refuse)
    assert stored(engine) == before  # no ontology version 2, no events
    with engine.connect() as connection:
        assert find_escalation(connection, done.id).clarified is None
        person_class = load_ontology(connection, project.id, 1).class_map["person"]
    assert person_class.guideline is not None
    assert all(c.answer != "Yes, box it too." for c in person_class.guideline.clarifications)


def test_a_stale_version_an_open_question_or_a_class_without_guideline_changes_nothing(
    engine: Engine, project: Project, sample: Sample
) -> None:
    boss = person(project.id, "boss", Role.MANAGER)
    question = ask_as(engine, project)
    with pytest.raises(RuleViolation) as still_open:
        clarify(engine, BOSS, boss, question.id, kind="class", name="person", expected_version=1)
    assert still_open.value.rule == "escalation-status"
    done = answered(engine, project, question)
    before = stored(engine)
    with pytest.raises(ConflictError):
        clarify(engine, BOSS, boss, done.id, kind="class", name="person", expected_version=7)
    with pytest.raises(OntologyError):
        clarify(engine, BOSS, boss, done.id, kind="class", name="thing", expected_version=1)
    with pytest.raises(PermissionDenied):
        clarify(
            engine,
            REV,
            person(project.id, "rev", Role.REVIEWER),
            done.id,
            kind="class",
            name="person",
            expected_version=1,
        )
    assert stored(engine) == before
    with engine.connect() as connection:
        assert find_escalation(connection, done.id).clarified is None


def test_only_reviewers_answer_only_the_asker_withdraws_and_only_while_open(
    engine: Engine, project: Project, sample: Sample
) -> None:
    question = ask_as(engine, project)
    bob = person(project.id, "bob", Role.ANNOTATOR)
    before = stored(engine)
    with pytest.raises(PermissionDenied):
        answer(engine, BOB, bob, question.id, text="no idea")
    with pytest.raises(PermissionDenied):
        withdraw(engine, BOB, bob, question.id)
    with pytest.raises(PermissionDenied):
        withdraw(engine, REV, person(project.id, "rev", Role.REVIEWER), question.id)
    assert stored(engine) == before
    gone = withdraw(engine, ANN, person(project.id, "ann", Role.ANNOTATOR), question.id)
    assert gone.status == "withdrawn"
    with pytest.raises(RuleViolation) as late:
        answered(engine, project, question)
    assert late.value.rule == "escalation-status"
    with pytest.raises(RuleViolation):
        withdraw(engine, ANN, person(project.id, "ann", Role.ANNOTATOR), question.id)


def test_a_bad_question_or_an_unseen_object_is_refused_and_writes_nothing(
    engine: Engine, project: Project, sample: Sample
) -> None:
    before = stored(engine)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"question": "   "}, "question"),
        ({"question": "x" * (MAX_QUESTION + 1)}, "question"),
        ({"about": "nowhere"}, "about"),
        ({"about": "b1", "sample_id": "s2", "assignment": Assignment("s2", "u-ann")}, "about"),
    ]
    for given, field in cases:
        with pytest.raises(RuleViolation) as refused:
            ask_as(engine, project, **given)
        assert refused.value.field == field
    # bob is blind on s1: ann's box is not his to ask about, and it reads as missing
    with pytest.raises(RuleViolation) as unseen:
        ask_as(engine, project, BOB, about="b1", assignment=BOBS_BLIND)
    assert unseen.value.detail == "'b1' is not an annotation, link or entity of the sample"
    with pytest.raises(PermissionDenied):
        ask_as(engine, project, assignment=None)
    assert stored(engine) == before
    assert ask_as(engine, project, BOB, about="t1", assignment=BOBS_BLIND).about == "t1"


def test_annotators_see_their_own_answers_and_no_one_elses_question_on_blind_or_gold(
    engine: Engine, project: Project, sample: Sample
) -> None:
    anns = answered(engine, project, ask_as(engine, project))
    bobs = answered(engine, project, ask_as(engine, project, BOB, assignment=BOBS_BLIND))
    with engine.connect() as connection:
        everything = sample_escalations(connection, "s1")
    ann = person(project.id, "ann", Role.ANNOTATOR)
    bob = person(project.id, "bob", Role.ANNOTATOR)
    rev = person(project.id, "rev", Role.REVIEWER)

    # ann is not blind: she sees bob's question, never his answer
    seen = seen_by(everything, ann, MINE, gold=False)
    assert [(e.id, e.answer, e.answered_by) for e in seen] == [
        (anns.id, "Yes, box it too.", "rev"),
        (bobs.id, None, None),
    ]
    assert seen[1].question == bobs.question
    # bob is blind: ann's question is not there at all
    assert [e.id for e in seen_by(everything, bob, BOBS_BLIND, gold=False)] == [bobs.id]
    assert seen_by(everything, bob, BOBS_BLIND, gold=False)[0].answer == "Yes, box it too."
    # on a gold sample only her own, answered as anywhere else (holding it back would tell)
    assert [(e.id, e.answer) for e in seen_by(everything, ann, MINE, gold=True)] == [
        (anns.id, "Yes, box it too.")
    ]
    assert seen_by(everything, ann, None, gold=False) == []
    assert seen_by(everything, rev, None, gold=True) == everything
    assert shown_to(bobs, ann).answer is None and shown_to(bobs, rev) == bobs


def test_the_queue_and_a_samples_questions_are_read_through_their_indexes(
    engine: Engine, project: Project, sample: Sample
) -> None:
    ask_as(engine, project)
    seen: list[tuple[str, Any]] = []

    def capture(*args: Any) -> None:
        seen.append((args[2], args[3]))

    with engine.connect() as connection:
        event.listen(engine, "before_cursor_execute", capture)
        try:
            project_escalations(connection, project.id, status="open")
            sample_escalations(connection, "s1")
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        queue, of_sample = (s for s in seen if "FROM escalations" in s[0])
        assert "ix_escalations_project_id_status_pk" in _plan(connection, *queue)
        assert "ix_escalations_sample_id_pk" in _plan(connection, *of_sample)


def _plan(connection: Connection, statement: str, parameters: Any) -> str:
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return "\n".join(str(row[-1]) for row in rows)
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # the tables are tiny
    rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
    return "\n".join(str(row[0]) for row in rows)


def test_gold_is_read_from_the_sample_when_asking(
    engine: Engine, project: Project, sample: Sample
) -> None:
    with engine.begin() as connection:
        connection.execute(update(samples).where(samples.c.id == "s1").values(gold=True))
    # on gold, bob (not blind here) may not ask about ann's box: he does not see it
    with pytest.raises(RuleViolation):
        ask_as(engine, project, BOB, about="b1", assignment=Assignment("s1", "u-bob"))


def test_downgrading_drops_the_escalations_and_upgrading_brings_the_table_back(
    engine: Engine, project: Project, sample: Sample
) -> None:
    config = alembic_config(engine)
    command.downgrade(config, "0007")
    assert "escalations" not in inspect(engine).get_table_names()
    command.upgrade(config, "head")
    assert ask_as(engine, project).status == "open"
