"""Jobs read local media only inside the server's media roots: a prepare, probe or import
job run by the app's worker (or ``rosetta worker``) fails, naming the stream and the path,
for a file outside them."""

import shutil
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api_clients import client_as
from conftest import MEDIA
from mediagen import add_streams
from rosetta.core.modality import Modality
from rosetta.core.schema import Project
from rosetta.services.settings import Settings


def _finished(client: TestClient, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def test_jobs_read_media_inside_the_roots_only(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    inside, outside = tmp_path / "media", tmp_path / "elsewhere"
    for folder in (inside, outside):
        folder.mkdir()
        shutil.copy(MEDIA / "audio" / "narration.wav", folder / "narration.wav")
    add_streams(
        engine,
        project,
        "s1",
        [
            ("in", Modality.AUDIO, inside / "narration.wav"),
            ("out", Modality.AUDIO, outside / "narration.wav"),
        ],
    )
    settings = Settings(data_dir=tmp_path / "data", job_workers=1, media_roots=(inside,))
    with client_as(engine, "root", settings=settings) as client:
        refused = _finished(client, client.post("/api/streams/out/prepare").json()["id"])
        assert refused["status"] == "failed"
        assert "stream 'out'" in refused["error"]
        assert str(outside / "narration.wav") in refused["error"]
        assert "ROSETTA_MEDIA_ROOTS" in refused["error"]
        done = _finished(client, client.post("/api/streams/in/prepare").json()["id"])
        assert (done["status"], done["result"]["status"]) == ("done", "prepared")

        probe = client.post(f"/api/projects/{project.id}/jobs", json={"kind": "probe"}).json()
        probed = _finished(client, probe["id"])
        assert probed["result"]["counts"] == {"updated": 1, "failed": 1}
        assert probed["result"]["failures"][0]["stream"] == "out"
