"""``rosetta worker`` on a real SQLite store: ``--once`` runs what is queued and exits; the
long-running worker takes jobs as they come and stops on SIGTERM."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import Engine
from typer.testing import CliRunner

from conftest import TESTER
from jobtools import add_samples, wait_for
from rosetta.cli.main import main
from rosetta.cli.worker import worker
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Project
from rosetta.services.job_kinds import export_dir, submit
from rosetta.services.projects import create_project
from rosetta.store.engine import open_store

#: The command line as the lead wires it: ``rosetta [--db URL] worker ...``.
APP = """
import typer
from rosetta.cli.main import main
from rosetta.cli.worker import worker

app = typer.Typer()
app.callback()(main)
app.command()(worker)
app()
"""


@pytest.fixture
def store(tmp_path: Path, demo_ontology: Ontology) -> Iterator[tuple[str, Engine, Project]]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = open_store(url)
    project = create_project(engine, "talks", demo_ontology, TESTER)
    add_samples(engine, project.id, 3)
    yield url, engine, project
    engine.dispose()


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.callback()(main)
    app.command()(worker)
    return app


def test_once_runs_the_queue_and_exits(store: tuple[str, Engine, Project], tmp_path: Path) -> None:
    url, engine, project = store
    data = tmp_path / "data"
    export = submit(engine, TESTER, "export", project.id, {"shard_size": 2})
    result = CliRunner().invoke(
        _cli(), ["--db", url, "worker", "--once", "--data-dir", str(data)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert f"job {export.id} export done" in result.stderr
    assert "ran 1 job" in result.stderr
    assert len(list(export_dir(data, export.id).glob("*.jsonl"))) == 2

    failing = submit(engine, TESTER, "import", project.id, {"file": "missing.jsonl"})
    result = CliRunner().invoke(
        _cli(), ["--db", url, "worker", "--once", "--data-dir", str(data)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 1
    assert (
        f"job {failing.id} import failed: missing.jsonl: no such file in the data folder"
        in result.stderr
    )


def test_a_worker_runs_until_sigterm(store: tuple[str, Engine, Project], tmp_path: Path) -> None:
    url, engine, project = store
    data = tmp_path / "data"
    process = subprocess.Popen(
        [sys.executable, "-c", APP, "--db", url, "worker", "--data-dir", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ROSETTA_JOB_WORKERS": "2"},
    )
    try:
        job = submit(engine, TESTER, "export", project.id, {"formats": ["parquet"]})
        done = wait_for(engine, job.id)
        assert done.status == "done"
        assert (done.worker or "").split(":")[1] == str(process.pid)
        time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "runs jobs; Ctrl-C stops it" in err
    assert "stopping: running jobs are queued again" in err
