"""Projects, their ontologies, members and assignments."""

from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter

from rosetta.core.ontology import Ontology
from rosetta.core.policies import Role
from rosetta.sdk.models import Assignment, Member, MigrationReport, OntologyVersion, ProjectInfo
from rosetta.sdk.pages import Page, Pages
from rosetta.sdk.transport import MethodGroup, if_match, segment

_PROJECT = TypeAdapter(ProjectInfo)
_PROJECTS = TypeAdapter(list[ProjectInfo])
_ONTOLOGY = TypeAdapter(Ontology)
_VERSIONS = TypeAdapter(list[OntologyVersion])
_REPORT = TypeAdapter(MigrationReport)
_MEMBER = TypeAdapter(Member)
_MEMBERS = TypeAdapter(list[Member])
_ASSIGNMENT = TypeAdapter(Assignment)
_ASSIGNMENTS = TypeAdapter(list[Assignment])


def _project_path(project: str) -> str:
    return f"/api/projects/{segment(project)}"


class ProjectMethods(MethodGroup):
    """Projects (named by name or id), ontologies, members and assignments."""

    def projects(self) -> list[ProjectInfo]:
        """The projects the caller is a member of, with their role (every project, for a
        site administrator), oldest first."""
        return self._http.parse(_PROJECTS, "GET", "/api/projects")

    def project(self, project: str) -> ProjectInfo:
        """The project with this name or id, and the caller's role in it."""
        return self._http.parse(_PROJECT, "GET", _project_path(project))

    def create_project(self, name: str, ontology: Ontology | Mapping[str, Any]) -> ProjectInfo:
        """Create a project with its first ontology (site administrators only)."""
        body = {
            "name": name,
            "ontology": (
                ontology.model_dump(mode="json", exclude_none=True)
                if isinstance(ontology, Ontology)
                else dict(ontology)
            ),
        }
        return self._http.parse(_PROJECT, "POST", "/api/projects", json=body)

    def ontology(self, project: str, version: int | None = None) -> Ontology:
        """The project's current ontology, or its version `version`."""
        path = f"{_project_path(project)}/ontology"
        return self._http.parse(_ONTOLOGY, "GET", path, params={"version": version})

    def ontology_versions(self, project: str) -> list[OntologyVersion]:
        """Every version of the project's ontology with the migration that made it, oldest
        first."""
        return self._http.parse(_VERSIONS, "GET", f"{_project_path(project)}/ontology/versions")

    def migrate_ontology(
        self, project: str, migration: Mapping[str, Any], *, expected_version: int
    ) -> MigrationReport:
        """Take the project's ontology to its next version by `migration` (a description
        and its operations, as in a migration YAML file), written against
        `expected_version` (a `ConflictError` when the ontology changed since)."""
        return self._http.parse(
            _REPORT,
            "POST",
            f"{_project_path(project)}/ontology/migrations",
            json=dict(migration),
            headers=if_match(expected_version),
        )

    def members(self, project: str) -> list[Member]:
        """The project's members and their roles, in the order they joined."""
        return self._http.parse(_MEMBERS, "GET", f"{_project_path(project)}/members")

    def set_member(self, project: str, user: str, role: Role | str) -> Member:
        """Give `user` (a name or id) `role` in the project, adding them if needed."""
        path = f"{_project_path(project)}/members/{segment(user)}"
        return self._http.parse(_MEMBER, "PUT", path, json={"role": Role(role).value})

    def remove_member(self, project: str, user: str) -> None:
        """Remove `user` (a name or id) from the project."""
        self._http.request("DELETE", f"{_project_path(project)}/members/{segment(user)}")

    def assignments(
        self, project: str, *, user: str | None = None, page_size: int = 100
    ) -> Pages[Assignment]:
        """Every assignment of the project (or of `user`, a name or id), in the order they
        were made, read a page at a time."""
        path = f"{_project_path(project)}/assignments"

        def fetch(cursor: str | None) -> Page[Assignment]:
            params = {"user": user, "limit": page_size, "cursor": cursor}
            body = self._http.request("GET", path, params=params).json()
            return _ASSIGNMENTS.validate_python(body["items"]), body["next_cursor"]

        return Pages(f"assignments of project {project!r}", fetch)

    def assign(self, sample_id: str, user: str, *, blind: bool = False) -> Assignment:
        """Assign the sample to `user` (a name or id, a member of its project); `blind`
        hides everyone else's work on it from them."""
        path = f"/api/samples/{segment(sample_id)}/assignments/{segment(user)}"
        return self._http.parse(_ASSIGNMENT, "PUT", path, json={"blind": blind})

    def unassign(self, sample_id: str, user: str) -> None:
        """Take the sample back from `user` (a name or id)."""
        self._http.request(
            "DELETE", f"/api/samples/{segment(sample_id)}/assignments/{segment(user)}"
        )
