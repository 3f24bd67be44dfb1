"""The site's root and its old addresses lead to the web workspace under /app."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from rosetta.api import create_app
from rosetta.services.settings import Settings


@pytest.fixture
def browser(engine: Engine) -> TestClient:
    app = create_app(engine, Settings(job_workers=0))
    return TestClient(app, base_url="https://testserver", follow_redirects=False)


@pytest.mark.parametrize(
    ("address", "params", "target"),
    [
        ("/", {}, "/app"),
        ("/", {"project": "rosetta-demo"}, "/app/p/rosetta-demo"),
        ("/", {"sample": "a/b c"}, "/app/s/a%2Fb%20c"),
        ("/", {"sample": "portrait", "project": "demo"}, "/app/s/portrait?project=demo"),
        ("/login", {}, "/app/login"),
        (
            "/login",
            {"next": "/app/p/x?status=new"},
            "/app/login?next=%2Fapp%2Fp%2Fx%3Fstatus%3Dnew",
        ),
        ("/login", {"next": "//evil.example/app"}, "/app/login"),
        ("/login", {"next": "/apple"}, "/app/login"),
    ],
)
def test_old_addresses_lead_to_the_workspace(
    browser: TestClient, address: str, params: dict[str, str], target: str
) -> None:
    sent = browser.get(address, params=params)
    assert (sent.status_code, sent.headers["location"]) == (307, target)


def test_the_root_needs_no_session_and_the_workspace_asks_for_one(browser: TestClient) -> None:
    assert browser.get("/").status_code == 307
    followed = browser.get("/", follow_redirects=True)
    assert str(followed.url) == "https://testserver/app"
    assert followed.status_code in (200, 503)  # the workspace's page, or "not built"
    assert browser.get("/api/projects").status_code == 401
