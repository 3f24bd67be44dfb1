"""The media routes in process against the real app and store: prepare as a job (run by
the app's worker), then read peaks, frames and thumbnails; who may do which."""

import io
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine

from api_clients import client_as
from conftest import MEDIA, TESTER
from mediagen import add_streams
from rosetta.core.modality import Modality
from rosetta.core.policies import Role
from rosetta.core.schema import Project
from rosetta.services.accounts import assign
from rosetta.services.settings import Settings


@pytest.fixture
def client(engine: Engine, project: Project, tmp_path: Path) -> Iterator[TestClient]:
    video = tmp_path / "slideshow.mp4"
    shutil.copy(MEDIA / "video" / "slideshow_320x240_25fps.mp4", video)
    add_streams(
        engine,
        project,
        "s1",
        [
            ("s1-video", Modality.VIDEO, video),
            ("s1-gone", Modality.AUDIO, tmp_path / "gone.wav"),
        ],
    )
    settings = Settings(data_dir=tmp_path / "data", job_workers=1, media_roots=(tmp_path,))
    reviewer = client_as(
        engine, "rita", admin=False, project_id=project.id, role=Role.REVIEWER, settings=settings
    )
    with reviewer as client:  # the lifespan starts the app's job worker
        yield client


def _finished(client: TestClient, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        assert 0 <= job["progress"] <= 1
        if job["status"] in ("done", "failed"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def test_prepare_then_read_peaks_frames_and_thumbnails(client: TestClient) -> None:
    missing = client.get("/api/streams/s1-video/peaks")
    assert missing.status_code == 404
    assert "has no peaks: prepare it first" in missing.json()["error"]["message"]

    started = client.post("/api/streams/s1-video/prepare")
    assert started.status_code == 202
    job = started.json()
    assert started.headers["Location"] == f"/api/jobs/{job['id']}"
    assert (job["kind"], job["target"], job["actor"]) == ("prepare", "s1-video", "rita")
    assert job["params"] == {"stream": "s1-video"}
    done = _finished(client, job["id"])
    assert (done["status"], done["progress"], done["result"]["status"]) == ("done", 1.0, "prepared")

    coarsest = client.get("/api/streams/s1-video/peaks").json()
    assert (coarsest["level"], coarsest["levels"]) == (1, [256, 512])
    assert (coarsest["samples_per_pixel"], coarsest["length"]) == (512, 305)
    assert len(coarsest["data"]) == 2 * 305
    window = client.get("/api/streams/s1-video/peaks?level=0&start=1&end=2").json()
    assert (window["start_bucket"], window["length"], window["sample_rate"]) == (62, 63, 16000)
    wrong = client.get("/api/streams/s1-video/peaks?level=5")
    assert wrong.status_code == 400
    assert "levels 0 to 1" in wrong.json()["error"]["message"]
    assert client.get("/api/streams/s1-video/peaks?start=2&end=1").status_code == 400
    assert client.get("/api/streams/s1-video/peaks?start=-1").status_code == 422

    frames = client.get("/api/streams/s1-video/frames").json()
    assert (frames["time_base"], frames["constant_rate"], frames["duration"]) == (
        "0.000078125",  # 1/12800, in the canonical exact form
        "25",
        "9.76",
    )
    assert len(frames["ticks"]) == len(frames["seconds"]) == 244
    assert frames["ticks"][91] == 91 * 512 and frames["seconds"][91] == 3.64
    assert frames["keyframes"] == [0, 91, 170]
    assert frames["clock"] == {"rate": "25", "offset": "0", "sync": []}

    index = client.get("/api/streams/s1-video/thumbnails").json()
    assert index["sprite"] == "/api/streams/s1-video/thumbnails.jpg"
    assert [tile["frame"] for tile in index["tiles"]] == [0, 91, 170]
    sheet = client.get(index["sprite"])
    assert sheet.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(sheet.content)).size == (index["width"], index["height"])

    again = client.post("/api/streams/s1-video/prepare")
    assert _finished(client, again.json()["id"])["result"]["status"] == "fresh"


def test_a_failed_preparation_and_unknown_ids(client: TestClient) -> None:
    job = client.post("/api/streams/s1-gone/prepare").json()
    failed = _finished(client, job["id"])
    assert failed["status"] == "failed"
    assert "no media file of stream 's1-gone'" in failed["error"]
    assert "gone.wav" in failed["error"]
    assert client.get("/api/streams/s1-gone/peaks").status_code == 404

    unknown = client.post("/api/streams/nope/prepare")
    assert unknown.status_code == 404
    assert unknown.json()["error"] == {
        "type": "not_found",
        "message": "no stream with id 'nope'",
        "kind": "stream",
        "id": "nope",
    }
    assert client.get("/api/jobs/nope").status_code == 404
    assert client.get("/api/streams/nope/frames").status_code == 404


def test_who_may_prepare_and_read(engine: Engine, project: Project, client: TestClient) -> None:
    annotator = client_as(engine, "ann", admin=False, project_id=project.id, role=Role.ANNOTATOR)
    # not assigned the sample: as if it did not exist
    assert annotator.post("/api/streams/s1-video/prepare").status_code == 404
    assert annotator.get("/api/streams/s1-video/frames").status_code == 404
    stranger = client_as(engine, "sam", admin=False)
    assert stranger.post("/api/streams/s1-video/prepare").status_code == 404
    assert TestClient(client.app).post("/api/streams/s1-video/prepare").status_code == 401

    assign(engine, TESTER, "s1", "ann")
    refused = annotator.post("/api/streams/s1-video/prepare")
    assert refused.status_code == 403
    assert refused.json()["error"]["action"] == "prepare the media of"
    job = client.post("/api/streams/s1-video/prepare").json()
    assert _finished(client, job["id"])["status"] == "done"
    assert annotator.get("/api/streams/s1-video/frames").status_code == 200
    # the job itself is the reviewer's business, not the annotator's
    assert annotator.get(f"/api/jobs/{job['id']}").status_code == 403
