"""The HTTP application: the JSON API, media with range requests, and the workspace page."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import Engine

from rosetta import __version__
from rosetta.api import (
    account_routes,
    annotation_routes,
    clock_routes,
    escalation_routes,
    finding_routes,
    format_routes,
    job_routes,
    judgement_routes,
    link_routes,
    media,
    media_routes,
    member_routes,
    metrics_routes,
    page,
    preference_report_routes,
    project_routes,
    projection_routes,
    proposal_routes,
    quality_routes,
    review_routes,
    routes,
    sample_routes,
    sample_write_routes,
    spa,
    timeline_routes,
    track_routes,
    workflow_routes,
    workforce_routes,
)
from rosetta.api.admission import AdmissionControl, in_flight_limit
from rosetta.api.errors import install_error_handlers
from rosetta.api.limits import BodyLimit
from rosetta.api.security_headers import SecurityHeaders
from rosetta.services.settings import Settings
from rosetta.store.checkpoints import checkpoint_while_serving
from rosetta.store.engine import make_engine

#: What ``uvicorn --factory`` imports in each worker process of ``rosetta serve --workers``.
ENVIRONMENT_FACTORY = "rosetta.api.app:app_from_environment"


def _operation_id(route: APIRoute) -> str:
    return route.name


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    release = checkpoint_while_serving(app.state.engine)
    job_routes.start_worker(app)
    yield
    await anyio.to_thread.run_sync(job_routes.stop_worker, app)
    await anyio.to_thread.run_sync(release)


def create_app(
    engine: Engine, settings: Settings | None = None, *, shared_port: bool = False
) -> FastAPI:
    """The app serving the store behind `engine` (one connection per request), configured
    by `settings` (default: from the ``ROSETTA_*`` environment); `shared_port`: it is one
    of several worker processes on one port, among which a saturated one sends clients on
    (`rosetta.api.admission`).

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
    app.state.settings = settings = settings or Settings()
    install_error_handlers(app)
    # the last added runs first: headers on every answer, a body over its limit refused
    # before it waits for admission
    app.add_middleware(AdmissionControl, limit=in_flight_limit(engine), rebalance=shared_port)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    https = settings.public_url is not None and settings.public_url.startswith("https:")
    app.add_middleware(SecurityHeaders, https=https)
    # routes are matched in this order, router by router: the busiest first
    for module in (
        sample_write_routes,
        sample_routes,
        annotation_routes,
        link_routes,
        judgement_routes,
        account_routes,
        project_routes,
        review_routes,
        member_routes,
        media_routes,
        timeline_routes,
        clock_routes,
        track_routes,
        projection_routes,
        job_routes,
        format_routes,
        workflow_routes,
        workforce_routes,
        escalation_routes,
        finding_routes,
        quality_routes,
        preference_report_routes,
        metrics_routes,
        proposal_routes,
        routes,
        media,
        page,
        spa,
    ):
        app.include_router(module.router)
    return app


def server_app(engine: Engine, settings: Settings, *, shared_port: bool = False) -> FastAPI:
    """`create_app` for a server process, its routes made ready for their first requests,
    whose garbage collector then leaves alone every object made so far (modules, the app, its routes and models: ``gc.freeze``). Without
    that, each full collection walks them all: 50 to 100 ms in the middle of a request,
    every few dozen submissions."""
    app = create_app(engine, settings, shared_port=shared_port)
    _match_every_route(app)
    gc.freeze()
    return app


def _match_every_route(app: FastAPI) -> None:
    """Match a request against every route once, so that FastAPI builds now what it
    builds for each included router when a request first reaches it (its routes' fields
    and validators: 50 to 300 ms, which the first requests of a new process would wait
    for)."""
    scope = {"type": "http", "method": "GET", "path": "/", "root_path": "", "headers": []}
    for route in app.router.routes:
        route.matches(scope)


def app_from_environment() -> FastAPI:
    """The app with its store and settings from the ``ROSETTA_*`` environment (one per
    worker process; the schema must be migrated already)."""
    settings = Settings()
    return server_app(make_engine(settings.database_url), settings, shared_port=True)
