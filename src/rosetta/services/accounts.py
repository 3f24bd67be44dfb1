"""Accounts: users with argon2id password hashes, API tokens, browser sessions, project
roles (memberships) and sample assignments.

Secrets (API tokens, session cookies) are random 256-bit values shown to their owner once;
the store keeps only their SHA-256, so a copy of the database opens no account. Passwords
are hashed with argon2id (argon2-cffi's defaults) and rehashed on login when those
parameters change. Role and assignment changes are events in the project's history.
"""

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from rosetta.core.errors import AlreadyExists, NotAuthenticated, NotFoundError, RuleViolation
from rosetta.core.policies import Assignment, Principal, Role
from rosetta.services.catalog import sample_project
from rosetta.store import events
from rosetta.store.direct import Prepared
from rosetta.store.engine import write_transaction
from rosetta.store.events import Actor
from rosetta.store.tables import (
    api_tokens,
    assignments,
    memberships,
    projects,
    samples,
    sessions,
    users,
)

#: Prefix of API token secrets, so a leaked one is recognisable (secret scanners).
TOKEN_PREFIX = "rst_"
#: Seconds between two writes of a token's ``last_used_at``.
LAST_USED_INTERVAL = 60.0

_hasher = PasswordHasher()


@dataclass(frozen=True)
class User:
    """A person (or a service account) who can act in Rosetta."""

    id: str
    name: str
    display_name: str | None
    is_admin: bool
    active: bool
    created_at: float

    def principal(self) -> Principal:
        """The user as the acting person of a request."""
        return Principal(user_id=self.id, name=self.name, is_admin=self.is_admin)


@dataclass(frozen=True)
class TokenInfo:
    """An API token without its secret."""

    id: str
    name: str
    created_at: float
    last_used_at: float | None
    expires_at: float | None
    revoked_at: float | None


@dataclass(frozen=True)
class Member:
    """A user's role in a project."""

    user_id: str
    name: str
    role: Role


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _user(row: object) -> User:
    return User(
        id=row.id,  # type: ignore[attr-defined]
        name=row.name,  # type: ignore[attr-defined]
        display_name=row.display_name,  # type: ignore[attr-defined]
        is_admin=bool(row.is_admin),  # type: ignore[attr-defined]
        active=bool(row.active),  # type: ignore[attr-defined]
        created_at=row.created_at,  # type: ignore[attr-defined]
    )


# --- users ----------------------------------------------------------------------------------


def create_user(
    engine: Engine,
    name: str,
    password: str | None = None,
    *,
    display_name: str | None = None,
    is_admin: bool = False,
) -> User:
    """A new user; without a password the user can act only through API tokens. A name
    another user holds is `AlreadyExists`."""
    if not name or len(name) > 200 or name != name.strip():
        raise RuleViolation(
            "user", "name", "user.name", "expected 1 to 200 characters without outer spaces"
        )
    if password is not None and len(password) < 8:
        raise RuleViolation("user", "password", "user.password", "expected at least 8 characters")
    user = User(
        id=uuid.uuid4().hex,
        name=name,
        display_name=display_name,
        is_admin=is_admin,
        active=True,
        created_at=time.time(),
    )
    password_hash = None if password is None else _hasher.hash(password)
    try:
        with write_transaction(engine) as connection:
            if connection.execute(select(users.c.id).where(users.c.name == name)).first():
                raise AlreadyExists("user", name)
            connection.execute(
                insert(users).values(
                    id=user.id,
                    name=name,
                    display_name=display_name,
                    password_hash=password_hash,
                    is_admin=is_admin,
                    active=True,
                    created_at=user.created_at,
                )
            )
    except IntegrityError:  # another writer took the name after the check (PostgreSQL)
        with engine.connect() as connection:
            if connection.execute(select(users.c.id).where(users.c.name == name)).first():
                raise AlreadyExists("user", name) from None
        raise
    return user


def find_user(connection: Connection, name_or_id: str) -> User:
    """The user with this login name or id."""
    row = connection.execute(
        select(users).where((users.c.name == name_or_id) | (users.c.id == name_or_id))
    ).first()
    if row is None:
        raise NotFoundError("user", name_or_id)
    return _user(row)


def list_users(connection: Connection) -> list[User]:
    """Every user, in the order they were created."""
    return [_user(row) for row in connection.execute(select(users).order_by(users.c.pk))]


def update_user(
    engine: Engine,
    user_id: str,
    *,
    password: str | None = None,
    display_name: str | None = None,
    is_admin: bool | None = None,
    active: bool | None = None,
) -> User:
    """Change a user; a deactivated user's sessions end and their tokens stop working."""
    values: dict[str, object] = {}
    if password is not None:
        if len(password) < 8:
            raise RuleViolation(
                "user", "password", "user.password", "expected at least 8 characters"
            )
        values["password_hash"] = _hasher.hash(password)
    if display_name is not None:
        values["display_name"] = display_name
    if is_admin is not None:
        values["is_admin"] = is_admin
    if active is not None:
        values["active"] = active
    with write_transaction(engine) as connection:
        user = find_user(connection, user_id)
        if values:
            connection.execute(update(users).where(users.c.id == user.id).values(**values))
        if active is False:
            connection.execute(delete(sessions).where(sessions.c.user_id == user.id))
        return find_user(connection, user.id)


def authenticate_password(engine: Engine, name: str, password: str) -> User:
    """The active user `name` if `password` is theirs, else `NotAuthenticated` (the same
    message whether the name or the password was wrong)."""
    wrong = NotAuthenticated("wrong user name or password")
    with engine.connect() as connection:
        row = connection.execute(select(users).where(users.c.name == name)).first()
    if row is None or row.password_hash is None or not row.active:
        _hasher.hash(password)  # the same time spent as for a real user
        raise wrong
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise wrong from None
    if _hasher.check_needs_rehash(row.password_hash):
        with write_transaction(engine) as connection:
            connection.execute(
                update(users)
                .where(users.c.id == row.id)
                .values(password_hash=_hasher.hash(password))
            )
    return _user(row)


# --- API tokens -----------------------------------------------------------------------------


def create_token(
    engine: Engine, user_id: str, name: str, *, expires_in: float | None = None
) -> tuple[str, TokenInfo]:
    """A new API token for the user: its secret (shown once) and its record."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = time.time()
    info = TokenInfo(
        id=uuid.uuid4().hex,
        name=name,
        created_at=now,
        last_used_at=None,
        expires_at=None if expires_in is None else now + expires_in,
        revoked_at=None,
    )
    with write_transaction(engine) as connection:
        find_user(connection, user_id)
        connection.execute(
            insert(api_tokens).values(
                id=info.id,
                user_id=user_id,
                name=name,
                token_hash=_digest(secret),
                created_at=now,
                expires_at=info.expires_at,
            )
        )
    return secret, info


def list_tokens(connection: Connection, user_id: str) -> list[TokenInfo]:
    """The user's tokens, revoked ones included, without secrets."""
    rows = connection.execute(
        select(api_tokens).where(api_tokens.c.user_id == user_id).order_by(api_tokens.c.pk)
    )
    return [
        TokenInfo(
            id=row.id,
            name=row.name,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
        )
        for row in rows
    ]


def revoke_token(engine: Engine, user_id: str, token_id: str) -> None:
    """Stop one of the user's tokens from working."""
    with write_transaction(engine) as connection:
        done = connection.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token_id, api_tokens.c.user_id == user_id)
            .values(revoked_at=time.time())
        )
        if done.rowcount == 0:
            raise NotFoundError("API token", token_id)


#: The API token whose hash is ``:token_hash`` with its user.
_TOKEN_USER = Prepared(
    select(
        api_tokens.c.id.label("token_id"),
        api_tokens.c.expires_at,
        api_tokens.c.revoked_at,
        api_tokens.c.last_used_at,
        users,
    )
    .join(users, users.c.id == api_tokens.c.user_id)
    .where(api_tokens.c.token_hash == bindparam("token_hash"))
)


@dataclass(frozen=True)
class TokenUser:
    """The user of an API token, and the token's id when its ``last_used_at`` is due to
    be written (`touch_token`)."""

    principal: Principal
    due: str | None


def token_user(connection: Connection, secret: str) -> TokenUser:
    """The user an API token secret belongs to, reading only; `NotAuthenticated` when it
    is unknown, revoked or expired, or its user is inactive."""
    now = time.time()
    row = _TOKEN_USER.first(connection, {"token_hash": _digest(secret)})
    if row is None or row.revoked_at is not None or not row.active:
        raise NotAuthenticated("the API token is not valid")
    if row.expires_at is not None and row.expires_at <= now:
        raise NotAuthenticated("the API token has expired")
    due = row.last_used_at is None or now - row.last_used_at > LAST_USED_INTERVAL
    principal = Principal(user_id=row.id, name=row.name, is_admin=bool(row.is_admin))
    return TokenUser(principal, row.token_id if due else None)


def touch_token(engine: Engine, token_id: str) -> None:
    """Record that the token was used now (at most every `LAST_USED_INTERVAL` seconds)."""
    with write_transaction(engine) as writer:
        writer.execute(
            update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=time.time())
        )


def token_principal(engine: Engine, connection: Connection, secret: str) -> Principal:
    """The user an API token secret belongs to (`token_user`), recording the use when due."""
    found = token_user(connection, secret)
    if found.due is not None:
        touch_token(engine, found.due)
    return found.principal


# --- browser sessions -----------------------------------------------------------------------


def open_session(engine: Engine, user_id: str, *, hours: float) -> tuple[str, str]:
    """A new browser session for the user: the cookie's secret and the CSRF token that
    unsafe requests of the session must carry."""
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = time.time()
    with write_transaction(engine) as connection:
        connection.execute(delete(sessions).where(sessions.c.expires_at <= now))
        connection.execute(
            insert(sessions).values(
                token_hash=_digest(secret),
                user_id=user_id,
                csrf_token=csrf,
                created_at=now,
                expires_at=now + hours * 3600,
            )
        )
    return secret, csrf


def session_principal(connection: Connection, secret: str) -> tuple[Principal, str]:
    """The user of a session cookie and the session's CSRF token."""
    row = connection.execute(
        select(sessions.c.csrf_token, sessions.c.expires_at, users)
        .join(users, users.c.id == sessions.c.user_id)
        .where(sessions.c.token_hash == _digest(secret))
    ).first()
    if row is None or not row.active or row.expires_at <= time.time():
        raise NotAuthenticated("the session has ended; log in again")
    return Principal(user_id=row.id, name=row.name, is_admin=bool(row.is_admin)), row.csrf_token


def close_session(engine: Engine, secret: str) -> None:
    """End a session (logging out); an unknown secret is ignored."""
    with write_transaction(engine) as connection:
        connection.execute(delete(sessions).where(sessions.c.token_hash == _digest(secret)))


# --- project roles --------------------------------------------------------------------------


def membership(connection: Connection, project_id: str, user_id: str) -> Role | None:
    """The user's role in the project, ``None`` when not a member."""
    role = connection.execute(
        select(memberships.c.role).where(
            memberships.c.project_id == project_id, memberships.c.user_id == user_id
        )
    ).scalar_one_or_none()
    return None if role is None else Role(role)


def list_members(connection: Connection, project_id: str) -> list[Member]:
    """The project's members with their roles."""
    rows = connection.execute(
        select(memberships.c.user_id, memberships.c.role, users.c.name)
        .join(users, users.c.id == memberships.c.user_id)
        .where(memberships.c.project_id == project_id)
        .order_by(memberships.c.pk)
    )
    return [Member(user_id=row.user_id, name=row.name, role=Role(row.role)) for row in rows]


def set_role(
    engine: Engine, actor: Actor, project_id: str, user_id: str, role: Role | None
) -> Role | None:
    """Give the user `role` in the project (``None``: remove them); the role after."""
    with write_transaction(engine) as connection:
        if connection.execute(select(projects.c.id).where(projects.c.id == project_id)).first():
            user = find_user(connection, user_id)
        else:
            raise NotFoundError("project", project_id)
        before = membership(connection, project_id, user.id)
        if before == role:
            return role
        connection.execute(
            delete(memberships).where(
                memberships.c.project_id == project_id, memberships.c.user_id == user.id
            )
        )
        if role is not None:
            connection.execute(
                insert(memberships).values(project_id=project_id, user_id=user.id, role=role.value)
            )
        events.record(
            connection,
            [
                events.event_row(
                    project_id,
                    actor,
                    "membership",
                    user.id,
                    "update",
                    before=None if before is None else {"user": user.name, "role": before.value},
                    after=None if role is None else {"user": user.name, "role": role.value},
                )
            ],
        )
    return role


# --- assignments ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignedSample:
    """A sample assigned to a user: its project's name, its id and status, blindness."""

    project: str
    sample: str
    status: str
    blind: bool


def assigned_samples(
    connection: Connection, user_id: str, *, project: str | None = None
) -> list[AssignedSample]:
    """The samples assigned to the user (in `project`, a name or id, or in all), oldest
    assignment first."""
    query = (
        select(projects.c.name, samples.c.id, samples.c.status, assignments.c.blind)
        .join(samples, samples.c.id == assignments.c.sample_id)
        .join(projects, projects.c.id == assignments.c.project_id)
        .where(assignments.c.user_id == user_id)
        .order_by(assignments.c.pk)
    )
    if project is not None:
        query = query.where((projects.c.id == project) | (projects.c.name == project))
    return [
        AssignedSample(project=row.name, sample=row.id, status=row.status, blind=bool(row.blind))
        for row in connection.execute(query)
    ]


def assignment_of(connection: Connection, sample_id: str, user_id: str) -> Assignment | None:
    """The user's assignment to the sample, if any."""
    blind = connection.execute(
        select(assignments.c.blind).where(
            assignments.c.sample_id == sample_id, assignments.c.user_id == user_id
        )
    ).scalar_one_or_none()
    return None if blind is None else Assignment(sample_id, user_id, bool(blind))


def assign(
    engine: Engine, actor: Actor, sample_id: str, user_id: str, *, blind: bool = False
) -> Assignment:
    """Give the sample to user `user_id` (a name or id), who must be a member of the
    sample's project (a `RuleViolation` otherwise); again: only `blind` changes."""
    with write_transaction(engine) as connection:
        project_id = sample_project(connection, sample_id)
        user = find_user(connection, user_id)
        if membership(connection, project_id, user.id) is None:
            raise RuleViolation(
                f"assignment of sample {sample_id!r}",
                "user",
                "assignee-member",
                f"{user.name!r} is not a member of the sample's project; give them a role first",
            )
        before = assignment_of(connection, sample_id, user.id)
        after = Assignment(sample_id, user.id, blind)
        if before == after:
            return after
        if before is None:
            connection.execute(
                insert(assignments).values(
                    project_id=project_id,
                    sample_id=sample_id,
                    user_id=user.id,
                    blind=blind,
                    created_at=time.time(),
                )
            )
        else:
            connection.execute(
                update(assignments)
                .where(assignments.c.sample_id == sample_id, assignments.c.user_id == user.id)
                .values(blind=blind)
            )
        _record_assignment(
            connection, project_id, actor=actor, user_name=user.name, before=before, after=after
        )
    return after


def unassign(engine: Engine, actor: Actor, sample_id: str, user_id: str) -> None:
    """Take the sample back from the user."""
    with write_transaction(engine) as connection:
        project_id = sample_project(connection, sample_id)
        user = find_user(connection, user_id)
        before = assignment_of(connection, sample_id, user.id)
        if before is None:
            raise NotFoundError(f"assignment of sample {sample_id!r} to user", user.name)
        connection.execute(
            delete(assignments).where(
                assignments.c.sample_id == sample_id, assignments.c.user_id == user.id
            )
        )
        _record_assignment(
            connection, project_id, actor=actor, user_name=user.name, before=before, after=None
        )


def _record_assignment(
    connection: Connection,
    project_id: str,
    *,
    actor: Actor,
    user_name: str,
    before: Assignment | None,
    after: Assignment | None,
) -> None:
    sample_id = (after or before).sample_id  # type: ignore[union-attr]
    events.record(
        connection,
        [
            events.event_row(
                project_id,
                actor,
                "assignment",
                sample_id,
                "update",
                sample_id=sample_id,
                before=None if before is None else {"user": user_name, "blind": before.blind},
                after=None if after is None else {"user": user_name, "blind": after.blind},
            )
        ],
    )
