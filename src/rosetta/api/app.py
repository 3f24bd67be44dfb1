"""The HTTP application: the JSON API, media with range requests, and the workspace page."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import Engine

from rosetta import __version__
from rosetta.api import (
    clock_routes,
    media,
    media_routes,
    page,
    projection_routes,
    routes,
    timeline_routes,
    track_routes,
)
from rosetta.api.errors import install_error_handlers
from rosetta.services.settings import Settings


def _operation_id(route: APIRoute) -> str:
    return route.name


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    media_routes.shutdown_jobs(app)


def create_app(engine: Engine, settings: Settings | None = None) -> FastAPI:
    """The app serving the store behind `engine` (one connection per request), configured
    by `settings` (default: from the ``ROSETTA_*`` environment).

    Operation ids in the OpenAPI document are the handler names, so generated clients
    keep stable method names.
    """
    app = FastAPI(
        title="Rosetta",
        version=__version__,
        summary="Multimodal annotation with cross-modal links as first-class annotations.",
        generate_unique_id_function=_operation_id,
        lifespan=_lifespan,
    )
    app.state.engine = engine
    app.state.settings = settings or Settings()
    install_error_handlers(app)
    app.include_router(routes.router)
    app.include_router(timeline_routes.router)
    app.include_router(clock_routes.router)
    app.include_router(media_routes.router)
    app.include_router(track_routes.router)
    app.include_router(projection_routes.router)
    app.include_router(media.router)
    app.include_router(page.router)
    return app
