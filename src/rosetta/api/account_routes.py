"""Logging in and out, the caller's own account and API tokens, and users (site admins).

``POST /api/auth/login`` sets two cookies: ``rosetta_session`` (HttpOnly, SameSite=Lax,
Secure unless the server runs in development mode) holding the session secret, and
``rosetta_csrf`` (readable by the page's script) holding the CSRF token that unsafe
requests of the session send back in ``X-CSRF-Token``. The response body also carries the
token. Failed logins are rate-limited per name and per address
(`rosetta.services.login_limits`); a successful one also sets ``rosetta_device``
(HttpOnly, SameSite=Strict, sent only to the login route), which exempts that browser's
later logins from another client's lockout of the name.
"""

from typing import Annotated

from fastapi import APIRouter, Body, Request, Response, status
from pydantic import BaseModel, Field

from rosetta.api.auth import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CurrentUser,
    policy,
    require,
)
from rosetta.api.deps import Db, Store
from rosetta.core.policies import can_administer
from rosetta.services import accounts, login_limits
from rosetta.services.login_limits import LoginRule
from rosetta.services.settings import Settings

router = APIRouter()

#: How long a device cookie is kept (days).
DEVICE_DAYS = 365


class UserOut(BaseModel):
    """A user as the API shows it (never a password hash)."""

    id: str
    name: str
    display_name: str | None
    is_admin: bool
    active: bool

    @classmethod
    def of(cls, user: accounts.User) -> "UserOut":
        """The view of `user`."""
        return cls(
            id=user.id,
            name=user.name,
            display_name=user.display_name,
            is_admin=user.is_admin,
            active=user.active,
        )


class LoginRequest(BaseModel):
    """A user name and password."""

    name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


class LoginResult(BaseModel):
    """The logged-in user and the CSRF token of the new session."""

    user: UserOut
    csrf_token: str


class TokenRequest(BaseModel):
    """A name for a new API token and, optionally, its lifetime."""

    name: str = Field(min_length=1, max_length=200)
    expires_in_days: float | None = Field(default=None, gt=0)


class TokenOut(BaseModel):
    """An API token without its secret."""

    id: str
    name: str
    created_at: float
    last_used_at: float | None
    expires_at: float | None
    revoked_at: float | None


class NewToken(TokenOut):
    """A new API token with its secret, shown this once."""

    token: str


class NewUser(BaseModel):
    """A user to create; without a password it acts only through API tokens."""

    name: str = Field(min_length=1, max_length=200)
    password: str | None = Field(default=None, min_length=8, max_length=1000)
    display_name: str | None = Field(default=None, max_length=200)
    is_admin: bool = False


class UserChange(BaseModel):
    """Changes to a user; absent fields stay as they are."""

    password: str | None = Field(default=None, min_length=8, max_length=1000)
    display_name: str | None = Field(default=None, max_length=200)
    is_admin: bool | None = None
    active: bool | None = None


class MyAssignment(BaseModel):
    """A sample assigned to the caller."""

    project: str
    sample: str
    status: str
    blind: bool


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post(
    "/api/auth/login",
    responses={429: {"description": "Too many failed logins; see ``Retry-After``."}},
    openapi_extra=policy("public"),
)
def login(store: Store, request: Request, response: Response, body: LoginRequest) -> LoginResult:
    """Log in with a password: starts a browser session (cookies) and returns its CSRF
    token. After too many failed logins for the name or from the address, further tries
    are refused for a while (429, ``Retry-After``), except from a browser the user has
    logged in from before (its device cookie), whose own failures are counted instead."""
    settings = _settings(request)
    address = request.client.host if request.client is not None else "unknown"
    device = request.cookies.get(login_limits.DEVICE_COOKIE)
    with login_limits.guarded(store, body.name, address, LoginRule.of(settings), device):
        user = accounts.authenticate_password(store, body.name, body.password)
    secret, csrf = accounts.open_session(store, user.id, hours=settings.session_hours)
    with store.connect() as connection:
        response.set_cookie(
            login_limits.DEVICE_COOKIE,
            login_limits.device_cookie(connection, body.name),
            max_age=DEVICE_DAYS * 24 * 3600,
            httponly=True,
            secure=settings.cookie_secure,
            samesite="strict",
            path="/api/auth/login",
        )
    age = int(settings.session_hours * 3600)
    for name, value, http_only in ((SESSION_COOKIE, secret, True), (CSRF_COOKIE, csrf, False)):
        response.set_cookie(
            name,
            value,
            max_age=age,
            httponly=http_only,
            secure=settings.cookie_secure,
            samesite="lax",
            path="/",
        )
    return LoginResult(user=UserOut.of(user), csrf_token=csrf)


@router.post(
    "/api/auth/logout", status_code=status.HTTP_204_NO_CONTENT, openapi_extra=policy("user")
)
def logout(store: Store, request: Request, _user: CurrentUser) -> Response:
    """End the browser session (its cookies are cleared)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie is not None:
        accounts.close_session(store, cookie)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/api/me", openapi_extra=policy("user"))
def me(db: Db, user: CurrentUser) -> UserOut:
    """The caller's account."""
    return UserOut.of(accounts.find_user(db, user.user_id))


@router.get("/api/me/assignments", openapi_extra=policy("user"))
def my_assignments(db: Db, user: CurrentUser, project: str | None = None) -> list[MyAssignment]:
    """The samples assigned to the caller (in one project, or all), oldest first."""
    return [
        MyAssignment(project=item.project, sample=item.sample, status=item.status, blind=item.blind)
        for item in accounts.assigned_samples(db, user.user_id, project=project)
    ]


def _token_out(info: accounts.TokenInfo) -> TokenOut:
    return TokenOut(
        id=info.id,
        name=info.name,
        created_at=info.created_at,
        last_used_at=info.last_used_at,
        expires_at=info.expires_at,
        revoked_at=info.revoked_at,
    )


@router.get("/api/me/tokens", openapi_extra=policy("user"))
def list_my_tokens(db: Db, user: CurrentUser) -> list[TokenOut]:
    """The caller's API tokens, without their secrets."""
    return [_token_out(info) for info in accounts.list_tokens(db, user.user_id)]


@router.post("/api/me/tokens", status_code=201, openapi_extra=policy("user"))
def create_my_token(store: Store, user: CurrentUser, body: TokenRequest) -> NewToken:
    """A new API token for the SDK or the CLI; its secret is in this response only."""
    expires = None if body.expires_in_days is None else body.expires_in_days * 86400
    secret, info = accounts.create_token(store, user.user_id, body.name, expires_in=expires)
    return NewToken(token=secret, **_token_out(info).model_dump())


@router.delete(
    "/api/me/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    openapi_extra=policy("user"),
)
def revoke_my_token(store: Store, user: CurrentUser, token_id: str) -> Response:
    """Revoke one of the caller's API tokens."""
    accounts.revoke_token(store, user.user_id, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api/users", openapi_extra=policy("site-admin"))
def list_users(db: Db, user: CurrentUser) -> list[UserOut]:
    """Every user."""
    require(can_administer(user), "list", "users")
    return [UserOut.of(found) for found in accounts.list_users(db)]


@router.post("/api/users", status_code=201, openapi_extra=policy("site-admin"))
def create_user(store: Store, user: CurrentUser, body: NewUser) -> UserOut:
    """Create a user."""
    require(can_administer(user), "create", "users")
    created = accounts.create_user(
        store,
        body.name,
        body.password,
        display_name=body.display_name,
        is_admin=body.is_admin,
    )
    return UserOut.of(created)


@router.patch("/api/users/{user_id}", openapi_extra=policy("site-admin"))
def update_user(
    store: Store, user: CurrentUser, user_id: str, body: Annotated[UserChange, Body()]
) -> UserOut:
    """Change a user (password, name shown, admin flag, active)."""
    require(can_administer(user), "change", f"user {user_id!r}")
    return UserOut.of(accounts.update_user(store, user_id, **body.model_dump(exclude_none=True)))
