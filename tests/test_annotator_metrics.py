"""Annotator metrics on both backends, on a tiny scenario worked through the real services
(next task, submit, review, annotation edits), every expected value computed by hand.

The scenario: ann and bob annotate the overlap samples s1 and s2 (two slots each), rev
reviews them: s1 accepted, s2 rejected back and handed in again. Model candidates on s1
(m1 kept, m2 moved by ann, m3 deleted by bob); s2 is in the blind-pass slice. Gold
scores, a flag and a stale link are written straight into the tables where the services
that make them belong to other modules. The task events' times are then set to a known
clock so active time can be worked out by hand.
"""

from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, insert, select, update

from builders import box, empty_sample
from conftest import TESTER
from rosetta.core.geometry import Box
from rosetta.core.policies import Access, Role
from rosetta.core.schema import Link, Project, Source
from rosetta.core.workflow import AnnotateStage, ReviewStage, Workflow
from rosetta.services import accounts
from rosetta.services.annotation_edits import delete_annotation, update_annotation
from rosetta.services.annotator_metrics import (
    MIN_RATE_SECONDS,
    AnnotatorMetrics,
    ProjectMetrics,
    _Person,
    project_metrics,
)
from rosetta.services.editing import create_annotation
from rosetta.services.metric_scope import Mean, MetricScope
from rosetta.services.task_leases import next_task, review_task, submit_task
from rosetta.services.work_time import WorkTime
from rosetta.services.workflow import Task, enqueue, new_task_id, set_workflow
from rosetta.store.events import Actor
from rosetta.store.records import link_row
from rosetta.store.tables import annotations, events, links, tasks

#: A whole hour, so the throughput buckets start at T0.
T0 = 1_699_999_200.0
PEOPLE = {"ann": Role.ANNOTATOR, "bob": Role.ANNOTATOR, "rev": Role.REVIEWER}
FLOW = Workflow(stages=(AnnotateStage(overlap=2, overlap_share=1.0), ReviewStage()))


@dataclass(frozen=True)
class World:
    """The scenario's project, people and task ids."""

    project: str
    access: dict[str, Access]
    tasks: dict[str, str]


def _take(engine: Engine, access: Access, stage: str = "annotate") -> Task:
    found = next_task(engine, Actor(access.principal.name), access, (stage,))  # type: ignore[arg-type]
    assert found is not None
    return found


def _draw(engine: Engine, project: str, who: str, sample: str, x: float) -> None:
    create_annotation(
        engine, project, sample, box(f"{sample}-{who}", sample, "person", x=x), Actor(who)
    )


def _at(engine: Engine, task_id: str, action: str, seconds: float, nth: int = 0) -> None:
    """Set the time of the task's `nth` event of `action` to T0 + `seconds`."""
    with engine.begin() as connection:
        pks = (
            connection.execute(
                select(events.c.pk)
                .where(events.c.object_id == task_id, events.c.action == action)
                .order_by(events.c.pk)
            )
            .scalars()
            .all()
        )
        connection.execute(update(events).where(events.c.pk == pks[nth]).values(at=T0 + seconds))


@pytest.fixture
def world(engine: Engine, project: Project) -> World:
    access = {}
    for name, role in PEOPLE.items():
        user = accounts.create_user(engine, name)
        accounts.set_role(engine, TESTER, project.id, user.id, role)
        access[name] = Access(user.principal(), project.id, role)
    ann, bob, rev = (access[name] for name in ("ann", "bob", "rev"))
    set_workflow(engine, TESTER, project.id, FLOW)
    for sample in ("s1", "s2", "g1"):
        empty_sample(engine, project.id, sample)
    enqueue(engine, TESTER, project.id, ["s1", "s2"])
    model = Actor("detector")
    for ident, x in (("m1", 200.0), ("m2", 10.0), ("m3", 400.0)):
        candidate = box(ident, "s1", "person", x=x).model_copy(
            update={"source": Source(kind="model", name="detector")}
        )
        create_annotation(engine, project.id, "s1", candidate, model)
    ids: dict[str, str] = {}

    ids["a1"] = _take(engine, ann).id
    _draw(engine, project.id, "ann", "s1", 0)
    update_annotation(
        engine, project.id, "m2", 1, Actor("ann"), geometry=Box(x=60, y=20, w=100, h=200)
    )
    submit_task(engine, Actor("ann"), ann, ids["a1"])
    ids["b1"] = _take(engine, bob).id
    _draw(engine, project.id, "bob", "s1", 0)
    delete_annotation(engine, project.id, "m3", 1, Actor("bob"))
    submit_task(engine, Actor("bob"), bob, ids["b1"])
    ids["a2"] = _take(engine, ann).id
    _draw(engine, project.id, "ann", "s2", 0)
    submit_task(engine, Actor("ann"), ann, ids["a2"])
    ids["b2"] = _take(engine, bob).id
    _draw(engine, project.id, "bob", "s2", 400)
    submit_task(engine, Actor("bob"), bob, ids["b2"])
    ids["r1"] = _take(engine, rev, "review").id
    review_task(engine, Actor("rev"), rev, ids["r1"], decision="accepted")
    ids["r2"] = _take(engine, rev, "review").id
    review_task(engine, Actor("rev"), rev, ids["r2"], decision="rejected", comment="redo")
    submit_task(engine, Actor("ann"), ann, ids["a2"])
    submit_task(engine, Actor("bob"), bob, ids["b2"])

    with engine.begin() as connection:
        connection.execute(
            update(tasks).where(tasks.c.sample_id == "s2").values(candidates_hidden=True)
        )
        connection.execute(
            update(annotations).where(annotations.c.id == "s2-ann").values(flags='["rule:size"]')
        )
        link = Link(
            id="l1", type="refers-to", source="s1-ann", target="m1", status="stale", author="ann"
        )
        connection.execute(insert(links).values(link_row(link, project.id, "s1")))
        gold = [
            (
                "gold",
                0.8,
                False,
                '{"score": 0.8, "modalities": {"image": {"reference": 1, "submitted": 1, "matched": 1, "f1": 0.8}}, "links": {"reference": 1, "submitted": 1, "matched": 0, "f1": 0.5}, "feedback": []}',
            ),
            (
                "training",
                0.6,
                True,
                '{"score": 0.6, "modalities": {"image": {"reference": 1, "submitted": 1, "matched": 1, "f1": 0.6}}, "links": {"reference": 0, "submitted": 0, "matched": 0, "f1": 1.0}, "feedback": []}',
            ),
        ]
        for slot, (kind, score, hidden, detail) in enumerate(gold):
            connection.execute(
                insert(tasks).values(
                    id=new_task_id(),
                    project_id=project.id,
                    sample_id="g1",
                    stage="annotate",
                    slot=slot,
                    status="done",
                    user_id=ann.principal.user_id,
                    kind=kind,
                    score=score,
                    score_detail=detail,
                    candidates_hidden=hidden,
                    created_at=T0,
                    updated_at=T0,
                )
            )
    # the clock: ann's two leases overlap, bob's first runs past the lease length
    for task, action, seconds, nth in (
        ("a1", "lease", 0, 0),
        ("a1", "submit", 600, 0),
        ("a2", "lease", 500, 0),
        ("a2", "submit", 900, 0),
        ("a2", "return", 2000, 0),
        ("a2", "submit", 2400, 1),
        ("b1", "lease", 0, 0),
        ("b1", "submit", 5000, 0),
        ("b2", "lease", 5000, 0),
        ("b2", "submit", 5100, 0),
        ("b2", "return", 6000, 0),
        ("b2", "submit", 6100, 1),
        ("r1", "lease", 1000, 0),
        ("r1", "review", 1300, 0),
        ("r2", "lease", 5200, 0),
        ("r2", "review", 5300, 0),
    ):
        _at(engine, ids[task], action, seconds, nth)
    return World(project.id, access, ids)


def _person(found: ProjectMetrics, name: str) -> AnnotatorMetrics:
    return next(person for person in found.annotators if person.user == name)


def _metrics(engine: Engine, scope: MetricScope, **options: bool) -> ProjectMetrics:
    with engine.connect() as connection:
        return project_metrics(connection, scope, **options)


def test_throughput_merges_overlapping_spans_and_caps_them(engine: Engine, world: World) -> None:
    found = _metrics(engine, MetricScope(world.project))
    assert [person.user for person in found.annotators] == ["ann", "bob", "rev"]
    ann, bob, rev = (_person(found, name).metrics.throughput for name in ("ann", "bob", "rev"))
    # ann: [0, 600] and [500, 900] merge into 900 s, then [2000, 2400]: 400 s
    assert (ann.handed_in, ann.active_seconds) == (3, 1300)
    assert ann.per_hour == pytest.approx(3 / (1300 / 3600))
    # bob: [0, 5000] capped at the hour's lease, then 100 s twice
    assert (bob.handed_in, bob.active_seconds) == (3, 3800)
    assert (rev.handed_in, rev.active_seconds) == (2, 400)
    assert (found.total.throughput.handed_in, found.total.throughput.active_seconds) == (8, 5500)
    assert [(p.start, p.handed_in) for p in _person(found, "ann").series] == [(T0, 3)]
    assert [(p.start, p.handed_in) for p in _person(found, "bob").series] == [(T0 + 3600, 3)]
    assert [(p.start, p.handed_in) for p in _person(found, "rev").series] == [
        (T0, 1),
        (T0 + 3600, 1),
    ]


def test_a_window_cuts_spans_and_counts_what_was_handed_in_within(
    engine: Engine, world: World
) -> None:
    found = _metrics(engine, MetricScope(world.project, since=T0 + 550, until=T0 + 2200))
    ann = _person(found, "ann").metrics
    assert (ann.throughput.handed_in, ann.throughput.active_seconds) == (2, 350 + 200)
    # the slots were handed in (last updated) now, long after the window
    assert ann.agreement.mean == Mean(None, 0)
    assert ann.first_pass.reviewed == 0


def test_accuracy_against_gold_per_modality_links_and_slice(engine: Engine, world: World) -> None:
    ann = _person(_metrics(engine, MetricScope(world.project)), "ann").metrics
    assert ann.accuracy.overall == Mean(pytest.approx(0.7), 2)
    assert ann.accuracy.modalities == {"image": Mean(pytest.approx(0.7), 2)}
    assert ann.accuracy.links == Mean(0.5, 1)  # the training slot had no links either side
    # the slices count audit gold only: a training slot hides candidates always
    assert (ann.blind.accuracy, ann.shown.accuracy) == (Mean(None, 0), Mean(0.8, 1))
    own = _person(_metrics(engine, MetricScope(world.project), audit=False), "ann").metrics
    assert own.accuracy.overall == Mean(0.6, 1)  # audit gold left out


def test_agreement_with_peers_on_blind_and_shown_samples(engine: Engine, world: World) -> None:
    found = _metrics(engine, MetricScope(world.project))
    for name, peer in (("ann", "bob"), ("bob", "ann")):
        metrics = _person(found, name).metrics
        # s1: the same box, 1; s2: boxes far apart, 0
        assert metrics.agreement.mean == Mean(0.5, 2)
        assert metrics.agreement.peers == {peer: Mean(0.5, 2)}
        assert (metrics.blind.agreement, metrics.shown.agreement) == (Mean(0.0, 1), Mean(1.0, 1))
    assert found.total.agreement.mean == Mean(0.5, 2)  # each pair once
    assert found.total.agreement.peers == {}
    anonymous = _metrics(engine, MetricScope(world.project), peers=False)
    assert _person(anonymous, "ann").metrics.agreement.peers == {}


def test_consistency_first_pass_and_prelabels(engine: Engine, world: World) -> None:
    found = _metrics(engine, MetricScope(world.project))
    ann, bob = _person(found, "ann").metrics, _person(found, "bob").metrics
    # ann: 2 annotations, a flagged one and a stale link of hers
    assert (ann.consistency.annotations, ann.consistency.findings) == (2, 2)
    assert ann.consistency.per_100 == 100.0
    assert (bob.consistency.annotations, bob.consistency.findings, bob.consistency.per_100) == (
        2,
        0,
        0.0,
    )
    # s1 accepted at once, s2 returned first
    assert (ann.first_pass.reviewed, ann.first_pass.accepted, ann.first_pass.rate) == (2, 1, 0.5)
    assert (found.total.first_pass.reviewed, found.total.first_pass.accepted) == (4, 2)
    # s1's candidates: m1 kept, m2 moved by half its width (IoU 1/3), m3 deleted by bob
    assert (ann.prelabels.candidates, ann.prelabels.unchanged) == (2, 1)
    assert (bob.prelabels.candidates, bob.prelabels.unchanged) == (3, 1)
    assert bob.prelabels.acceptance == pytest.approx(1 / 3)
    assert ann.prelabels.iou_distance == Mean(pytest.approx(2 / 3), 1)
    assert ann.prelabels.span_shift == Mean(None, 0)


def test_one_persons_metrics_leave_others_out(engine: Engine, world: World) -> None:
    ann = world.access["ann"].principal
    found = _metrics(engine, MetricScope(world.project, user_id=ann.user_id, user=ann.name))
    assert [person.user for person in found.annotators] == ["ann"]
    mine = found.annotators[0].metrics
    assert mine.throughput.handed_in == 3
    assert mine.agreement.mean == Mean(0.5, 2)
    assert mine.first_pass.reviewed == 2
    assert mine.prelabels.candidates == 2
    assert found.total.throughput.handed_in == 3


def test_no_rate_of_tasks_an_hour_from_under_a_minute_of_work() -> None:
    person = _Person(time=WorkTime(handed_in=2, active_seconds=0.5))
    assert person.freeze(peers=False).throughput.per_hour is None
    person.time.active_seconds = MIN_RATE_SECONDS
    assert person.freeze(peers=False).throughput.per_hour == pytest.approx(120.0)


def test_a_window_in_the_future_counts_nothing(engine: Engine, world: World) -> None:
    found = _metrics(engine, MetricScope(world.project, since=4_000_000_000.0))
    assert found.annotators == []
    assert found.total.accuracy.overall == Mean(None, 0)
    assert found.total.throughput.per_hour is None
