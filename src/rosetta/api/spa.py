"""The web workspace: the single-page app Vite builds from ``web/`` into
``rosetta/web_dist/`` (``make web``), served under ``/app``.

A path under ``/app`` that names a built file answers that file; hashed build output under
``/app/assets/`` is cached for a year as immutable, anything else must be revalidated. A
missing asset answers 404; every other path answers ``index.html``, whose script routes on
the client (``/app/login``, ``/app/p/{project}``, ``/app/p/{project}/review``,
``/app/s/{sample}``). A path that would
leave the build folder (``..``, backslashes, NUL, a symlink pointing out) never reads
outside it: it is not a built file, so it gets ``index.html`` (or 404 under ``assets/``).
Without a build every path answers 503 with a page saying to run ``make web``.

The app's pages are public (the login page is one); the data they show comes from the API,
which checks who asks.
"""

from pathlib import Path
from typing import Final

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

from rosetta.api.auth import policy
from rosetta.core.errors import NotFoundError

#: Where the build of ``web/`` lands (vite.config.ts ``build.outDir``).
WEB_DIST: Final = Path(__file__).resolve().parents[1] / "web_dist"
#: The folder of Vite's content-hashed output, under the build folder.
ASSETS: Final = "assets"

IMMUTABLE: Final = "public, max-age=31536000, immutable"
REVALIDATE: Final = "no-cache"
#: Scripts only from this origin; media and images also from ``blob:`` and ``data:`` URLs
#: (canvases, waveforms); no plugins, no framing by other sites, forms only to this site.
#: Styles allow 'unsafe-inline': wavesurfer.js puts ``<style>`` elements in its shadow DOM.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
#: Content types of what Vite emits, independent of the machine's ``mime.types``.
CONTENT_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".ico": "image/x-icon",
    ".webp": "image/webp",
    ".woff2": "font/woff2",
    ".wasm": "application/wasm",
    ".txt": "text/plain; charset=utf-8",
}
NOT_BUILT: Final = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Rosetta · workspace not built</title></head>
<body style="font: 15px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 4rem auto">
<h1>The web workspace is not built</h1>
<p>This installation of Rosetta has no build of the workspace. From a checkout of
Rosetta, run <code>make web</code> (or <code>cd web &amp;&amp; npm ci &amp;&amp; npm run
build</code>) and reload this page.</p>
<p>The JSON API (<a href="/docs">/docs</a>) works without it.</p>
</body></html>
"""


def built_file(dist: Path, path: str) -> Path | None:
    """The regular file at `path` (a URL path relative to `dist`) inside `dist`, or None
    when there is none or the path would lead outside `dist`."""
    parts = path.split("/")
    if any(part in {"", ".", ".."} or "\\" in part or "\0" in part for part in parts):
        return None
    try:
        root = dist.resolve()
        candidate = root.joinpath(*parts).resolve()
        if not candidate.is_relative_to(root) or not candidate.is_file():
            return None
    except (OSError, ValueError):
        return None
    return candidate


def _file(found: Path, cache: str) -> FileResponse:
    content_type = CONTENT_TYPES.get(found.suffix.lower(), "application/octet-stream")
    return FileResponse(
        found,
        media_type=content_type,
        headers={"cache-control": cache, "x-content-type-options": "nosniff"},
    )


def web_router(dist: Path) -> APIRouter:
    """The routes serving the build in `dist` under ``/app``."""
    router = APIRouter()

    def index() -> Response:
        found = built_file(dist, "index.html")
        if found is None:
            return HTMLResponse(NOT_BUILT, status_code=503)
        response = _file(found, REVALIDATE)
        response.headers["content-security-policy"] = CONTENT_SECURITY_POLICY
        response.headers["referrer-policy"] = "same-origin"
        return response

    @router.get(
        "/app",
        response_class=HTMLResponse,
        responses={503: {"description": "The workspace is not built (`make web`)."}},
        openapi_extra=policy("public"),
    )
    def app_shell() -> Response:
        """The web workspace (its ``index.html``)."""
        return index()

    @router.get(
        "/app/{path:path}",
        response_class=HTMLResponse,
        responses={
            200: {"description": "The built file at `path`, else the workspace's index.html."},
            404: {"description": "No such file under assets/."},
            503: {"description": "The workspace is not built (`make web`)."},
        },
        openapi_extra=policy("public"),
    )
    def app_file(path: str) -> Response:
        """A file of the web workspace's build, or its ``index.html`` for the workspace's
        own routes (``/app/login``, ``/app/p/{project}``, ``/app/s/{sample}``, ...)."""
        if path == ASSETS or path.startswith(f"{ASSETS}/"):
            found = built_file(dist, path)
            if found is None:
                if built_file(dist, "index.html") is None:
                    return index()
                raise NotFoundError("web asset", path)
            return _file(found, IMMUTABLE)
        found = built_file(dist, path) if path != "index.html" else None
        return index() if found is None else _file(found, REVALIDATE)

    return router


#: The routes serving the package's own build.
router = web_router(WEB_DIST)
