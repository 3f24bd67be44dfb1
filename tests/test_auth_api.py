"""Logging in through the real app: session cookies with CSRF protection, API tokens,
the caller's account, and users managed by site administrators."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api_clients import client_as
from builders import insert_sample
from conftest import TESTER
from rosetta.api import create_app
from rosetta.core.policies import Role
from rosetta.core.schema import Project, Sample
from rosetta.services import accounts
from rosetta.services.settings import Settings

PASSWORD = "correct horse battery"


@pytest.fixture
def browser(engine: Engine) -> TestClient:
    """A browser on HTTPS (secure cookies are sent back), not logged in."""
    accounts.create_user(engine, "ada", PASSWORD, display_name="Ada")
    return TestClient(create_app(engine, Settings()), base_url="https://testserver")


def test_login_sets_a_secure_http_only_session_and_a_readable_csrf_cookie(
    browser: TestClient,
) -> None:
    response = browser.post("/api/auth/login", json={"name": "ada", "password": PASSWORD})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["name"] == "ada" and body["user"]["display_name"] == "Ada"
    cookies = {
        header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")
    }
    session, csrf = cookies["rosetta_session"], cookies["rosetta_csrf"]
    for header in (session, csrf):
        assert "Secure" in header and "SameSite=lax" in header and "Path=/" in header
    assert "HttpOnly" in session and "HttpOnly" not in csrf
    assert f"rosetta_csrf={body['csrf_token']};" in csrf
    assert browser.get("/api/me").json()["name"] == "ada"


def test_unsafe_requests_of_a_session_need_its_csrf_token(browser: TestClient) -> None:
    csrf = browser.post("/api/auth/login", json={"name": "ada", "password": PASSWORD}).json()[
        "csrf_token"
    ]

    forged = browser.post("/api/me/tokens", json={"name": "x"})
    wrong = browser.post("/api/me/tokens", json={"name": "x"}, headers={"X-CSRF-Token": "no"})
    made = browser.post("/api/me/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf})

    for refused in (forged, wrong):
        assert refused.status_code == 403
        assert refused.json()["error"]["type"] == "permission_denied"
        assert "X-CSRF-Token" in refused.json()["error"]["message"]
    assert made.status_code == 201
    assert [token["name"] for token in browser.get("/api/me/tokens").json()] == ["x"]


def test_logout_ends_the_session(browser: TestClient) -> None:
    csrf = browser.post("/api/auth/login", json={"name": "ada", "password": PASSWORD}).json()[
        "csrf_token"
    ]
    old_cookie = browser.cookies.get("rosetta_session")

    assert browser.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert browser.get("/api/me").status_code == 401
    browser.cookies.set("rosetta_session", old_cookie or "", domain="testserver.local")
    replay = browser.get("/api/me")
    assert replay.status_code == 401 and "log in again" in replay.json()["error"]["message"]


def test_wrong_credentials_answer_401_in_the_one_error_shape(browser: TestClient) -> None:
    bad = browser.post("/api/auth/login", json={"name": "ada", "password": "nope nope"})
    nobody = browser.get("/api/me")
    garbled = browser.get("/api/me", headers={"Authorization": "Basic YWRhOmFkYQ=="})
    unknown = browser.get("/api/me", headers={"Authorization": "Bearer rst_nothing"})

    assert bad.json() == {
        "error": {"type": "not_authenticated", "message": "wrong user name or password"}
    }
    assert "log in" in nobody.json()["error"]["message"]
    assert "Authorization: Bearer" in garbled.json()["error"]["message"]
    assert unknown.json()["error"]["message"] == "the API token is not valid"
    assert {r.status_code for r in (bad, nobody, garbled, unknown)} == {401}
    assert "rosetta_session" not in bad.cookies


def test_tokens_made_through_the_api_work_until_revoked(browser: TestClient) -> None:
    csrf = browser.post("/api/auth/login", json={"name": "ada", "password": PASSWORD}).json()[
        "csrf_token"
    ]
    made = browser.post(
        "/api/me/tokens",
        json={"name": "sdk", "expires_in_days": 30},
        headers={"X-CSRF-Token": csrf},
    ).json()
    sdk = {"Authorization": f"Bearer {made['token']}"}

    assert made["expires_at"] - made["created_at"] == pytest.approx(30 * 86400)
    listed = browser.get("/api/me/tokens").json()
    assert "token" not in listed[0] and listed[0]["id"] == made["id"]
    browser.cookies.clear()
    assert browser.get("/api/me", headers=sdk).json()["name"] == "ada"
    # a bearer token needs no CSRF token: no browser sends it on its own
    assert browser.delete(f"/api/me/tokens/{made['id']}", headers=sdk).status_code == 204
    assert browser.get("/api/me", headers=sdk).status_code == 401


def test_insecure_cookies_only_in_development_mode(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROSETTA_COOKIE_SECURE", "false")
    with pytest.raises(ValueError, match="allowed only with ROSETTA_DEV=true"):
        Settings()
    monkeypatch.setenv("ROSETTA_DEV", "true")
    accounts.create_user(engine, "ada", PASSWORD)
    plain = TestClient(create_app(engine, Settings()))
    response = plain.post("/api/auth/login", json={"name": "ada", "password": PASSWORD})
    assert "Secure" not in response.headers["set-cookie"]
    assert plain.get("/api/me").json()["name"] == "ada"


def test_site_admins_manage_users_and_others_may_not(engine: Engine) -> None:
    with client_as(engine, "root") as root, client_as(engine, "ada", admin=False) as ada:
        made = root.post("/api/users", json={"name": "bob", "password": PASSWORD})
        assert made.status_code == 201 and made.json()["is_admin"] is False
        assert [u["name"] for u in root.get("/api/users").json()] == ["root", "ada", "bob"]
        changed = root.patch(f"/api/users/{made.json()['id']}", json={"display_name": "Bob"})
        assert changed.json()["display_name"] == "Bob"

        refused = ada.get("/api/users")
        assert refused.status_code == 403
        assert refused.json()["error"] == {
            "type": "permission_denied",
            "message": "you may not list users",
            "action": "list",
            "object": "users",
        }
        assert ada.post("/api/users", json={"name": "eve"}).status_code == 403
        short = root.post("/api/users", json={"name": "eve", "password": "short"})
        assert short.status_code == 422 and "password" in short.json()["error"]["message"]
        taken = root.post("/api/users", json={"name": "bob"})
        assert taken.status_code == 409
        assert taken.json()["error"] == {
            "type": "already_exists",
            "message": "a user named 'bob' exists already",
            "kind": "user",
            "name": "bob",
        }

        root.patch(f"/api/users/{made.json()['id']}", json={"active": False})
    bob = TestClient(create_app(engine), base_url="https://testserver")
    assert (
        bob.post("/api/auth/login", json={"name": "bob", "password": PASSWORD}).status_code == 401
    )


def test_my_assignments(engine: Engine, project: Project) -> None:
    for sample_id in ("s1", "s2", "s3"):
        insert_sample(engine, project.id, Sample(id=sample_id))
    with client_as(engine, "ada", admin=False, project_id=project.id, role=Role.ANNOTATOR) as ada:
        accounts.assign(engine, TESTER, "s2", "ada", blind=True)
        accounts.assign(engine, TESTER, "s1", "ada")
        mine = ada.get("/api/me/assignments").json()
        in_project = ada.get("/api/me/assignments", params={"project": project.name}).json()
        elsewhere = ada.get("/api/me/assignments", params={"project": "other"}).json()
    assert (
        mine
        == in_project
        == [
            {"project": project.name, "sample": "s2", "status": "new", "blind": True},
            {"project": project.name, "sample": "s1", "status": "new", "blind": False},
        ]
    )
    assert elsewhere == []
