"""``rosetta qa run`` and ``rosetta qa findings`` on a real SQLite store, with the test
checks installed as a package installs them: a run checks every sample as a recorded job
and counts what it found by check and severity; the listing checks what changed first and
filters; an unknown check is an error before any work."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from builders import box, empty_sample
from conftest import TESTER
from qa_checks import PLUGIN_ENTRY_POINTS, installed
from rosetta.cli.main import app
from rosetta.core.geometry import Box
from rosetta.core.ontology import Ontology
from rosetta.services.editing import create_annotation, update_annotation
from rosetta.services.projects import create_project
from rosetta.store.engine import open_store
from rosetta.store.events import Actor
from rosetta.store.tables import jobs


@pytest.fixture
def store(tmp_path: Path, demo_ontology: Ontology) -> Iterator[tuple[str, Engine, str]]:
    """The store's URL and engine and the project "boxes": samples s0, s1, s2 with a box
    each, 0.5, 1.5 and 2.5 px wide."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = open_store(url)
    project = create_project(engine, "boxes", demo_ontology, TESTER)
    for n in range(3):
        empty_sample(engine, project.id, f"s{n}")
        thin = box(f"b{n}", f"s{n}", "person").model_copy(
            update={"geometry": Box(x=1, y=1, w=0.5 + n, h=30)}
        )
        create_annotation(engine, project.id, f"s{n}", thin, Actor("ann"))
    with installed(tmp_path / "site", {"rosetta_test_checks": PLUGIN_ENTRY_POINTS}):
        yield url, engine, project.id
    engine.dispose()


def _rosetta(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_a_run_counts_what_the_checks_found(store: tuple[str, Engine, str]) -> None:
    url, engine, _ = store
    code, out, err = _rosetta("--db", url, "qa", "run", "boxes", "--check", "narrow-box")
    assert code == 0, err
    assert "Checked boxes: 3 samples, 2 findings (2 new, 0 reopened), 0 resolved; job" in out
    [row] = [line for line in out.splitlines() if "narrow-box" in line]
    assert row.split("│")[1:5] == [" narrow-box ", "     0 ", "       2 ", "    0 "]
    with engine.connect() as connection:
        ran = connection.execute(select(jobs.c.kind, jobs.c.status, jobs.c.params)).all()
    assert [(kind, status) for kind, status, _ in ran] == [("qa", "done")]
    assert '"checks":["narrow-box"]' in ran[0].params

    code, out, err = _rosetta("--db", url, "qa", "run", "boxes", "-c", "no-such-check")
    assert code == 1
    assert "unknown ['no-such-check']" in err
    with engine.connect() as connection:
        assert len(connection.execute(select(jobs.c.id)).all()) == 1


def test_the_listing_checks_what_changed_first(store: tuple[str, Engine, str]) -> None:
    url, engine, project_id = store
    code, out, err = _rosetta("--db", url, "qa", "findings", "boxes", "--check", "narrow-box")
    assert code == 0, err
    assert "Findings of boxes: 2" in out
    assert "box b0 is 0.5 px wide" in out and "box b1 is 1.5 px wide" in out

    update_annotation(engine, project_id, "b0", 1, Actor("ann"), geometry=Box(x=1, y=1, w=9, h=9))
    code, out, _ = _rosetta(
        "--db", url, "qa", "findings", "boxes", "-c", "narrow-box", "--status", "resolved"
    )
    assert code == 0
    assert "Findings of boxes: 1" in out and "box b0 is 0.5 px wide" in out

    code, out, _ = _rosetta(
        "--db",
        url,
        "qa",
        "findings",
        "boxes",
        "--annotator",
        "ann",
        "--severity",
        "warning",
        "-n",
        "1",
    )
    assert code == 0
    assert "Findings of boxes: 1" in out
    assert "Showing the first 1; more with --limit." in out
    code, _, err = _rosetta("--db", url, "qa", "findings", "boxes", "--status", "gone")
    assert code == 2 and "'gone' is not one of" in err
