"""Security headers on every response: the JSON API, media, the workspace and its files.

=================================  ==========================================================
header                             why
=================================  ==========================================================
``X-Content-Type-Options``         ``nosniff``: a file is only ever what its type says
``Referrer-Policy``                ``same-origin``: addresses (sample ids) never leave the site
``X-Frame-Options``                ``DENY``: no other site frames a page (clickjacking)
``Cross-Origin-Opener-Policy``     ``same-origin``: no other site's window holds ours
``Content-Security-Policy``        where a response sets none: ``default-src 'none';
                                   frame-ancestors 'none'`` (a JSON answer or a redirect
                                   opened as a page runs and loads nothing); the workspace
                                   (`rosetta.api.spa`), media and HTML reports set their own,
                                   and the API's documentation pages (`DOCS`) none, as they
                                   load Swagger UI and ReDoc from a CDN
``Strict-Transport-Security``      when ``ROSETTA_PUBLIC_URL`` is ``https``: browsers keep
                                   to HTTPS for a year
=================================  ==========================================================

A header a response sets itself is kept.
"""

from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Headers every response carries.
ALWAYS: Final = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}
#: The policy of a response that sets none.
DEFAULT_POLICY: Final = "default-src 'none'; frame-ancestors 'none'"
#: FastAPI's documentation pages, which load their scripts from a CDN.
DOCS: Final = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
HSTS: Final = "max-age=31536000"


class SecurityHeaders:
    """ASGI middleware adding `ALWAYS`, a default policy, and with `https` HSTS."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.headers = {**ALWAYS, **({"strict-transport-security": HSTS} if https else {})}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = None if scope["path"] in DOCS else DEFAULT_POLICY

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
                if policy is not None:
                    headers.setdefault("content-security-policy", policy)
            await send(message)

        await self.app(scope, receive, with_headers)
