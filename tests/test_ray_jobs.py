"""The same job code on a real Ray cluster: a local head started by the test, an export
job run as a Ray task against an SQLite store file, its shards, progress and logs."""

import contextlib
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray
from sqlalchemy import Engine

from conftest import TESTER
from jobtools import add_samples, shard_bytes
from rosetta.core.ontology import Ontology
from rosetta.services.exporter import export_jsonl
from rosetta.services.job_kinds import export_dir, submit
from rosetta.services.job_worker import Worker
from rosetta.services.jobs import read_log
from rosetta.services.projects import create_project
from rosetta.store.engine import open_store

RAY = Path(sys.executable).with_name("ray")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def ray_address() -> Iterator[str]:
    """A one-CPU Ray head on loopback, started for these tests and stopped after them."""
    port = _free_port()
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # Ray's socket paths must be short
    output = Path(temp) / "head.log"
    with output.open("w") as log:
        head = subprocess.Popen(
            [
                str(RAY),
                "start",
                "--head",
                "--block",
                f"--port={port}",
                "--node-ip-address=127.0.0.1",
                f"--ray-client-server-port={_free_port()}",
                "--num-cpus=1",
                "--object-store-memory=100000000",
                "--disable-usage-stats",
                "--include-dashboard=false",
                f"--temp-dir={temp}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as one below
        )
    try:
        deadline = time.monotonic() + 120
        while "Ray runtime started" not in output.read_text():
            if head.poll() is not None or time.monotonic() > deadline:
                pytest.fail("ray start failed:\n" + output.read_text())
            time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        ray.shutdown()
        os.killpg(head.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            head.wait(timeout=5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(head.pid, signal.SIGKILL)  # what is left of the head's process group
        head.wait()
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Engine]:
    engine = open_store(f"sqlite:///{tmp_path / 'rosetta.db'}")
    yield engine
    engine.dispose()


def test_an_export_runs_as_a_ray_task(
    ray_address: str, store: Engine, demo_ontology: Ontology, tmp_path: Path
) -> None:
    project = create_project(store, "on-ray", demo_ontology, TESTER)
    add_samples(store, project.id, 7)
    job = submit(store, TESTER, "export", project.id, {"shard_size": 3})
    worker = Worker(store, data_dir=tmp_path / "data", ray_address=ray_address)
    [done] = worker.run_until_idle()
    assert (done.id, done.status, done.error, done.progress) == (job.id, "done", None, 1.0)
    assert done.result is not None and (done.result["shards"], done.result["samples"]) == (3, 7)
    assert done.worker == worker.name  # the claiming worker owns it; the task ran for it
    assert done.checkpoint is not None and done.checkpoint["shards"] == 3

    whole = io.BytesIO()
    export_jsonl(store, project.id, whole)
    assert shard_bytes(export_dir(tmp_path / "data", job.id), "jsonl") == whole.getvalue()
    with store.connect() as connection:
        messages = [line.message for line in read_log(connection, job.id)]
    [on_ray] = [m for m in messages if m.startswith("running as a Ray task")]
    process = int(re.fullmatch(r".* \(process (\d+)\)", on_ray)[1])  # type: ignore[index]
    assert process != os.getpid()  # another process: a Ray worker's
    assert [m for m in messages if m.startswith("shard ")] == [
        "shard 0 written (3 samples so far)",
        "shard 1 written (6 samples so far)",
        "shard 2 written (7 samples so far)",
    ]
    assert messages[-1] == "done"


def test_a_failing_ray_task_fails_its_job(
    ray_address: str, store: Engine, demo_ontology: Ontology, tmp_path: Path
) -> None:
    project = create_project(store, "on-ray", demo_ontology, TESTER)
    job = submit(store, TESTER, "import", project.id, {"file": "uploads/missing.jsonl"})
    [failed] = Worker(store, data_dir=tmp_path, ray_address=ray_address).run_until_idle()
    assert (failed.id, failed.status, failed.error) == (
        job.id,
        "failed",
        "uploads/missing.jsonl: no such file in the data folder",
    )
