"""Loading the project a route names, with the caller's access to it; what the caller may
not see answers 404 naming it as they gave it."""

from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import Connection

from rosetta.core.errors import NotFoundError
from rosetta.core.policies import Access, Principal, Role, role_in
from rosetta.core.schema import Project
from rosetta.services.accounts import membership
from rosetta.services.catalog import object_projects
from rosetta.services.projects import find_project


@dataclass(frozen=True)
class ProjectScope:
    """A project and the caller's access to it (``role``: their role there)."""

    project: Project
    access: Access
    role: Role


def project_scope(db: Connection, principal: Principal, project: str) -> ProjectScope:
    """The project with this name or id and the person's access to it; 404 when there is
    none or they are not a member (the two look the same)."""
    try:
        found = find_project(db, project)
    except NotFoundError:
        raise NotFoundError("project", project) from None
    role = role_in(principal, membership(db, found.id, principal.user_id))
    if role is None:
        raise NotFoundError("project", project)
    return ProjectScope(project=found, access=Access(principal, found.id, role), role=role)


def object_scope(db: Connection, principal: Principal, object_id: str) -> list[Access]:
    """The person's access to each project `object_id` belongs to (`object_projects`: one,
    except for a user, who may be in several) where they are a member; 404 when the object
    does not exist or they are a member of none of them."""
    found = []
    for project_id in object_projects(db, object_id):
        role = role_in(principal, membership(db, project_id, principal.user_id))
        if role is not None:
            found.append(Access(principal, project_id, role))
    if not found:
        raise NotFoundError("object", object_id)
    return found


#: The headers of an answer carrying a sample, for the OpenAPI document.
SAMPLE_HEADERS = {
    "ETag": {"description": 'The sample\'s revision, "<n>".', "schema": {"type": "string"}},
    "Link": {
        "description": 'The sample\'s project: </api/projects/<id>>; rel="project".',
        "schema": {"type": "string"},
    },
}


def project_link(project_id: str) -> str:
    """The ``Link`` header value naming a sample's project: ``</api/projects/<id>>;
    rel="project"``."""
    return f'</api/projects/{quote(project_id)}>; rel="project"'
