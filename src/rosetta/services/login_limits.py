"""Login rate limiting: failed password logins counted per user name and per client
address in a sliding window, in the store (table ``login_attempts``), so that every
server process of ``rosetta serve --workers`` and every machine sharing a PostgreSQL
store counts the same tries.

A name with `LoginRule.per_name` failures within the last `LoginRule.window` seconds, or
an address with `LoginRule.per_address`, is refused further tries (`TooManyRequests`,
429 with ``Retry-After``: when the oldest failure that counts leaves the window) before
its password is checked. A refused try is not counted, so a lockout ends on time; a
successful login deletes its name's failures. The failure that reaches a limit is
logged (a warning naming the name or the address) for the operator to see.

A lockout by name alone would let anyone lock a user out by failing with their name, so a
successful login also gets a **device cookie** (OWASP's "device cookies"): a nonce and its
HMAC keyed by the user's password hash (changing the password revokes every device). A try
for that user that carries a valid one is held back only by that device's own failures
(the per-name limit), not by the name's or the address's; its failures still count
towards the name's limit for clients without the cookie.
"""

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Column, Connection, Engine, delete, func, insert, select

from rosetta.core.errors import NotAuthenticated, TooManyRequests
from rosetta.services.settings import Settings
from rosetta.store.engine import write_transaction
from rosetta.store.tables import login_attempts, users

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoginRule:
    """How many failed logins a name and an address may have in `window` seconds."""

    per_name: int
    per_address: int
    window: float

    @classmethod
    def of(cls, settings: Settings) -> "LoginRule":
        """The rule the server's settings set."""
        return cls(
            per_name=settings.login_failures_per_name,
            per_address=settings.login_failures_per_address,
            window=settings.login_window_minutes * 60,
        )


#: The cookie that marks a browser a user has logged in from (`device_cookie`).
DEVICE_COOKIE = "rosetta_device"


@dataclass(frozen=True)
class _Counter:
    """One count of failures that can lock further tries: which rows, up to what limit."""

    column: Column[str]
    value: str
    limit: int
    what: str


def _counters(name: str, address: str, device: str | None, rule: LoginRule) -> list[_Counter]:
    if device is not None:
        return [_Counter(login_attempts.c.address, device, rule.per_name, "this device")]
    return [
        _Counter(login_attempts.c.name, name, rule.per_name, f"user name {name!r}"),
        _Counter(login_attempts.c.address, address, rule.per_address, f"address {address}"),
    ]


def _device_mac(password_hash: str, user_id: str, nonce: str) -> str:
    message = f"{user_id}:{nonce}".encode()
    return hmac.new(password_hash.encode(), message, hashlib.sha256).hexdigest()


def device_cookie(connection: Connection, name: str) -> str:
    """A new device cookie for the user `name` (who has just logged in)."""
    user_id, password_hash = connection.execute(
        select(users.c.id, users.c.password_hash).where(users.c.name == name)
    ).one()
    nonce = secrets.token_urlsafe(16)
    return f"{nonce}.{_device_mac(password_hash, user_id, nonce)}"


def trusted_device(connection: Connection, name: str, cookie: str | None) -> str | None:
    """The key failures of `name` are counted under when `cookie` is a valid device cookie
    of that user, else None."""
    nonce, _, mac = (cookie or "").partition(".")
    if not nonce or not mac:
        return None
    row = connection.execute(
        select(users.c.id, users.c.password_hash).where(users.c.name == name)
    ).first()
    if row is None or row.password_hash is None:
        return None
    if not hmac.compare_digest(mac, _device_mac(row.password_hash, row.id, nonce)):
        return None
    return f"device {nonce}"


@contextmanager
def guarded(
    engine: Engine, name: str, address: str, rule: LoginRule, cookie: str | None = None
) -> Iterator[None]:
    """Run a password check for `name` from `address` (with the device cookie `cookie`, if
    any) under `rule`: refused at once when locked out; a `NotAuthenticated` inside is
    counted as a failure, and success clears the name's failures."""
    with engine.connect() as connection:
        device = trusted_device(connection, name, cookie)
        counters = _counters(name, address, device, rule)
        _check(connection, counters, rule, now=time.time())
    try:
        yield
    except NotAuthenticated:
        _record_failure(engine, name, device or address, counters, rule)
        raise
    with write_transaction(engine) as connection:
        connection.execute(delete(login_attempts).where(login_attempts.c.name == name))


def _check(
    connection: Connection, counters: list[_Counter], rule: LoginRule, *, now: float
) -> None:
    """`TooManyRequests` when one of `counters` has used up its failures in the window
    ending `now`."""
    since = now - rule.window
    for counter in counters:
        times = (
            select(login_attempts.c.at)
            .where(counter.column == counter.value, login_attempts.c.at > since)
            .order_by(login_attempts.c.at.desc())
            .limit(counter.limit)
            .subquery()
        )
        count, oldest = connection.execute(
            select(func.count(), func.min(times.c.at)).select_from(times)
        ).one()
        if count >= counter.limit:
            wait = oldest + rule.window - now
            raise TooManyRequests(
                f"too many failed logins for {counter.what}: {count} in the last "
                f"{rule.window / 60:g} minutes; try again in {wait:.0f} s",
                limit=counter.limit,
                retry_after=wait,
            )


def _record_failure(
    engine: Engine, name: str, address: str, counters: list[_Counter], rule: LoginRule
) -> None:
    """Count a failed login of `name` from `address` (a client's address or a trusted
    device's key) and forget those out of the window; log a lockout when this failure
    reaches one of `counters`' limits."""
    now = time.time()
    since = now - rule.window
    with write_transaction(engine) as connection:
        connection.execute(delete(login_attempts).where(login_attempts.c.at <= since))
        connection.execute(insert(login_attempts).values(name=name, address=address, at=now))
        for counter in counters:
            count = connection.execute(
                select(func.count())
                .select_from(login_attempts)
                .where(counter.column == counter.value)
            ).scalar_one()
            if count == counter.limit:
                _log.warning(
                    "login locked for %s: %d failed logins in %g minutes",
                    counter.what,
                    count,
                    rule.window / 60,
                )
