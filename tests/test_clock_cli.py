"""``rosetta clock`` driven with CliRunner against an SQLite store (the service tests cover
PostgreSQL)."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from clock_scenes import linked_scene, recording_session
from conftest import TESTER
from rosetta.cli.main import app
from rosetta.core.ontology import Ontology
from rosetta.services.projects import create_project
from rosetta.store.engine import make_engine, upgrade
from rosetta.store.events import history


@pytest.fixture
def url(tmp_path: Path, demo_ontology: Ontology) -> str:
    """An SQLite store with the linked scene s1 and the recordings of sample rec."""
    location = f"sqlite:///{tmp_path / 'clocks.db'}"
    engine = make_engine(location)
    upgrade(engine)
    project = create_project(engine, "clocks", demo_ontology, TESTER)
    linked_scene(engine, project.id)
    recording_session(engine, project.id, tmp_path)
    engine.dispose()
    return location


def rosetta(url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app, ["--db", url, *args], env={"COLUMNS": "200", "ROSETTA_USER": "ana"}
    )
    return result.exit_code, result.stdout, result.stderr


def test_align_then_show(url: str) -> None:
    code, out, err = rosetta(url, "clock", "show", "mic")
    assert (code, err) == (0, "")
    assert "Stream mic has no clock" in out

    code, out, err = rosetta(url, "clock", "align", "rec", "cam", "mic", "--max-lag", "5")
    assert (code, err) == (0, "")
    assert "Aligned mic to cam: its sounds come 1.23" in out
    assert "s later than in the reference (offset +1.23" in out

    code, out, _ = rosetta(url, "clock", "show", "mic")
    assert code == 0
    assert "rate 44100 per second; offset 0 s" in out
    assert "audio" in out
    assert "against stream 'cam'" in out
    engine = make_engine(url)
    with engine.connect() as connection:
        [change] = history(connection, "mic")
    engine.dispose()
    assert (change.actor, change.tool) == ("ana", "rosetta-cli")


def test_errors_are_one_line_and_exit_1(url: str) -> None:
    code, out, err = rosetta(url, "clock", "align", "rec", "cam", "other")
    assert (code, out) == (1, "")
    assert err.startswith("error: ")
    assert "no confident offset" in err

    code, _, err = rosetta(url, "clock", "show", "nope")
    assert code == 1
    assert "no stream with id 'nope'" in err

    code, _, _ = rosetta(url, "clock", "align", "rec", "cam", "mic", "--min-confidence", "2")
    assert code == 2
