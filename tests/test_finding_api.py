"""Findings over HTTP, against the real app with the test checks installed as a package
installs them: what a change breaks is found by the next read (the routes catch up
first), a reviewer waives or resolves a finding with its revision (stale: 409), a manager
queues a batch run; annotators see a sample's findings only about work they see, none on a
gold sample, and cannot list or change findings; refused requests write nothing."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from api_clients import client_as
from builders import box, empty_sample, span
from conftest import TESTER
from qa_checks import PLUGIN_ENTRY_POINTS, installed
from rosetta.core.geometry import Box
from rosetta.core.policies import Role
from rosetta.core.schema import Link, Project
from rosetta.services import accounts
from rosetta.services.editing import create_annotation, create_link
from rosetta.services.gold import mark_gold
from rosetta.services.settings import Settings
from rosetta.store.events import Actor
from rosetta.store.tables import events, jobs

ROLES = {
    "ann": Role.ANNOTATOR,
    "bob": Role.ANNOTATOR,
    "cat": Role.ANNOTATOR,
    "rev": Role.REVIEWER,
    "boss": Role.MANAGER,
}


@pytest.fixture
def clients(engine: Engine, project: Project, tmp_path: Path) -> Iterator[dict[str, TestClient]]:
    """Clients of ann and bob (annotators of s1, bob's assignment blind), cat (of s2), rev
    (reviewer) and boss (manager), with the test checks installed. On s1: ann's box
    "thin", 1 px wide; bob's span "who" (a cat) linked by bob to it, and his thin box
    "bobs"."""
    settings = Settings(data_dir=tmp_path / "data", job_workers=0)
    with installed(tmp_path / "site", {"rosetta_test_checks": PLUGIN_ENTRY_POINTS}):
        made = {
            name: client_as(
                engine, name, admin=False, project_id=project.id, role=role, settings=settings
            )
            for name, role in ROLES.items()
        }
        empty_sample(engine, project.id, "s1")
        empty_sample(engine, project.id, "s2")
        with engine.connect() as connection:
            ids = {name: accounts.find_user(connection, name).id for name in ROLES}
        accounts.assign(engine, TESTER, "s1", ids["ann"])
        accounts.assign(engine, TESTER, "s1", ids["bob"], blind=True)
        accounts.assign(engine, TESTER, "s2", ids["cat"])
        thin = box("thin", "s1", "person").model_copy(update={"geometry": Box(x=5, y=5, w=1, h=40)})
        create_annotation(engine, project.id, "s1", thin, Actor("ann"))
        create_annotation(engine, project.id, "s1", span("who", "s1", 3, 12, "cat"), Actor("bob"))
        bobs = box("bobs", "s1", "person").model_copy(
            update={"geometry": Box(x=50, y=5, w=1.5, h=40)}
        )
        create_annotation(engine, project.id, "s1", bobs, Actor("bob"))
        link = Link(id="ref", type="refers-to", source="who", target="thin")
        create_link(engine, project.id, "s1", link, Actor("bob"))
        yield made
        for client in made.values():
            client.close()


def written(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(events)).scalar_one())


def ours(items: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(check, first subject, status) of the findings of the test checks."""
    return [
        (item["check"], item["subjects"][0], item["status"])
        for item in items
        if item["check"] in ("narrow-box", "linked-labels")
    ]


def test_a_change_is_found_by_the_next_read_and_a_reviewer_waives(
    engine: Engine, project: Project, clients: dict[str, TestClient]
) -> None:
    ann, rev = clients["ann"], clients["rev"]
    listing = f"/api/projects/{project.id}/findings"
    page = rev.get(listing)
    assert page.status_code == 200, page.text
    assert ours(page.json()["items"]) == [
        ("linked-labels", "ref", "open"),
        ("narrow-box", "thin", "open"),
        ("narrow-box", "bobs", "open"),
    ]
    assert ours(rev.get(listing, params={"annotator": "ann"}).json()["items"]) == [
        ("linked-labels", "ref", "open"),
        ("narrow-box", "thin", "open"),
    ]
    paged = rev.get(listing, params={"check": "narrow-box", "limit": 1}).json()
    rest = rev.get(listing, params={"check": "narrow-box", "cursor": paged["next_cursor"]})
    assert [i["subjects"] for i in paged["items"] + rest.json()["items"]] == [["thin"], ["bobs"]]

    # ann widens her box through the API: the next read finds the problem gone
    revision = ann.get("/api/annotations/thin").headers["ETag"]
    widened = ann.patch(
        "/api/annotations/thin",
        json={"geometry": {"type": "box", "x": 5, "y": 5, "w": 30, "h": 40}},
        headers={"If-Match": revision},
    )
    assert widened.status_code == 200, widened.text
    resolved = rev.get(listing, params={"status": "resolved", "check": "narrow-box"})
    [thin] = resolved.json()["items"]
    assert (thin["subjects"], thin["status_by"], thin["revision"]) == (["thin"], None, 2)

    (bobs,) = [
        i for i in page.json()["items"] if (i["check"], i["subjects"]) == ("narrow-box", ["bobs"])
    ]
    path = f"/api/findings/{bobs['id']}"
    before = written(engine)
    unexplained = rev.patch(path, json={"status": "waived"}, headers={"If-Match": '"1"'})
    assert unexplained.status_code == 422
    assert unexplained.json()["error"]["rule"] == "finding-reason"
    stale = rev.patch(path, json={"status": "waived", "reason": "x"}, headers={"If-Match": '"7"'})
    assert stale.status_code == 409
    assert stale.json()["error"]["type"] == "conflict"
    refused = ann.patch(path, json={"status": "resolved"}, headers={"If-Match": '"1"'})
    assert refused.status_code == 403
    assert clients["cat"].get(listing).status_code == 403
    assert written(engine) == before

    body = {"status": "waived", "reason": "a flagpole is this thin"}
    waived = rev.patch(path, json=body, headers={"If-Match": '"1"'})
    assert waived.status_code == 200, waived.text
    assert waived.headers["ETag"] == '"2"'
    assert (waived.json()["status"], waived.json()["status_by"]) == ("waived", "rev")
    assert written(engine) == before + 1
    history = rev.get(f"/api/objects/{bobs['id']}/history").json()["items"]
    assert [(e["object_kind"], e["action"], e["note"]) for e in history] == [
        ("finding", "waive", "a flagpole is this thin")
    ]
    assert ours(rev.get(listing, params={"status": "waived"}).json()["items"]) == [
        ("narrow-box", "bobs", "waived")
    ]

    summary = rev.get(f"/api/projects/{project.id}/findings/summary").json()
    counts = {
        (c["check"], c["status"]): c["count"]
        for c in summary["checks"]
        if c["check"] in ("narrow-box", "linked-labels")
    }
    assert counts == {
        ("narrow-box", "resolved"): 1,
        ("narrow-box", "waived"): 1,
        ("linked-labels", "open"): 1,
    }
    assert {"annotator": "bob", "status": "waived", "count": 1} in summary["annotators"]


def test_annotators_see_findings_about_work_they_see(
    engine: Engine, project: Project, clients: dict[str, TestClient]
) -> None:
    def seen(name: str) -> list[tuple[str, str, str]]:
        answer = clients[name].get("/api/samples/s1/findings")
        assert answer.status_code == 200, answer.text
        return ours(answer.json())

    everything = [
        ("linked-labels", "ref", "open"),
        ("narrow-box", "thin", "open"),
        ("narrow-box", "bobs", "open"),
    ]
    assert seen("rev") == everything
    assert seen("ann") == everything
    assert seen("bob") == [("narrow-box", "bobs", "open")]  # blind: ann's box is hidden
    assert clients["cat"].get("/api/samples/s1/findings").status_code == 404

    mark_gold(engine, TESTER, project.id, "s1", "audit")
    assert seen("ann") == []
    assert seen("rev") == everything


def test_a_manager_queues_a_batch_run_of_installed_checks(
    engine: Engine, project: Project, clients: dict[str, TestClient]
) -> None:
    boss = clients["boss"]
    installed_checks = {c["name"]: c for c in clients["ann"].get("/api/checks").json()}
    assert installed_checks["narrow-box"] == {
        "name": "narrow-box",
        "description": "A box narrower than 2 px: most likely a slip of the mouse.",
        "modalities": ["image"],
        "needs_embedder": False,
    }
    assert {"stale-links", "linked-labels"} <= set(installed_checks)

    runs = f"/api/projects/{project.id}/qa/runs"
    before = written(engine)
    assert clients["rev"].post(runs, json={}).status_code == 403
    unknown = boss.post(runs, json={"checks": ["no-such-check"]})
    assert unknown.status_code == 422
    assert "no-such-check" in unknown.text
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(jobs)).scalar_one() == 0

    queued = boss.post(runs, json={"checks": ["narrow-box"], "settings": {"projection_iou": 0.5}})
    assert queued.status_code == 202, queued.text
    job = queued.json()
    assert queued.headers["Location"] == f"/api/jobs/{job['id']}"
    assert (job["kind"], job["status"], job["params"]["checks"]) == ("qa", "queued", ["narrow-box"])
    assert job["params"]["settings"]["projection_iou"] == 0.5
    again = boss.post(runs, json={"checks": ["narrow-box"], "settings": {"projection_iou": 0.5}})
    assert again.json()["id"] == job["id"]
    assert written(engine) == before
