"""The workflow service on both backends: versions of a project's workflow, queueing
samples, leasing the next task (priority, oldest, one person per slot and per sample,
expired leases taken over), submitting, releasing and reviewing, every routing rule, the
assignments leases make, and the events every transition writes."""

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, update

from builders import box, empty_sample
from conftest import TESTER
from rosetta.core.errors import NotFoundError, PermissionDenied, RuleViolation
from rosetta.core.policies import Access, Role
from rosetta.core.schema import Project, Source
from rosetta.core.workflow import (
    AdjudicateStage,
    AnnotateStage,
    ReviewStage,
    Workflow,
    annotate_slots,
)
from rosetta.services import accounts
from rosetta.services.editing import create_annotation
from rosetta.services.task_leases import next_task, release_task, review_task, submit_task
from rosetta.services.workflow import (
    Task,
    current_workflow,
    enqueue,
    find_task,
    list_tasks,
    set_workflow,
)
from rosetta.store.events import Actor, history
from rosetta.store.tables import assignments, events, samples, tasks

PEOPLE = {"ann": Role.ANNOTATOR, "bob": Role.ANNOTATOR, "cid": Role.ANNOTATOR, "rev": Role.REVIEWER}
REVIEWED = Workflow(stages=(AnnotateStage(), ReviewStage()))
OVERLAP = Workflow(
    stages=(
        AnnotateStage(overlap=2, overlap_share=1.0),
        ReviewStage(),
        AdjudicateStage(below_agreement=0.7),
    )
)

Who = Callable[[str], Access]


@pytest.fixture
def who(engine: Engine, project: Project) -> Who:
    """Each person's access to the project (made members with their `PEOPLE` role)."""
    found = {}
    for name, role in PEOPLE.items():
        user = accounts.create_user(engine, name)
        accounts.set_role(engine, TESTER, project.id, user.id, role)
        found[name] = Access(user.principal(), project.id, role)
    return found.__getitem__


def queued(engine: Engine, project: Project, workflow: Workflow, *sample_ids: str) -> None:
    set_workflow(engine, TESTER, project.id, workflow)
    for sample_id in sample_ids:
        empty_sample(engine, project.id, sample_id)
    enqueue(engine, TESTER, project.id)


def take(engine: Engine, access: Access, *stages: str) -> Task:
    got = next_task(engine, Actor(access.principal.name), access, stages or ("annotate",))
    assert got is not None
    return got


def submit(engine: Engine, access: Access, task: Task) -> Task:
    return submit_task(engine, Actor(access.principal.name), access, task.id)


def draw(engine: Engine, project: Project, access: Access, sample_id: str, x: float) -> None:
    name = access.principal.name
    annotation = box(f"{sample_id}-{name}-{x}", sample_id, "person", x=x)
    create_annotation(engine, project.id, sample_id, annotation, Actor(name))


def assigned(engine: Engine, sample_id: str) -> dict[str, bool]:
    """Who the sample is assigned to (user id -> blind)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(assignments.c.user_id, assignments.c.blind).where(
                assignments.c.sample_id == sample_id
            )
        )
        return {row.user_id: bool(row.blind) for row in rows}


def sample_status(engine: Engine, sample_id: str) -> str:
    with engine.connect() as connection:
        return str(
            connection.execute(select(samples.c.status).where(samples.c.id == sample_id)).scalar()
        )


def slots_of(engine: Engine, sample_id: str) -> list[tuple[str, int, str, str | None]]:
    """The sample's slots: (stage, slot, status, holder name)."""
    with engine.connect() as connection:
        page = list_tasks(connection, sample_project(engine, sample_id), limit=1000)
    return sorted((t.stage, t.slot, t.status, t.user) for t in page.items if t.sample == sample_id)


def sample_project(engine: Engine, sample_id: str) -> str:
    with engine.connect() as connection:
        return str(
            connection.execute(
                select(samples.c.project_id).where(samples.c.id == sample_id)
            ).scalar_one()
        )


def actions(engine: Engine, task_id: str) -> list[str]:
    with engine.connect() as connection:
        return [e.action for e in history(connection, task_id)]


def test_a_projects_workflow_is_versioned_and_each_change_is_an_event(
    engine: Engine, project: Project
) -> None:
    with engine.connect() as connection:
        assert current_workflow(connection, project.id) is None
    first = set_workflow(engine, Actor("mona"), project.id, REVIEWED)
    second = set_workflow(engine, Actor("mona"), project.id, OVERLAP)
    assert (first.version, second.version) == (1, 2)
    with engine.connect() as connection:
        now = current_workflow(connection, project.id)
        logged = [e for e in history(connection, project.id) if e.object_kind == "workflow"]
    assert now is not None and now.workflow == OVERLAP and now.actor == "mona"
    assert [(e.action, e.revision) for e in logged] == [("create", 1), ("update", 2)]
    assert logged[1].before == REVIEWED.model_dump(mode="json")
    assert logged[1].after == OVERLAP.model_dump(mode="json")
    with pytest.raises(NotFoundError):
        set_workflow(engine, TESTER, "nowhere", REVIEWED)


def test_queueing_makes_each_samples_slots_once_batch_by_batch(
    engine: Engine, project: Project
) -> None:
    half = Workflow(stages=(AnnotateStage(overlap=3, overlap_share=0.5),))
    with pytest.raises(RuleViolation, match="no workflow"):
        enqueue(engine, TESTER, project.id)
    set_workflow(engine, TESTER, project.id, half)
    ids = [f"s{n:02}" for n in range(23)]
    for ident in ids:
        empty_sample(engine, project.id, ident)
    expected = {ident: annotate_slots(half, project.id, ident) for ident in ids}
    assert set(expected.values()) == {1, 3}
    assert enqueue(engine, TESTER, project.id, ids[:5], priority=2) == sum(
        expected[i] for i in ids[:5]
    )
    made = enqueue(engine, TESTER, project.id, batch=4)
    assert made == sum(expected[i] for i in ids[5:])
    assert enqueue(engine, TESTER, project.id, batch=4) == 0
    with engine.connect() as connection:
        rows = connection.execute(select(tasks).order_by(tasks.c.pk)).all()
    assert {i: sum(r.sample_id == i for r in rows) for i in ids} == expected
    assert {(r.stage, r.status, r.user_id) for r in rows} == {("annotate", "open", None)}
    assert {r.priority for r in rows if r.sample_id in ids[:5]} == {2.0}
    assert [sorted(r.slot for r in rows if r.sample_id == i) for i in ids] == [
        list(range(expected[i])) for i in ids
    ]
    assert actions(engine, rows[0].id) == ["create"]
    with pytest.raises(NotFoundError, match="nope"):
        enqueue(engine, TESTER, project.id, ["s01", "nope"])


def test_the_next_task_is_the_highest_priority_then_the_oldest_and_stays_the_same(
    engine: Engine, project: Project, who: Who
) -> None:
    queued(engine, project, REVIEWED, "s1", "s2", "s3")
    empty_sample(engine, project.id, "urgent")
    enqueue(engine, TESTER, project.id, ["urgent"], priority=5)
    first = take(engine, who("ann"))
    assert (first.sample, first.status, first.user) == ("urgent", "leased", "ann")
    assert first.lease_expires_at is not None
    assert first.lease_expires_at == pytest.approx(first.updated_at + 3600)
    assert take(engine, who("ann")) == first  # asking again: the same task
    assert take(engine, who("bob")).sample == "s1"
    assert take(engine, who("cid")).sample == "s2"
    assert assigned(engine, "urgent") == {who("ann").principal.user_id: False}
    # reviewers are offered review and adjudication: nothing yet
    assert next_task(engine, Actor("rev"), who("rev"), ("review", "adjudicate")) is None


def test_overlap_slots_go_to_different_people_blind(
    engine: Engine, project: Project, who: Who
) -> None:
    queued(engine, project, OVERLAP, "s1")
    mine = take(engine, who("ann"))
    submit(engine, who("ann"), mine)
    # ann worked on s1's annotate stage: its other slot is never hers
    assert next_task(engine, Actor("ann"), who("ann"), ("annotate",)) is None
    theirs = take(engine, who("bob"))
    assert (theirs.sample, {mine.slot, theirs.slot}) == ("s1", {0, 1})
    assert assigned(engine, "s1") == {
        who("ann").principal.user_id: True,
        who("bob").principal.user_id: True,
    }
    assert next_task(engine, Actor("cid"), who("cid"), ("annotate",)) is None


def test_an_expired_lease_goes_to_the_next_person_who_asks(
    engine: Engine, project: Project, who: Who
) -> None:
    queued(engine, project, REVIEWED, "s1")
    lost = take(engine, who("ann"))
    expire(engine, lost.id)
    # expired but not yet taken: still hers
    assert submit(engine, who("ann"), lost).status == "submitted"

    empty_sample(engine, project.id, "s2")
    enqueue(engine, TESTER, project.id, ["s2"])
    lost = take(engine, who("ann"))
    expire(engine, lost.id)
    found = take(engine, who("bob"))
    assert (found.id, found.user, found.status) == (lost.id, "bob", "leased")
    assert found.lease_expires_at is not None and found.lease_expires_at > lost.updated_at
    assert assigned(engine, "s2") == {who("bob").principal.user_id: False}
    with pytest.raises(PermissionDenied, match="not yours"):
        submit(engine, who("ann"), lost)
    with engine.connect() as connection:
        leases = [e for e in history(connection, lost.id) if e.action == "lease"]
    assert [(e.before["user"], e.after["user"]) for e in leases] == [(None, "ann"), ("ann", "bob")]
    assert leases[1].note == "the lease of 'ann' had expired"
    assert submit(engine, who("bob"), found).user == "bob"


def expire(engine: Engine, task_id: str) -> None:
    with engine.begin() as connection:
        connection.execute(update(tasks).where(tasks.c.id == task_id).values(lease_expires_at=1.0))


def test_one_review_routes_a_single_slot_sample_to_review_and_done(
    engine: Engine, project: Project, who: Who
) -> None:
    queued(engine, project, REVIEWED, "s1")
    task = take(engine, who("ann"))
    draw(engine, project, who("ann"), "s1", 10)
    handed = submit(engine, who("ann"), task)
    assert handed.status == "submitted" and handed.lease_expires_at is None
    assert sample_status(engine, "s1") == "review"
    assert slots_of(engine, "s1") == [
        ("annotate", 0, "submitted", "ann"),
        ("review", 0, "open", None),
    ]
    assert submit(engine, who("ann"), task) == handed  # a retry changes nothing
    assert actions(engine, task.id) == ["create", "lease", "submit"]
    with engine.connect() as connection:
        (logged,) = [e for e in history(connection, task.id) if e.action == "submit"]
    assert logged.after["work"] == {
        "annotations": {"s1-ann-10": 1},
        "entities": {},
        "links": {},
    }

    review = take(engine, who("rev"), "review", "adjudicate")
    assert (review.stage, review.sample) == ("review", "s1")
    with pytest.raises(RuleViolation, match="review task is decided with review"):
        submit(engine, who("rev"), review)
    decided = review_task(engine, Actor("rev"), who("rev"), review.id, decision="accepted")
    assert decided.status == "done"
    assert slots_of(engine, "s1") == [("annotate", 0, "done", "ann"), ("review", 0, "done", "rev")]
    assert sample_status(engine, "s1") == "done"
    assert actions(engine, review.id) == ["route", "lease", "review"]
    again = review_task(engine, Actor("rev"), who("rev"), review.id, decision="accepted")
    assert again == decided


def test_a_rejected_review_returns_the_sample_to_its_annotator_with_the_comment(
    engine: Engine, project: Project, who: Who
) -> None:
    queued(engine, project, REVIEWED, "s1", "s2")
    task = take(engine, who("ann"))
    submit(engine, who("ann"), task)
    review = take(engine, who("rev"), "review")
    with pytest.raises(RuleViolation, match="say what to fix"):
        review_task(engine, Actor("rev"), who("rev"), review.id, decision="rejected")
    review_task(
        engine, Actor("rev"), who("rev"), review.id, decision="rejected", comment="box the flag"
    )
    with engine.connect() as connection:
        returned = find_task(connection, task.id)
    assert (returned.status, returned.user, returned.comment) == ("returned", "ann", "box the flag")
    assert sample_status(engine, "s1") == "in_progress"
    # the returned slot is ann's: bob gets the other sample, ann gets hers back
    assert take(engine, who("bob")).sample == "s2"
    assert take(engine, who("ann")) == returned
    with pytest.raises(RuleViolation, match="one may release a leased task; this one is returned"):
        release_task(engine, Actor("ann"), who("ann"), task.id)
    assert submit(engine, who("ann"), returned).status == "submitted"
    assert slots_of(engine, "s1") == [
        ("annotate", 0, "submitted", "ann"),
        ("review", 0, "open", None),  # the same slot, reopened for a second look
    ]
    assert take(engine, who("rev"), "review").id == review.id
    assert actions(engine, task.id) == ["create", "lease", "submit", "return", "submit"]


def test_overlap_annotators_who_disagree_go_to_adjudication(
    engine: Engine, project: Project, who: Who
) -> None:
    queued(engine, project, OVERLAP, "s1")
    first, second = take(engine, who("ann")), take(engine, who("bob"))
    draw(engine, project, who("ann"), "s1", 0)
    draw(engine, project, who("bob"), "s1", 300)  # nowhere near: agreement 0
    submit(engine, who("ann"), first)
    assert sample_status(engine, "s1") == "new"  # still waiting for bob
    submit(engine, who("bob"), second)
    assert slots_of(engine, "s1") == [
        ("adjudicate", 0, "open", None),
        ("annotate", 0, "submitted", "ann"),
        ("annotate", 1, "submitted", "bob"),
    ]
    assert sample_status(engine, "s1") == "review"
    adjudication = take(engine, who("rev"), "review", "adjudicate")
    assert adjudication.stage == "adjudicate"
    with engine.connect() as connection:
        (routed,) = [e for e in history(connection, adjudication.id) if e.action == "route"]
    assert routed.note == "annotators' agreement 0.000"
    with pytest.raises(RuleViolation, match="handed in with submit"):
        review_task(engine, Actor("rev"), who("rev"), adjudication.id, decision="accepted")
    submit(engine, who("rev"), adjudication)
    assert {status for _, _, status, _ in slots_of(engine, "s1")} == {"done"}
    assert sample_status(engine, "s1") == "done"


def test_overlap_annotators_who_agree_go_to_review(
    engine: Engine, project: Project, who: Who
) -> None:
    queued(engine, project, OVERLAP, "s1")
    first, second = take(engine, who("ann")), take(engine, who("bob"))
    draw(engine, project, who("ann"), "s1", 0)
    draw(engine, project, who("bob"), "s1", 5)
    submit(engine, who("ann"), first)
    submit(engine, who("bob"), second)
    assert [s[:3] for s in slots_of(engine, "s1")] == [
        ("annotate", 0, "submitted"),
        ("annotate", 1, "submitted"),
        ("review", 0, "open"),
    ]


def propose(engine: Engine, project: Project, sample_id: str, model: str, x: float) -> None:
    """A model's candidate box of a person on the sample."""
    candidate = box(f"{sample_id}-{model}-{x}", sample_id, "person", x=x).model_copy(
        update={"source": Source(kind="model", name=model, version="1")}
    )
    create_annotation(engine, project.id, sample_id, candidate, Actor(model))


@pytest.mark.parametrize(("second_x", "stage"), [(300.0, "adjudicate"), (5.0, "review")])
def test_a_sample_whose_models_disagree_goes_to_adjudication(
    engine: Engine, project: Project, who: Who, second_x: float, stage: str
) -> None:
    models = Workflow(
        stages=(AnnotateStage(), ReviewStage(), AdjudicateStage(below_model_agreement=0.5))
    )
    queued(engine, project, models, "s1")
    propose(engine, project, "s1", "detector-a", 0)
    propose(engine, project, "s1", "detector-b", second_x)  # far off, or nearly the same
    task = take(engine, who("ann"))
    draw(engine, project, who("ann"), "s1", 0)
    submit(engine, who("ann"), task)
    (opened,) = [slot for slot in slots_of(engine, "s1") if slot[0] != "annotate"]
    assert opened[:3] == (stage, 0, "open")
    if stage == "adjudicate":
        found = take(engine, who("rev"), "review", "adjudicate")
        with engine.connect() as connection:
            (routed,) = [e for e in history(connection, found.id) if e.action == "route"]
        assert routed.note == "annotators' agreement 1.000, models' agreement 0.000"


def test_without_review_an_annotated_sample_is_done(
    engine: Engine, project: Project, who: Who
) -> None:
    queued(engine, project, Workflow(stages=(AnnotateStage(),)), "s1")
    submit(engine, who("ann"), take(engine, who("ann")))
    assert slots_of(engine, "s1") == [("annotate", 0, "done", "ann")]
    assert sample_status(engine, "s1") == "done"


def test_a_released_task_goes_back_to_the_queue_and_only_its_holder_acts(
    engine: Engine, project: Project, who: Who
) -> None:
    queued(engine, project, REVIEWED, "s1")
    task = take(engine, who("ann"))
    for name in ("bob", "rev"):
        for act in (submit_task, release_task):
            with pytest.raises(PermissionDenied):
                act(engine, Actor(name), who(name), task.id)
    with pytest.raises(NotFoundError):
        submit_task(engine, Actor("ann"), who("ann"), "no-such-task")
    released = release_task(engine, Actor("ann"), who("ann"), task.id)
    assert (released.status, released.user, released.lease_expires_at) == ("open", None, None)
    assert assigned(engine, "s1") == {}
    with pytest.raises(PermissionDenied):
        release_task(engine, Actor("ann"), who("ann"), task.id)
    assert take(engine, who("bob")).id == task.id
    assert actions(engine, task.id) == ["create", "lease", "release", "lease"]


def test_task_events_leave_the_samples_revision_alone(
    engine: Engine, project: Project, who: Who
) -> None:
    queued(engine, project, OVERLAP, "s1")
    with engine.connect() as connection:
        before = connection.execute(
            select(events.c.pk).where(events.c.sample_id == "s1").order_by(events.c.pk.desc())
        ).first()
    take(engine, who("ann"))
    take(engine, who("bob"))
    with engine.connect() as connection:
        after = connection.execute(
            select(events.c.pk).where(events.c.sample_id == "s1").order_by(events.c.pk.desc())
        ).first()
    assert before == after


def test_the_task_listing_pages_and_filters(engine: Engine, project: Project, who: Who) -> None:
    queued(engine, project, REVIEWED, *[f"s{n}" for n in range(5)])
    take(engine, who("ann"))
    with engine.connect() as connection:
        first = list_tasks(connection, project.id, limit=2)
        rest = list_tasks(connection, project.id, limit=10, cursor=first.next_cursor)
        leased = list_tasks(connection, project.id, status="leased")
        by_ann = list_tasks(connection, project.id, user="ann")
        by_id = list_tasks(connection, project.id, user=who("ann").principal.user_id)
        reviews = list_tasks(connection, project.id, stage="review")
    assert [t.sample for t in first.items + rest.items] == [f"s{n}" for n in range(5)]
    assert first.next_cursor is not None and rest.next_cursor is None
    assert [t.sample for t in leased.items] == ["s0"] == [t.sample for t in by_ann.items]
    assert by_id == by_ann and reviews.items == []


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # reads SQLite's query plans
def test_the_next_task_is_found_through_its_index(
    engine: Engine, project: Project, who: Who
) -> None:
    queued(engine, project, REVIEWED, "s1", "s2")
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "ORDER BY tasks.priority DESC" in statement and "FROM tasks" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        take(engine, who("ann"))
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    probes = [(s, p) for s, p in seen if "NOT (EXISTS" in s]
    assert len(probes) == 2  # open, and expired leases
    with engine.connect() as connection:
        for statement, parameters in probes:
            plan = " | ".join(
                row[3]
                for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            )
            assert "USING INDEX ix_tasks_next" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
            assert "SEARCH other USING INDEX" in plan, plan  # the NOT EXISTS, by (sample, stage)


def test_the_next_task_index_sorts_priority_descending(engine: Engine) -> None:
    # the schema comparison of test_store_engine does not compare an index's sort order
    query = (
        "select indexdef from pg_indexes"
        " where indexname = 'ix_tasks_next' and schemaname = current_schema()"
        if engine.dialect.name == "postgresql"
        else "select sql from sqlite_master where name = 'ix_tasks_next'"
    )
    with engine.connect() as connection:
        definition = connection.exec_driver_sql(query).scalar_one()
    assert "(project_id, stage, status, priority DESC, pk)" in definition
