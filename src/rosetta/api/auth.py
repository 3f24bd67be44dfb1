"""Who is asking, and whether they may: request authentication and the access checks
handlers call before they call a service.

A request is authenticated by an API token (``Authorization: Bearer rst_…``, for the SDK
and the CLI) or by the browser session cookie. A cookie-authenticated request that is not
GET, HEAD or OPTIONS must also send the session's CSRF token in ``X-CSRF-Token`` (the
login response gives it, and the readable ``rosetta_csrf`` cookie holds it): another
site can make the browser send the cookie, but cannot read the token.

Objects a person may not read answer 404, as if they did not exist; objects they may read
but not change answer 403.
"""

import secrets
from dataclasses import dataclass
from typing import Annotated

import anyio
from fastapi import Depends, Request
from sqlalchemy import Connection, Engine, bindparam, select

from rosetta.api.deps import Db, on_loop
from rosetta.core.errors import NotAuthenticated, NotFoundError, PermissionDenied
from rosetta.core.policies import (
    Access,
    Assignment,
    Principal,
    Role,
    can_read_sample,
    role_in,
)
from rosetta.services.accounts import (
    TokenUser,
    membership,
    session_principal,
    token_user,
    touch_token,
)
from rosetta.services.judgements import hidden_streams
from rosetta.services.visibility import hides_candidates
from rosetta.store.direct import Prepared
from rosetta.store.events import Actor
from rosetta.store.tables import assignments, memberships, projects, samples, streams

SESSION_COOKIE = "rosetta_session"
CSRF_COOKIE = "rosetta_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def current_principal(request: Request, db: Db) -> Principal:
    """The person behind the request, or `NotAuthenticated` (401). It reads on the event
    loop where the store allows (`rosetta.api.deps.on_loop`), else in a worker thread;
    recording a token's use writes, and so always waits its turn in a worker thread."""
    engine: Engine = request.app.state.engine
    if on_loop(engine):
        found = _principal(request, db)
    else:
        found = await anyio.to_thread.run_sync(_principal, request, db)
    if found.due is not None:
        await anyio.to_thread.run_sync(touch_token, engine, found.due)
    return found.principal


def _principal(request: Request, db: Connection) -> TokenUser:
    """The person behind the request, and their token's id when its use is due to be
    recorded."""
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if header:
        if scheme.lower() != "bearer" or not credentials.strip():
            raise NotAuthenticated("expected the header 'Authorization: Bearer <API token>'")
        return token_user(db, credentials.strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie is None:
        raise NotAuthenticated(
            "log in (POST /api/auth/login) or send 'Authorization: Bearer <API token>'"
        )
    principal, csrf = session_principal(db, cookie)
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not secrets.compare_digest(sent.encode(), csrf.encode()):
            raise PermissionDenied(
                "send", f"this request without the session's CSRF token in {CSRF_HEADER}"
            )
    return TokenUser(principal, None)


#: The authenticated person (401 without valid credentials).
CurrentUser = Annotated[Principal, Depends(current_principal)]


def actor_of(principal: Principal) -> Actor:
    """The actor that writes made by `principal` through the API record."""
    return Actor(principal.name, tool="api")


async def _actor(user: CurrentUser) -> Actor:
    return actor_of(user)


#: The authenticated person as the author of a write.
UserActor = Annotated[Actor, Depends(_actor)]


def require(allowed: bool, action: str, obj: str) -> None:
    """Raise `PermissionDenied` (403) naming the action and the object unless `allowed`."""
    if not allowed:
        raise PermissionDenied(action, obj)


def project_access(db: Connection, principal: Principal, project_id: str) -> Access:
    """The person's access to the project; 404 when it does not exist or they are not a
    member (and not a site administrator)."""
    if db.execute(select(projects.c.id).where(projects.c.id == project_id)).first() is None:
        raise NotFoundError("project", project_id)
    role = role_in(principal, membership(db, project_id, principal.user_id))
    if role is None:
        raise NotFoundError("project", project_id)
    return Access(principal=principal, project_id=project_id, role=role)


@dataclass(frozen=True)
class SampleAccess:
    """The person's access to one sample's project and their assignment to it."""

    access: Access
    sample_id: str
    assignment: Assignment | None
    gold: bool


#: The sample ``:sample_id``'s project and gold flag with the role and assignment of user
#: ``:user_id`` there (``NULL`` when none) and whether they hold a slot of its blind pass,
#: in one query.
_SAMPLE_ACCESS = Prepared(
    select(
        samples.c.project_id,
        samples.c.gold,
        memberships.c.role,
        assignments.c.blind,
        hides_candidates(samples.c.id, bindparam("user_id")).label("candidates_hidden"),
    )
    .select_from(
        samples.outerjoin(
            memberships,
            (memberships.c.project_id == samples.c.project_id)
            & (memberships.c.user_id == bindparam("user_id")),
        ).outerjoin(
            assignments,
            (assignments.c.sample_id == samples.c.id)
            & (assignments.c.user_id == bindparam("user_id")),
        )
    )
    .where(samples.c.id == bindparam("sample_id"))
)


def sample_access(db: Connection, principal: Principal, sample_id: str) -> SampleAccess:
    """The person's access to the sample; 404 when it does not exist or they may not read
    it (an annotator it is not assigned to)."""
    user = principal.user_id
    row = _SAMPLE_ACCESS.first(db, {"user_id": user, "sample_id": sample_id})
    if row is None:
        raise NotFoundError("sample", sample_id)
    role = role_in(principal, None if row.role is None else Role(row.role))
    access = Access(principal=principal, project_id=row.project_id, role=role)
    assignment = None
    if row.blind is not None:
        hidden = bool(row.candidates_hidden)
        assignment = Assignment(sample_id, user, bool(row.blind), candidates_hidden=hidden)
    if not can_read_sample(access, assignment):
        raise NotFoundError("sample", sample_id)
    return SampleAccess(access, sample_id, assignment, bool(row.gold))


def stream_access(db: Connection, principal: Principal, stream_id: str) -> SampleAccess:
    """The person's access to the sample holding the stream; 404 as for the sample, or
    when the stream does not exist or is one they may not see (another evaluator's
    rationale: answered exactly as a stream that does not exist)."""
    sample_id = db.execute(
        select(streams.c.sample_id).where(streams.c.id == stream_id)
    ).scalar_one_or_none()
    if sample_id is None:
        raise NotFoundError("stream", stream_id)
    found = sample_access(db, principal, sample_id)
    if stream_id in hidden_streams(db, sample_id, found.access):
        raise NotFoundError("stream", stream_id)
    return found


#: Who may call a route, as its OpenAPI extension ``x-rosetta-policy`` says:
#: ``public`` (no credentials), ``user`` (anyone logged in), ``site-admin``, or the least
#: project role (``annotator``: on samples assigned to them, ``reviewer``, ``manager``,
#: ``admin``). The authorization-matrix test calls every route as every role by it.
POLICIES = ("public", "user", "site-admin", "annotator", "reviewer", "manager", "admin")


def policy(rule: str) -> dict[str, str]:
    """The ``openapi_extra`` of a route that `rule` (one of `POLICIES`) guards."""
    if rule not in POLICIES:
        raise ValueError(f"unknown policy {rule!r}; expected one of {', '.join(POLICIES)}")
    return {"x-rosetta-policy": rule}
