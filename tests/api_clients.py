"""Clients of the real app as a given person: a user with a role in a project and an API
token, sent as ``Authorization: Bearer`` on every request."""

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from conftest import TESTER
from rosetta.api import create_app
from rosetta.core.errors import NotFoundError
from rosetta.core.policies import Role
from rosetta.services.accounts import create_token, create_user, find_user, set_role
from rosetta.services.settings import Settings


def token_headers(
    engine: Engine,
    name: str = "tester",
    *,
    admin: bool = False,
    project_id: str | None = None,
    role: Role | None = None,
) -> dict[str, str]:
    """Headers that authenticate as user `name` (created when missing), a site admin when
    `admin`, with `role` in `project_id` when both are given."""
    with engine.connect() as connection:
        try:
            user = find_user(connection, name)
        except NotFoundError:
            user = None
    if user is None:
        user = create_user(engine, name, is_admin=admin)
    if project_id is not None and role is not None:
        set_role(engine, TESTER, project_id, user.id, role)
    secret, _ = create_token(engine, user.id, "tests")
    return {"Authorization": f"Bearer {secret}"}


def client_as(
    engine: Engine,
    name: str = "tester",
    *,
    admin: bool = True,
    project_id: str | None = None,
    role: Role | None = None,
    settings: Settings | None = None,
) -> TestClient:
    """A test client of the app over `engine` acting as `name` (a site admin by default)."""
    headers = token_headers(engine, name, admin=admin, project_id=project_id, role=role)
    return TestClient(create_app(engine, settings), headers=headers)
