"""Liveness. The JSON API lives in one module per concept: ``project_routes`` (projects,
ontologies), ``sample_routes`` (samples, streams), ``review_routes`` (review queue,
history), ``member_routes`` (members, assignments) and the others `api.app` includes."""

from fastapi import APIRouter
from pydantic import BaseModel

from rosetta import __version__
from rosetta.api.auth import policy
from rosetta.api.deps import Db
from rosetta.services.projects import list_projects

router = APIRouter()


class Health(BaseModel):
    """The server answers and reaches its store."""

    status: str
    version: str


@router.get("/healthz", openapi_extra=policy("public"))
def healthz(db: Db) -> Health:
    """Liveness and store reachability."""
    list_projects(db)
    return Health(status="ok", version=__version__)
