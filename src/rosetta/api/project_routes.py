"""Projects and their ontologies: the caller's projects, creating one, the ontology's
versions, and migrating it to the next version.

The ontology is read with ``ETag: "<version>"``; a migration sends that version back in
``If-Match`` and gets a 409 when the ontology changed in between.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel, Field

from rosetta.api.auth import CurrentUser, UserActor, policy, require
from rosetta.api.deps import Db, Store
from rosetta.api.lookup import project_scope
from rosetta.api.preconditions import IfMatch, etag, expected_revision
from rosetta.core.ontology import Ontology, parse_ontology
from rosetta.core.ontology_migration import parse_migration
from rosetta.core.policies import Role, can_administer, can_manage, can_read_project
from rosetta.core.schema import Project
from rosetta.services import projects
from rosetta.services.ontology_migrations import MigrationReport, migrate_ontology

router = APIRouter()


class ProjectOut(BaseModel):
    """A project and the caller's role in it."""

    id: str
    name: str
    ontology_version: int
    role: Role

    @classmethod
    def of(cls, project: Project, role: Role) -> "ProjectOut":
        """The view of `project` for someone holding `role` there."""
        return cls(**project.model_dump(), role=role)


class NewProject(BaseModel):
    """A project's name and its first ontology."""

    name: str = Field(min_length=1, max_length=200)
    ontology: dict[str, Any] = Field(
        description="The first ontology version, as in an ontology YAML/JSON file."
    )


@router.get("/api/projects", openapi_extra=policy("user"))
def list_projects(db: Db, caller: CurrentUser) -> list[ProjectOut]:
    """The projects the caller is a member of, with their role (every project, for site
    administrators), oldest first."""
    return [ProjectOut.of(item.project, item.role) for item in projects.projects_of(db, caller)]


@router.post("/api/projects", status_code=201, openapi_extra=policy("site-admin"))
def create_project(
    store: Store, caller: CurrentUser, actor: UserActor, body: NewProject
) -> ProjectOut:
    """Create a project from its name and first ontology."""
    require(can_administer(caller), "create", "projects")
    ontology = parse_ontology(body.ontology, source="ontology")
    return ProjectOut.of(projects.create_project(store, body.name, ontology, actor), Role.ADMIN)


@router.get("/api/projects/{project}", openapi_extra=policy("annotator"))
def get_project(db: Db, caller: CurrentUser, project: str) -> ProjectOut:
    """The project (by name or id) and the caller's role in it."""
    scope = project_scope(db, caller, project)
    require(can_read_project(scope.access), "read", f"project {project!r}")
    return ProjectOut.of(scope.project, scope.role)


@router.get(
    "/api/projects/{project}/ontology",
    response_model=Ontology,
    response_model_exclude_none=True,
    openapi_extra=policy("annotator"),
)
def get_ontology(
    db: Db,
    caller: CurrentUser,
    response: Response,
    project: str,
    version: Annotated[int | None, Query(ge=1, description="Default: the current one.")] = None,
) -> Ontology:
    """The project's current ontology, or version `version`, with ``ETag: "<version>"``."""
    scope = project_scope(db, caller, project)
    require(can_read_project(scope.access), "read the ontology of", f"project {project!r}")
    ontology = projects.load_ontology(db, scope.project.id, version)
    response.headers["ETag"] = etag(ontology.version)
    return ontology


@router.get("/api/projects/{project}/ontology/versions", openapi_extra=policy("annotator"))
def list_ontology_versions(
    db: Db, caller: CurrentUser, project: str
) -> list[projects.OntologyVersion]:
    """Every version of the project's ontology with the migration that made it, oldest
    first."""
    scope = project_scope(db, caller, project)
    require(can_read_project(scope.access), "read the ontology of", f"project {project!r}")
    return projects.ontology_versions_of(db, scope.project.id)


@router.post("/api/projects/{project}/ontology/migrations", openapi_extra=policy("manager"))
def migrate_project_ontology(
    *,
    db: Db,
    store: Store,
    caller: CurrentUser,
    actor: UserActor,
    response: Response,
    project: str,
    if_match: IfMatch,
    migration: Annotated[
        dict[str, Any],
        Body(description="A migration: a description and its operations, as in a YAML file."),
    ],
) -> MigrationReport:
    """Take the ontology to its next version by the migration; ``If-Match`` names the
    version it was written against (409 when the ontology has changed since). The answer
    is what the migration did, with the new version's ``ETag``."""
    scope = project_scope(db, caller, project)
    require(can_manage(scope.access), "migrate the ontology of", f"project {project!r}")
    expected = expected_revision(if_match, f"project {project!r} ontology")
    report = migrate_ontology(
        store, scope.project.id, parse_migration(migration), actor, expected_version=expected
    )
    response.headers["ETag"] = etag(report.to_version)
    return report
