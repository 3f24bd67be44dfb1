"""Accounts in the store: argon2id password hashes, API tokens and sessions kept only as
digests, project roles and assignments with their events."""

import hashlib
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, select, update

from builders import insert_sample
from conftest import TESTER
from rosetta.core.errors import AlreadyExists, NotAuthenticated, NotFoundError, RuleViolation
from rosetta.core.policies import Assignment, Role
from rosetta.core.schema import Project, Sample
from rosetta.services import accounts
from rosetta.store.events import history
from rosetta.store.tables import api_tokens, sessions, users


def test_passwords_are_argon2id_hashes_and_check_both_ways(engine: Engine) -> None:
    ada = accounts.create_user(engine, "ada", "correct horse battery")
    with engine.connect() as connection:
        stored = connection.execute(
            select(users.c.password_hash).where(users.c.id == ada.id)
        ).scalar_one()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored

    assert accounts.authenticate_password(engine, "ada", "correct horse battery") == ada
    for name, password in (("ada", "wrong horse battery"), ("nobody", "correct horse battery")):
        with pytest.raises(NotAuthenticated, match="wrong user name or password"):
            accounts.authenticate_password(engine, name, password)


def test_bad_users_are_refused(engine: Engine) -> None:
    accounts.create_user(engine, "ada", "correct horse battery")
    with pytest.raises(AlreadyExists, match="a user named 'ada' exists already") as taken:
        accounts.create_user(engine, "ada")
    assert (taken.value.kind, taken.value.name) == ("user", "ada")
    with pytest.raises(RuleViolation, match="at least 8 characters"):
        accounts.create_user(engine, "bob", "short")
    with pytest.raises(RuleViolation, match="without outer spaces"):
        accounts.create_user(engine, " carol")


@pytest.mark.parametrize(
    "engine", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_a_name_taken_between_the_check_and_the_insert_already_exists(engine: Engine) -> None:
    """Two creations of one name at once: the one that loses the unique index is told the
    name exists, as if it had seen the other one (PostgreSQL: SQLite's writers take turns)."""
    rival: list[str] = []

    def insert_rival_first(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("INSERT INTO users") and not rival:
            rival.append(uuid.uuid4().hex)
            with engine.begin() as other:
                other.execute(insert(users).values(id=rival[0], name="ada", created_at=time.time()))

    event.listen(engine, "before_cursor_execute", insert_rival_first)
    try:
        with pytest.raises(AlreadyExists, match="a user named 'ada' exists already"):
            accounts.create_user(engine, "ada")
    finally:
        event.remove(engine, "before_cursor_execute", insert_rival_first)
    with engine.connect() as connection:
        assert [user.id for user in accounts.list_users(connection)] == rival


def test_a_token_opens_its_users_account_until_revoked_or_expired(engine: Engine) -> None:
    ada = accounts.create_user(engine, "ada")  # no password: tokens only
    secret, info = accounts.create_token(engine, ada.id, "notebook")
    assert secret.startswith(accounts.TOKEN_PREFIX)
    with engine.connect() as connection:
        stored = connection.execute(
            select(api_tokens.c.token_hash).where(api_tokens.c.id == info.id)
        ).scalar_one()
        assert stored == hashlib.sha256(secret.encode()).hexdigest()
        assert accounts.token_principal(engine, connection, secret) == ada.principal()
        with pytest.raises(NotAuthenticated, match="not valid"):
            accounts.token_principal(engine, connection, secret + "x")
    with engine.connect() as connection:
        [listed] = accounts.list_tokens(connection, ada.id)
    assert listed.last_used_at is not None and listed.id == info.id

    accounts.revoke_token(engine, ada.id, info.id)
    with engine.connect() as connection, pytest.raises(NotAuthenticated, match="not valid"):
        accounts.token_principal(engine, connection, secret)

    short, _ = accounts.create_token(engine, ada.id, "short", expires_in=60)
    with engine.begin() as connection:
        connection.execute(update(api_tokens).values(expires_at=time.time() - 1))
    with engine.connect() as connection, pytest.raises(NotAuthenticated, match="expired"):
        accounts.token_principal(engine, connection, short)
    with pytest.raises(NotFoundError):
        accounts.revoke_token(engine, "someone-else", info.id)


def test_sessions_end_on_logout_expiry_and_deactivation(engine: Engine) -> None:
    ada = accounts.create_user(engine, "ada", "correct horse battery")
    secret, csrf = accounts.open_session(engine, ada.id, hours=1)
    with engine.connect() as connection:
        assert accounts.session_principal(connection, secret) == (ada.principal(), csrf)
    accounts.close_session(engine, secret)
    with engine.connect() as connection, pytest.raises(NotAuthenticated):
        accounts.session_principal(connection, secret)

    again, _ = accounts.open_session(engine, ada.id, hours=1)
    with engine.begin() as connection:
        connection.execute(update(sessions).values(expires_at=time.time() - 1))
    with engine.connect() as connection, pytest.raises(NotAuthenticated, match="log in again"):
        accounts.session_principal(connection, again)

    third, _ = accounts.open_session(engine, ada.id, hours=1)
    token, _ = accounts.create_token(engine, ada.id, "cli")
    accounts.update_user(engine, ada.id, active=False)
    with engine.connect() as connection:
        with pytest.raises(NotAuthenticated):
            accounts.session_principal(connection, third)
        with pytest.raises(NotAuthenticated):
            accounts.token_principal(engine, connection, token)
    with pytest.raises(NotAuthenticated):
        accounts.authenticate_password(engine, "ada", "correct horse battery")


def test_roles_and_assignments_are_recorded(engine: Engine, project: Project) -> None:
    insert_sample(engine, project.id, Sample(id="s1"))
    ada = accounts.create_user(engine, "ada")

    assert accounts.set_role(engine, TESTER, project.id, ada.id, Role.ANNOTATOR) is Role.ANNOTATOR
    accounts.set_role(engine, TESTER, project.id, "ada", Role.REVIEWER)
    assignment = accounts.assign(engine, TESTER, "s1", "ada", blind=True)

    with engine.connect() as connection:
        assert accounts.membership(connection, project.id, ada.id) is Role.REVIEWER
        [member] = accounts.list_members(connection, project.id)
        assert (member.name, member.role) == ("ada", Role.REVIEWER)
        assert (
            accounts.assignment_of(connection, "s1", ada.id)
            == assignment
            == Assignment("s1", ada.id, blind=True)
        )
        [mine] = accounts.assigned_samples(connection, ada.id, project=project.name)
        assert (mine.sample, mine.blind, mine.status) == ("s1", True, "new")
        roles = history(connection, ada.id)
        assigned = [e for e in history(connection, "s1") if e.object_kind == "assignment"]
    assert [(e.before, e.after) for e in roles] == [
        (None, {"user": "ada", "role": "annotator"}),
        ({"user": "ada", "role": "annotator"}, {"user": "ada", "role": "reviewer"}),
    ]
    assert [(e.actor, e.after) for e in assigned] == [("tester", {"user": "ada", "blind": True})]

    accounts.unassign(engine, TESTER, "s1", "ada")
    accounts.set_role(engine, TESTER, project.id, "ada", None)
    with engine.connect() as connection:
        assert accounts.assignment_of(connection, "s1", ada.id) is None
        assert accounts.membership(connection, project.id, ada.id) is None
    with pytest.raises(NotFoundError, match="assignment"):
        accounts.unassign(engine, TESTER, "s1", "ada")
    with pytest.raises(NotFoundError, match="project"):
        accounts.set_role(engine, TESTER, "nope", "ada", Role.ADMIN)


def test_only_a_member_of_the_samples_project_is_assigned(engine: Engine, project: Project) -> None:
    insert_sample(engine, project.id, Sample(id="s1"))
    accounts.create_user(engine, "ada")
    with pytest.raises(RuleViolation, match="'ada' is not a member") as refused:
        accounts.assign(engine, TESTER, "s1", "ada")
    assert (refused.value.field, refused.value.rule) == ("user", "assignee-member")
    with engine.connect() as connection:
        assert accounts.assigned_samples(connection, accounts.find_user(connection, "ada").id) == []
        assert [e.object_kind for e in history(connection, "s1")] == []

    accounts.set_role(engine, TESTER, project.id, "ada", Role.ANNOTATOR)
    assert accounts.assign(engine, TESTER, "s1", "ada").sample_id == "s1"
