"""The stratified second review: the pure pick over a synthetic stream of samples (every
stratum gets at least its share, the whole about the rate), and over HTTP a sample a first
reviewer accepts going to a second reviewer (never the first), whose reject sends it back
to its annotator with the disagreement recorded and whose accept ends it."""

import random
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from api_clients import client_as
from builders import box, insert_sample, streams_of
from rosetta.core.policies import Role
from rosetta.core.schema import Project, Sample, Source
from rosetta.core.workflow import SecondReview, picks_second_review, review_strata
from rosetta.store.tables import events, reviews, tasks
from rosetta.store.tables import review_strata as strata_table

ROLES = {"ann": Role.ANNOTATOR, "rev": Role.REVIEWER, "sue": Role.REVIEWER, "mona": Role.MANAGER}
BOX = {"type": "box", "x": 10, "y": 20, "w": 100, "h": 200}


def _stream(rate: float, samples: int) -> tuple[float, dict[str, tuple[int, int]]]:
    """Run the pick over a seeded stream of samples with skewed strata: the share picked
    and each stratum's ``(seen, picked)``."""
    rng = random.Random(7)
    second = SecondReview(rate=rate)
    counts: dict[str, tuple[int, int]] = {}
    picked = 0
    for _ in range(samples):
        strata = review_strata(
            second,
            modalities=rng.sample(["image", "text", "audio", "video"], k=rng.choice([1, 1, 2])),
            labels=rng.choices(
                ["person", "car", "cup", "cat", "spacecraft"],
                weights=[50, 25, 15, 8, 2],
                k=rng.randint(1, 3),
            ),
            annotators=rng.choices(
                [f"a{i}" for i in range(8)], weights=[30, 20, 15, 10, 10, 8, 5, 2]
            ),
            confidences=[rng.betavariate(5, 2) for _ in range(rng.randint(0, 2))],
        )
        for stratum in strata:
            seen, chosen = counts.get(stratum, (0, 0))
            counts[stratum] = (seen + 1, chosen)
        if picks_second_review(rate, {stratum: counts[stratum] for stratum in strata}):
            picked += 1
            for stratum in strata:
                seen, chosen = counts[stratum]
                counts[stratum] = (seen, chosen + 1)
    return picked / samples, counts


@pytest.mark.parametrize("rate", [0.05, 0.1, 0.25])
def test_every_stratum_gets_its_share_and_the_whole_about_the_rate(rate: float) -> None:
    share, counts = _stream(rate, 5000)
    assert rate <= share < rate * 1.1
    assert {stratum.split(":")[0] for stratum in counts} == {
        "all",
        "modality",
        "class",
        "annotator",
        "confidence",
    }
    assert len([s for s in counts if s.startswith("confidence:")]) >= 5
    for stratum, (seen, picked) in counts.items():
        assert picked >= rate * seen, stratum
    rare = counts["class:spacecraft"]
    assert rare[0] < 500 and rare[1] >= rate * rare[0]
    assert _stream(rate, 5000) == (share, counts)  # deterministic


def test_the_strata_of_a_sample() -> None:
    second = SecondReview(rate=0.1, strata=("class", "confidence"))
    assert review_strata(
        second,
        modalities=["image"],
        labels=["car", "car", "cup"],
        annotators=["ann"],
        confidences=[0.83, 1.0, 0.05],
    ) == ["all", "class:car", "class:cup", "confidence:0.0", "confidence:0.8", "confidence:0.9"]
    assert picks_second_review(0.1, {"all": (1, 0)})
    assert not picks_second_review(0.1, {"all": (2, 1), "class:car": (10, 1)})
    assert picks_second_review(0.1, {"all": (2, 1), "class:car": (11, 1)})


@pytest.fixture
def clients(engine: Engine, project: Project) -> Iterator[dict[str, TestClient]]:
    """The members' clients, a workflow whose every accepted sample gets a second review,
    and sample s1 (with a model's candidate of confidence 0.83) queued."""
    made = {
        name: client_as(engine, name, admin=False, project_id=project.id, role=role)
        for name, role in ROLES.items()
    }
    candidate = box("s1-cand", "s1", "car").model_copy(
        update={"source": Source(kind="model", confidence=0.83)}
    )
    insert_sample(
        engine, project.id, Sample(id="s1", streams=streams_of("s1"), annotations=[candidate])
    )
    workflow = {
        "stages": [
            {"kind": "annotate"},
            {"kind": "review", "second_review": {"rate": 1.0, "strata": ["class", "confidence"]}},
        ]
    }
    path = f"/api/projects/{project.id}"
    assert made["mona"].put(f"{path}/workflow", json=workflow).is_success
    assert made["mona"].post(f"{path}/tasks", json={"samples": ["s1"]}).is_success
    yield made
    for client in made.values():
        client.close()


def _review(
    client: TestClient, path: str, decision: str, comment: str | None = None
) -> dict[str, Any]:
    task = client.post(f"{path}/tasks/next").json()
    done = client.post(
        f"/api/tasks/{task['id']}/review", json={"decision": decision, "comment": comment}
    )
    assert done.status_code == 200, done.text
    return task


def test_a_second_reviewer_checks_what_the_first_accepted(
    clients: dict[str, TestClient], project: Project, engine: Engine
) -> None:
    path = f"/api/projects/{project.id}"
    ann, rev, sue = clients["ann"], clients["rev"], clients["sue"]
    made = ann.post(
        "/api/samples/s1/annotations",
        json={"id": "ann-box", "stream": "s1-image", "label": "person", "geometry": BOX},
    )
    assert made.status_code == 404  # not hers before the lease
    lease = ann.post(f"{path}/tasks/next").json()
    made = ann.post(
        "/api/samples/s1/annotations",
        json={"id": "ann-box", "stream": "s1-image", "label": "person", "geometry": BOX},
    )
    assert made.status_code == 201, made.text
    assert ann.post(f"/api/tasks/{lease['id']}/submit").json()["status"] == "submitted"

    first = _review(rev, path, "accepted")
    assert first["slot"] == 0
    assert rev.post(f"{path}/tasks/next").status_code == 204  # not the second review
    assert rev.get("/api/samples/s1").json()["status"] == "review"
    second = _review(sue, path, "rejected", "the car is a cup")
    assert (second["stage"], second["slot"]) == ("review", 1)
    returned = ann.post(f"{path}/tasks/next").json()
    assert (returned["id"], returned["status"], returned["comment"]) == (
        lease["id"],
        "returned",
        "the car is a cup",
    )
    assert ann.post(f"/api/tasks/{lease['id']}/submit").json()["status"] == "submitted"
    again = _review(rev, path, "accepted")
    assert again["id"] == first["id"]
    assert _review(sue, path, "accepted")["id"] == second["id"]

    assert rev.get("/api/samples/s1").json()["status"] == "done"
    with engine.connect() as connection:
        statuses = {row.status for row in connection.execute(select(tasks.c.status))}
        verdicts = [
            (row.reviewer, row.decision, row.reason, row.object_kind)
            for row in connection.execute(select(reviews).order_by(reviews.c.pk))
        ]
        strata = {
            row.stratum: (row.seen, row.picked) for row in connection.execute(select(strata_table))
        }
        disagreements = [
            orjson.loads(row.after)
            for row in connection.execute(
                select(events.c.after).where(
                    events.c.object_kind == "task", events.c.action == "disagree"
                )
            )
        ]
    assert statuses == {"done"}
    assert verdicts == [
        ("rev", "accepted", None, "sample"),
        ("sue", "rejected", "the car is a cup", "sample"),
        ("rev", "accepted", None, "sample"),
        ("sue", "accepted", None, "sample"),
    ]
    # counted once: the second round goes to the second reviewer again without a new pick
    assert strata == {
        "all": (1, 1),
        "class:car": (1, 1),
        "class:person": (1, 1),
        "confidence:0.8": (1, 1),
    }
    assert [(d["first_reviewer"], d["second_reviewer"], d["id"]) for d in disagreements] == [
        ("rev", "sue", second["id"])
    ]
