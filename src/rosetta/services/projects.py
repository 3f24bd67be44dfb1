"""Projects, who may see them, and their ontology versions."""

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
import yaml
from sqlalchemy import Connection, Engine, bindparam, insert, select

from rosetta.core.errors import AlreadyExists, NotFoundError, OntologyError, RosettaError
from rosetta.core.ontology import Ontology, parse_ontology
from rosetta.core.policies import Principal, Role
from rosetta.core.schema import Project
from rosetta.store import events
from rosetta.store.direct import Prepared
from rosetta.store.engine import write_transaction
from rosetta.store.events import Actor, dumps
from rosetta.store.tables import memberships, ontology_versions, projects


def read_structured(path: Path) -> Any:
    """Parse a YAML or JSON file, naming the file and line when it is not well-formed."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RosettaError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise OntologyError(f"{where}: not valid YAML/JSON: {exc}") from exc


def load_ontology_file(path: Path) -> Ontology:
    """The ontology defined in a YAML or JSON file."""
    return parse_ontology(read_structured(path), source=str(path))


def create_project(engine: Engine, name: str, ontology: Ontology, actor: Actor) -> Project:
    """Create a project whose first ontology version is `ontology` (renumbered to 1)."""
    first = ontology.model_copy(update={"version": 1})
    project = Project(id=uuid.uuid4().hex, name=name, ontology_version=1)
    with write_transaction(engine) as connection:
        if connection.execute(select(projects.c.id).where(projects.c.name == name)).first():
            raise AlreadyExists("project", name)
        now = datetime.now(UTC)
        connection.execute(
            insert(projects).values(id=project.id, name=name, ontology_version=1, created_at=now)
        )
        connection.execute(
            insert(ontology_versions).values(
                project_id=project.id,
                version=1,
                body=dumps(first.model_dump(mode="json", exclude_none=True)),
                actor=actor.name,
                created_at=now,
            )
        )
        events.record(
            connection,
            [
                events.event_row(
                    project.id,
                    actor,
                    "ontology",
                    project.id,
                    "create",
                    revision=1,
                    after=first.model_dump(mode="json", exclude_none=True),
                    at=time.time(),
                )
            ],
        )
    return project


def _project_from_row(row: Any) -> Project:
    return Project(id=row.id, name=row.name, ontology_version=row.ontology_version)


def list_projects(connection: Connection) -> list[Project]:
    """All projects, oldest first."""
    rows = connection.execute(select(projects).order_by(projects.c.pk))
    return [_project_from_row(row) for row in rows]


def find_project(connection: Connection, name_or_id: str | None = None) -> Project:
    """The project with this name or id; with ``None``, the only project of the store."""
    if name_or_id is None:
        rows = connection.execute(select(projects).limit(2)).all()
        if len(rows) != 1:
            raise NotFoundError(
                "project",
                f"(none given; the store has {'no' if not rows else 'several'} projects, name one)",
            )
        return _project_from_row(rows[0])
    row = connection.execute(
        select(projects).where((projects.c.name == name_or_id) | (projects.c.id == name_or_id))
    ).first()
    if row is None:
        raise NotFoundError("project", name_or_id)
    return _project_from_row(row)


_CURRENT_VERSION = Prepared(
    select(projects.c.ontology_version).where(projects.c.id == bindparam("project_id"))
)
_ONTOLOGY_BODY = Prepared(
    select(ontology_versions.c.body).where(
        (ontology_versions.c.project_id == bindparam("project_id"))
        & (ontology_versions.c.version == bindparam("version"))
    )
)


def load_ontology(connection: Connection, project_id: str, version: int | None = None) -> Ontology:
    """Ontology version `version` of the project (its current one by default)."""
    if version is None:
        current = _CURRENT_VERSION.first(connection, {"project_id": project_id})
        if current is None:
            raise NotFoundError("project", project_id)
        version = current.ontology_version
    found = _ONTOLOGY_BODY.first(connection, {"project_id": project_id, "version": version})
    if found is None:
        raise NotFoundError("ontology version", str(version))
    return _parsed_ontology(found.body)


@lru_cache(maxsize=256)
def _parsed_ontology(body: str) -> Ontology:
    """The ontology stored as `body`. A stored version never changes and an `Ontology` is
    frozen, so each body is parsed once a process: whole-sample writes load the ontology
    every time."""
    return Ontology.model_validate(orjson.loads(body))


@dataclass(frozen=True)
class ProjectRole:
    """A project and the role a person holds in it."""

    project: Project
    role: Role


def projects_of(connection: Connection, principal: Principal) -> list[ProjectRole]:
    """The projects `principal` is a member of with their role there (every project, as
    admin, for a site administrator), oldest first."""
    if principal.is_admin:
        return [ProjectRole(project, Role.ADMIN) for project in list_projects(connection)]
    rows = connection.execute(
        select(projects, memberships.c.role)
        .join(memberships, memberships.c.project_id == projects.c.id)
        .where(memberships.c.user_id == principal.user_id)
        .order_by(projects.c.pk)
    )
    return [ProjectRole(_project_from_row(row), Role(row.role)) for row in rows]


@dataclass(frozen=True)
class OntologyVersion:
    """One stored ontology version: who made it when, and by which migration (``None``
    for the first) with what effect."""

    version: int
    actor: str
    created_at: datetime
    migration: dict[str, Any] | None
    report: dict[str, Any] | None


def ontology_versions_of(connection: Connection, project_id: str) -> list[OntologyVersion]:
    """Every ontology version of the project, oldest first."""
    rows = connection.execute(
        select(ontology_versions)
        .where(ontology_versions.c.project_id == project_id)
        .order_by(ontology_versions.c.version)
    )
    return [
        OntologyVersion(
            version=row.version,
            actor=row.actor,
            created_at=row.created_at,
            migration=None if row.migration is None else orjson.loads(row.migration),
            report=None if row.report is None else orjson.loads(row.report),
        )
        for row in rows
    ]
