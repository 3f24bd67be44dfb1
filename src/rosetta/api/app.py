"""The HTTP application: the JSON API, media with range requests, and the workspace page."""

from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import Engine

from rosetta import __version__
from rosetta.api import media, page, routes
from rosetta.api.errors import install_error_handlers


def _operation_id(route: APIRoute) -> str:
    return route.name


def create_app(engine: Engine) -> FastAPI:
    """The app serving the store behind `engine` (one connection per request).

    Operation ids in the OpenAPI document are the handler names, so generated clients
    keep stable method names.
    """
    app = FastAPI(
        title="Rosetta",
        version=__version__,
        summary="Multimodal annotation with cross-modal links as first-class annotations.",
        generate_unique_id_function=_operation_id,
    )
    app.state.engine = engine
    install_error_handlers(app)
    app.include_router(routes.router)
    app.include_router(media.router)
    app.include_router(page.router)
    return app
