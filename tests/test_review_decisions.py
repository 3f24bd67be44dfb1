"""A reviewer's decision on a review task is the sample's verdict too: a row of
``reviews`` on the sample's revision at the decision, which the sample's review shows and
its history records, on SQLite and PostgreSQL."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from api_clients import client_as
from builders import empty_sample
from rosetta.core.policies import Role
from rosetta.core.schema import Project
from rosetta.services.catalog import sample_revision
from rosetta.store.tables import events, reviews

ROLES = {"ann": Role.ANNOTATOR, "rev": Role.REVIEWER, "mona": Role.MANAGER}


@pytest.fixture
def clients(engine: Engine, project: Project) -> Iterator[dict[str, TestClient]]:
    """The members' clients and sample s1 queued on an annotate → review workflow."""
    made = {
        name: client_as(engine, name, admin=False, project_id=project.id, role=role)
        for name, role in ROLES.items()
    }
    empty_sample(engine, project.id, "s1")
    path = f"/api/projects/{project.id}"
    workflow = {"stages": [{"kind": "annotate"}, {"kind": "review"}]}
    assert made["mona"].put(f"{path}/workflow", json=workflow).is_success
    assert made["mona"].post(f"{path}/tasks", json={"samples": ["s1"]}).is_success
    yield made
    for client in made.values():
        client.close()


def _round(clients: dict[str, TestClient], path: str, decision: str, comment: str | None) -> int:
    """The annotator hands s1 in, the reviewer decides; the sample's revision they judged."""
    ann, rev = clients["ann"], clients["rev"]
    task = ann.post(f"{path}/tasks/next").json()
    assert ann.post(f"/api/tasks/{task['id']}/submit").json()["status"] == "submitted"
    review = rev.post(f"{path}/tasks/next").json()
    judged = int(rev.get("/api/samples/s1").headers["ETag"].strip('"'))
    done = rev.post(
        f"/api/tasks/{review['id']}/review", json={"decision": decision, "comment": comment}
    )
    assert done.status_code == 200, done.text
    return judged


def test_review_decisions_are_the_samples_verdicts(
    clients: dict[str, TestClient], project: Project, engine: Engine
) -> None:
    path = f"/api/projects/{project.id}"
    rejected_at = _round(clients, path, "rejected", "draw the person")
    verdict = clients["rev"].get("/api/samples/s1/review").json()["verdict"]
    assert (verdict["decision"], verdict["reason"], verdict["reviewer"]) == (
        "rejected",
        "draw the person",
        "rev",
    )
    assert verdict["revision"] == rejected_at
    # the annotator sees the verdict on their sample
    assert clients["ann"].get("/api/samples/s1/review").json()["verdict"]["reason"] == (
        "draw the person"
    )

    accepted_at = _round(clients, path, "accepted", None)
    assert accepted_at > rejected_at
    review = clients["rev"].get("/api/samples/s1/review").json()
    assert (review["status"], review["verdict"]["decision"]) == ("done", "accepted")
    assert review["verdict"]["revision"] == accepted_at
    with engine.connect() as connection:
        rows = connection.execute(select(reviews).order_by(reviews.c.pk)).all()
        logged = connection.execute(
            select(events.c.object_kind, events.c.action).where(
                events.c.object_kind == "sample", events.c.action == "review"
            )
        ).all()
        now = sample_revision(connection, "s1")
    assert [(r.decision, r.object_kind, r.object_id, r.reviewer) for r in rows] == [
        ("rejected", "sample", "s1", "rev"),
        ("accepted", "sample", "s1", "rev"),
    ]
    assert len(logged) == 2 and now > accepted_at
