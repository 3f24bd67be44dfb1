"""A sample's review over HTTP: a reviewer reads and gives it with If-Match revisions,
annotators read the decisions on their own work and the verdict, and refused or stale
requests write nothing."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from api_clients import client_as
from builders import box, empty_sample, span
from conftest import TESTER
from rosetta.core.policies import Role
from rosetta.core.schema import Project
from rosetta.services import accounts
from rosetta.services.editing import create_annotation
from rosetta.store.events import Actor
from rosetta.store.tables import events, reviews, samples

ROLES = {"ann": Role.ANNOTATOR, "bob": Role.ANNOTATOR, "rev": Role.REVIEWER}


@pytest.fixture
def clients(engine: Engine, project: Project) -> Iterator[dict[str, TestClient]]:
    """Clients of ann and bob (annotators, both assigned s1, bob blind) and rev (reviewer).
    On s1: ann's span "mention" and bob's box "astronaut"; s2 is assigned to no one."""
    made = {
        name: client_as(engine, name, admin=False, project_id=project.id, role=role)
        for name, role in ROLES.items()
    }
    empty_sample(engine, project.id, "s1")
    empty_sample(engine, project.id, "s2")
    with engine.connect() as connection:
        ids = {name: accounts.find_user(connection, name).id for name in ROLES}
    accounts.assign(engine, TESTER, "s1", ids["ann"])
    accounts.assign(engine, TESTER, "s1", ids["bob"], blind=True)
    create_annotation(engine, project.id, "s1", span("mention", "s1", 3, 12), Actor("ann"))
    create_annotation(engine, project.id, "s1", box("astronaut", "s1", "person"), Actor("bob"))
    yield made
    for client in made.values():
        client.close()


def written(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        return (
            connection.execute(select(func.count()).select_from(reviews)).scalar_one(),
            connection.execute(select(func.count()).select_from(events)).scalar_one(),
        )


def put(client: TestClient, tag: str, body: dict[str, Any], sample: str = "s1") -> Any:
    return client.put(f"/api/samples/{sample}/review", json=body, headers={"If-Match": tag})


def test_a_reviewer_decides_and_rejects_the_sample_back_to_its_annotator(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    rev = clients["rev"]
    empty = rev.get("/api/samples/s1/review")
    assert empty.status_code == 200
    assert empty.json() == {
        "sample": "s1",
        "status": "new",
        "revision": int(empty.headers["ETag"].strip('"')),
        "annotations": [],
        "verdict": None,
    }
    assert empty.headers["ETag"] == rev.get("/api/samples/s1").headers["ETag"]

    answer = put(
        rev,
        empty.headers["ETag"],
        {
            "decisions": [
                {"annotation": "astronaut", "decision": "accepted"},
                {"annotation": "mention", "decision": "rejected", "reason": "cover 'astronaut'"},
            ],
            "verdict": {"decision": "rejected", "reason": "fix the caption span"},
        },
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert answer.headers["ETag"] == f'"{body["revision"]}"'
    assert answer.headers["ETag"] == rev.get("/api/samples/s1").headers["ETag"]
    assert body["status"] == "in_progress"
    assert [(a["annotation"], a["decision"], a["reason"]) for a in body["annotations"]] == [
        ("astronaut", "accepted", None),
        ("mention", "rejected", "cover 'astronaut'"),
    ]
    assert body["verdict"]["decision"] == "rejected"
    assert body["verdict"]["reason"] == "fix the caption span"
    assert body["verdict"]["reviewer"] == "rev"
    assert rev.get("/api/samples/s1").json()["status"] == "in_progress"
    assert rev.get("/api/samples/s1/review").json() == body

    # the annotators see their own decisions and the verdict, not the others'
    ann = clients["ann"].get("/api/samples/s1/review").json()
    assert [a["annotation"] for a in ann["annotations"]] == ["mention"]
    assert ann["verdict"] == body["verdict"]
    bob = clients["bob"].get("/api/samples/s1/review").json()
    assert [a["annotation"] for a in bob["annotations"]] == ["astronaut"]


def test_an_edit_after_review_shows_the_decision_outdated(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    rev = clients["rev"]
    tag = rev.get("/api/samples/s1/review").headers["ETag"]
    assert put(
        rev, tag, {"decisions": [{"annotation": "mention", "decision": "accepted"}]}
    ).is_success
    changed = clients["ann"].patch(
        "/api/annotations/mention", json={"label": "object"}, headers={"If-Match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    (decision,) = rev.get("/api/samples/s1/review").json()["annotations"]
    assert (decision["revision"], decision["current_revision"], decision["outdated"]) == (
        1,
        2,
        True,
    )


def test_annotators_may_not_review_and_a_refusal_writes_nothing(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    ann = clients["ann"]
    tag = ann.get("/api/samples/s1/review").headers["ETag"]
    before = written(engine)
    refused = put(ann, tag, {"verdict": {"decision": "accepted"}})
    assert refused.status_code == 403
    assert refused.json()["error"]["type"] == "permission_denied"
    assert clients["ann"].get("/api/samples/s2/review").status_code == 404
    assert written(engine) == before


def test_a_stale_if_match_is_a_conflict_with_the_review_now(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    rev = clients["rev"]
    read = rev.get("/api/samples/s1/review").headers["ETag"]
    assert put(
        rev, read, {"decisions": [{"annotation": "mention", "decision": "accepted"}]}
    ).is_success
    before = written(engine)
    stale = put(rev, read, {"verdict": {"decision": "accepted"}})
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert error["type"] == "conflict"
    assert f'"{error["actual"]}"' == rev.get("/api/samples/s1/review").headers["ETag"]
    assert [a["annotation"] for a in error["current"]["annotations"]] == ["mention"]
    assert written(engine) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"verdict": {"decision": "rejected"}}, "verdict.reason"),
        (
            {"decisions": [{"annotation": "nothing", "decision": "accepted"}]},
            "decisions[0].annotation",
        ),
        ({}, "decisions"),
    ],
)
def test_a_bad_review_names_the_field(
    engine: Engine, clients: dict[str, TestClient], body: dict[str, Any], field: str
) -> None:
    rev = clients["rev"]
    tag = rev.get("/api/samples/s1/review").headers["ETag"]
    before = written(engine)
    refused = put(rev, tag, body)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert (error["type"], error["field"]) == ("rule_violation", field)
    assert written(engine) == before


def test_a_malformed_review_is_an_invalid_request(clients: dict[str, TestClient]) -> None:
    rev = clients["rev"]
    tag = rev.get("/api/samples/s1/review").headers["ETag"]
    too_long = {"verdict": {"decision": "rejected", "reason": "x" * 2001}}
    for body in ({"verdict": {"decision": "maybe"}}, too_long, {"decisions": [], "extra": 1}):
        refused = put(rev, tag, body)
        assert refused.status_code == 422, body
        assert refused.json()["error"]["type"] == "invalid_request"
    missing = rev.put("/api/samples/s1/review", json={"verdict": {"decision": "accepted"}})
    assert missing.status_code == 422


def test_gold_samples_hide_the_review_from_annotators(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    rev = clients["rev"]
    tag = rev.get("/api/samples/s1/review").headers["ETag"]
    given = put(
        rev,
        tag,
        {
            "decisions": [{"annotation": "mention", "decision": "rejected"}],
            "verdict": {"decision": "accepted"},
        },
    )
    assert given.is_success
    with engine.begin() as connection:
        connection.execute(update(samples).where(samples.c.id == "s1").values(gold=True))
    ann = clients["ann"].get("/api/samples/s1/review").json()
    assert (ann["annotations"], ann["verdict"], ann["status"]) == ([], None, "done")
    assert len(rev.get("/api/samples/s1/review").json()["annotations"]) == 1
