"""The store opens, migrates and keeps a project with its ontology on every backend."""

from sqlalchemy import Engine

from rosetta.core.ontology import Ontology
from rosetta.core.schema import Project
from rosetta.services.projects import find_project, load_ontology


def test_project_keeps_its_first_ontology(
    engine: Engine, project: Project, demo_ontology: Ontology
) -> None:
    with engine.connect() as connection:
        found = find_project(connection, "test-project")
        ontology = load_ontology(connection, found.id)
    assert found == project
    assert ontology == demo_ontology.model_copy(update={"version": 1})
    assert ontology.is_a("car", "vehicle")
