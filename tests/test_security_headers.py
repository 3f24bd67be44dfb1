"""Security headers on a sample of every kind of response of the real app: the JSON API
(answers and errors), media, the workspace and its files, redirects; HSTS only when the
public URL is https; and the workspace's policy allows no inline script."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api_clients import client_as
from builders import insert_sample
from conftest import MEDIA
from rosetta.api.security_headers import ALWAYS, DEFAULT_POLICY, HSTS
from rosetta.api.spa import CONTENT_SECURITY_POLICY
from rosetta.core.modality import Modality
from rosetta.core.schema import MediaInfo, Project, Sample, Stream
from rosetta.services.settings import Settings

VIDEO = "video/slideshow_320x240_25fps.mp4"
#: A sample of routes of each kind, with the status each answers here.
ROUTES = [
    ("GET", "/api/me", 200),
    ("GET", "/api/projects", 200),
    ("GET", "/api/samples/nothing", 404),
    ("POST", "/api/projects", 422),
    ("GET", "/api/no-such-route", 404),
    ("GET", "/media/clip", 200),
    ("GET", "/media/nothing", 404),
    ("GET", "/app", None),  # 200, or 503 where the workspace is not built
    ("GET", "/app/p/some-project", None),
    ("GET", "/app/assets/missing.js", None),
    ("GET", "/", 307),
]


def _client(engine: Engine, project: Project, **settings: object) -> TestClient:
    clip = Stream(
        id="clip",
        name="clip",
        modality=Modality.VIDEO,
        uri=VIDEO,
        media=MediaInfo(mime="video/mp4"),
    )
    insert_sample(engine, project.id, Sample(id="s1", streams=[clip]))
    return client_as(engine, settings=Settings(media_roots=(MEDIA,), job_workers=0, **settings))


@pytest.mark.parametrize("https", [False, True])
def test_every_kind_of_response_carries_the_headers(
    engine: Engine, project: Project, https: bool
) -> None:
    public = {"public_url": "https://rosetta.example.org"} if https else {}
    client = _client(engine, project, **public)
    for method, path, status in ROUTES:
        response = client.request(method, path, json={}, follow_redirects=False)
        if status is not None:
            assert response.status_code == status, (path, response.text)
        headers = response.headers
        for name, value in ALWAYS.items():
            assert headers[name] == value, (path, name)
        assert "frame-ancestors 'none'" in headers["content-security-policy"] or (
            headers["content-security-policy"] == "sandbox"  # media: its own, inert as a page
        ), path
        assert headers.get("strict-transport-security") == (HSTS if https else None), path
    api = client.get("/api/me").headers
    assert api["content-security-policy"] == DEFAULT_POLICY
    assert client.get("/media/clip").headers["content-security-policy"] == "sandbox"


def test_a_refused_body_and_the_docs_carry_them_too(engine: Engine, project: Project) -> None:
    client = _client(engine, project, max_body_bytes=100)
    too_large = client.post("/api/projects", content=b"{" + b" " * 200 + b"}")
    docs = client.get("/docs")

    assert too_large.status_code == 413
    assert too_large.headers["x-frame-options"] == "DENY"
    assert too_large.headers["content-security-policy"] == DEFAULT_POLICY
    assert docs.status_code == 200 and docs.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in docs.headers  # Swagger UI comes from a CDN


def test_the_workspace_policy_allows_scripts_from_the_site_only() -> None:
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in CONTENT_SECURITY_POLICY.split("; ")
    )
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
