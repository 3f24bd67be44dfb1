"""Serving the web workspace's build under /app: files, the client routes' index.html,
caching and content types, the 503 without a build, and no way out of the build folder."""

from pathlib import Path

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rosetta.api.errors import install_error_handlers
from rosetta.api.spa import CONTENT_SECURITY_POLICY, IMMUTABLE, web_router

INDEX = '<!doctype html><div id="root"></div><script type="module" src="/app/assets/app-1a2b.js"></script>'
SCRIPT = "console.log('workspace');"
SECRET = "not for the web"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    """A build folder like Vite's, beside a file it must never serve, with a symlink out."""
    (tmp_path / "secret.txt").write_text(SECRET)
    dist = tmp_path / "web_dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / "assets" / "app-1a2b.js").write_text(SCRIPT)
    (dist / "assets" / "app-1a2b.css").write_text("body { margin: 0 }")
    (dist / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (dist / "assets" / "escape.js").symlink_to(tmp_path / "secret.txt")
    (dist / "escape.txt").symlink_to(tmp_path / "secret.txt")
    return dist


def client_of(dist: Path) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(web_router(dist))
    return TestClient(app)


@pytest.mark.parametrize(
    "path", ["/app", "/app/", "/app/login?next=/app", "/app/p/demo", "/app/s/portrait?project=x"]
)
def test_client_routes_answer_index_html_revalidated_under_a_strict_policy(
    dist: Path, path: str
) -> None:
    response = client_of(dist).get(path)
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY


def test_hashed_assets_are_immutable_with_their_content_types(dist: Path) -> None:
    client = client_of(dist)
    script = client.get("/app/assets/app-1a2b.js")
    assert (script.status_code, script.text) == (200, SCRIPT)
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert script.headers["cache-control"] == IMMUTABLE
    assert script.headers["x-content-type-options"] == "nosniff"
    style = client.get("/app/assets/app-1a2b.css")
    assert style.headers["content-type"] == "text/css; charset=utf-8"
    logo = client.get("/app/logo.svg")
    assert logo.headers["content-type"] == "image/svg+xml"
    assert logo.headers["cache-control"] == "no-cache"


def test_a_missing_asset_is_a_404_not_the_index(dist: Path) -> None:
    response = client_of(dist).get("/app/assets/app-gone.js")
    assert response.status_code == 404
    assert orjson.loads(response.content)["error"]["type"] == "not_found"


@pytest.mark.parametrize(
    "path",
    [
        "/app/..%2Fsecret.txt",
        "/app/%2E%2E/secret.txt",
        "/app/assets/..%2F..%2Fsecret.txt",
        "/app/assets/%2e%2e/%2e%2e/secret.txt",
        "/app/..%5Csecret.txt",
        "/app/assets/..%5C..%5Csecret.txt",
        "/app/%2Fetc%2Fpasswd",
        "/app/escape.txt",
        "/app/assets/escape.js",
        "/app/index.html%00.js",
        "/app/" + "a" * 300 + "/" + "b" * 5000,
    ],
)
def test_no_path_reads_outside_the_build(dist: Path, path: str) -> None:
    response = client_of(dist).get(path)
    assert SECRET not in response.text
    assert "root:" not in response.text
    expected = 404 if path.startswith("/app/assets/") else 200
    assert response.status_code == expected, response.text
    if expected == 200:
        assert response.text == INDEX


def test_without_a_build_every_path_says_to_run_make_web(tmp_path: Path) -> None:
    client = client_of(tmp_path / "never-built")
    for path in ("/app", "/app/p/demo", "/app/assets/app-1a2b.js"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert "make web" in response.text
        assert response.headers["content-type"].startswith("text/html")
