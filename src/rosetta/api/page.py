"""The server-rendered workspace page: a project's samples and one sample drawn in full."""

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from rosetta import __version__
from rosetta.api.deps import Db
from rosetta.api.views import colour, sample_view
from rosetta.core.errors import NotFoundError
from rosetta.services.catalog import list_samples, sample_project
from rosetta.services.projects import find_project, list_projects
from rosetta.services.review import review_queue
from rosetta.store.records import load_sample

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


@router.get("/", response_class=HTMLResponse)
def page(
    db: Db,
    project: str | None = None,
    sample: str | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:
    """A project's samples (paginated) and the chosen sample, by default the page's first."""
    projects = list_projects(db)
    context: dict[str, object] = {"version": __version__, "projects": projects}
    if projects:
        if sample is not None:
            owner = sample_project(db, sample)
            if project is not None and find_project(db, project).id != owner:
                raise NotFoundError(f"sample of project {project!r}", sample)
            project = owner
        current = find_project(db, project) if project is not None else projects[0]
        listing = list_samples(db, current.id, offset=offset, limit=PAGE_SIZE)
        chosen = sample or (listing.items[0].id if listing.items else None)
        context |= {
            "project": current,
            "listing": listing,
            "view": sample_view(load_sample(db, chosen)) if chosen is not None else None,
            "review": review_queue(db, current.id, limit=REVIEW_SIZE),
            "page_size": PAGE_SIZE,
        }
    html = TEMPLATES.get_template("page.html").render(context)
    return HTMLResponse(html)
