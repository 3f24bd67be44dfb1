"""Submitting a sample's work whole (``PUT /api/samples/{id}/annotations``): creations,
updates and deletions in one transaction, all or nothing, with revisions, visibility and
stale links as single edits have them."""

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from api_clients import client_as
from builders import box, empty_sample, span, speech
from conftest import TESTER
from rosetta.core.policies import Access, Role
from rosetta.core.schema import Entity, Link, Project, Sample
from rosetta.formats.native import dumps_sample
from rosetta.services import accounts
from rosetta.services.bulk import Submission, Submitter, submit_sample
from rosetta.services.catalog import sample_revision
from rosetta.services.editing import create_annotation, create_entity, create_link
from rosetta.store.events import Actor, history
from rosetta.store.records import load_sample
from rosetta.store.tables import annotations, entities, entity_members, events, links

ROLES = {"ann": Role.ANNOTATOR, "bob": Role.ANNOTATOR, "rev": Role.REVIEWER}
TABLES = (annotations, entities, entity_members, links, events)


@pytest.fixture
def clients(engine: Engine, project: Project) -> Iterator[dict[str, TestClient]]:
    """Clients of ann (s1 assigned, open), bob (s1 assigned, blind) and rev (reviewer).
    On s1: ann's span "mention", box "astronaut" and transcript "words"; ann's entity
    "who" of the first two; rev's confirmed link "ref" (mention → astronaut) and ann's
    proposed "said" (words → astronaut); bob's box "bobs"."""
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
    ann, rev = Actor("ann"), Actor("rev")
    create_annotation(engine, project.id, "s1", span("mention", "s1", 3, 12), ann)
    create_annotation(engine, project.id, "s1", box("astronaut", "s1", "person"), ann)
    create_annotation(engine, project.id, "s1", speech("words", "s1"), ann)
    create_annotation(engine, project.id, "s1", box("bobs", "s1", "flag", x=300), Actor("bob"))
    create_link(
        engine,
        project.id,
        "s1",
        Link(id="ref", type="refers-to", source="mention", target="astronaut", status="confirmed"),
        rev,
    )
    create_link(
        engine,
        project.id,
        "s1",
        Link(id="said", type="refers-to", source="words", target="astronaut"),
        ann,
    )
    create_entity(engine, project.id, "s1", Entity(id="who", members=["mention", "astronaut"]), ann)
    yield made
    for client in made.values():
        client.close()


def _read(client: TestClient, sample_id: str = "s1") -> tuple[dict[str, Any], str]:
    """The sample as the client sees it, as the work a submission sends, and its ETag."""
    response = client.get(f"/api/samples/{sample_id}")
    assert response.status_code == 200, response.text
    body = response.json()
    work = {part: body[part] for part in ("annotations", "entities", "links")}
    return work, response.headers["ETag"]


def _submit(
    client: TestClient, work: dict[str, Any], etag: str | None, sample_id: str = "s1"
) -> Any:
    headers = {} if etag is None else {"If-Match": etag}
    return client.put(f"/api/samples/{sample_id}/annotations", json=work, headers=headers)


def _by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


def _stored(engine: Engine, sample_id: str = "s1") -> Sample:
    with engine.connect() as connection:
        return load_sample(connection, sample_id)


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: int(
                connection.execute(select(func.count()).select_from(table)).scalar_one()
            )
            for table in TABLES
        }


def _error(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["type"] == kind
    return error


NEW_BOX = {
    "id": "flag",
    "stream": "s1-image",
    "label": "flag",
    "geometry": {"type": "box", "x": 400.0, "y": 10.0, "w": 50.0, "h": 40.0},
}


def test_a_submission_creates_updates_and_deletes(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    ann = clients["ann"]
    work, etag = _read(ann)
    found = _by_id(work["annotations"])
    found["astronaut"]["geometry"]["x"] = 42.0
    found["astronaut"]["attributes"] = {"role": "astronaut"}
    work["annotations"] = [found["mention"], found["astronaut"], found["bobs"], NEW_BOX]
    work["links"] = [link for link in work["links"] if link["id"] != "said"] + [
        {"id": "flag-ref", "type": "refers-to", "source": "mention", "target": "flag"}
    ]
    work["entities"][0]["members"] = ["mention", "astronaut"]
    work["entities"].append({"id": "thing", "label": "flag", "members": ["flag"]})

    response = _submit(ann, work, etag)

    assert response.status_code == 200, response.text
    body = response.json()
    assert {key: body[key] for key in ("created", "updated", "deleted", "unchanged", "stale")} == {
        "created": 3,  # flag, thing, flag-ref
        "updated": 1,  # astronaut
        "deleted": 2,  # words, said
        "unchanged": 4,  # mention, bobs, who, ref
        "stale": 1,  # ref: its target changed
    }
    stored = _stored(engine)
    annotations_now = _by_id(
        [a.model_dump(mode="json", exclude_none=True) for a in stored.annotations]
    )
    assert list(annotations_now) == ["mention", "astronaut", "bobs", "flag"]
    astronaut = annotations_now["astronaut"]
    assert (astronaut["geometry"]["x"], astronaut["attributes"], astronaut["revision"]) == (
        42.0,
        {"role": "astronaut"},
        2,
    )
    flag = annotations_now["flag"]
    assert (flag["label"], flag["author"], flag["revision"], flag["geometry"]) == (
        "flag",
        "ann",
        1,
        NEW_BOX["geometry"],
    )
    links_now = {link.id: link for link in stored.links}
    assert set(links_now) == {"ref", "flag-ref"}
    assert (links_now["ref"].status, links_now["ref"].revision) == ("stale", 2)
    assert (links_now["flag-ref"].status, links_now["flag-ref"].author) == ("proposed", "ann")
    assert [(e.id, e.label, e.members) for e in stored.entities] == [
        ("who", None, ["mention", "astronaut"]),
        ("thing", "flag", ["flag"]),
    ]
    with engine.connect() as connection:
        revision = sample_revision(connection, "s1")
    assert response.headers["ETag"] == f'"{revision}"'
    again = ann.get("/api/samples/s1")
    assert again.headers["ETag"] == response.headers["ETag"]
    assert body["sample"] == again.json()


def test_every_change_of_a_submission_is_an_event_by_the_submitter(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    work, etag = _read(clients["ann"])
    found = _by_id(work["annotations"])
    found["astronaut"]["label"] = "thing"
    work["annotations"] = [found["mention"], found["astronaut"], found["bobs"], NEW_BOX]
    work["links"] = [link for link in work["links"] if link["id"] != "said"]
    with engine.connect() as connection:
        last = sample_revision(connection, "s1")

    assert _submit(clients["ann"], work, etag).status_code == 200

    with engine.connect() as connection:
        rows = connection.execute(
            select(
                events.c.object_id, events.c.action, events.c.actor, events.c.tool, events.c.note
            )
            .where(events.c.pk > last)
            .order_by(events.c.pk)
        ).all()
        [said] = [e for e in history(connection, "said") if e.action == "delete"]
    assert [tuple(row) for row in rows] == [
        ("flag", "create", "ann", "api", None),
        ("astronaut", "update", "ann", "api", None),
        (
            "ref",
            "stale",
            "ann",
            "api",
            "target annotation 'astronaut' changed from revision 1 to 2",
        ),
        ("said", "delete", "ann", "api", None),
        ("words", "delete", "ann", "api", None),
    ]
    assert said.before["source"] == "words"


def test_a_stale_sample_revision_is_a_conflict_with_the_sample_now(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    work, etag = _read(clients["ann"])
    changed = clients["ann"].patch(
        "/api/annotations/words", json={"label": "speech"}, headers={"If-Match": '"1"'}
    )
    assert changed.status_code == 200
    clients["ann"].patch(
        "/api/annotations/mention", json={"label": "thing"}, headers={"If-Match": '"1"'}
    )
    before = _counts(engine)

    response = _submit(
        clients["ann"], {**work, "annotations": work["annotations"] + [NEW_BOX]}, etag
    )

    error = _error(response, 409, "conflict")
    assert (error["object"], error["expected"]) == ("sample 's1'", int(etag.strip('"')))
    assert error["actual"] == int(clients["ann"].get("/api/samples/s1").headers["ETag"].strip('"'))
    assert error["current"] == clients["ann"].get("/api/samples/s1").json()
    assert _counts(engine) == before


def test_a_stale_object_revision_is_a_conflict_naming_it(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    work, etag = _read(clients["ann"])
    found = _by_id(work["annotations"])
    current = dict(found["mention"])
    found["mention"]["revision"] = 7
    before = _counts(engine)

    error = _error(_submit(clients["ann"], work, etag), 409, "conflict")

    assert (error["object"], error["expected"], error["actual"]) == ("annotation 'mention'", 7, 1)
    assert error["current"] == current
    assert _counts(engine) == before


def test_a_submission_without_if_match_is_refused(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    work, _ = _read(clients["ann"])
    before = _counts(engine)

    missing = _error(_submit(clients["ann"], work, None), 422, "invalid_request")
    malformed = _error(_submit(clients["ann"], work, "W/1"), 422, "rule_violation")

    assert [e["where"] for e in missing["errors"]] == ["header.if-match"]
    assert (malformed["field"], malformed["rule"]) == ("If-Match", "if-match")
    assert _counts(engine) == before


@pytest.mark.parametrize(
    ("spoil", "field", "rule"),
    [
        (
            lambda w: w["annotations"].append(
                {**NEW_BOX, "geometry": {**NEW_BOX["geometry"], "x": 490.0}}
            ),
            "annotations[5].geometry",
            "inside-bounds",
        ),
        (
            lambda w: w["annotations"].append({**NEW_BOX, "label": "unicorn"}),
            "annotations[5].label",
            "label-known",
        ),
        (
            lambda w: w["annotations"].append({**NEW_BOX, "id": "mention"}),
            "annotations[5].id",
            "ids-unique",
        ),
        (
            lambda w: w["annotations"].append({**NEW_BOX, "id": "s2-image"}),
            "annotations[5].id",
            "ids-unique",
        ),
        (lambda w: w["annotations"].pop(0), "entities[0].members[0]", "entity-member"),
        (
            lambda w: w["links"].append(
                {"id": "l9", "type": "refers-to", "source": "flag", "target": "astronaut"}
            ),
            "links[2].source",
            "link-endpoint",
        ),
        (
            lambda w: w["links"].append(
                {"id": "l9", "type": "nearby", "source": "mention", "target": "astronaut"}
            ),
            "links[2].type",
            "relation-known",
        ),
        (
            lambda w: w["annotations"][1].update(stream="s1-video"),
            "annotations[1].stream",
            "stream-fixed",
        ),
        (lambda w: w["annotations"].append(5), "annotations[5]", "schema"),
        (lambda w: w["annotations"][0].update(lable="cat"), "annotations[0].lable", "schema"),
        (
            lambda w: w["annotations"].append({**NEW_BOX, "geometry": {"type": "box", "x": "ten"}}),
            "annotations[5].geometry.x",
            "schema",
        ),
        (
            lambda w: w["annotations"].append({**NEW_BOX, "id": "x" * 65}),
            "annotations[5].id",
            "id-length",
        ),
        (lambda w: w["entities"][0].pop("id"), "entities[0].id", "schema"),
    ],
)
def test_one_bad_object_writes_nothing(
    engine: Engine, clients: dict[str, TestClient], spoil: Any, field: str, rule: str
) -> None:
    """A valid new box, a changed annotation and one bad object: nothing is written."""
    work, etag = _read(clients["rev"])
    _by_id(work["annotations"])["astronaut"]["label"] = "thing"
    work["annotations"].append({**NEW_BOX, "id": "fine"})
    spoil(work)
    before = _counts(engine)
    stored = _stored(engine)

    error = _error(_submit(clients["rev"], work, etag), 422, "rule_violation")

    assert (error["field"], error["rule"]) == (field, rule)
    assert _counts(engine) == before
    assert _stored(engine) == stored


def test_an_annotator_cannot_submit_on_a_sample_not_assigned_to_them(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    work, etag = _read(clients["rev"], "s2")
    before = _counts(engine)

    response = _submit(
        clients["ann"], {**work, "annotations": [NEW_BOX | {"stream": "s2-image"}]}, etag, "s2"
    )

    _error(response, 404, "not_found")
    assert _counts(engine) == before


def test_an_annotator_cannot_confirm_or_reject_in_a_submission(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    work, etag = _read(clients["ann"])
    _by_id(work["links"])["said"]["status"] = "confirmed"
    before = _counts(engine)

    confirm = _submit(clients["ann"], work, etag)

    error = _error(confirm, 403, "permission_denied")
    assert error["message"] == "you may not set the status of link 'said' to 'confirmed'"
    new_confirmed = {
        "id": "x",
        "type": "same-as",
        "source": "mention",
        "target": "astronaut",
        "status": "confirmed",
    }
    work, etag = _read(clients["ann"])
    _error(
        _submit(clients["ann"], {**work, "links": work["links"] + [new_confirmed]}, etag),
        403,
        "permission_denied",
    )
    assert _counts(engine) == before


def test_a_reviewer_confirms_a_link_whose_end_changes_in_the_same_submission(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    work, etag = _read(clients["rev"])
    _by_id(work["annotations"])["astronaut"]["label"] = "thing"
    _by_id(work["links"])["said"]["status"] = "confirmed"

    response = _submit(clients["rev"], work, etag)

    assert response.status_code == 200, response.text
    links_now = {link.id: link for link in _stored(engine).links}
    said, ref = links_now["said"], links_now["ref"]
    assert (said.status, said.revision, said.source_revision, said.target_revision) == (
        "confirmed",
        2,
        1,
        2,
    )
    assert (ref.status, ref.revision) == ("stale", 2)
    assert response.json()["stale"] == 1
    with engine.connect() as connection:
        assert [(e.action, e.actor) for e in history(connection, "said")][-1] == ("confirm", "rev")


def test_a_changed_confirmed_link_goes_back_to_proposed(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    work, etag = _read(clients["ann"])
    _by_id(work["links"])["ref"]["type"] = "same-as"

    response = _submit(clients["ann"], work, etag)

    assert response.status_code == 200, response.text
    ref = next(link for link in _stored(engine).links if link.id == "ref")
    assert (ref.type, ref.status, ref.revision, ref.source_revision) == (
        "same-as",
        "proposed",
        2,
        None,
    )
    assert (response.json()["updated"], response.json()["stale"]) == (1, 0)


def test_a_blind_annotator_submits_only_their_own_work(
    engine: Engine, project: Project, clients: dict[str, TestClient]
) -> None:
    """bob sees only "bobs"; rev's link from ann's mention to bobs and rev's entity holding
    bobs are hidden from him, and go (the link) or shrink (the entity) when he deletes it."""
    create_link(
        engine,
        project.id,
        "s1",
        Link(id="rev-ref", type="refers-to", source="mention", target="bobs", status="confirmed"),
        Actor("rev"),
    )
    create_entity(engine, project.id, "s1", Entity(id="rev-ent", members=["bobs"]), Actor("rev"))
    create_link(
        engine,
        project.id,
        "s1",
        Link(id="ent-ref", type="same-as", source="rev-ent", target="mention", status="confirmed"),
        Actor("rev"),
    )
    bob = clients["bob"]
    work, etag = _read(bob)
    assert [a["id"] for a in work["annotations"]] == ["bobs"]
    assert work["entities"] == work["links"] == []

    clients["ann"].patch(
        "/api/annotations/words",
        json={"attributes": {"language": "en"}},
        headers={"If-Match": '"1"'},
    )
    stale = _error(_submit(bob, work, etag), 409, "conflict")
    assert stale["current"] == bob.get("/api/samples/s1").json()
    assert [a["id"] for a in stale["current"]["annotations"]] == ["bobs"]
    work, etag = _read(bob)
    hidden = _submit(
        bob, {"annotations": work["annotations"] + [{**NEW_BOX, "id": "mention"}]}, etag
    )
    assert _error(hidden, 422, "rule_violation")["rule"] == "ids-unique"
    response = _submit(bob, {"annotations": [{**NEW_BOX, "id": "bob2"}]}, etag)

    assert response.status_code == 200, response.text
    counts = response.json()
    assert (counts["created"], counts["deleted"], counts["stale"]) == (1, 1, 0)
    assert [a["id"] for a in response.json()["sample"]["annotations"]] == ["bob2"]
    stored = _stored(engine)
    assert [a.id for a in stored.annotations] == ["mention", "astronaut", "words", "bob2"]
    assert {link.id: link.status for link in stored.links} == {
        "ref": "confirmed",
        "said": "proposed",
        "ent-ref": "stale",
    }
    entity = next(e for e in stored.entities if e.id == "rev-ent")
    assert (entity.members, entity.revision) == ([], 2)
    with engine.connect() as connection:
        assert [(e.action, e.actor, e.note) for e in history(connection, "rev-ref")][-1] == (
            "delete",
            "bob",
            "its endpoint annotation 'bobs' was deleted",
        )
        assert [(e.action, e.note) for e in history(connection, "rev-ent")][-1] == (
            "update",
            "member annotation 'bobs' was deleted",
        )
        assert [(e.action, e.note) for e in history(connection, "ent-ref")][-1] == (
            "stale",
            "source entity 'rev-ent' changed from revision 1 to 2 (member annotation 'bobs' was deleted)",
        )


def test_submitting_what_is_stored_changes_nothing(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    work, etag = _read(clients["ann"])
    before = _counts(engine)

    response = _submit(clients["ann"], work, etag)

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == etag
    assert (response.json()["unchanged"], response.json()["created"]) == (7, 0)
    assert _counts(engine) == before


def test_concurrent_submissions_on_one_revision_one_wins(
    engine: Engine, clients: dict[str, TestClient]
) -> None:
    work, etag = _read(clients["rev"])
    results: list[int] = []
    barrier = threading.Barrier(2)

    def submit(ident: str) -> None:
        barrier.wait()
        results.append(
            _submit(
                clients["rev"],
                {**work, "annotations": work["annotations"] + [{**NEW_BOX, "id": ident}]},
                etag,
            ).status_code
        )

    threads = [threading.Thread(target=submit, args=(ident,)) for ident in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [200, 409]
    ids = {a.id for a in _stored(engine).annotations}
    assert len(ids & {"one", "two"}) == 1


def test_the_service_takes_records_too(
    engine: Engine, project: Project, clients: dict[str, TestClient]
) -> None:
    """`submit_sample` takes records as well as their JSON objects."""
    empty_sample(engine, project.id, "s3")
    with engine.connect() as connection:
        revision = sample_revision(connection, "s3")
        user = accounts.find_user(connection, "rev")
    access = Access(user.principal(), project.id, Role.REVIEWER)
    submitter = Submitter(Actor("rev", tool="sdk"), access, None, gold=False)
    work = Submission(
        annotations=[box("b1", "s3", "cup"), span("t1", "s3", 0, 2)],
        links=[Link(id="l1", type="refers-to", source="t1", target="b1", status="confirmed")],
    )

    done = submit_sample(engine, "s3", revision, work, submitter)

    assert (done.created, done.updated, done.deleted, done.unchanged) == (3, 0, 0, 0)
    stored = _stored(engine, "s3")
    assert [(a.id, a.author, a.revision) for a in stored.annotations] == [
        ("b1", "rev", 1),
        ("t1", "rev", 1),
    ]
    [link] = stored.links
    assert (link.status, link.source_revision, link.target_revision) == ("confirmed", 1, 1)
    assert json.loads(done.sample) == json.loads(dumps_sample(stored))
    again = submit_sample(engine, "s3", done.revision, work, submitter)
    assert (again.unchanged, again.revision) == (3, done.revision)
