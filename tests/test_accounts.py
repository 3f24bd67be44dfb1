"""Accounts in the store: argon2id password hashes, API tokens and sessions kept only as
digests, project roles and assignments with their events."""

import hashlib
import time

import pytest
from sqlalchemy import Engine, select, update

from builders import insert_sample
from conftest import TESTER
from rosetta.core.errors import NotAuthenticated, NotFoundError, RosettaError, RuleViolation
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
    with pytest.raises(RosettaError, match="a user named 'ada' exists already"):
        accounts.create_user(engine, "ada")
    with pytest.raises(RuleViolation, match="at least 8 characters"):
        accounts.create_user(engine, "bob", "short")
    with pytest.raises(RuleViolation, match="without outer spaces"):
        accounts.create_user(engine, " carol")


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
