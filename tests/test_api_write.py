"""Writes over HTTP one object at a time: annotations, links and entities (create, read,
change, delete; confirm and reject), and a sample's status and metadata. Each as the role
that may and may not, with If-Match revisions, read back through the store."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from api_clients import client_as
from builders import box, empty_sample, insert_sample, span, streams_of
from conftest import TESTER
from rosetta.core.geometry import Box
from rosetta.core.policies import Role
from rosetta.core.schema import Annotation, Entity, Link, Project, Sample
from rosetta.services import accounts
from rosetta.services.catalog import sample_revision
from rosetta.services.editing import create_annotation, create_link
from rosetta.store.events import Actor, history
from rosetta.store.records import load_sample
from rosetta.store.tables import events, samples

ROLES = {"ann": Role.ANNOTATOR, "bob": Role.ANNOTATOR, "rev": Role.REVIEWER, "man": Role.MANAGER}

BOX = {"type": "box", "x": 10.0, "y": 20.0, "w": 100.0, "h": 200.0}


@pytest.fixture
def clients(engine: Engine, project: Project) -> Iterator[dict[str, TestClient]]:
    """Clients of ann and bob (annotators), rev (reviewer) and man (manager). Sample s1 is
    assigned to ann (open) and to bob (blind); s2 to nobody. On s1: ann's caption span
    "mention", ann's box "astronaut" and rev's confirmed link "ref" between them."""
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
    create_annotation(engine, project.id, "s1", box("astronaut", "s1", "person"), Actor("ann"))
    create_link(
        engine,
        project.id,
        "s1",
        Link(id="ref", type="refers-to", source="mention", target="astronaut", status="confirmed"),
        Actor("rev"),
    )
    yield made
    for client in made.values():
        client.close()


def _sample(engine: Engine, sample_id: str = "s1") -> Sample:
    with engine.connect() as connection:
        return load_sample(connection, sample_id)


def _stored(engine: Engine, ident: str) -> Annotation | Entity | Link | None:
    sample = _sample(engine)
    found = [*sample.annotations, *sample.entities, *sample.links]
    return next((item for item in found if item.id == ident), None)


def _events(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(events)).scalar_one())


def _history(engine: Engine, ident: str) -> list[tuple[str, str, str | None, str | None]]:
    """(action, actor, tool, note) of each of the object's events."""
    with engine.connect() as connection:
        return [(e.action, e.actor, e.tool, e.note) for e in history(connection, ident)]


def _error(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["type"] == kind
    return error


def _if_match(revision: int | str) -> dict[str, str]:
    return {"If-Match": f'"{revision}"'}


def _refused_for_if_match(response: Any, header: str | None) -> None:
    """A 422 naming the If-Match header: missing, or not one quoted revision."""
    if header is None:
        error = _error(response, 422, "invalid_request")
        assert [e["where"] for e in error["errors"]] == ["header.if-match"]
    else:
        error = _error(response, 422, "rule_violation")
        assert (error["field"], error["rule"]) == ("If-Match", "if-match")
        assert "If-Match" in error["message"]


# --- annotations ----------------------------------------------------------------------------


def test_create_annotation_stores_it_by_the_caller(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    given = {"id": "cup", "stream": "s1-image", "label": "cup", "geometry": BOX}
    given |= {"attributes": {"colour": "white"}, "source": {"kind": "model", "name": "yolo"}}

    response = clients["ann"].post("/api/samples/s1/annotations", json=given)

    assert response.status_code == 201, response.text
    assert response.headers["ETag"] == '"1"'
    stored = _stored(engine, "cup")
    assert isinstance(stored, Annotation)
    assert (stored.label, stored.geometry, stored.attributes) == (
        "cup",
        Box(**BOX),
        given["attributes"],
    )
    assert (stored.revision, stored.author, stored.ontology_version) == (1, "ann", 1)
    assert (stored.source.kind, stored.source.name) == ("model", "yolo")
    assert response.json() == {
        **given,
        "revision": 1,
        "ontology_version": 1,
        "author": "ann",
        "flags": [],
    }
    assert _history(engine, "cup") == [("create", "ann", "api", None)]


def test_create_annotation_without_an_id_gets_one(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    response = clients["ann"].post(
        "/api/samples/s1/annotations",
        json={"stream": "s1-image", "label": "flag", "geometry": BOX},
    )

    assert response.status_code == 201, response.text
    assert _stored(engine, response.json()["id"]) is not None


def test_an_invalid_annotation_is_a_rule_violation_and_writes_nothing(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    before = _events(engine)
    outside = {**BOX, "x": 500.0}
    response = clients["ann"].post(
        "/api/samples/s1/annotations",
        json={"id": "off", "stream": "s1-image", "label": "cup", "geometry": outside},
    )

    error = _error(response, 422, "rule_violation")
    assert (error["field"], error["rule"]) == ("geometry", "inside-bounds")
    assert _stored(engine, "off") is None
    assert _events(engine) == before


def test_get_annotation_sends_its_revision_as_etag(clients: dict[str, TestClient]) -> None:
    response = clients["ann"].get("/api/annotations/astronaut")

    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    assert response.json()["geometry"] == BOX


def test_update_annotation_changes_it_and_turns_its_confirmed_link_stale(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    moved = {**BOX, "x": 50.0}
    response = clients["ann"].patch(
        "/api/annotations/astronaut",
        json={"geometry": moved, "attributes": {"role": "astronaut"}},
        headers=_if_match(1),
    )

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'
    stored = _stored(engine, "astronaut")
    assert isinstance(stored, Annotation)
    assert (stored.geometry, stored.attributes, stored.label) == (
        Box(**moved),
        {"role": "astronaut"},
        "person",
    )
    assert stored.revision == 2
    link = _stored(engine, "ref")
    assert isinstance(link, Link)
    assert (link.status, link.revision) == ("stale", 2)
    assert _history(engine, "astronaut")[-1] == ("update", "ann", "api", None)
    assert _history(engine, "ref")[-1] == (
        "stale",
        "ann",
        "api",
        "target annotation 'astronaut' changed from revision 1 to 2",
    )
    assert clients["ann"].get("/api/links/ref").json()["status"] == "stale"


def test_a_stale_if_match_is_a_conflict_with_the_current_state(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    first = clients["ann"].patch(
        "/api/annotations/astronaut", json={"label": "cat"}, headers=_if_match(1)
    )
    assert first.status_code == 200
    before = _events(engine)

    response = clients["rev"].patch(
        "/api/annotations/astronaut", json={"label": "car"}, headers=_if_match(1)
    )

    error = _error(response, 409, "conflict")
    assert (error["object"], error["expected"], error["actual"]) == ("annotation 'astronaut'", 1, 2)
    assert error["current"] == first.json()
    assert _events(engine) == before
    stored = _stored(engine, "astronaut")
    assert stored is not None and stored.revision == 2


@pytest.mark.parametrize("header", [None, "1", '"one"', "*"])
def test_a_change_without_a_revision_in_if_match_is_refused(
    engine: Engine, clients: dict[str, TestClient], header: str | None
) -> None:
    headers = {} if header is None else {"If-Match": header}
    before = _events(engine)

    responses = [
        clients["ann"].patch("/api/annotations/astronaut", json={"label": "cat"}, headers=headers),
        clients["ann"].delete("/api/annotations/astronaut", headers=headers),
        clients["ann"].delete("/api/links/ref", headers=headers),
        clients["rev"].post("/api/links/ref/reject", headers=headers),
    ]

    for response in responses:
        _refused_for_if_match(response, header)
    assert _events(engine) == before


def test_delete_annotation_deletes_it_and_its_links(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    response = clients["ann"].delete("/api/annotations/astronaut", headers=_if_match(1))

    assert response.status_code == 204
    assert _stored(engine, "astronaut") is None
    assert _stored(engine, "ref") is None
    assert _history(engine, "astronaut")[-1] == ("delete", "ann", "api", None)
    assert _history(engine, "ref")[-1][:2] == ("delete", "ann")
    assert clients["ann"].get("/api/annotations/astronaut").status_code == 404


def test_an_annotator_cannot_reach_a_sample_not_assigned_to_them(
    engine: Engine, project: Project, clients: dict[str, TestClient]
) -> None:
    create_annotation(engine, project.id, "s2", box("other", "s2", "cup"), Actor("rev"))
    ann = clients["ann"]
    before = _events(engine)

    responses = {
        "create": ann.post(
            "/api/samples/s2/annotations",
            json={"stream": "s2-image", "label": "cup", "geometry": BOX},
        ),
        "get": ann.get("/api/annotations/other"),
        "update": ann.patch("/api/annotations/other", json={"label": "flag"}, headers=_if_match(1)),
        "delete": ann.delete("/api/annotations/other", headers=_if_match(1)),
        "link": ann.post(
            "/api/samples/s2/links", json={"type": "same-as", "source": "other", "target": "x"}
        ),
        "entity": ann.post("/api/samples/s2/entities", json={"members": ["other"]}),
        "status": ann.patch("/api/samples/s2", json={"status": "review"}, headers=_if_match(1)),
    }

    for response in responses.values():
        _error(response, 404, "not_found")
    assert _events(engine) == before


def test_a_blind_annotator_cannot_see_or_touch_others_work(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    bob = clients["bob"]
    before = _events(engine)

    for path in ("/api/annotations/astronaut", "/api/links/ref"):
        assert bob.get(path).status_code == 404
        _error(bob.delete(path, headers=_if_match(1)), 404, "not_found")
    _error(
        bob.patch("/api/annotations/astronaut", json={"label": "cat"}, headers=_if_match(1)),
        404,
        "not_found",
    )
    own = bob.post(
        "/api/samples/s1/annotations",
        json={
            "id": "bobs",
            "stream": "s1-text",
            "label": "flag",
            "geometry": {"type": "span", "start": 46, "end": 50},
        },
    )
    assert own.status_code == 201
    hidden_end = bob.post(
        "/api/samples/s1/links",
        json={"id": "peek", "type": "refers-to", "source": "bobs", "target": "astronaut"},
    )
    missing_end = bob.post(
        "/api/samples/s1/links",
        json={"id": "peek", "type": "refers-to", "source": "bobs", "target": "nothing"},
    )
    hidden, missing = (
        _error(hidden_end, 422, "rule_violation"),
        _error(missing_end, 422, "rule_violation"),
    )
    assert (
        (hidden["field"], hidden["rule"])
        == (missing["field"], missing["rule"])
        == ("target", "link-endpoint")
    )
    assert hidden["message"].replace("astronaut", "nothing") == missing["message"]
    members = _error(
        bob.post("/api/samples/s1/entities", json={"members": ["bobs", "mention"]}),
        422,
        "rule_violation",
    )
    assert (members["field"], members["rule"]) == ("members[1]", "entity-member")
    assert _events(engine) == before + 1


# --- links ----------------------------------------------------------------------------------


def test_create_link_by_an_annotator_is_proposed(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    response = clients["ann"].post(
        "/api/samples/s1/links",
        json={"id": "same", "type": "same-as", "source": "mention", "target": "astronaut"},
    )

    assert response.status_code == 201, response.text
    assert response.headers["ETag"] == '"1"'
    stored = _stored(engine, "same")
    assert isinstance(stored, Link)
    assert (stored.type, stored.source, stored.target, stored.status, stored.author) == (
        "same-as",
        "mention",
        "astronaut",
        "proposed",
        "ann",
    )
    assert _history(engine, "same") == [("create", "ann", "api", None)]


def test_only_a_reviewer_adds_a_confirmed_link(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    link = {"type": "same-as", "source": "mention", "target": "astronaut", "status": "confirmed"}

    denied = clients["ann"].post("/api/samples/s1/links", json={**link, "id": "l-ann"})
    allowed = clients["rev"].post("/api/samples/s1/links", json={**link, "id": "l-rev"})

    assert _error(denied, 403, "permission_denied")["object"] == "sample 's1'"
    assert _stored(engine, "l-ann") is None
    assert allowed.status_code == 201
    assert (allowed.json()["source_revision"], allowed.json()["target_revision"]) == (1, 1)


def test_confirm_and_reject_are_a_reviewers(engine: Engine, clients: dict[str, TestClient]) -> None:
    clients["ann"].patch("/api/annotations/astronaut", json={"label": "cat"}, headers=_if_match(1))
    assert clients["ann"].get("/api/links/ref").json()["revision"] == 2
    for action in ("confirm", "reject"):
        denied = clients["ann"].post(f"/api/links/ref/{action}", headers=_if_match(2))
        assert _error(denied, 403, "permission_denied")["action"] == action

    confirmed = clients["rev"].post("/api/links/ref/confirm", headers=_if_match(2))

    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.headers["ETag"] == '"3"'
    stored = _stored(engine, "ref")
    assert isinstance(stored, Link)
    assert (stored.status, stored.revision, stored.source_revision, stored.target_revision) == (
        "confirmed",
        3,
        1,
        2,
    )
    rejected = clients["rev"].post("/api/links/ref/reject", headers=_if_match(3))
    assert rejected.json()["status"] == "rejected"
    assert [event[:2] for event in _history(engine, "ref")][-2:] == [
        ("confirm", "rev"),
        ("reject", "rev"),
    ]
    stale = clients["rev"].post("/api/links/ref/confirm", headers=_if_match(3))
    assert _error(stale, 409, "conflict")["current"] == rejected.json()


def test_update_link_changes_its_ends_and_reopens_it(
    engine: Engine, project: Project, clients: dict[str, TestClient]
) -> None:
    create_annotation(engine, project.id, "s1", box("flag", "s1", "flag", x=300), Actor("ann"))

    response = clients["ann"].patch(
        "/api/links/ref", json={"target": "flag", "attributes": {}}, headers=_if_match(1)
    )

    assert response.status_code == 200, response.text
    stored = _stored(engine, "ref")
    assert isinstance(stored, Link)
    assert (stored.target, stored.status, stored.revision) == ("flag", "proposed", 2)
    assert (stored.source_revision, stored.target_revision) == (None, None)
    assert _history(engine, "ref")[-1] == ("update", "ann", "api", None)
    bad = clients["ann"].patch("/api/links/ref", json={"type": "speaker-of"}, headers=_if_match(2))
    assert _error(bad, 422, "rule_violation")["rule"] == "link-endpoint"


def test_delete_link(engine: Engine, clients: dict[str, TestClient]) -> None:
    response = clients["ann"].delete("/api/links/ref", headers=_if_match(1))

    assert response.status_code == 204
    assert _stored(engine, "ref") is None
    assert _stored(engine, "astronaut") is not None
    assert _history(engine, "ref")[-1] == ("delete", "ann", "api", None)


# --- entities -------------------------------------------------------------------------------


def test_entities_are_created_changed_and_deleted(
    engine: Engine, project: Project, clients: dict[str, TestClient]
) -> None:
    ann = clients["ann"]
    created = ann.post(
        "/api/samples/s1/entities",
        json={"id": "who", "label": "person", "members": ["mention", "astronaut"]},
    )
    assert created.status_code == 201, created.text
    assert created.json() == {
        "id": "who",
        "label": "person",
        "members": ["mention", "astronaut"],
        "revision": 1,
        "author": "ann",
    }
    create_link(
        engine,
        project.id,
        "s1",
        Link(id="who-ref", type="same-as", source="who", target="mention", status="confirmed"),
        Actor("rev"),
    )
    assert ann.get("/api/entities/who").headers["ETag"] == '"1"'

    changed = ann.patch("/api/entities/who", json={"members": ["astronaut"]}, headers=_if_match(1))

    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] == '"2"'
    stored = _stored(engine, "who")
    assert isinstance(stored, Entity)
    assert (stored.label, stored.members, stored.revision) == ("person", ["astronaut"], 2)
    link = _stored(engine, "who-ref")
    assert isinstance(link, Link)
    assert (link.status, link.revision) == ("stale", 2)
    assert _history(engine, "who")[-1] == ("update", "ann", "api", None)
    assert _history(engine, "who-ref")[-1][3] == (
        "source entity 'who' changed from revision 1 to 2 (members)"
    )
    wrong = ann.patch("/api/entities/who", json={"label": "cup"}, headers=_if_match(2))
    assert _error(wrong, 422, "rule_violation")["rule"] == "entity-labels"
    unlabelled = ann.patch("/api/entities/who", json={"label": None}, headers=_if_match(2))
    assert unlabelled.status_code == 200, unlabelled.text
    assert "label" not in unlabelled.json()
    assert unlabelled.json()["members"] == ["astronaut"]

    deleted = ann.delete("/api/entities/who", headers=_if_match(3))

    assert deleted.status_code == 204
    assert _stored(engine, "who") is None
    assert _stored(engine, "who-ref") is None
    assert _stored(engine, "astronaut") is not None
    assert _history(engine, "who")[-1] == ("delete", "ann", "api", None)
    assert _history(engine, "who-ref")[-1] == (
        "delete",
        "ann",
        "api",
        "its endpoint entity 'who' was deleted",
    )


# --- the sample -----------------------------------------------------------------------------


def test_an_annotator_hands_a_sample_in_and_nothing_else(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    ann = clients["ann"]
    etag = ann.get("/api/samples/s1").headers["ETag"]

    for change in ({"status": "done"}, {"metadata": {"k": 1}}, {"status": "in_progress"}):
        _error(
            ann.patch("/api/samples/s1", json=change, headers={"If-Match": etag}),
            403,
            "permission_denied",
        )
    response = ann.patch("/api/samples/s1", json={"status": "review"}, headers={"If-Match": etag})

    assert response.status_code == 200, response.text
    with engine.connect() as connection:
        revision = sample_revision(connection, "s1")
    assert response.headers["ETag"] == f'"{revision}"' != etag
    assert response.json() == {
        "id": "s1",
        "external_id": None,
        "status": "review",
        "metadata": {},
        "revision": revision,
    }
    assert _sample(engine).status == "review"
    assert ann.get("/api/samples/s1").headers["ETag"] == response.headers["ETag"]
    with engine.connect() as connection:
        [event] = [e for e in history(connection, "s1") if e.object_kind == "sample"]
    assert (event.action, event.actor, event.before, event.after) == (
        "update",
        "ann",
        {"status": "new", "metadata": {}},
        {"status": "review", "metadata": {}},
    )


def test_reviewers_set_any_status_and_managers_the_metadata(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    etag = clients["rev"].get("/api/samples/s2").headers["ETag"]
    _error(
        clients["rev"].patch(
            "/api/samples/s2", json={"metadata": {"k": 1}}, headers={"If-Match": etag}
        ),
        403,
        "permission_denied",
    )
    done = clients["rev"].patch(
        "/api/samples/s2", json={"status": "done"}, headers={"If-Match": etag}
    )
    assert done.status_code == 200, done.text

    stale = clients["man"].patch(
        "/api/samples/s2", json={"metadata": {"k": 1}}, headers={"If-Match": etag}
    )
    error = _error(stale, 409, "conflict")
    assert error["current"] == done.json()
    missing = clients["man"].patch("/api/samples/s2", json={"metadata": {"k": 1}})
    _refused_for_if_match(missing, None)
    changed = clients["man"].patch(
        "/api/samples/s2",
        json={"metadata": {"k": 1}, "status": "in_progress"},
        headers={"If-Match": done.headers["ETag"]},
    )

    assert changed.status_code == 200
    stored = _sample(engine, "s2")
    assert (stored.status, stored.metadata) == ("in_progress", {"k": 1})
    bad = clients["man"].patch(
        "/api/samples/s2",
        json={"status": "finished"},
        headers={"If-Match": changed.headers["ETag"]},
    )
    assert _error(bad, 422, "invalid_request")["errors"][0]["where"] == "body.status"


def test_every_change_is_recorded_with_its_author(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    clients["ann"].patch("/api/annotations/mention", json={"label": "thing"}, headers=_if_match(1))
    clients["rev"].post("/api/links/ref/confirm", headers=_if_match(2))
    clients["man"].post(
        "/api/samples/s1/annotations",
        json={"id": "m", "stream": "s1-image", "label": "cup", "geometry": BOX},
    )
    clients["bob"].post("/api/samples/s1/entities", json={"id": "bobs", "members": []})

    with engine.connect() as connection:
        rows = connection.execute(
            select(events.c.object_id, events.c.action, events.c.actor, events.c.tool)
            .where(events.c.tool == "api")
            .order_by(events.c.pk)
        ).all()
    assert [tuple(row) for row in rows] == [
        ("mention", "update", "ann", "api"),
        ("ref", "stale", "ann", "api"),
        ("ref", "confirm", "rev", "api"),
        ("m", "create", "man", "api"),
        ("bobs", "create", "bob", "api"),
    ]


def test_gold_samples_hide_others_work_from_writers(
    engine: Engine, project: Project, clients: dict[str, TestClient]
) -> None:
    reference = box("answer", "g", "cup")
    insert_sample(
        engine,
        project.id,
        Sample(
            id="g",
            streams=streams_of("g"),
            annotations=[reference.model_copy(update={"author": "rev"})],
        ),
    )
    with engine.begin() as connection:
        connection.execute(update(samples).where(samples.c.id == "g").values(gold=True))
    with engine.connect() as connection:
        ann = accounts.find_user(connection, "ann").id
    accounts.assign(engine, TESTER, "g", ann)

    _error(clients["ann"].get("/api/annotations/answer"), 404, "not_found")
    _error(
        clients["ann"].patch(
            "/api/annotations/answer", json={"label": "flag"}, headers=_if_match(1)
        ),
        404,
        "not_found",
    )
    assert clients["rev"].get("/api/annotations/answer").status_code == 200
