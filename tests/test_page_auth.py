"""The workspace page behind a login: a browser without a session is sent to the login
form, and an annotator's page shows only the samples assigned to her."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from rosetta.api import create_app
from rosetta.demo.build import DEMO_PASSWORD, MEDIA_DIR, build_demo
from rosetta.services.settings import Settings


@pytest.fixture
def browser(engine: Engine) -> TestClient:
    build_demo(engine)
    app = create_app(engine, Settings(media_roots=(MEDIA_DIR,), job_workers=0))
    return TestClient(app, base_url="https://testserver", follow_redirects=False)


def test_without_a_session_the_page_sends_the_browser_to_log_in(browser: TestClient) -> None:
    sent = browser.get("/")
    assert sent.status_code == 303 and sent.headers["location"] == "/login?next=/"
    form = browser.get("/login", params={"next": "//evil.example/"}).text
    assert 'name="password"' in form and "/api/auth/login" in form
    assert '"/"' in form and "evil.example" not in form  # only paths on this site


def test_an_annotator_sees_her_samples_and_no_review_queue(browser: TestClient) -> None:
    login = browser.post("/api/auth/login", json={"name": "ada", "password": DEMO_PASSWORD})
    assert login.status_code == 200

    page = browser.get("/").text
    assert "ada (annotator)" in page
    for listed in ("sample=portrait", "sample=spoken-2", "sample=slideshow"):
        assert listed in page
    for hidden in ("sample=spoken-1", "sample=spoken-3", "Review queue"):
        assert hidden not in page
    assert browser.get("/", params={"sample": "spoken-1"}).status_code == 404


def test_a_reviewer_sees_every_sample_and_the_review_queue(browser: TestClient) -> None:
    browser.post("/api/auth/login", json={"name": "grace", "password": DEMO_PASSWORD})
    page = browser.get("/").text
    assert "grace (reviewer)" in page and "Review queue" in page
    assert all(f"sample={s}" in page for s in ("spoken-1", "spoken-3", "portrait"))
