"""Escalations over HTTP: an annotator asks, a reviewer answers, a manager turns the answer
into a clarification that the next ontology version carries; annotators see their own
answers only and no one else's question on a blind sample; refused or malformed requests
write nothing."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from api_clients import client_as
from builders import box, empty_sample
from conftest import TESTER
from rosetta.core.policies import Role
from rosetta.core.schema import Project
from rosetta.services import accounts
from rosetta.services.editing import create_annotation
from rosetta.store.events import Actor
from rosetta.store.tables import escalations, events

ROLES = {
    "ann": Role.ANNOTATOR,
    "bob": Role.ANNOTATOR,
    "cat": Role.ANNOTATOR,
    "rev": Role.REVIEWER,
    "boss": Role.MANAGER,
}


@pytest.fixture
def clients(engine: Engine, project: Project) -> Iterator[dict[str, TestClient]]:
    """Clients of ann, bob and cat (annotators: ann and bob on s1, bob blind; cat on s2),
    rev (reviewer) and boss (manager). On s1: bob's box "astronaut"."""
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
    accounts.assign(engine, TESTER, "s2", ids["cat"])
    create_annotation(engine, project.id, "s1", box("astronaut", "s1", "person"), Actor("bob"))
    yield made
    for client in made.values():
        client.close()


def written(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        return (
            connection.execute(select(func.count()).select_from(escalations)).scalar_one(),
            connection.execute(select(func.count()).select_from(events)).scalar_one(),
        )


def ask(client: TestClient, question: str, sample: str = "s1", **more: Any) -> Any:
    return client.post(f"/api/samples/{sample}/escalations", json={"question": question, **more})


def test_asked_answered_and_clarified_into_the_next_ontology_version(
    engine: Engine, project: Project, clients: dict[str, TestClient]
) -> None:
    ann, rev, boss = clients["ann"], clients["rev"], clients["boss"]
    asked = ask(ann, "Does the helmet belong in the person's box?")
    assert asked.status_code == 201, asked.text
    item = asked.json()
    assert {k: item[k] for k in ("sample", "about", "asked_by", "status", "answer")} == {
        "sample": "s1",
        "about": None,
        "asked_by": "ann",
        "status": "open",
        "answer": None,
    }
    queue = rev.get(f"/api/projects/{project.id}/escalations", params={"status": "open"}).json()
    assert [e["id"] for e in queue["items"]] == [item["id"]]

    done = rev.post(f"/api/escalations/{item['id']}/answer", json={"answer": "Yes, always."})
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["answered_by"]) == ("answered", "rev")
    assert (
        rev.get(f"/api/projects/{project.id}/escalations", params={"status": "open"}).json()[
            "items"
        ]
        == []
    )

    version = int(boss.get(f"/api/projects/{project.id}/ontology").headers["ETag"].strip('"'))
    body = {"class": "person", "expected_version": version}
    clarified = boss.post(f"/api/escalations/{item['id']}/clarify", json=body)
    assert clarified.status_code == 200, clarified.text
    record = clarified.json()["clarified"]
    assert (record["kind"], record["name"], record["version"], record["by"]) == (
        "class",
        "person",
        version + 1,
        "boss",
    )
    ontology = ann.get(f"/api/projects/{project.id}/ontology")
    assert ontology.headers["ETag"] == f'"{version + 1}"'
    (person,) = [c for c in ontology.json()["classes"] if c["name"] == "person"]
    last = person["guideline"]["clarifications"][-1]
    assert (last["question"], last["answer"]) == (
        "Does the helmet belong in the person's box?",
        "Yes, always.",
    )
    mine = ann.get("/api/samples/s1/escalations").json()
    assert [(e["answer"], e["clarified"]["name"]) for e in mine] == [("Yes, always.", "person")]
    history = rev.get(f"/api/objects/{item['id']}/history").json()["items"]
    assert [e["action"] for e in history] == ["create", "answer", "clarify"]

    before = written(engine)
    twice = boss.post(
        f"/api/escalations/{item['id']}/clarify", json={**body, "expected_version": version + 1}
    )
    assert twice.status_code == 422
    assert twice.json()["error"]["rule"] == "escalation-clarified"
    assert written(engine) == before


def test_a_stale_ontology_version_is_a_conflict_and_writes_nothing(
    engine: Engine, project: Project, clients: dict[str, TestClient]
) -> None:
    item = ask(clients["ann"], "Is a reflection a person?").json()
    clients["rev"].post(f"/api/escalations/{item['id']}/answer", json={"answer": "No."})
    before = written(engine)
    stale = clients["boss"].post(
        f"/api/escalations/{item['id']}/clarify", json={"class": "person", "expected_version": 9}
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["type"] == "conflict"
    assert written(engine) == before


def test_annotators_see_their_own_answers_and_nothing_of_others_on_a_blind_sample(
    engine: Engine, project: Project, clients: dict[str, TestClient]
) -> None:
    ann, bob, rev = clients["ann"], clients["bob"], clients["rev"]
    anns = ask(ann, "Is a shadow part of the person?").json()
    bobs = ask(bob, "Where does the flag end?", about="astronaut").json()
    assert bobs["about"] == "astronaut"
    for item in (anns, bobs):
        rev.post(
            f"/api/escalations/{item['id']}/answer",
            json={"answer": f"answer to {item['asked_by']}"},
        )

    seen_by_ann = ann.get("/api/samples/s1/escalations").json()
    assert [(e["asked_by"], e["answer"]) for e in seen_by_ann] == [
        ("ann", "answer to ann"),
        ("bob", None),
    ]
    seen_by_bob = bob.get("/api/samples/s1/escalations").json()
    assert [(e["asked_by"], e["answer"]) for e in seen_by_bob] == [("bob", "answer to bob")]
    assert bob.post(f"/api/escalations/{anns['id']}/withdraw").status_code == 404
    assert len(rev.get("/api/samples/s1/escalations").json()) == 2

    listed = ann.get(f"/api/projects/{project.id}/escalations").json()["items"]
    assert [e["asked_by"] for e in listed] == ["ann"]
    assert clients["cat"].get("/api/samples/s1/escalations").status_code == 404
    assert clients["cat"].get(f"/api/projects/{project.id}/escalations").json()["items"] == []


def test_who_may_answer_withdraw_and_clarify(
    engine: Engine, project: Project, clients: dict[str, TestClient]
) -> None:
    ann, bob, rev = clients["ann"], clients["bob"], clients["rev"]
    item = ask(ann, "Is a mannequin a person?").json()
    before = written(engine)
    assert (
        ann.post(f"/api/escalations/{item['id']}/answer", json={"answer": "x"}).status_code == 403
    )
    assert rev.post(f"/api/escalations/{item['id']}/withdraw").status_code == 403
    clarify = {"class": "person", "expected_version": 1}
    assert rev.post(f"/api/escalations/{item['id']}/clarify", json=clarify).status_code == 403
    assert clients["cat"].post(f"/api/escalations/{item['id']}/withdraw").status_code == 404
    assert ask(clients["cat"], "May I?").status_code == 404
    assert written(engine) == before
    gone = ann.post(f"/api/escalations/{item['id']}/withdraw")
    assert gone.json()["status"] == "withdrawn"
    late = rev.post(f"/api/escalations/{item['id']}/answer", json={"answer": "too late"})
    assert late.status_code == 422
    assert (late.json()["error"]["field"], late.json()["error"]["rule"]) == (
        "status",
        "escalation-status",
    )
    refused = ask(ann, "This box?", about="nothing-here")
    assert (refused.status_code, refused.json()["error"]["field"]) == (422, "about")
    assert bob.post("/api/escalations/none/withdraw").status_code == 404


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("answer", {"answer": ""}),
        ("answer", {"answer": "x" * 2001}),
        ("clarify", {"expected_version": 1}),
        ("clarify", {"class": "person", "relation": "refers-to", "expected_version": 1}),
        ("clarify", {"class": "person"}),
        ("clarify", {"class": "person", "expected_version": 1, "question": "x" * 1001}),
    ],
)
def test_a_malformed_request_is_an_invalid_request(
    engine: Engine, clients: dict[str, TestClient], path: str, body: dict[str, Any]
) -> None:
    item = ask(clients["ann"], "Is this a cat?").json()
    if path == "clarify":
        clients["rev"].post(f"/api/escalations/{item['id']}/answer", json={"answer": "Yes."})
    before = written(engine)
    refused = clients["boss"].post(f"/api/escalations/{item['id']}/{path}", json=body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["type"] == "invalid_request"
    assert written(engine) == before
    for question in ("", "x" * 2001):
        assert ask(clients["ann"], question).json()["error"]["type"] == "invalid_request"
