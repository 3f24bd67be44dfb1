"""Login rate limiting through the real app: failed password logins counted per user name
and per client address in the store, 429 with ``Retry-After`` once a limit is reached, a
success clearing its name's failures; and an expired session is 401."""

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from rosetta.api import create_app
from rosetta.services import accounts
from rosetta.services.settings import Settings
from rosetta.store.tables import login_attempts, sessions

PASSWORD = "correct horse battery"
SETTINGS = Settings(
    login_failures_per_name=3, login_failures_per_address=5, login_window_minutes=10
)


def _browser(engine: Engine, address: str = "203.0.113.7") -> TestClient:
    """A browser on HTTPS from `address`, not logged in."""
    return TestClient(
        create_app(engine, SETTINGS), base_url="https://testserver", client=(address, 50000)
    )


def _login(browser: TestClient, name: str, password: str) -> tuple[int, dict[str, Any], str | None]:
    answer = browser.post("/api/auth/login", json={"name": name, "password": password})
    return answer.status_code, answer.json(), answer.headers.get("retry-after")


@pytest.fixture
def users(engine: Engine) -> None:
    for name in ("ada", "bob", "cy", "dee"):
        accounts.create_user(engine, name, PASSWORD)


class _Kept(logging.Handler):
    """The messages logged to the logger it is added to."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def lockout_log() -> Iterator[list[str]]:
    """What `rosetta.services.login_limits` logs, read by a handler on that logger itself
    (other tests' libraries may reconfigure the root logger that caplog listens on)."""
    logger = logging.getLogger("rosetta.services.login_limits")
    kept, level, disabled = _Kept(), logger.level, logger.disabled
    logger.addHandler(kept)
    logger.setLevel(logging.WARNING)
    logger.disabled = False
    try:
        yield kept.messages
    finally:
        logger.removeHandler(kept)
        logger.setLevel(level)
        logger.disabled = disabled


def test_failures_per_name_lock_it_with_retry_after_even_for_the_right_password(
    engine: Engine, users: None, lockout_log: list[str]
) -> None:
    browser = _browser(engine)
    for _ in range(3):
        assert _login(browser, "ada", "wrong wrong")[0] == 401

    status, body, retry_after = _login(browser, "ada", PASSWORD)

    assert status == 429
    error = body["error"]
    assert error["type"] == "too_many_requests" and error["limit"] == 3
    assert "too many failed logins for user name 'ada'" in error["message"]
    assert retry_after is not None and 1 <= int(retry_after) <= 600
    assert error["retry_after"] == pytest.approx(int(retry_after), abs=1)
    assert any("login locked for user name 'ada'" in message for message in lockout_log)
    other = _browser(engine, "198.51.100.9")  # another address: still the name's lockout
    assert _login(other, "ada", PASSWORD)[0] == 429
    assert _login(browser, "bob", PASSWORD)[0] == 200  # another name is not locked


def test_the_window_slides_and_a_success_clears_the_names_failures(
    engine: Engine, users: None
) -> None:
    browser = _browser(engine)
    for _ in range(2):
        assert _login(browser, "ada", "wrong wrong")[0] == 401
    assert _login(browser, "ada", PASSWORD)[0] == 200
    with engine.connect() as connection:
        left = select(func.count()).select_from(login_attempts)
        assert connection.execute(left.where(login_attempts.c.name == "ada")).scalar_one() == 0
    for _ in range(3):
        assert _login(browser, "ada", "wrong wrong")[0] == 401
    assert _login(browser, "ada", PASSWORD)[0] == 429
    with engine.begin() as connection:  # the failures age out of the 10-minute window
        connection.execute(update(login_attempts).values(at=time.time() - 601))

    assert _login(browser, "ada", PASSWORD)[0] == 200


def test_failures_per_address_lock_every_name_from_it(engine: Engine, users: None) -> None:
    browser = _browser(engine)
    for name in ("ada", "bob", "cy", "nobody", "dee"):
        assert _login(browser, name, "wrong wrong")[0] == 401

    status, body, retry_after = _login(browser, "bob", PASSWORD)

    assert status == 429 and retry_after is not None
    assert "address 203.0.113.7" in body["error"]["message"]
    assert _login(_browser(engine, "198.51.100.9"), "bob", PASSWORD)[0] == 200


def test_the_count_holds_across_server_processes(engine: Engine, users: None) -> None:
    """Two apps over one store (as ``serve --workers 2``) count the same failures."""
    first, second = _browser(engine), _browser(engine)
    for browser in (first, second, first):
        assert _login(browser, "ada", "wrong wrong")[0] == 401

    assert _login(second, "ada", PASSWORD)[0] == 429


def test_an_expired_session_is_401(engine: Engine, users: None) -> None:
    browser = _browser(engine)
    assert _login(browser, "ada", PASSWORD)[0] == 200
    assert browser.get("/api/me").status_code == 200
    with engine.begin() as connection:
        connection.execute(update(sessions).values(expires_at=time.time() - 1))

    expired = browser.get("/api/me")

    assert expired.status_code == 401
    assert expired.json()["error"]["type"] == "not_authenticated"


def _trusted(engine: Engine, name: str, address: str = "203.0.113.7") -> TestClient:
    """A browser that `name` has logged in from (it holds their device cookie)."""
    browser = _browser(engine, address)
    assert _login(browser, name, PASSWORD)[0] == 200
    return browser


def test_a_browser_the_user_logged_in_from_is_not_locked_out_by_others_failures(
    engine: Engine, users: None
) -> None:
    """Failing with someone's name from elsewhere must not lock them out of their own
    browser (OWASP's device cookies)."""
    own = _trusted(engine, "ada")
    attacker = _browser(engine, "198.51.100.9")
    for _ in range(3):
        assert _login(attacker, "ada", "wrong wrong")[0] == 401
    assert _login(attacker, "ada", PASSWORD)[0] == 429
    assert _login(_browser(engine), "ada", PASSWORD)[0] == 429  # the address alone is not trust

    assert _login(own, "ada", PASSWORD)[0] == 200


def test_the_device_cookie_is_http_only_strict_and_sent_only_to_the_login_route(
    engine: Engine, users: None
) -> None:
    browser = _browser(engine)
    answer = browser.post("/api/auth/login", json={"name": "ada", "password": PASSWORD})

    cookie = next(
        header
        for header in answer.headers.get_list("set-cookie")
        if header.startswith("rosetta_device=")
    )
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "max-age"} <= attributes
    assert "samesite=strict" in cookie.lower() and "path=/api/auth/login" in cookie.lower()


def test_an_address_lockout_does_not_hold_back_a_trusted_browser_behind_it(
    engine: Engine, users: None
) -> None:
    """Everyone behind one NAT shares an address; a guesser there locks the address, not
    the colleagues whose browsers the server knows."""
    own = _trusted(engine, "bob")
    guesser = _browser(engine)
    for name in ("ada", "cy", "dee", "nobody", "eve"):
        assert _login(guesser, name, "wrong wrong")[0] == 401
    assert _login(guesser, "bob", PASSWORD)[0] == 429

    assert _login(own, "bob", PASSWORD)[0] == 200


def test_a_trusted_browsers_own_failures_lock_it(engine: Engine, users: None) -> None:
    own = _trusted(engine, "ada")
    for _ in range(3):
        assert _login(own, "ada", "wrong wrong")[0] == 401

    status, body, retry_after = _login(own, "ada", PASSWORD)

    assert status == 429 and retry_after is not None
    assert "too many failed logins for this device" in body["error"]["message"]


def test_another_users_forged_or_revoked_device_cookie_earns_no_trust(
    engine: Engine, users: None
) -> None:
    bobs = _trusted(engine, "bob")
    adas = _trusted(engine, "ada", "198.51.100.20")
    attacker = _browser(engine, "198.51.100.9")
    for _ in range(3):
        assert _login(attacker, "ada", "wrong wrong")[0] == 401

    assert _login(bobs, "ada", PASSWORD)[0] == 429  # bob's device is not ada's
    nonce, _, mac = adas.cookies["rosetta_device"].partition(".")
    forged = _browser(engine, "198.51.100.21")
    forged.cookies.set("rosetta_device", f"{nonce}.{mac[:-1]}{'0' if mac[-1] != '0' else '1'}")
    assert _login(forged, "ada", PASSWORD)[0] == 429
    copied = _browser(engine, "198.51.100.22")  # the same cookie, unaltered, is trusted
    copied.cookies.set("rosetta_device", adas.cookies["rosetta_device"])
    assert _login(copied, "ada", PASSWORD)[0] == 200
    for _ in range(3):
        assert _login(attacker, "ada", "wrong wrong")[0] == 401
    accounts.update_user(engine, "ada", password=PASSWORD + "!")  # a new password revokes it
    assert _login(adas, "ada", PASSWORD + "!")[0] == 429
