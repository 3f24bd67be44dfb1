"""The server-rendered workspace page: the caller's projects, the samples they may read and
one sample drawn in full with only the work they may see; and the login page.

Without a valid session the page sends the browser to ``/login``, whose form logs in
through ``POST /api/auth/login``.
"""

from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from rosetta import __version__
from rosetta.api.auth import current_principal, policy, sample_access
from rosetta.api.deps import Db
from rosetta.api.lookup import project_scope
from rosetta.api.views import colour, sample_view
from rosetta.core.errors import NotAuthenticated, NotFoundError
from rosetta.core.policies import can_review
from rosetta.services.catalog import browse_samples, sample_as_seen
from rosetta.services.projects import projects_of
from rosetta.services.review import review_queue

router = APIRouter()

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.globals["colour"] = colour
PAGE_SIZE = 20
REVIEW_SIZE = 20


@router.get("/login", response_class=HTMLResponse, openapi_extra=policy("public"))
def login_page(next: str = "/") -> HTMLResponse:
    """The login form; after logging in the browser goes to `next` (a path on this site)."""
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    html = TEMPLATES.get_template("login.html").render(version=__version__, next=target)
    return HTMLResponse(html)


@router.get("/", response_class=HTMLResponse, openapi_extra=policy("public"))
def page(
    request: Request,
    db: Db,
    project: str | None = None,
    sample: str | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The caller's project (default: their first), a page of the samples they may read,
    and the chosen sample (default: the page's first) as they may see it."""
    try:
        user = current_principal(request, db)
    except NotAuthenticated:
        return RedirectResponse(f"/login?next={quote(str(request.url.path))}", status_code=303)
    mine = projects_of(db, user)
    context: dict[str, object] = {"version": __version__, "projects": mine, "user": user}
    if mine:
        if sample is not None and project is None:
            project = sample_access(db, user, sample).access.project_id
        scope = project_scope(db, user, project or mine[0].project.id)
        listing = browse_samples(db, scope.access, limit=PAGE_SIZE, cursor=cursor)
        chosen = sample or (listing.items[0].id if listing.items else None)
        view = None
        if chosen is not None:
            found = sample_access(db, user, chosen)
            if found.access.project_id != scope.project.id:
                raise NotFoundError(f"sample of project {scope.project.name!r}", chosen)
            seen = sample_as_seen(db, chosen, found.access, found.assignment, gold=found.gold)
            view = sample_view(seen.sample)
        context |= {
            "project": scope.project,
            "role": scope.role.value,
            "listing": listing,
            "cursor": cursor,
            "view": view,
            "review": review_queue(db, scope.project.id, limit=REVIEW_SIZE)
            if can_review(scope.access)
            else None,
        }
    return HTMLResponse(TEMPLATES.get_template("page.html").render(context))
