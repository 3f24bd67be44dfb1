"""The JSON API: projects, ontologies, samples, the review queue and history."""

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from rosetta import __version__
from rosetta.api.deps import Db
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Annotation, Link, Project, Sample
from rosetta.formats.native import dumps_sample
from rosetta.services.catalog import SamplePage, list_samples, object_history
from rosetta.services.projects import find_project, list_projects, load_ontology
from rosetta.services.review import review_queue
from rosetta.store.events import Event
from rosetta.store.records import load_sample

router = APIRouter()

Offset = Annotated[int, Query(ge=0, description="How many samples to skip.")]
Limit = Annotated[int, Query(ge=1, le=500, description="At most this many samples.")]


class Health(BaseModel):
    """The server answers and reaches its store."""

    status: str
    version: str


class StaleLink(BaseModel):
    """A stale link and the sample it belongs to."""

    sample: str
    link: Link


class FlaggedAnnotation(BaseModel):
    """A flagged annotation and the sample it belongs to."""

    sample: str
    annotation: Annotation


class Review(BaseModel):
    """One page of the review queue; pass ``next_cursor`` as ``cursor`` for the next."""

    stale_links: list[StaleLink]
    flagged: list[FlaggedAnnotation]
    next_cursor: str | None


@router.get("/healthz")
def healthz(db: Db) -> Health:
    """Liveness and store reachability."""
    list_projects(db)
    return Health(status="ok", version=__version__)


@router.get("/api/projects")
def projects(db: Db) -> list[Project]:
    """All projects, oldest first."""
    return list_projects(db)


@router.get("/api/projects/{project}/ontology", response_model_exclude_none=True)
def ontology(db: Db, project: str, version: Annotated[int | None, Query(ge=1)] = None) -> Ontology:
    """The project's current ontology, or version ``version``."""
    return load_ontology(db, find_project(db, project).id, version)


@router.get("/api/projects/{project}/samples")
def samples(db: Db, project: str, offset: Offset = 0, limit: Limit = 50) -> SamplePage:
    """A page of the project's samples in insertion order, with counts."""
    return list_samples(db, find_project(db, project).id, offset=offset, limit=limit)


@router.get("/api/samples/{sample_id}", response_model=Sample)
def sample(db: Db, sample_id: str) -> Response:
    """The sample's native record (one line of the JSONL format)."""
    return Response(dumps_sample(load_sample(db, sample_id)), media_type="application/json")


@router.get("/api/projects/{project}/review")
def review(
    db: Db,
    project: str,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: str | None = None,
) -> Review:
    """Stale links and flagged annotations waiting for a person."""
    queue = review_queue(db, find_project(db, project).id, limit=limit, cursor=cursor)
    return Review(
        stale_links=[StaleLink(sample=queue.sample_of[x.id], link=x) for x in queue.stale_links],
        flagged=[
            FlaggedAnnotation(sample=queue.sample_of[x.id], annotation=x) for x in queue.flagged
        ],
        next_cursor=queue.next_cursor,
    )


@router.get("/api/objects/{object_id}/history")
def history(db: Db, object_id: str) -> list[Event]:
    """Every event about an annotation, link, entity, sample or ontology, oldest first."""
    return object_history(db, object_id)
