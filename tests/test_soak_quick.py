"""The load and soak test (`bench/soak.py`) in short: 20 seconds of 10 annotators and 2
reviewers against ``rosetta serve`` on each backend, with 0 server errors, 0 unexpected
answers, 0 lost and 0 duplicated writes. Latency and memory growth are judged by the long
run only (``make soak``: 10 minutes, 50 annotators): two windows of a shared machine show
noise, not a trend (speed is measured in benchmarks, not timed tests)."""

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from conftest import REPO


@pytest.mark.parametrize(
    "store", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_quick_soak_holds(store: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    figures = tmp_path / "soak.json"
    command = [sys.executable, str(REPO / "bench" / "soak.py"), "--store", store]
    command += ["--duration", "20", "--annotators", "10", "--window", "10", "--json", str(figures)]
    command += ["--no-trends"]
    if store == "postgresql":
        command += ["--pg", request.getfixturevalue("postgres_url")]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    found = orjson.loads(figures.read_bytes())
    assert found["failures"] == []
    assert (found["server_errors"], found["lost"], found["duplicated"]) == (0, 0, 0)
    assert found["acknowledged_annotations"] > 20
    operations = {row["operation"] for row in found["windows"]}
    assert {"next-task", "annotate", "link", "submit-sample", "hand-in"} <= operations
