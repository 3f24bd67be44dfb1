"""``rosetta serve --workers 2`` against PostgreSQL: two worker processes with no state of
their own serve one project. A session opened through one is honoured by the other, a
write through one is seen through the other, and a revision conflict is caught across
them."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import Engine

from builders import insert_sample
from conftest import PG_URL, TESTER
from rosetta.core.geometry import Box
from rosetta.core.modality import Modality
from rosetta.core.policies import Role
from rosetta.core.schema import Annotation, MediaInfo, Project, Sample, Stream
from rosetta.services import accounts

PASSWORD = "correct horse battery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def server(engine: Engine, project: Project, tmp_path: Path) -> Iterator[tuple[str, int]]:
    accounts.create_user(engine, "ada", PASSWORD)
    accounts.set_role(engine, TESTER, project.id, "ada", Role.REVIEWER)
    insert_sample(
        engine,
        project.id,
        Sample(
            id="s1",
            streams=[
                Stream(
                    id="s1-image",
                    name="photo",
                    modality=Modality.IMAGE,
                    media=MediaInfo(width=100, height=100),
                )
            ],
            annotations=[
                Annotation(
                    id="box",
                    stream="s1-image",
                    label="person",
                    geometry=Box(x=1, y=1, w=10, h=10),
                    ontology_version=1,
                )
            ],
        ),
    )
    with engine.connect() as connection:
        schema = connection.exec_driver_sql("SHOW search_path").scalar_one()
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    port = _free_port()
    env = {**os.environ, "ROSETTA_DEV": "true", "ROSETTA_COOKIE_SECURE": "false"}
    env["ROSETTA_DATA_DIR"] = str(tmp_path / "data")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("rosetta")),
            *("--db", url, "serve", "--workers", "2", "--port", str(port)),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            assert time.monotonic() < deadline, "the server did not start"
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base, process.pid
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
        if process.stderr is not None:
            process.stderr.close()


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_two_worker_processes_share_sessions_writes_and_revisions(
    server: tuple[str, int],
) -> None:
    base, pid = server
    workers = psutil.Process(pid).children(recursive=True)
    assert len(workers) >= 2

    with httpx.Client(base_url=base) as browser:
        login = browser.post("/api/auth/login", json={"name": "ada", "password": PASSWORD})
        assert login.status_code == 200, login.text
        csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
        # many requests on fresh connections: both processes answer, none knows the session
        # but through the store
        for _ in range(20):
            with httpx.Client(base_url=base, cookies=browser.cookies) as fresh:
                assert fresh.get("/api/me").json()["name"] == "ada"
        read = browser.get("/api/annotations/box")
        tag = read.headers["etag"]
        changed = browser.patch(
            "/api/annotations/box",
            json={"label": "flag"},
            headers={**csrf, "If-Match": tag},
        )
        assert changed.status_code == 200, changed.text
        for _ in range(10):
            with httpx.Client(base_url=base, cookies=browser.cookies) as fresh:
                assert fresh.get("/api/annotations/box").json()["label"] == "flag"
        stale = browser.patch(
            "/api/annotations/box",
            json={"label": "person"},
            headers={**csrf, "If-Match": tag},
        )
    assert stale.status_code == 409
    assert stale.json()["error"]["current"]["label"] == "flag"
