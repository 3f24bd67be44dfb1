"""The site's root and its old addresses, sent on to the web workspace under ``/app``
(`rosetta.api.spa`): ``/`` to the projects, ``/?project=P`` to a project's samples,
``/?sample=S`` to a sample's workspace, and ``/login?next=`` to the workspace's login,
keeping `next` only when it is a path of the workspace.
"""

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse

from rosetta.api.auth import policy

router = APIRouter()

#: Where the workspace lives.
APP = "/app"

Named = Annotated[str | None, Query(max_length=200)]


def _to(path: str, **query: str | None) -> RedirectResponse:
    given = {key: value for key, value in query.items() if value is not None}
    return RedirectResponse(path + (f"?{urlencode(given)}" if given else ""), status_code=307)


@router.get("/", response_class=RedirectResponse, openapi_extra=policy("public"))
def site_root(project: Named = None, sample: Named = None) -> RedirectResponse:
    """The workspace: the sample named (in its project), else the project named, else the
    caller's projects."""
    if sample:
        return _to(f"{APP}/s/{quote(sample, safe='')}", project=project or None)
    if project:
        return _to(f"{APP}/p/{quote(project, safe='')}")
    return _to(APP)


@router.get("/login", response_class=RedirectResponse, openapi_extra=policy("public"))
def login_page(next: Named = None) -> RedirectResponse:
    """The workspace's login, coming back to `next` when it is a path of the workspace."""
    keep = next is not None and (next == APP or next.startswith((f"{APP}/", f"{APP}?")))
    return _to(f"{APP}/login", next=next if keep else None)
