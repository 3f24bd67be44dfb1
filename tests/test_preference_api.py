"""Preference samples over HTTP with the real app: what each role sees of candidates and
judgements, putting and withdrawing one's judgement with its rationale, and the
whole-sample submission leaving others' rationales alone (SQLite and PostgreSQL)."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from api_clients import client_as
from conftest import TESTER
from preference_samples import MODELS, WHY, preference_sample
from rosetta.core.policies import Role
from rosetta.core.preference import presentation_order
from rosetta.core.schema import Project
from rosetta.services import accounts
from rosetta.services.importer import import_samples
from rosetta.store import events
from rosetta.store.tables import annotations, links, streams

ROLES = {"ann": Role.ANNOTATOR, "bob": Role.ANNOTATOR, "rev": Role.REVIEWER}
IDS = ["p.small", "p.large", "p.vlm"]


@pytest.fixture
def clients(engine: Engine, project: Project) -> Iterator[dict[str, TestClient]]:
    """ann and bob (annotators, both assigned to "p", which bob has judged, not blind) and
    rev (a reviewer)."""
    made = {
        name: client_as(engine, name, admin=False, project_id=project.id, role=role)
        for name, role in ROLES.items()
    }
    import_samples(engine, project.id, [preference_sample("p", ("bob",))], TESTER)
    for name in ("ann", "bob"):
        accounts.assign(engine, TESTER, "p", name)
    yield made
    for client in made.values():
        client.close()


def _get(client: TestClient, path: str = "/api/samples/p") -> dict[str, Any]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _put(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.put("/api/samples/p/judgement", json=body)
    assert response.status_code == 200, response.text
    put: dict[str, Any] = response.json()
    return put


def test_each_caller_gets_the_candidates_in_their_own_order_models_hidden_from_annotators(
    clients: dict[str, TestClient], project: Project
) -> None:
    for name, client in clients.items():
        sample = _get(client)
        assert [c["id"] for c in sample["candidates"]] == presentation_order(
            project.id, "p", name, IDS
        )
        models = {c["id"]: (c.get("model"), c.get("model_version")) for c in sample["candidates"]}
        if name == "rev":
            assert models == {
                "p.small": (MODELS["small"], None),
                "p.large": (MODELS["large"], None),
                "p.vlm": (MODELS["vlm"], "1.0"),
            }
        else:
            assert set(models.values()) == {(None, None)}


def test_an_annotator_sees_only_their_own_judgement_and_rationale(
    clients: dict[str, TestClient],
) -> None:
    bobs = _get(clients["bob"])
    assert [j["author"] for j in bobs["judgements"]] == ["bob"]
    assert "p-why-bob" in {s["id"] for s in bobs["streams"]}
    anns = _get(clients["ann"])
    # bob's judgement, its rationale stream, the phrase on it and its cites link are hidden
    assert anns.get("judgements", []) == []
    assert "p-why-bob" not in {s["id"] for s in anns["streams"]}
    assert [a["id"] for a in anns["annotations"]] == ["p.suit"]
    assert anns["links"] == []
    assert _get(clients["ann"], "/api/samples/p/judgements") == []
    assert "p-why-bob" not in {s["id"] for s in _get(clients["ann"], "/api/samples/p/streams")}
    assert clients["ann"].get("/api/streams/p-why-bob").status_code == 404
    assert clients["bob"].get("/api/streams/p-why-bob").json()["text"] == WHY
    assert [j["author"] for j in _get(clients["rev"], "/api/samples/p/judgements")] == ["bob"]
    assert [j["author"] for j in _get(clients["rev"])["judgements"]] == ["bob"]


def _answer(client: TestClient, path: str, **params: Any) -> tuple[int, str]:
    """Status and error message of a GET, with the stream ids made alike."""
    response = client.get(path, params=params)
    message = response.json()["error"]["message"] if response.status_code >= 400 else ""
    return response.status_code, message.replace("p-why-bob", "S").replace("p-none", "S")


def test_every_stream_route_answers_for_anothers_rationale_as_for_no_stream(
    clients: dict[str, TestClient],
) -> None:
    """Not only the stream itself: its media, peaks, frames and thumbnails and its overlap
    with another stream answer ann exactly as for a stream that does not exist, so nothing
    tells her bob's rationale is there; bob gets answers about it."""
    ann, bob = clients["ann"], clients["bob"]
    routes = [
        ("/media/{}", {}),
        ("/api/streams/{}", {}),
        ("/api/streams/{}/peaks", {}),
        ("/api/streams/{}/frames", {}),
        ("/api/streams/{}/thumbnails", {}),
        ("/api/streams/{}/thumbnails.jpg", {}),
        ("/api/samples/p/overlap", {"stream": "p-prompt", "target": "{}"}),
    ]
    for path, params in routes:

        def asked(ident: str, path: str = path, params: dict[str, str] = params) -> dict[str, Any]:
            return {key: value.format(ident) for key, value in params.items()}

        absent = _answer(ann, path.format("p-none"), start=0, stop=1, **asked("p-none"))
        assert absent[0] == 404, (path, params)
        hidden = _answer(ann, path.format("p-why-bob"), start=0, stop=1, **asked("p-why-bob"))
        assert hidden == absent, (path, params)
        own = _answer(bob, path.format("p-why-bob"), start=0, stop=1, **asked("p-why-bob"))
        assert own != absent, (path, params)


def test_putting_a_judgement_records_the_order_shown_and_keeps_it(
    clients: dict[str, TestClient], engine: Engine, project: Project
) -> None:
    ann = clients["ann"]
    shown = [c["id"] for c in _get(ann)["candidates"]]
    first = _put(
        ann,
        ranking=[["p.large"], ["p.vlm", "p.small"]],
        scores=[{"candidate": "p.large", "criterion": "accuracy", "value": 4}],
        rationale="The large one names the suit.",
        expected_revision=0,
    )
    assert (first["author"], first["revision"], first["presented"]) == ("ann", 1, shown)
    second = _put(
        ann,
        pairs=[{"a": "p.large", "b": "p.small", "choice": "a", "strength": 2}],
        rationale="The large one names the suit.",
        expected_revision=1,
    )
    assert (second["id"], second["revision"], second["presented"]) == (first["id"], 2, shown)
    assert (second["ranking"], second["scores"]) == ([], [])
    assert second["rationale"] == first["rationale"]
    again = _put(
        ann,
        pairs=[{"a": "p.large", "b": "p.small", "choice": "a", "strength": 2}],
        rationale="The large one names the suit.",
    )
    assert again["revision"] == 2  # the same verdict writes nothing
    sample = _get(ann)
    assert [j["id"] for j in sample["judgements"]] == [first["id"]]
    (why,) = [s for s in sample["streams"] if s["id"] == first["rationale"]]
    assert (why["name"], why["text"], why["media"]) == (
        "rationale",
        "The large one names the suit.",
        {"length": 29},
    )
    with engine.connect() as connection:
        history = events.history(connection, first["id"])
    assert [(e.object_kind, e.action, e.revision) for e in history] == [
        ("judgement", "create", 1),
        ("judgement", "update", 2),
    ]
    assert history[1].before["ranking"] == [["p.large"], ["p.vlm", "p.small"]]
    assert history[1].after["pairs"][0]["strength"] == 2
    # the reviewer sees both judgements, in the order they were made
    assert [j["author"] for j in _get(clients["rev"])["judgements"]] == ["bob", "ann"]


def test_a_stale_revision_is_a_conflict(clients: dict[str, TestClient]) -> None:
    ann = clients["ann"]
    _put(ann, ranking=[["p.large"], ["p.small"]])
    response = ann.put(
        "/api/samples/p/judgement", json={"ranking": [["p.small"]], "expected_revision": 0}
    )
    assert response.status_code == 409, response.text
    assert response.json()["error"]["current"]["ranking"] == [["p.large"], ["p.small"]]


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"ranking": [["p.large"], ["ghost"]]}, "ranking[1][0]", "judgement-candidate"),
        (
            {"pairs": [{"a": "ghost", "b": "p.vlm", "choice": "b"}]},
            "pairs[0].a",
            "judgement-candidate",
        ),
        (
            {"scores": [{"candidate": "p.vlm", "criterion": "wit", "value": 3}]},
            "scores[0].criterion",
            "judgement-criterion",
        ),
        (
            {
                "scores": [
                    {"candidate": "p.vlm", "criterion": "tone", "value": 3},
                    {"candidate": "p.vlm", "criterion": "safety", "value": 9},
                ]
            },
            "scores[1].value",
            "judgement-score",
        ),
        ({"ranking": [["p.vlm"], ["p.vlm"]]}, "", "judgement-shape"),
    ],
)
def test_a_bad_judgement_is_a_422_naming_the_field(
    clients: dict[str, TestClient], engine: Engine, body: dict[str, Any], field: str, rule: str
) -> None:
    response = clients["ann"].put("/api/samples/p/judgement", json={**body, "rationale": "x"})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error.get("field"), error.get("rule")) == (field, rule), error
    with engine.connect() as connection:  # nothing written: no rationale stream either
        names = connection.execute(select(streams.c.name)).scalars().all()
    assert names.count("rationale") == 1


def test_editing_the_rationale_reanchors_its_phrases_and_drops_the_lost_ones(
    clients: dict[str, TestClient], engine: Engine
) -> None:
    bob = clients["bob"]
    # bob's phrase covers "the suit" in WHY; a second phrase covers "flag"
    put = _put(bob, ranking=[["p.large"], ["p.small"]], rationale=WHY, expected_revision=1)
    assert put["rationale"] == "p-why-bob"
    flag = WHY.index("flag")
    created = bob.post(
        "/api/samples/p/annotations",
        json={
            "id": "p.flag-phrase",
            "stream": "p-why-bob",
            "label": "rationale-phrase",
            "geometry": {"type": "span", "start": flag, "end": flag + 4},
        },
    )
    assert created.status_code == 201, created.text
    text = "At first: the suit, and the suit again; no mention of the other thing."
    _put(bob, ranking=[["p.large"], ["p.small"]], rationale=text)
    with engine.connect() as connection:
        spans = {
            row.id: row.geometry
            for row in connection.execute(
                select(annotations).where(annotations.c.stream_id == "p-why-bob")
            )
        }
        cites = connection.execute(select(links.c.id)).scalars().all()
        history = events.history(connection, "p.flag-phrase")
    # "the suit" was at 20; of its occurrences at 10 and 24 the nearer one wins
    assert (WHY.index("the suit"), text.index("the suit")) == (20, 10)
    start = text.rindex("the suit")
    assert spans == {"p.phrase-bob": f'{{"type":"span","start":{start},"end":{start + 8}}}'}
    assert cites == ["p.cites-bob"]
    assert [(e.object_kind, e.action) for e in history][-1] == ("annotation", "delete")


def test_withdrawing_deletes_the_judgement_its_rationale_phrases_and_links(
    clients: dict[str, TestClient], engine: Engine
) -> None:
    bob = clients["bob"]
    response = bob.delete("/api/samples/p/judgement")
    assert response.status_code == 204, response.text
    sample = _get(clients["rev"])
    assert sample.get("judgements", []) == []
    assert "p-why-bob" not in {s["id"] for s in sample["streams"]}
    assert [a["id"] for a in sample["annotations"]] == ["p.suit"]
    assert sample["links"] == []
    assert bob.delete("/api/samples/p/judgement").status_code == 404
    with engine.connect() as connection:
        history = events.history(connection, "p.j-bob")
    assert [(e.object_kind, e.action) for e in history][-1] == ("judgement", "delete")


def test_the_whole_sample_submission_keeps_others_rationales(
    clients: dict[str, TestClient],
) -> None:
    ann = clients["ann"]
    _put(ann, ranking=[["p.vlm"], ["p.small"]], rationale="Mine.")
    response = ann.get("/api/samples/p")
    revision = response.headers["ETag"]
    seen = response.json()
    # ann sends back all she sees: bob's phrase on his hidden rationale is not among it
    assert [a["id"] for a in seen["annotations"]] == ["p.suit"]
    submitted = ann.put(
        "/api/samples/p/annotations",
        json={"annotations": seen["annotations"], "entities": [], "links": seen["links"]},
        headers={"If-Match": revision},
    )
    assert submitted.status_code == 200, submitted.text
    assert [j["author"] for j in submitted.json()["sample"]["judgements"]] == ["ann"]
    assert submitted.json()["deleted"] == 0
    after = _get(clients["rev"])
    assert {"p.phrase-bob"} <= {a["id"] for a in after["annotations"]}
    assert [j["author"] for j in after["judgements"]] == ["bob", "ann"]
    assert "p.cites-bob" in {x["id"] for x in after["links"]}


def test_an_annotator_not_assigned_cannot_judge(
    clients: dict[str, TestClient], engine: Engine, project: Project
) -> None:
    carl = client_as(engine, "carl", admin=False, project_id=project.id, role=Role.ANNOTATOR)
    assert carl.put("/api/samples/p/judgement", json={}).status_code == 404
    assert carl.get("/api/samples/p/judgements").status_code == 404
    assert clients["rev"].put("/api/samples/p/judgement", json={}).status_code == 200


def test_a_sample_without_candidates_cannot_be_judged(
    clients: dict[str, TestClient], engine: Engine, project: Project
) -> None:
    import_samples(
        engine,
        project.id,
        [preference_sample("q", ()).model_copy(update={"candidates": []})],
        TESTER,
    )
    response = clients["rev"].put("/api/samples/q/judgement", json={})
    assert response.status_code == 422
    assert response.json()["error"]["rule"] == "candidate-count"


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


def test_an_annotator_cannot_write_on_a_rationale_stream_they_cannot_see(
    clients: dict[str, TestClient], engine: Engine
) -> None:
    """bob's rationale stream is to ann as a stream the sample does not have: a new
    annotation on it (one at a time or in the whole-sample submission) and a model's
    proposals for it are refused alike, and nothing is written; a link to bob's phrase is
    refused as a link to nothing."""
    ann = clients["ann"]
    span = {"type": "span", "start": 0, "end": 3}

    def phrase(stream: str) -> dict[str, Any]:
        return {"id": f"ann-on-{stream}", "stream": stream, "label": "rationale-phrase"}

    def one(stream: str) -> dict[str, Any]:
        made = ann.post("/api/samples/p/annotations", json={**phrase(stream), "geometry": span})
        return _error(made, 422)

    def whole(stream: str) -> dict[str, Any]:
        seen = ann.get("/api/samples/p")
        added = {**phrase(stream), "geometry": span}
        submitted = ann.put(
            "/api/samples/p/annotations",
            json={"annotations": [*seen.json()["annotations"], added], "entities": []},
            headers={"If-Match": seen.headers["ETag"]},
        )
        return _error(submitted, 422)

    def proposed(stream: str) -> dict[str, Any]:
        asked = ann.post("/api/samples/p/proposals", json={"proposer": "grabcut", "stream": stream})
        return _error(asked, 422)

    for write in (one, whole, proposed):
        hidden, missing = write("p-why-bob"), write("no-such-stream")
        assert (hidden["field"], hidden["rule"]) == (missing["field"], missing["rule"])
        assert hidden["rule"] == "stream-exists", hidden
        assert hidden["message"] == missing["message"].replace("no-such-stream", "p-why-bob")
    mine = _put(ann, ranking=[["p.large"]], rationale="Mine names the suit.")["rationale"]
    ok = ann.post("/api/samples/p/annotations", json={**phrase(mine), "geometry": span})
    assert ok.status_code == 201, ok.text
    link = {"type": "cites", "source": f"ann-on-{mine}"}
    to_bobs = ann.post("/api/samples/p/links", json={**link, "target": "p.phrase-bob"})
    to_none = ann.post("/api/samples/p/links", json={**link, "target": "p.no-such-phrase"})
    hidden, missing = _error(to_bobs, 422), _error(to_none, 422)
    assert (hidden["field"], hidden["rule"]) == (missing["field"], missing["rule"])
    assert hidden["rule"] == "link-endpoint", hidden
    with engine.connect() as connection:
        on_bobs = connection.execute(
            select(annotations.c.id).where(annotations.c.stream_id == "p-why-bob")
        )
        assert on_bobs.scalars().all() == ["p.phrase-bob"]
    # a reviewer sees bob's rationale, so may write on it
    made = clients["rev"].post(
        "/api/samples/p/annotations", json={**phrase("p-why-bob"), "geometry": span}
    )
    assert made.status_code == 201, made.text


def test_the_history_of_an_imported_judgement_and_candidate_starts_with_the_import(
    clients: dict[str, TestClient], engine: Engine
) -> None:
    _put(clients["bob"], ranking=[["p.small"], ["p.large"]], rationale=WHY)
    with engine.connect() as connection:
        judged = events.history(connection, "p.j-bob")
        candidate = events.history(connection, "p.small")
    assert [(e.object_kind, e.action) for e in judged] == [
        ("sample", "import"),
        ("judgement", "update"),
    ]
    assert judged[0].after["judgements"] == ["p.j-bob"]
    assert [(e.object_kind, e.object_id, e.action) for e in candidate] == [
        ("sample", "p", "import")
    ]
    assert candidate[0].after["candidates"] == ["p.small", "p.large", "p.vlm"]
