"""Gold samples on both backends: marking their uses (events, the gold flag, never queued as
work), gold slots mixed into annotators' queues (first N, then a seeded rate), scored on
submit against the reference of people holding no gold slot, the score kept from the
annotator but shown to reviewers, the reference never reaching the annotator over HTTP,
training tasks answering their feedback at once, and the audit log of it all."""

import hashlib
import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from api_clients import client_as
from builders import box, empty_sample, insert_sample, streams_of
from conftest import TESTER
from rosetta.core.errors import NotFoundError, RuleViolation
from rosetta.core.policies import Access, Role
from rosetta.core.schema import Annotation, Project, Sample, Source
from rosetta.core.workflow import (
    AnnotateStage,
    GoldMixing,
    ReviewStage,
    SkillRules,
    Training,
    Workflow,
)
from rosetta.services import accounts
from rosetta.services.editing import create_annotation, delete_annotation
from rosetta.services.gold import gold_results, list_gold, mark_gold, unmark_gold
from rosetta.services.skills import set_profile_skills
from rosetta.services.task_leases import next_task, release_task, submit_task
from rosetta.services.workflow import Task, enqueue, set_workflow
from rosetta.store.events import Actor, history
from rosetta.store.records import load_sample
from rosetta.store.tables import samples, tasks

MIXED = Workflow(stages=(AnnotateStage(), ReviewStage()), gold=GoldMixing(first=1, rate=0.0))


def member(engine: Engine, project: Project, name: str, role: Role = Role.ANNOTATOR) -> Access:
    user = accounts.create_user(engine, name)
    accounts.set_role(engine, TESTER, project.id, user.id, role)
    return Access(user.principal(), project.id, role)


def take(engine: Engine, access: Access) -> Task:
    got = next_task(engine, Actor(access.principal.name), access, ("annotate",))
    assert got is not None
    return got


def submit(engine: Engine, access: Access, task: Task) -> Task:
    return submit_task(engine, Actor(access.principal.name), access, task.id)


def draw(
    engine: Engine, project: Project, author: str, sample_id: str, label: str, *, x: float
) -> None:
    annotation = box(f"{sample_id}-{author}-{label}-{x}", sample_id, label, x=x)
    create_annotation(engine, project.id, sample_id, annotation, Actor(author))


def gold_world(engine: Engine, project: Project, workflow: Workflow, *gold: str) -> None:
    """Samples w1 and w2 queued as work; `gold` samples with a reference car and person by
    mona, marked for audit."""
    set_workflow(engine, TESTER, project.id, workflow)
    for sample_id in ("w1", "w2", *gold):
        empty_sample(engine, project.id, sample_id)
    for sample_id in gold:
        draw(engine, project, "mona", sample_id, "car", x=10)
        draw(engine, project, "mona", sample_id, "person", x=300)
        mark_gold(engine, TESTER, project.id, sample_id, "audit")
    enqueue(engine, TESTER, project.id)


def is_gold(engine: Engine, sample_id: str) -> bool:
    with engine.connect() as connection:
        return bool(
            connection.execute(select(samples.c.gold).where(samples.c.id == sample_id)).scalar()
        )


def test_marking_gold_sets_the_flag_records_events_and_checks_its_use(
    engine: Engine, project: Project
) -> None:
    set_workflow(engine, TESTER, project.id, MIXED)
    for sample_id in ("g1", "w1"):
        empty_sample(engine, project.id, sample_id)
    enqueue(engine, TESTER, project.id, ["w1"])
    use = mark_gold(
        engine, Actor("mona"), project.id, "g1", "qualification", skill="modality:image"
    )
    mark_gold(engine, Actor("mona"), project.id, "g1", "audit")
    assert (use.purpose, use.skill) == ("qualification", "modality:image")
    assert is_gold(engine, "g1")
    with pytest.raises(RuleViolation) as queued:
        mark_gold(engine, TESTER, project.id, "w1", "audit")
    assert queued.value.rule == "gold-queued"
    with pytest.raises(RuleViolation):
        mark_gold(engine, TESTER, project.id, "g1", "qualification")  # no skill
    with pytest.raises(RuleViolation):
        mark_gold(engine, TESTER, project.id, "g1", "audit", skill="modality:image")
    with pytest.raises(NotFoundError):
        mark_gold(engine, TESTER, project.id, "nowhere", "audit")
    assert not is_gold(engine, "w1")
    with engine.connect() as connection:
        page = list_gold(connection, project.id, limit=1)
        rest = list_gold(connection, project.id, cursor=page.next_cursor)
        audits = list_gold(connection, project.id, purpose="audit")
    assert [u.purpose for u in page.items + rest.items] == ["qualification", "audit"]
    assert rest.next_cursor is None and [u.purpose for u in audits.items] == ["audit"]
    unmark_gold(engine, Actor("mona"), project.id, "g1", "audit")
    assert is_gold(engine, "g1")  # still a qualification sample
    unmark_gold(engine, Actor("mona"), project.id, "g1", "qualification")
    unmark_gold(engine, Actor("mona"), project.id, "g1", "qualification")  # nothing to do
    assert not is_gold(engine, "g1")
    with engine.connect() as connection:
        logged = [e.action for e in history(connection, "g1") if e.object_kind == "gold"]
    assert logged == ["create", "create", "delete", "delete"]


def test_gold_samples_are_never_queued_as_work(engine: Engine, project: Project) -> None:
    set_workflow(engine, TESTER, project.id, MIXED)
    for sample_id in ("g1", "w1"):
        empty_sample(engine, project.id, sample_id)
    mark_gold(engine, TESTER, project.id, "g1", "audit")
    assert enqueue(engine, TESTER, project.id) == 1
    assert enqueue(engine, TESTER, project.id, ["g1"]) == 0
    with engine.connect() as connection:
        queued = connection.execute(select(tasks.c.sample_id)).scalars().all()
    assert queued == ["w1"]


def test_the_first_tasks_are_gold_scored_on_submit_and_the_score_kept_from_the_annotator(
    engine: Engine, project: Project
) -> None:
    gold_world(engine, project, MIXED, "g1")
    ann, bob = member(engine, project, "ann"), member(engine, project, "bob")
    first = take(engine, ann)
    assert (first.sample, first.kind, first.status, first.slot) == ("g1", "gold", "leased", 0)
    with engine.begin() as connection:  # a gold slot stays its holder's past its lease
        connection.execute(update(tasks).where(tasks.c.id == first.id).values(lease_expires_at=0))
    assert take(engine, ann).id == first.id
    bobs = take(engine, bob)
    assert (bobs.sample, bobs.slot) == ("g1", 1)  # the same gold sample, a slot of his own
    draw(engine, project, "ann", "g1", "car", x=12)  # the car, not the person
    draw(engine, project, "bob", "g1", "car", x=14)
    draw(engine, project, "bob", "g1", "person", x=301)
    handed = submit(engine, ann, first)
    assert handed.status == "done" and handed.score is None and handed.feedback is None
    submit(engine, bob, bobs)
    with engine.connect() as connection:
        results = {r.user: r for r in gold_results(connection, project.id).items}
        ann_events = history(connection, first.id)
    # each scored against mona's reference only, not against the other holder's work
    assert results["ann"].score == 2 * 1 / (2 + 1)
    assert results["bob"].score == 1.0
    assert [f["kind"] for f in results["ann"].detail["feedback"]] == ["missed"]
    assert [(e.action, e.after["kind"]) for e in ann_events] == [
        ("lease", "gold"),
        ("submit", "gold"),
    ]
    assert ann_events[0].after["candidates"] == "shown"  # no blind pass: as on work
    assert ann_events[1].after["score"] == results["ann"].score
    second = take(engine, ann)
    assert (second.kind, second.sample) == ("work", "w1")  # rate 0 after the first
    assert take(engine, bob).sample == "w2"  # still holding no work on w1


def test_a_released_gold_slot_ends_unscored_and_its_sample_is_not_given_again(
    engine: Engine, project: Project
) -> None:
    gold_world(engine, project, MIXED, "g1")
    ann = member(engine, project, "ann")
    first = take(engine, ann)
    assert (first.sample, first.kind) == ("g1", "gold")
    draw(engine, project, "ann", "g1", "car", x=12)
    released = release_task(engine, Actor("ann"), ann, first.id)
    assert (released.status, released.user, released.score) == ("done", "ann", None)
    with engine.connect() as connection:
        assert accounts.assignment_of(connection, "g1", ann.principal.user_id) is None
        assert gold_results(connection, project.id).items == []
        events = [e.action for e in history(connection, first.id)]
    assert events == ["lease", "release"]
    assert take(engine, ann).sample == "w1"  # work now: the gold sample is not given again


def propose(engine: Engine, project: Project, sample_id: str, x: float) -> None:
    """A detector's candidate cup on the sample."""
    proposed = box(f"{sample_id}-model-cup-{x}", sample_id, "cup", x=x).model_copy(
        update={"source": Source(kind="model", name="detector", version="1")}
    )
    create_annotation(engine, project.id, sample_id, proposed, Actor("detector"))


def own_work(engine: Engine, sample_id: str, person: str) -> list[Annotation]:
    with engine.connect() as connection:
        return [a for a in load_sample(connection, sample_id).annotations if a.author == person]


def test_shown_candidates_on_gold_are_the_persons_own_copies_and_no_part_of_the_reference(
    engine: Engine, project: Project
) -> None:
    gold_world(engine, project, MIXED, "g1")
    propose(engine, project, "g1", x=405)
    ann, bob = member(engine, project, "ann"), member(engine, project, "bob")
    ann_task, bob_task = take(engine, ann), take(engine, bob)
    (ann_copy,) = own_work(engine, "g1", "ann")  # her copy of the cup, at revision 1
    assert (ann_copy.label, ann_copy.source.kind, ann_copy.revision) == ("cup", "model", 1)
    assert [a.label for a in own_work(engine, "g1", "bob")] == ["cup"]  # his own copy
    with engine.connect() as connection:  # the shared candidate is as it was
        assert [a.author for a in load_sample(connection, "g1").annotations].count("detector") == 1
    draw(engine, project, "ann", "g1", "car", x=12)
    draw(engine, project, "ann", "g1", "person", x=301)
    delete_annotation(engine, project.id, ann_copy.id, 1, Actor("ann"))  # she drops the cup
    draw(engine, project, "bob", "g1", "car", x=12)
    draw(engine, project, "bob", "g1", "person", x=301)  # he keeps the cup: an extra
    submit(engine, ann, ann_task)
    submit(engine, bob, bob_task)
    with engine.connect() as connection:
        results = {r.user: r for r in gold_results(connection, project.id).items}
    assert results["ann"].score == 1.0 and results["ann"].detail["feedback"] == []
    assert results["bob"].score == 2 * 2 / (2 + 3)
    assert [f["kind"] for f in results["bob"].detail["feedback"]] == ["extra"]


def test_on_the_blind_pass_a_gold_slot_hides_the_candidates_and_copies_none(
    engine: Engine, project: Project
) -> None:
    blind = Workflow(
        stages=(AnnotateStage(blind_share=1.0), ReviewStage()), gold=GoldMixing(first=1)
    )
    gold_world(engine, project, blind, "g1")
    propose(engine, project, "g1", x=405)
    ann = member(engine, project, "ann")
    task = take(engine, ann)
    assert (task.kind, own_work(engine, "g1", "ann")) == ("gold", [])
    with engine.connect() as connection:
        (lease,) = [e for e in history(connection, task.id) if e.action == "lease"]
        hidden = connection.execute(select(tasks.c.candidates_hidden).where(tasks.c.id == task.id))
        assert hidden.scalar_one() is True
    assert lease.after["candidates"] == "hidden"


def test_after_the_first_gold_tasks_each_is_gold_by_a_seeded_draw(
    engine: Engine, project: Project
) -> None:
    workflow = MIXED.model_copy(update={"gold": GoldMixing(first=0, rate=0.5)})
    gold_world(engine, project, workflow, "g1", "g2", "g3")
    ann = member(engine, project, "ann")
    expected = []
    for done in range(2):
        seed = f"gold\x00{project.id}\x00{ann.principal.user_id}\x00{done}".encode()
        draw_ = int.from_bytes(hashlib.blake2b(seed, digest_size=8).digest(), "big") / 2**64
        expected.append("gold" if draw_ < 0.5 else "work")
        task = take(engine, ann)
        assert task.kind == expected[-1]
        submit(engine, ann, task)


def test_every_task_is_gold_at_rate_one_until_the_person_had_every_gold_sample(
    engine: Engine, project: Project
) -> None:
    workflow = MIXED.model_copy(update={"gold": GoldMixing(first=0, rate=1.0)})
    gold_world(engine, project, workflow, "g1", "g2")
    ann = member(engine, project, "ann")
    kinds = []
    for _ in range(3):
        task = take(engine, ann)
        kinds.append((task.kind, task.sample))
        submit(engine, ann, task)
    assert kinds == [("gold", "g1"), ("gold", "g2"), ("work", "w1")]


def test_training_tasks_come_first_and_answer_their_feedback(
    engine: Engine, project: Project
) -> None:
    workflow = Workflow(stages=(AnnotateStage(),), training=Training(tasks=1))
    gold_world(engine, project, workflow)
    empty_sample(engine, project.id, "t1")
    draw(engine, project, "mona", "t1", "car", x=10)
    mark_gold(engine, TESTER, project.id, "t1", "training")
    ann = member(engine, project, "ann")
    training = take(engine, ann)
    assert (training.kind, training.sample) == ("training", "t1")
    draw(engine, project, "ann", "t1", "vehicle", x=11)
    handed = submit(engine, ann, training)
    assert handed.score == 0.0 and handed.feedback is not None
    assert [(f["kind"], f["label"], f["given"]) for f in handed.feedback] == [
        ("wrong_label", "car", "vehicle")
    ]
    assert take(engine, ann).kind == "work"  # one training task only


@pytest.fixture
def clients(engine: Engine, project: Project) -> Iterator[dict[str, TestClient]]:
    roles = {"ann": Role.ANNOTATOR, "rev": Role.REVIEWER, "mona": Role.MANAGER}
    made = {
        name: client_as(engine, name, admin=False, project_id=project.id, role=role)
        for name, role in roles.items()
    }
    yield made
    for client in made.values():
        client.close()


def test_over_http_the_reference_never_reaches_the_annotator_and_scores_only_reviewers(
    engine: Engine, project: Project, clients: dict[str, TestClient]
) -> None:
    ann, rev, mona = clients["ann"], clients["rev"], clients["mona"]
    set_workflow(engine, TESTER, project.id, MIXED)
    for sample_id in ("g1", "w1"):
        empty_sample(engine, project.id, sample_id)
    draw(engine, project, "mona", "g1", "car", x=10)
    marked = mona.put("/api/samples/g1/gold/audit", json={})
    assert marked.status_code == 200, marked.text
    assert marked.json()["purpose"] == "audit"
    assert rev.put("/api/samples/g1/gold/audit", json={}).status_code == 403
    path = f"/api/projects/{project.id}"
    assert mona.post(f"{path}/tasks", json={"samples": ["w1"]}).json() == {"created": 1}
    assert mona.put("/api/samples/w1/gold/audit", json={}).status_code == 422
    assert [u["sample"] for u in mona.get(f"{path}/gold").json()["items"]] == ["g1"]

    task = ann.post(f"{path}/tasks/next").json()
    assert (task["kind"], task["sample"]) == ("work", "g1")  # she must not tell it is gold
    assert rev.get(f"{path}/tasks", params={"user": "ann"}).json()["items"][0]["kind"] == "gold"
    seen = ann.get("/api/samples/g1")
    assert seen.status_code == 200, seen.text
    assert seen.json()["annotations"] == []  # mona's reference car stays on the server
    assert seen.json().get("gold") in (None, False)
    made = ann.post(
        "/api/samples/g1/annotations",
        json={
            "stream": "g1-image",
            "label": "car",
            "geometry": {"type": "box", "x": 11, "y": 20, "w": 100, "h": 200},
        },
    )
    assert made.status_code == 201, made.text
    assert [a["author"] for a in ann.get("/api/samples/g1").json()["annotations"]] == ["ann"]
    handed = ann.post(f"/api/tasks/{task['id']}/submit")
    assert handed.status_code == 200, handed.text
    assert handed.json()["score"] is None and handed.json()["feedback"] is None
    assert ann.get(f"{path}/gold/results").status_code == 403
    results = rev.get(f"{path}/gold/results", params={"kind": "gold", "user": "ann"}).json()
    assert [(r["user"], r["score"]) for r in results["items"]] == [("ann", 1.0)]
    assert results["items"][0]["detail"]["modalities"]["image"]["matched"] == 1
    assert rev.get(f"{path}/gold/results", params={"kind": "training"}).json()["items"] == []
    assert mona.delete("/api/samples/g1/gold/audit").status_code == 204
    assert mona.get(f"{path}/gold").json()["items"] == []


def test_people_taking_one_gold_sample_at_once_get_a_slot_each(
    engine: Engine, project: Project
) -> None:
    gold_world(engine, project, MIXED, "g1")
    people = [member(engine, project, f"p{n}") for n in range(8)]
    for n in range(len(people)):  # work for everyone, which gold is mixed into
        empty_sample(engine, project.id, f"more{n}")
    enqueue(engine, TESTER, project.id)
    start = threading.Barrier(len(people))
    got: dict[str, Task] = {}
    failed: list[BaseException] = []

    def lease(access: Access) -> None:
        start.wait()
        try:
            got[access.principal.name] = take(engine, access)
        except BaseException as error:  # noqa: BLE001 - reported below
            failed.append(error)

    threads = [threading.Thread(target=lease, args=(access,)) for access in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []
    assert {task.sample for task in got.values()} == {"g1"}
    assert sorted(task.slot for task in got.values()) == list(range(len(people)))


def test_an_audit_sample_goes_only_to_people_with_the_skills_it_requires(
    engine: Engine, project: Project
) -> None:
    set_workflow(
        engine, TESTER, project.id, MIXED.model_copy(update={"skills": SkillRules(modalities=True)})
    )
    for sample_id in ("w1", "w2"):  # images
        insert_sample(engine, project.id, Sample(id=sample_id, streams=streams_of(sample_id)[1:2]))
    insert_sample(engine, project.id, Sample(id="g1", streams=streams_of("g1")[2:3]))  # audio
    mark_gold(engine, TESTER, project.id, "g1", "audit")
    enqueue(engine, TESTER, project.id)
    ann, bob = member(engine, project, "ann"), member(engine, project, "bob")
    set_profile_skills(engine, TESTER, project.id, ann.principal.user_id, ["modality:image"])
    both = ["modality:audio", "modality:image"]
    set_profile_skills(engine, TESTER, project.id, bob.principal.user_id, both)
    assert (take(engine, ann).kind, take(engine, bob).kind) == ("work", "gold")
