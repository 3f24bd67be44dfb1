"""The track review routes in process against the real store."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api_clients import client_as
from builders import empty_sample
from conftest import TESTER
from rosetta.core.geometry import Track, TrackFrame
from rosetta.core.schema import Annotation, Project
from rosetta.services.editing import create_annotation
from rosetta.store.events import history

ROUTE = "/api/annotations/walker/track"


@pytest.fixture
def client(engine: Engine, project: Project) -> Iterator[TestClient]:
    empty_sample(engine, project.id, "s1")
    track = Track(
        keyframes=[
            TrackFrame(frame=0, x=0, y=0, w=10, h=10),
            TrackFrame(frame=4, x=8, y=0, w=10, h=10),
            TrackFrame(frame=6, x=8, y=0, w=10, h=10, outside=True),
        ]
    )
    walker = Annotation(id="walker", stream="s1-video", label="person", geometry=track)
    create_annotation(engine, project.id, "s1", walker, TESTER)
    with client_as(engine, "rita") as client:
        yield client


def _error(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["type"] == kind
    return error


def test_proposals(client: TestClient) -> None:
    body = client.get(f"{ROUTE}/proposals").json()
    assert [p["frame"] for p in body] == [1, 2, 3, 5]
    assert body[1] == {
        "frame": 2,
        "shape": {"type": "box", "x": 4.0, "y": 0.0, "w": 10.0, "h": 10.0, "frame": 2},
        "confidence": 0.5 ** (2 / 10),
    }
    assert [p["frame"] for p in client.get(f"{ROUTE}/proposals?start=3&end=30").json()] == [3, 5]
    _error(client.get("/api/annotations/nobody/track/proposals"), 404, "not_found")
    _error(client.get(f"{ROUTE}/proposals?start=-1"), 422, "invalid_request")


def test_accepting_a_proposal(client: TestClient, engine: Engine) -> None:
    response = client.post(
        f"{ROUTE}/keyframes",
        json={"frame": 2, "expected_revision": 1},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["revision"] == 2
    assert body["geometry"]["keyframes"][1] == {
        "frame": 2,
        "x": 4.0,
        "y": 0.0,
        "w": 10.0,
        "h": 10.0,
        "outside": False,
    }
    with engine.connect() as connection:
        assert history(connection, "walker")[-1].actor == "rita"
    edited = client.post(
        f"{ROUTE}/keyframes",
        json={
            "frame": 3,
            "expected_revision": 2,
            "shape": {"type": "box", "x": 1, "y": 1, "w": 2, "h": 2},
        },
    ).json()
    assert edited["geometry"]["keyframes"][2]["x"] == 1.0
    with engine.connect() as connection:
        assert history(connection, "walker")[-1].actor == "rita"


def test_keyframe_refusals(client: TestClient) -> None:
    stale = client.post(f"{ROUTE}/keyframes", json={"frame": 2, "expected_revision": 7})
    assert _error(stale, 409, "conflict")["actual"] == 1
    absent = client.post(f"{ROUTE}/keyframes", json={"frame": 9, "expected_revision": 1})
    assert _error(absent, 422, "rule_violation")["rule"] == "track-keyframe"
    polygon = {"type": "polygon", "points": [[0, 0], [1, 0], [0, 1]]}
    wrong = client.post(
        f"{ROUTE}/keyframes", json={"frame": 2, "expected_revision": 1, "shape": polygon}
    )
    assert "a box track takes box key frames" in _error(wrong, 422, "rule_violation")["message"]
    _error(client.post(f"{ROUTE}/keyframes", json={"frame": 2}), 422, "invalid_request")
    missing = client.post(
        "/api/annotations/nobody/track/keyframes", json={"frame": 2, "expected_revision": 1}
    )
    _error(missing, 404, "not_found")


def test_operation_ids(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert (
        paths[f"{ROUTE.replace('walker', '{annotation_id}')}/proposals"]["get"]["operationId"]
        == "track_proposals"
    )
    assert (
        paths[f"{ROUTE.replace('walker', '{annotation_id}')}/keyframes"]["post"]["operationId"]
        == "add_track_keyframe"
    )
