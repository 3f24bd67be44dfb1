"""The HTTP app in process against the real store with the demo project in it, called by
a site administrator (who sees everything)."""

import inspect
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute, APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import Engine

import rosetta.api.app
from api_clients import client_as
from conftest import TESTER
from rosetta.api import create_app
from rosetta.api.errors import domain_error
from rosetta.core.errors import ConflictError, NotFoundError, RosettaError, RuleViolation
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Project, Sample
from rosetta.demo.build import MEDIA_DIR, build_demo
from rosetta.formats.native import dumps_sample
from rosetta.services.catalog import sample_revision
from rosetta.services.projects import create_project
from rosetta.services.settings import Settings
from rosetta.store.records import load_sample

VIDEO = MEDIA_DIR / "video" / "slideshow_320x240_25fps.mp4"


@pytest.fixture
def demo(engine: Engine) -> Project:
    return build_demo(engine)


@pytest.fixture
def client(engine: Engine, demo: Project) -> Iterator[TestClient]:
    with client_as(engine, settings=Settings(media_roots=(MEDIA_DIR,))) as client:
        yield client


def _error(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert error["type"] == kind
    assert isinstance(error["message"], str) and error["message"]
    return error


def test_health_needs_no_credentials_and_projects_carry_the_role(
    engine: Engine, client: TestClient, demo: Project
) -> None:
    with TestClient(create_app(engine)) as anonymous:
        assert anonymous.get("/healthz").json() == {"status": "ok", "version": "0.1.0"}
        _error(anonymous.get("/api/projects"), 401, "not_authenticated")
    assert client.get("/api/projects").json() == [{**demo.model_dump(), "role": "admin"}]


def test_ontology_by_name_and_version(client: TestClient, demo_ontology: Ontology) -> None:
    response = client.get("/api/projects/rosetta-demo/ontology")
    body = response.json()
    assert Ontology.model_validate(body) == demo_ontology.model_copy(update={"version": 1})
    assert response.headers["etag"] == '"1"'
    assert client.get("/api/projects/rosetta-demo/ontology?version=1").json() == body
    error = _error(client.get("/api/projects/rosetta-demo/ontology?version=2"), 404, "not_found")
    assert error["kind"] == "ontology version"


def test_samples_come_in_keyset_pages(client: TestClient, demo: Project) -> None:
    first = client.get(f"/api/projects/{demo.id}/samples", params={"limit": 2}).json()
    assert [item["id"] for item in first["items"]] == ["portrait", "spoken-1"]
    assert first["items"][0]["stale_links"] == 1
    ids = [item["id"] for item in first["items"]]
    cursor = first["next_cursor"]
    while cursor is not None:
        page = client.get(
            f"/api/projects/{demo.id}/samples", params={"limit": 2, "cursor": cursor}
        ).json()
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert len(ids) == 6 and ids[-2:] == ["slideshow", "caption-ranking"]
    last = client.get(f"/api/projects/{demo.id}/samples", params={"limit": 6}).json()
    assert last["next_cursor"] is None
    assert last["items"][-2]["modalities"][:3] == ["video", "audio", "text"]
    error = _error(client.get(f"/api/projects/{demo.id}/samples?limit=0"), 422, "invalid_request")
    assert error["errors"] == [
        {"where": "query.limit", "problem": "Input should be greater than or equal to 1"}
    ]
    error = _error(
        client.get(f"/api/projects/{demo.id}/samples?cursor=nonsense"), 422, "rule_violation"
    )
    assert error["field"] == "cursor"


def test_projects_do_not_see_each_others_samples(
    engine: Engine, client: TestClient, demo_ontology: Ontology
) -> None:
    other = create_project(engine, "other", demo_ontology, TESTER)
    body = client.get("/api/projects/other/samples").json()
    assert body == {"items": [], "next_cursor": None}
    assert client.get(f"/api/projects/{other.id}/review").json()["stale_links"] == []


def test_sample_is_the_native_record_with_its_revision(engine: Engine, client: TestClient) -> None:
    response = client.get("/api/samples/slideshow")
    with engine.connect() as connection:
        stored = load_sample(connection, "slideshow")
        revision = sample_revision(connection, "slideshow")
    assert response.headers["content-type"] == "application/json"
    assert response.headers["etag"] == f'"{revision}"'
    assert response.content == dumps_sample(stored)
    assert Sample.model_validate(response.json()) == stored
    error = _error(client.get("/api/samples/nope"), 404, "not_found")
    assert (error["kind"], error["id"]) == ("sample", "nope")


def test_review_queue_lists_the_stale_link(client: TestClient) -> None:
    body = client.get("/api/projects/rosetta-demo/review").json()
    assert [(item["sample"], item["link"]["id"]) for item in body["stale_links"]] == [
        ("portrait", "portrait.mentions-flag")
    ]
    assert body["stale_links"][0]["link"]["status"] == "stale"
    assert (body["flagged"], body["next_cursor"]) == ([], None)


def test_history_of_an_object(client: TestClient) -> None:
    page = client.get("/api/objects/portrait.mentions-flag/history").json()
    assert page["next_cursor"] is None
    events = page["items"]
    assert [(e["action"], e["actor"], e["revision"]) for e in events] == [
        ("import", "demo-builder", None),
        ("confirm", "grace", 2),
        ("stale", "ada", 3),
    ]
    assert (events[0]["object_id"], events[0]["note"]) == ("portrait", "<samples>:1")
    assert "portrait.mentions-flag" in events[0]["after"]["links"]
    assert events[1]["before"]["status"] == "proposed"
    assert events[1]["after"]["status"] == "confirmed"
    first = client.get("/api/objects/portrait.mentions-flag/history?limit=2").json()
    rest = client.get(
        "/api/objects/portrait.mentions-flag/history", params={"cursor": first["next_cursor"]}
    ).json()
    assert first["items"] + rest["items"] == events and rest["next_cursor"] is None
    _error(client.get("/api/objects/nope/history"), 404, "not_found")


def test_media_is_served_with_range_requests(client: TestClient) -> None:
    content = VIDEO.read_bytes()
    whole = client.get("/media/slideshow.video")
    assert whole.status_code == 200
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.content == content
    part = client.get("/media/slideshow.video", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{len(content)}"
    assert part.content == content[100:200]
    tail = client.get("/media/slideshow.video", headers={"Range": "bytes=-16"})
    assert tail.content == content[-16:]
    assert (
        client.get("/media/slideshow.video", headers={"Range": "bytes=999999-"}).status_code == 416
    )
    image = client.get("/media/portrait.photo")
    assert image.headers["content-type"] == "image/png"
    assert image.content[:8] == b"\x89PNG\r\n\x1a\n"
    _error(client.get("/media/portrait.caption"), 404, "not_found")
    _error(client.get("/media/nope"), 404, "not_found")


def test_unknown_routes_use_the_error_shape(client: TestClient) -> None:
    _error(client.get("/api/nothing"), 404, "http_error")


@pytest.mark.parametrize(
    ("error", "status", "fields"),
    [
        (NotFoundError("sample", "x"), 404, {"type": "not_found", "kind": "sample", "id": "x"}),
        (
            RuleViolation("annotation 'a'", "geometry", "inside-bounds", "outside the image"),
            422,
            {
                "type": "rule_violation",
                "object": "annotation 'a'",
                "field": "geometry",
                "rule": "inside-bounds",
            },
        ),
        (
            ConflictError("link 'l'", 1, 2),
            409,
            {"type": "conflict", "object": "link 'l'", "expected": 1, "actual": 2},
        ),
        (RosettaError("anything else"), 400, {"type": "bad_request"}),
    ],
)
def test_domain_errors_map_to_one_status_and_shape(
    error: RosettaError, status: int, fields: dict[str, Any]
) -> None:
    response = domain_error(error)
    assert response.status_code == status
    assert json.loads(bytes(response.body)) == {"error": {**fields, "message": str(error)}}


def test_operation_ids_are_the_handler_names(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    ids = [operation["operationId"] for path in paths.values() for operation in path.values()]
    assert len(set(ids)) == len(ids)  # one name per operation
    routers = [
        module.router
        for module in vars(rosetta.api.app).values()
        if inspect.ismodule(module) and isinstance(getattr(module, "router", None), APIRouter)
    ]
    handlers = {
        (route.path_format, method.lower()): route.endpoint.__name__
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute) and route.include_in_schema
        for method in route.methods
    }
    assert {
        (path, method): operation["operationId"]
        for path, operations in paths.items()
        for method, operation in operations.items()
    } == handlers
    assert {
        "healthz",
        "list_projects",
        "list_samples",
        "get_sample",
        "get_object_history",
        "site_root",
        "put_stream_clock",
        "stream_peaks",
    } <= set(ids)
