"""The workflow over HTTP: managers set the workflow and queue samples, annotators and
reviewers lease, submit, release and review tasks, peers on an overlap sample never see
each other's work, reviewers list the tasks and read their history."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api_clients import client_as
from builders import empty_sample, insert_sample
from rosetta.core.policies import Role
from rosetta.core.schema import Project, Sample
from rosetta.services.settings import Settings

ROLES = {
    "ann": Role.ANNOTATOR,
    "bob": Role.ANNOTATOR,
    "rev": Role.REVIEWER,
    "mona": Role.MANAGER,
}
WORKFLOW = {
    "stages": [
        {"kind": "annotate", "overlap": 2, "overlap_share": 1.0, "lease_seconds": 120},
        {"kind": "review"},
    ]
}
BOX = {"type": "box", "x": 10, "y": 20, "w": 100, "h": 200}


@pytest.fixture
def clients(engine: Engine, project: Project) -> Iterator[dict[str, TestClient]]:
    """Clients of the members (`ROLES`) and of ``out``, who is none; samples s1 and s2."""
    made = {
        name: client_as(engine, name, admin=False, project_id=project.id, role=role)
        for name, role in ROLES.items()
    }
    made["out"] = client_as(engine, "out", admin=False)
    for sample_id in ("s1", "s2"):
        empty_sample(engine, project.id, sample_id)
    yield made
    for client in made.values():
        client.close()


def _queued_by_job(mona: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """Queue with `body`, which the server answers with an ``enqueue`` job (202); the job's
    result once the app's worker has run it."""
    queued = mona.post(f"{path}/tasks", json=body)
    assert queued.status_code == 202, queued.text
    job = queued.json()
    assert (job["kind"], queued.headers["Location"]) == ("enqueue", f"/api/jobs/{job['id']}")
    with mona:  # the app's worker runs while the client is open
        deadline = time.monotonic() + 60
        while (done := mona.get(f"/api/jobs/{job['id']}").json())["status"] != "done":
            assert done["status"] in ("queued", "running"), done
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert done["progress"] == 1.0
    result: dict[str, Any] = done["result"]
    return result


def test_managers_set_the_workflow_in_versions_and_queue_samples(
    clients: dict[str, TestClient], project: Project
) -> None:
    mona, path = clients["mona"], f"/api/projects/{project.id}"
    assert mona.get(f"{path}/workflow").status_code == 404
    first = mona.put(f"{path}/workflow", json=WORKFLOW)
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 1 and first.json()["actor"] == "mona"
    assert first.json()["workflow"]["stages"][0] == {
        "kind": "annotate",
        "overlap": 2,
        "overlap_share": 1.0,
        "blind_share": 0.0,
        "lease_seconds": 120.0,
        "reveal_models": False,
    }
    assert mona.get(f"{path}/workflow").json() == first.json()
    second = mona.put(f"{path}/workflow", json={"stages": [{"kind": "annotate"}]})
    assert second.json()["version"] == 2
    bad = mona.put(f"{path}/workflow", json={"stages": [{"kind": "review"}]})
    assert bad.status_code == 422 and bad.json()["error"]["type"] == "invalid_request"
    assert clients["rev"].get(f"{path}/workflow").status_code == 403
    assert clients["out"].get(f"{path}/workflow").status_code == 404

    assert mona.post(f"{path}/tasks", json={"samples": ["s1"], "priority": 3}).json() == {
        "created": 1
    }
    assert mona.post(f"{path}/tasks", json={}).json() == {"created": 1}
    assert mona.post(f"{path}/tasks", json={}).json() == {"created": 0}
    missing = mona.post(f"{path}/tasks", json={"samples": ["s9"]})
    assert missing.status_code == 404 and missing.json()["error"]["id"] == "s9"
    assert clients["rev"].post(f"{path}/tasks", json={}).status_code == 403


def test_annotators_lease_submit_and_never_see_their_overlap_peers_work(
    clients: dict[str, TestClient], project: Project
) -> None:
    path = f"/api/projects/{project.id}"
    assert clients["mona"].put(f"{path}/workflow", json=WORKFLOW).is_success
    clients["mona"].post(f"{path}/tasks", json={"samples": ["s1"]})
    ann, bob = clients["ann"], clients["bob"]
    assert ann.get("/api/samples/s1").status_code == 404  # not hers before a lease

    leased = ann.post(f"{path}/tasks/next")
    assert leased.status_code == 200, leased.text
    task = leased.json()
    assert (task["sample"], task["stage"], task["status"], task["user"]) == (
        "s1",
        "annotate",
        "leased",
        "ann",
    )
    assert task["lease_expires_at"] == pytest.approx(task["updated_at"] + 120)
    assert ann.post(f"{path}/tasks/next").json() == task
    assert ann.post(f"{path}/tasks/next", params={"stage": "review"}).status_code == 403

    made = ann.post(
        "/api/samples/s1/annotations",
        json={"id": "ann-box", "stream": "s1-image", "label": "person", "geometry": BOX},
    )
    assert made.status_code == 201, made.text
    other = bob.post(f"{path}/tasks/next").json()
    assert (other["sample"], other["slot"]) == ("s1", 1 - task["slot"])
    # blind: bob sees the sample but not ann's box
    assert bob.get("/api/samples/s1").json()["annotations"] == []
    assert [a["id"] for a in ann.get("/api/samples/s1").json()["annotations"]] == ["ann-box"]

    refused = bob.post(f"/api/tasks/{task['id']}/submit")
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["type"] == "permission_denied"
    assert clients["out"].post(f"/api/tasks/{task['id']}/submit").status_code == 404
    assert clients["rev"].post(f"/api/tasks/{task['id']}/submit").status_code == 403
    assert ann.post("/api/tasks/no-such-task/submit").status_code == 404

    handed = ann.post(f"/api/tasks/{task['id']}/submit")
    assert handed.status_code == 200 and handed.json()["status"] == "submitted"
    assert ann.post(f"/api/tasks/{task['id']}/submit").json() == handed.json()
    nothing = ann.post(f"{path}/tasks/next")
    assert nothing.status_code == 204 and nothing.content == b""


def test_reviewers_review_list_and_read_the_history_of_tasks(
    clients: dict[str, TestClient], project: Project
) -> None:
    path = f"/api/projects/{project.id}"
    single = {"stages": [{"kind": "annotate"}, {"kind": "review"}]}
    assert clients["mona"].put(f"{path}/workflow", json=single).is_success
    clients["mona"].post(f"{path}/tasks", json={})
    ann, rev = clients["ann"], clients["rev"]
    task = ann.post(f"{path}/tasks/next").json()
    released = ann.post(f"/api/tasks/{task['id']}/release")
    assert released.json()["status"] == "open" and released.json()["user"] is None
    task = ann.post(f"{path}/tasks/next").json()
    ann.post(f"/api/tasks/{task['id']}/submit")

    review = rev.post(f"{path}/tasks/next").json()
    assert (review["stage"], review["sample"]) == ("review", task["sample"])
    assert (
        ann.post(f"/api/tasks/{review['id']}/review", json={"decision": "accepted"}).status_code
        == 403
    )
    unexplained = rev.post(f"/api/tasks/{review['id']}/review", json={"decision": "rejected"})
    assert unexplained.status_code == 422
    assert unexplained.json()["error"]["rule"] == "review-comment"
    decided = rev.post(
        f"/api/tasks/{review['id']}/review",
        json={"decision": "rejected", "comment": "the flag is a person too"},
    )
    assert decided.status_code == 200 and decided.json()["status"] == "done"
    back = ann.post(f"{path}/tasks/next").json()
    assert (back["id"], back["status"], back["comment"]) == (
        task["id"],
        "returned",
        "the flag is a person too",
    )
    assert ann.get(f"/api/samples/{task['sample']}/review").status_code == 200

    listing = rev.get(f"{path}/tasks", params={"limit": 1})
    assert listing.status_code == 200
    first = listing.json()
    assert len(first["items"]) == 1 and first["next_cursor"] is not None
    rest = rev.get(f"{path}/tasks", params={"cursor": first["next_cursor"]}).json()
    assert len(first["items"]) + len(rest["items"]) == 3  # two annotate slots and a review
    returned = rev.get(f"{path}/tasks", params={"status": "returned", "user": "ann"}).json()
    assert [t["id"] for t in returned["items"]] == [task["id"]]
    assert rev.get(f"{path}/tasks", params={"stage": "adjudicate"}).json()["items"] == []
    assert ann.get(f"{path}/tasks").status_code == 403

    logged = rev.get(f"/api/objects/{task['id']}/history").json()["items"]
    assert [(e["action"], e["actor"]) for e in logged] == [
        ("create", "mona"),
        ("lease", "ann"),
        ("release", "ann"),
        ("lease", "ann"),
        ("submit", "ann"),
        ("return", "rev"),
    ]


def test_queueing_more_than_a_request_takes_is_a_job(
    clients: dict[str, TestClient], project: Project, engine: Engine, tmp_path: Path
) -> None:
    path = f"/api/projects/{project.id}"
    settings = Settings(data_dir=tmp_path / "data", job_workers=1)
    mona = client_as(engine, "mona", admin=False, settings=settings)
    assert mona.put(f"{path}/workflow", json={"stages": [{"kind": "annotate"}]}).is_success
    many = [f"b{i:04}" for i in range(1001)]
    for sample_id in many:
        insert_sample(engine, project.id, Sample(id=sample_id))
    inline = mona.post(f"{path}/tasks", json={"samples": many[:1000], "priority": 2})
    assert (inline.status_code, inline.json()) == (200, {"created": 1000})
    assert _queued_by_job(mona, path, {"samples": many, "priority": 2}) == {"created": 1}
    tasks = clients["rev"].get(f"{path}/tasks", params={"limit": 1000}).json()["items"]
    assert {task["priority"] for task in tasks} == {2.0}
    assert _queued_by_job(mona, path, {}) == {"created": 2}  # s1 and s2 of 1,003


def test_managers_reorder_the_waiting_slots_all_or_nothing(
    clients: dict[str, TestClient], project: Project
) -> None:
    mona, ann, path = clients["mona"], clients["ann"], f"/api/projects/{project.id}"
    single = {"stages": [{"kind": "annotate"}, {"kind": "review"}]}
    assert mona.put(f"{path}/workflow", json=single).status_code == 200
    assert mona.post(f"{path}/tasks", json={"samples": ["s1", "s2"]}).json() == {"created": 2}
    url = f"{path}/tasks/priorities"

    def priorities() -> dict[str, float]:
        items = mona.get(f"{path}/tasks").json()["items"]
        return {task["sample"]: task["priority"] for task in items}

    assert ann.put(url, json={"priorities": {"s2": 5}}).status_code == 403
    unknown = mona.put(url, json={"priorities": {"s2": 5, "nope": 1}})
    assert unknown.status_code == 404 and "nope" in unknown.json()["error"]["message"]
    assert priorities() == {"s1": 0.0, "s2": 0.0}  # nothing changed
    assert mona.put(url, json={"priorities": {"s2": 5}}).json() == {"changed": 1}
    taken = ann.post(f"{path}/tasks/next").json()
    assert taken["sample"] == "s2"  # now first
    # a held slot keeps its priority; an unchanged one is not counted
    assert mona.put(url, json={"priorities": {"s2": 0, "s1": 0}}).json() == {"changed": 0}
    assert priorities() == {"s1": 0.0, "s2": 5.0}
    logged = mona.get(f"/api/objects/{taken['id']}/history").json()["items"]
    assert [event["action"] for event in logged] == ["create", "prioritize", "lease"]
