"""The same job code on a real Ray cluster: a local head started by the test, an export
job run as a Ray task against an SQLite store file, its shards, progress and logs, and a
batch run of the QA checks."""

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

from conftest import MEDIA, TESTER
from jobtools import add_samples, shard_bytes
from overlap_samples import with_bob
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.core.schema import MediaInfo, Sample, Stream
from rosetta.demo.build import demo_samples
from rosetta.services.check_registry import select_checks
from rosetta.services.exporter import export_jsonl
from rosetta.services.findings import project_findings
from rosetta.services.importer import import_samples
from rosetta.services.job_kinds import export_dir, submit
from rosetta.services.job_worker import Worker
from rosetta.services.jobs import read_log
from rosetta.services.projects import create_project, load_ontology
from rosetta.services.sample_checks import check_sample
from rosetta.store.engine import open_store
from rosetta.store.records import load_sample

RAY = Path(sys.executable).with_name("ray")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def ray_address() -> Iterator[str]:
    """A one-CPU Ray head on loopback, started for these tests and stopped after them.

    Its authentication is turned off explicitly (``RAY_AUTH_MODE=disabled``, as this
    process, the client, has it): since Ray 2.59 a head turns token authentication on by
    itself when ``~/.ray/auth_token`` exists, and a client whose Ray configuration was read
    before the test began cannot take a token from the environment afterwards."""
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
            env={**os.environ, "RAY_AUTH_MODE": "disabled"},
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


def test_a_batch_qa_run_runs_as_a_ray_task(
    ray_address: str, store: Engine, demo_ontology: Ontology, tmp_path: Path
) -> None:
    """The ``qa`` job on Ray records what the checks find here (every installed check,
    the demo's samples with a second annotator's perturbed copy)."""
    project = create_project(store, "qa-on-ray", demo_ontology, TESTER)
    import_samples(store, project.id, [with_bob(s) for s in demo_samples()], TESTER)
    job = submit(store, TESTER, "qa", project.id, {"chunk": 2})
    [done] = Worker(store, data_dir=tmp_path / "data", ray_address=ray_address).run_until_idle()
    assert (done.id, done.status, done.error) == (job.id, "done", None)
    with store.connect() as connection:
        ontology = load_ontology(connection, project.id)
        expected = sorted(
            (finding.sample, finding.check, finding.message)
            for sample in demo_samples()
            for finding in check_sample(
                load_sample(connection, sample.id), ontology, select_checks()
            ).found
        )
        stored = sorted(
            (f.sample, f.check, f.message) for f in project_findings(connection, project.id).items
        )
        messages = [line.message for line in read_log(connection, job.id)]
    assert stored == expected and len(expected) == 3
    assert done.result is not None and done.result["samples"] == len(demo_samples())
    assert any(m.startswith("running as a Ray task") for m in messages)


def test_pre_labelling_runs_as_a_ray_task(
    ray_address: str, store: Engine, demo_ontology: Ontology, tmp_path: Path
) -> None:
    """The ``prelabel`` job on Ray: the proposer loads in the Ray worker and the candidates
    it proposes for the narration are stored here."""
    project = create_project(store, "prelabel-on-ray", demo_ontology, TESTER)
    narration = MEDIA / "audio" / "narration.wav"
    talk = Sample(
        id="talk",
        streams=[
            Stream(
                id="talk.audio",
                name="narration",
                modality=Modality.AUDIO,
                uri=str(narration),
                media=MediaInfo(duration=9.76, sample_rate=16000, channels=1),
            )
        ],
    )
    import_samples(store, project.id, [talk], TESTER)
    job = submit(
        store, TESTER, "prelabel", project.id, {"proposer": "webrtc-vad", "label": "speech"}
    )
    [done] = Worker(store, data_dir=tmp_path / "data", ray_address=ray_address).run_until_idle()
    assert (done.id, done.status, done.error) == (job.id, "done", None)
    assert done.result == {"streams": 1, "candidates": 3, "failed": 0, "skipped": 0}
    with store.connect() as connection:
        spoken = load_sample(connection, "talk").annotations
        messages = [line.message for line in read_log(connection, job.id)]
    assert sorted(a.source.name or "" for a in spoken) == ["webrtc-vad"] * 3
    assert any(m.startswith("running as a Ray task") for m in messages)
