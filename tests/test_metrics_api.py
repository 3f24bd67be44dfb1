"""Annotator metrics over HTTP: reviewers and managers read everyone's, an annotator only
their own and without audit gold or who their peers were; the window is checked; the
numbers come from work done through the API."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select

from api_clients import client_as
from builders import empty_sample
from rosetta.core.policies import (
    Access,
    Principal,
    Role,
    can_read_metrics_of,
    sees_peer_metrics,
)
from rosetta.core.schema import Project
from rosetta.services.workflow import new_task_id
from rosetta.store.tables import tasks, users

ROLES = {"ann": Role.ANNOTATOR, "bob": Role.ANNOTATOR, "rev": Role.REVIEWER, "mona": Role.MANAGER}
WORKFLOW = {
    "stages": [{"kind": "annotate", "overlap": 2, "overlap_share": 1.0}, {"kind": "review"}]
}
BOX = {"type": "box", "x": 10, "y": 20, "w": 100, "h": 200}


@pytest.fixture
def clients(engine: Engine, project: Project) -> Iterator[dict[str, TestClient]]:
    """The members' clients and ``out``'s (no member); s1 annotated alike by ann and bob
    and accepted by rev; an audit gold slot of ann's scored 0.9."""
    made = {
        name: client_as(engine, name, admin=False, project_id=project.id, role=role)
        for name, role in ROLES.items()
    }
    made["out"] = client_as(engine, "out", admin=False)
    empty_sample(engine, project.id, "s1")
    empty_sample(engine, project.id, "g1")
    path = f"/api/projects/{project.id}"
    assert made["mona"].put(f"{path}/workflow", json=WORKFLOW).is_success
    assert made["mona"].post(f"{path}/tasks", json={"samples": ["s1"]}).is_success
    for name in ("ann", "bob"):
        task = made[name].post(f"{path}/tasks/next").json()
        drawn = made[name].post(
            "/api/samples/s1/annotations",
            json={"id": f"{name}-box", "stream": "s1-image", "label": "person", "geometry": BOX},
        )
        assert drawn.status_code == 201, drawn.text
        assert made[name].post(f"/api/tasks/{task['id']}/submit").is_success
    review = made["rev"].post(f"{path}/tasks/next").json()
    decided = made["rev"].post(f"/api/tasks/{review['id']}/review", json={"decision": "accepted"})
    assert decided.is_success, decided.text
    with engine.begin() as connection:
        ann = connection.execute(select(users.c.id).where(users.c.name == "ann")).scalar_one()
        connection.execute(
            insert(tasks).values(
                id=new_task_id(),
                project_id=project.id,
                sample_id="g1",
                stage="annotate",
                slot=0,
                status="done",
                user_id=ann,
                kind="gold",
                score=0.9,
                created_at=0.0,
                updated_at=0.0,
            )
        )
    yield made
    for client in made.values():
        client.close()


def test_reviewers_and_managers_read_everyones_metrics(
    clients: dict[str, TestClient], project: Project
) -> None:
    path = f"/api/projects/{project.id}/metrics/annotators"
    for reader in ("rev", "mona"):
        answer = clients[reader].get(path)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        people = {person["user"]: person for person in body["annotators"]}
        assert sorted(people) == ["ann", "bob", "rev"]
        ann = people["ann"]["metrics"]
        assert ann["throughput"]["handed_in"] == 1
        assert ann["agreement"]["mean"] == {"value": 1.0, "count": 1}
        assert ann["agreement"]["peers"] == {"bob": {"value": 1.0, "count": 1}}
        assert ann["first_pass"] == {"reviewed": 1, "accepted": 1, "rate": 1.0}
        assert ann["accuracy"]["overall"] == {"value": 0.9, "count": 1}
        assert ann["consistency"] == {"annotations": 1, "findings": 0, "per_100": 0.0}
        assert people["rev"]["metrics"]["throughput"]["handed_in"] == 1
        assert body["total"]["throughput"]["handed_in"] == 3
        assert body["bucket_seconds"] == 3600
        assert sum(point["handed_in"] for point in people["bob"]["series"]) == 1
    one = clients["rev"].get(f"{path}/bob", params={"bucket": 86400})
    assert one.status_code == 200 and one.json()["user"] == "bob"
    assert one.json()["metrics"]["agreement"]["peers"] == {"ann": {"value": 1.0, "count": 1}}


def test_an_annotator_reads_only_their_own_without_audit_gold_or_peers(
    clients: dict[str, TestClient], project: Project
) -> None:
    path = f"/api/projects/{project.id}/metrics/annotators"
    ann = clients["ann"]
    own = ann.get(f"{path}/ann")
    assert own.status_code == 200, own.text
    metrics = own.json()["metrics"]
    assert metrics["throughput"]["handed_in"] == 1
    assert metrics["agreement"] == {"mean": {"value": 1.0, "count": 1}, "peers": {}}
    assert metrics["accuracy"]["overall"] == {"value": None, "count": 0}
    as_reviewer = clients["rev"].get(f"{path}/ann")
    assert as_reviewer.json()["metrics"]["accuracy"]["overall"] == {"value": 0.9, "count": 1}
    refused = ann.get(f"{path}/bob")
    assert refused.status_code == 403
    assert refused.json()["error"]["type"] == "permission_denied"
    assert ann.get(path).status_code == 403
    assert clients["out"].get(path).status_code == 404
    assert clients["out"].get(f"{path}/out").status_code == 404


def test_a_window_must_run_forwards_and_an_unknown_person_is_404(
    clients: dict[str, TestClient], project: Project
) -> None:
    path = f"/api/projects/{project.id}/metrics/annotators"
    backwards = clients["rev"].get(path, params={"since": 2000, "until": 1000})
    assert backwards.status_code == 422
    assert backwards.json()["error"]["type"] == "rule_violation"
    assert clients["rev"].get(path, params={"bucket": 1}).status_code == 422
    missing = clients["rev"].get(f"{path}/nobody")
    assert missing.status_code == 404 and missing.json()["error"]["id"] == "nobody"
    future = clients["rev"].get(path, params={"since": 4_000_000_000})
    assert future.json()["annotators"] == []


@pytest.mark.parametrize(
    ("role", "own", "others", "peers"),
    [
        (None, False, False, False),
        (Role.ANNOTATOR, True, False, False),
        (Role.REVIEWER, True, True, True),
        (Role.MANAGER, True, True, True),
        (Role.ADMIN, True, True, True),
    ],
)
def test_who_may_read_whose_metrics(
    role: Role | None, own: bool, others: bool, peers: bool
) -> None:
    access = Access(Principal("u1", "ann"), "p1", role)
    assert can_read_metrics_of(access, "ann") is own
    assert can_read_metrics_of(access, "bob") is others
    assert sees_peer_metrics(access) is peers
