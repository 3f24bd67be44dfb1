"""The clock routes in process against the real store (SQLite and PostgreSQL)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api_clients import client_as
from clock_scenes import DELAY, linked_scene, recording_session
from rosetta.api import create_app
from rosetta.core.schema import Project
from rosetta.services.settings import Settings


@pytest.fixture
def client(engine: Engine, project: Project, tmp_path: Path) -> Iterator[TestClient]:
    linked_scene(engine, project.id)
    recording_session(engine, project.id, tmp_path)
    with client_as(engine, "ana", settings=Settings(media_roots=(tmp_path,))) as client:
        yield client


def _links(client: TestClient) -> dict[str, str]:
    sample = client.get("/api/samples/s1").json()
    return {link["id"]: link["status"] for link in sample["links"]}


def test_put_a_clock_sets_it_as_the_actor_and_stales_the_links(client: TestClient) -> None:
    response = client.put(
        "/api/streams/s1-video/clock",
        json={"rate": "30000/1001", "offset": 0.5},
    )

    assert response.status_code == 200
    assert response.json()["clock"] == {"rate": "30000/1001", "offset": "0.5", "sync": []}
    assert _links(client)["sync"] == "stale"
    [change] = client.get("/api/objects/s1-video/history").json()["items"]
    assert (change["actor"], change["tool"], change["action"]) == ("ana", "api", "update")


def test_put_refuses_a_bad_clock_and_an_unknown_stream(client: TestClient) -> None:
    both = client.put("/api/streams/s1-video/clock", json={"rate": "25", "ticks": [1, 2]})
    unknown = client.put("/api/streams/nope/clock", json={"rate": "25"})

    assert both.status_code == 422
    assert both.json()["error"]["type"] == "invalid_request"
    assert unknown.status_code == 404
    assert unknown.json()["error"] == {
        "type": "not_found",
        "message": "no stream with id 'nope'",
        "kind": "stream",
        "id": "nope",
    }
    assert _links(client)["sync"] == "confirmed"


def test_align_sets_the_stream_clock_from_the_sound(client: TestClient) -> None:
    response = client.post("/api/samples/rec/align", json={"reference": "cam", "stream": "mic"})

    assert response.status_code == 200
    body = response.json()
    assert abs(body["offset"] - DELAY) < 0.001
    assert body["confidence"] > 0.5
    assert (body["reference"], body["analysis_rate"]) == ("cam", 2000)
    [point] = body["stream"]["clock"]["sync"]
    assert point["source"] == "audio"
    stored = client.get("/api/samples/rec").json()["streams"]
    assert [s["clock"] for s in stored if s["id"] == "mic"] == [body["stream"]["clock"]]


def test_align_refuses_unrelated_recordings_and_bad_requests(client: TestClient) -> None:
    unrelated = client.post("/api/samples/rec/align", json={"reference": "cam", "stream": "other"})
    negative = client.post(
        "/api/samples/rec/align", json={"reference": "cam", "stream": "mic", "max_lag": -1}
    )
    missing = client.post("/api/samples/rec/align", json={"reference": "cam", "stream": "s1-audio"})

    assert unrelated.status_code == 400
    assert unrelated.json()["error"]["type"] == "bad_request"
    assert "no confident offset" in unrelated.json()["error"]["message"]
    assert negative.status_code == 422
    assert missing.status_code == 404


def test_the_routes_have_stable_operation_ids(engine: Engine) -> None:
    operations = {
        operation["operationId"]
        for path in create_app(engine).openapi()["paths"].values()
        for operation in path.values()
    }

    assert {"put_stream_clock", "align_sample_audio"} <= operations
