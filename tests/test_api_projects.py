"""Projects, ontologies, members, assignments and history over HTTP, as each role."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from api_clients import client_as
from builders import box, empty_sample, insert_sample, span, streams_of
from conftest import TESTER
from rosetta.core.ontology import Ontology
from rosetta.core.policies import Role
from rosetta.core.schema import Project, Sample
from rosetta.services import accounts
from rosetta.services.projects import create_project, find_project, list_projects, load_ontology
from rosetta.store.tables import assignments, events

ROLES = {
    "ann": Role.ANNOTATOR,
    "rev": Role.REVIEWER,
    "man": Role.MANAGER,
    "adm": Role.ADMIN,
}
RENAME_CAT = {
    "description": "cats are felines",
    "operations": [{"op": "rename_class", "from": "cat", "to": "feline"}],
}


@pytest.fixture
def clients(engine: Engine, project: Project) -> Iterator[dict[str, TestClient]]:
    """A client per project role, one of a user in no project ("out") and of a site admin
    ("root"); samples s1 (a cat box and a span) and s2."""
    made = {
        name: client_as(engine, name, admin=False, project_id=project.id, role=role)
        for name, role in ROLES.items()
    }
    made["out"] = client_as(engine, "out", admin=False)
    made["root"] = client_as(engine, "root")
    insert_sample(
        engine,
        project.id,
        Sample(
            id="s1",
            streams=streams_of("s1"),
            annotations=[box("s1.cat", "s1", "cat"), span("s1.span", "s1", 3, 12)],
        ),
    )
    empty_sample(engine, project.id, "s2")
    yield made
    for client in made.values():
        client.close()


def _error(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["type"] == kind
    return error


def test_each_person_lists_the_projects_they_are_a_member_of_with_their_role(
    engine: Engine, clients: dict[str, TestClient], project: Project, demo_ontology: Ontology
) -> None:
    other = create_project(engine, "other", demo_ontology, TESTER)
    for name, role in ROLES.items():
        assert clients[name].get("/api/projects").json() == [
            {**project.model_dump(), "role": role.value}
        ]
    assert clients["out"].get("/api/projects").json() == []
    listed = clients["root"].get("/api/projects").json()
    assert [(p["name"], p["role"]) for p in listed] == [
        (project.name, "admin"),
        (other.name, "admin"),
    ]


def test_one_project_by_name_or_id(clients: dict[str, TestClient], project: Project) -> None:
    for ident in (project.name, project.id):
        assert clients["ann"].get(f"/api/projects/{ident}").json() == {
            **project.model_dump(),
            "role": "annotator",
        }
    error = _error(clients["out"].get(f"/api/projects/{project.name}"), 404, "not_found")
    assert (error["kind"], error["id"]) == ("project", project.name)
    _error(clients["ann"].get("/api/projects/nope"), 404, "not_found")


def test_site_admins_create_projects_from_an_ontology(
    engine: Engine, clients: dict[str, TestClient], demo_ontology: Ontology
) -> None:
    body = {"name": "fresh", "ontology": demo_ontology.model_dump(mode="json", exclude_none=True)}
    made = clients["root"].post("/api/projects", json=body)
    assert made.status_code == 201, made.text
    assert (made.json()["name"], made.json()["ontology_version"]) == ("fresh", 1)
    with engine.connect() as connection:
        stored = find_project(connection, "fresh")
        assert stored.id == made.json()["id"]
        assert load_ontology(connection, stored.id) == demo_ontology.model_copy(
            update={"version": 1}
        )
    _error(
        clients["adm"].post("/api/projects", json={**body, "name": "x"}), 403, "permission_denied"
    )
    taken = _error(clients["root"].post("/api/projects", json=body), 409, "already_exists")
    assert (taken["kind"], taken["name"]) == ("project", body["name"])
    bad = {"name": "bad", "ontology": {"name": "bad", "classes": [{"parent": "thing"}]}}
    error = _error(clients["root"].post("/api/projects", json=bad), 422, "ontology_error")
    assert "classes.0.name" in error["message"]
    with engine.connect() as connection:
        assert [p.name for p in list_projects(connection)] == ["test-project", "fresh"]


def test_a_manager_migrates_the_ontology_against_the_version_they_read(
    engine: Engine, clients: dict[str, TestClient], project: Project
) -> None:
    path = f"/api/projects/{project.name}/ontology"
    read = clients["man"].get(path)
    assert read.headers["etag"] == '"1"'
    migrated = clients["man"].post(
        f"{path}/migrations", json=RENAME_CAT, headers={"If-Match": read.headers["etag"]}
    )
    assert migrated.status_code == 200, migrated.text
    assert migrated.headers["etag"] == '"2"'
    assert migrated.json() == {
        "from_version": 1,
        "to_version": 2,
        "relabelled": {"cat": 1},
        "flagged": 0,
        "stale_links": 0,
        "dropped_rules": [],
    }
    assert clients["ann"].get("/api/samples/s1").status_code == 404  # not assigned
    labels = [a["label"] for a in clients["rev"].get("/api/samples/s1").json()["annotations"]]
    assert labels == ["feline", "person"]
    assert clients["ann"].get(path).headers["etag"] == '"2"'

    again = clients["man"].post(f"{path}/migrations", json=RENAME_CAT, headers={"If-Match": '"1"'})
    error = _error(again, 409, "conflict")
    assert (error["expected"], error["actual"]) == (1, 2)
    missing = _error(
        clients["man"].post(f"{path}/migrations", json=RENAME_CAT), 422, "invalid_request"
    )
    assert [e["where"] for e in missing["errors"]] == ["header.if-match"]
    unquoted = clients["man"].post(f"{path}/migrations", json=RENAME_CAT, headers={"If-Match": "2"})
    assert _error(unquoted, 422, "rule_violation")["field"] == "If-Match"
    bad = {"operations": [{"op": "rename_class", "from": "nothing", "to": "x"}]}
    _error(
        clients["man"].post(f"{path}/migrations", json=bad, headers={"If-Match": '"2"'}),
        422,
        "ontology_error",
    )
    malformed = {"operations": [{"op": "explode"}]}
    error = _error(
        clients["man"].post(f"{path}/migrations", json=malformed, headers={"If-Match": '"2"'}),
        422,
        "ontology_error",
    )
    assert "operations.0" in error["message"]
    _error(
        clients["rev"].post(f"{path}/migrations", json=RENAME_CAT, headers={"If-Match": '"2"'}),
        403,
        "permission_denied",
    )
    with engine.connect() as connection:
        assert find_project(connection, project.id).ontology_version == 2

    versions = clients["ann"].get(f"{path}/versions").json()
    assert [(v["version"], v["actor"]) for v in versions] == [(1, "tester"), (2, "man")]
    assert versions[0]["migration"] is None and versions[0]["report"] is None
    assert versions[1]["migration"]["description"] == "cats are felines"
    assert versions[1]["report"]["relabelled"] == {"cat": 1}
    assert clients["ann"].get(f"{path}?version=1").json()["version"] == 1


def test_project_admins_manage_members(
    engine: Engine, clients: dict[str, TestClient], project: Project
) -> None:
    path = f"/api/projects/{project.name}/members"
    listed = clients["man"].get(path).json()
    assert [(m["name"], m["role"]) for m in listed] == [(n, r.value) for n, r in ROLES.items()]
    _error(clients["rev"].get(path), 403, "permission_denied")

    added = clients["adm"].put(f"{path}/out", json={"role": "reviewer"})
    assert added.status_code == 200, added.text
    assert (added.json()["name"], added.json()["role"]) == ("out", "reviewer")
    assert clients["out"].get(f"/api/projects/{project.id}").json()["role"] == "reviewer"
    assert clients["out"].get(f"/api/objects/{added.json()['user_id']}/history").status_code == 200

    _error(clients["man"].put(f"{path}/out", json={"role": "admin"}), 403, "permission_denied")
    _error(clients["adm"].put(f"{path}/out", json={"role": "boss"}), 422, "invalid_request")
    _error(clients["adm"].put(f"{path}/nobody", json={"role": "admin"}), 404, "not_found")

    removed = clients["adm"].delete(f"{path}/out")
    assert removed.status_code == 204
    _error(clients["out"].get(f"/api/projects/{project.id}"), 404, "not_found")
    with engine.connect() as connection:
        assert accounts.membership(connection, project.id, _user_id(engine, "out")) is None
        changes = connection.execute(
            select(events.c.actor, events.c.before, events.c.after)
            .where(events.c.object_kind == "membership", events.c.actor == "adm")
            .order_by(events.c.pk)
        ).all()
    assert [row.actor for row in changes] == ["adm", "adm"]
    assert changes[1].after is None


def _user_id(engine: Engine, name: str) -> str:
    with engine.connect() as connection:
        return accounts.find_user(connection, name).id


def test_managers_assign_samples_to_members(
    engine: Engine, clients: dict[str, TestClient], project: Project
) -> None:
    man = clients["man"]
    assert clients["ann"].get("/api/samples/s1").status_code == 404

    made = man.put("/api/samples/s1/assignments/ann", json={"blind": True})
    assert made.status_code == 200, made.text
    ann = _user_id(engine, "ann")
    assert made.json() == {"sample_id": "s1", "user_id": ann, "user": "ann", "blind": True}
    assert man.put("/api/samples/s2/assignments/ann", json={}).json()["blind"] is False
    assert man.put("/api/samples/s2/assignments/rev", json={"blind": False}).status_code == 200
    assert clients["ann"].get("/api/samples/s1").status_code == 200
    assert [
        i["id"] for i in clients["ann"].get(f"/api/projects/{project.id}/samples").json()["items"]
    ] == ["s1", "s2"]

    path = f"/api/projects/{project.name}/assignments"
    everything = man.get(path).json()
    assert [(a["sample_id"], a["user"], a["blind"]) for a in everything["items"]] == [
        ("s1", "ann", True),
        ("s2", "ann", False),
        ("s2", "rev", False),
    ]
    first = man.get(path, params={"user": "ann", "limit": 1}).json()
    rest = man.get(path, params={"user": ann, "cursor": first["next_cursor"]}).json()
    assert [a["sample_id"] for a in first["items"] + rest["items"]] == ["s1", "s2"]
    assert rest["next_cursor"] is None

    assert (
        man.put("/api/samples/s1/assignments/ann", json={"blind": False}).json()["blind"] is False
    )
    assert man.delete("/api/samples/s1/assignments/ann").status_code == 204
    _error(man.delete("/api/samples/s1/assignments/ann"), 404, "not_found")
    assert clients["ann"].get("/api/samples/s1").status_code == 404
    with engine.connect() as connection:
        left = connection.execute(select(assignments.c.sample_id, assignments.c.user_id)).all()
    assert sorted(left) == sorted([("s2", ann), ("s2", _user_id(engine, "rev"))])

    error = _error(man.put("/api/samples/s1/assignments/out", json={}), 422, "rule_violation")
    assert (error["field"], error["rule"]) == ("user", "assignee-member")
    _error(man.put("/api/samples/s1/assignments/nobody", json={}), 404, "not_found")
    _error(man.put("/api/samples/s9/assignments/ann", json={}), 404, "not_found")
    _error(man.put("/api/samples/s1/assignments/ann", json={"blind": "x"}), 422, "invalid_request")
    _error(clients["rev"].put("/api/samples/s1/assignments/ann", json={}), 403, "permission_denied")
    _error(clients["rev"].get(path), 403, "permission_denied")
    _error(clients["ann"].delete("/api/samples/s2/assignments/ann"), 403, "permission_denied")
    _error(clients["ann"].put("/api/samples/s1/assignments/ann", json={}), 404, "not_found")
    _error(clients["out"].get(path), 404, "not_found")


def test_history_is_for_reviewers_and_stays_in_its_project(
    engine: Engine, clients: dict[str, TestClient], project: Project, demo_ontology: Ontology
) -> None:
    clients["man"].put("/api/samples/s1/assignments/ann", json={})
    history = clients["rev"].get("/api/objects/s1/history").json()
    assert [(e["object_kind"], e["actor"], e["after"]) for e in history["items"]] == [
        ("assignment", "man", {"user": "ann", "blind": False})
    ]
    _error(clients["ann"].get("/api/objects/s1/history"), 403, "permission_denied")
    _error(clients["out"].get("/api/objects/s1/history"), 404, "not_found")
    ontology = clients["rev"].get(f"/api/objects/{project.id}/history").json()["items"]
    assert [e["action"] for e in ontology] == ["create"]

    other = create_project(engine, "other", demo_ontology, TESTER)
    ann = _user_id(engine, "ann")
    accounts.set_role(engine, TESTER, other.id, ann, Role.MANAGER)
    roles = {"user": "ann", "role": "annotator"}, {"user": "ann", "role": "manager"}
    here = clients["rev"].get(f"/api/objects/{ann}/history").json()["items"]
    assert [e["after"] for e in here] == [roles[0]]  # not ann's role in the other project
    everywhere = clients["root"].get(f"/api/objects/{ann}/history").json()["items"]
    assert [e["after"] for e in everywhere] == list(roles)
    _error(clients["out"].get(f"/api/objects/{ann}/history"), 404, "not_found")
