"""The job routes in the real app against the real store: export through the API with the
app's worker, progress and logs, downloads (and path traversal refused), cancel, retry,
uploads to import, and who may do what."""

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from api_clients import client_as
from conftest import TESTER
from jobtools import ENTERED, FINISHED, GATE, GATES, add_samples, stored_samples
from rosetta.core.policies import Role
from rosetta.core.schema import Project
from rosetta.services.exporter import export_jsonl
from rosetta.services.job_kinds import KINDS, export_dir
from rosetta.services.projects import create_project, load_ontology
from rosetta.services.settings import Settings
from rosetta.store.tables import samples


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", job_workers=1)


@pytest.fixture
def manager(engine: Engine, project: Project, settings: Settings) -> Iterator[TestClient]:
    """A manager of the project, with the app's worker running (the lifespan)."""
    client = client_as(
        engine, "meg", admin=False, project_id=project.id, role=Role.MANAGER, settings=settings
    )
    with client:
        yield client


def _as(engine: Engine, project: Project, name: str, role: Role | None) -> TestClient:
    """A client of the app without a worker (jobs stay queued)."""
    return client_as(engine, name, admin=False, project_id=project.id, role=role)


def _finished(client: TestClient, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        assert 0 <= job["progress"] <= 1
        if job["status"] in FINISHED:
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def test_export_through_the_api(
    engine: Engine, project: Project, manager: TestClient, settings: Settings
) -> None:
    add_samples(engine, project.id, 7)
    started = manager.post(
        f"/api/projects/{project.name}/jobs", json={"kind": "export", "params": {"shard_size": 3}}
    )
    assert started.status_code == 202, started.text
    job = started.json()
    assert started.headers["Location"] == f"/api/jobs/{job['id']}"
    assert (job["kind"], job["target"], job["actor"], job["project_id"]) == (
        "export",
        project.id,
        "meg",
        project.id,
    )
    done = _finished(manager, job["id"])
    assert (done["status"], done["progress"], done["result"]["shards"]) == ("done", 1.0, 3)

    log = manager.get(f"/api/jobs/{job['id']}/logs").json()
    messages = [line["message"] for line in log["items"]]
    assert messages[0] == "submitted by meg"
    assert "shard 2 written (7 samples so far)" in messages
    assert messages[-1] == "done"
    assert log["next_after"] == log["items"][-1]["id"]
    later = manager.get(f"/api/jobs/{job['id']}/logs?after={log['items'][-2]['id']}").json()
    assert [line["message"] for line in later["items"]] == ["done"]
    assert manager.get(f"/api/jobs/{job['id']}/logs?after={log['next_after']}").json() == {
        "items": [],
        "next_after": log["next_after"],
    }

    files = manager.get(f"/api/jobs/{job['id']}/files").json()["items"]
    assert [(f["name"], f["format"]) for f in files] == [
        ("README.md", None),  # the dataset card's files are downloadable too
        ("dataset_card.json", None),
        ("ontology.json", None),
        *[(f"samples-0000{n}.{kind}", kind) for n in range(3) for kind in ("jsonl", "parquet")],
    ]
    folder = export_dir(settings.data_dir, job["id"])
    jsonl = b""
    for file in files:
        got = manager.get(f"/api/jobs/{job['id']}/files/{file['name']}")
        assert got.status_code == 200
        assert got.content == (folder / file["name"]).read_bytes()
        assert len(got.content) == file["size"]
        assert got.headers["content-type"].split(";")[0] == file["content_type"]
        if file["format"] == "jsonl":
            assert got.headers["content-type"] == "application/x-ndjson"
            jsonl += got.content
        elif file["format"] == "parquet":
            assert got.headers["content-type"] == "application/vnd.apache.parquet"
            assert pq.read_table(io.BytesIO(got.content)).column_names == [
                "id",
                "external_id",
                "status",
                "sample",
            ]
    whole = io.BytesIO()
    export_jsonl(engine, project.id, whole)
    assert jsonl == whole.getvalue()


def test_file_names_cannot_leave_the_export(
    engine: Engine, project: Project, manager: TestClient, settings: Settings
) -> None:
    add_samples(engine, project.id, 1)
    job = manager.post(f"/api/projects/{project.id}/jobs", json={"kind": "export"}).json()
    assert _finished(manager, job["id"])["status"] == "done"
    secret = settings.data_dir / "secret.txt"
    secret.write_text("the database password")
    (export_dir(settings.data_dir, job["id"]) / "samples-00007.jsonl").symlink_to(secret)
    base = f"/api/jobs/{job['id']}/files"
    for name in (
        "..%2F..%2Fsecret.txt",
        "%2e%2e%2f%2e%2e%2fsecret.txt",
        "..%5C..%5Csecret.txt",
        "samples-00000.jsonl%2F..%2F..%2F..%2Fsecret.txt",
        "samples-00000.jsonl.part",
        "samples-00007.jsonl",  # a link out of the folder
        "secret.txt",
        "%2Fetc%2Fpasswd",
    ):
        answer = manager.get(f"{base}/{name}")
        assert answer.status_code == 404, name
        assert b"database password" not in answer.content
    for raw in ("../../secret.txt", "../../../secret.txt", "/../secret.txt"):
        assert b"database password" not in manager.get(f"{base}/{raw}").content
    listed = [f["name"] for f in manager.get(base).json()["items"]]
    assert "samples-00007.jsonl" not in listed


def test_cancel_retry_and_list(engine: Engine, project: Project, tmp_path: Path) -> None:
    manager = _as(engine, project, "meg", Role.MANAGER)  # no worker: jobs stay queued
    jobs = [
        manager.post(
            f"/api/projects/{project.id}/jobs",
            json={"kind": "probe", "params": {"only_missing": n}},
        ).json()
        for n in (False, True)
    ]
    same = manager.post(
        f"/api/projects/{project.name}/jobs", json={"kind": "probe", "params": {}}
    )  # the same work as the first (its params filled in), queued: the same job
    assert (same.status_code, same.json()["id"]) == (202, jobs[0]["id"])
    cancelled = manager.post(f"/api/jobs/{jobs[0]['id']}/cancel")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    assert manager.post(f"/api/jobs/{jobs[0]['id']}/cancel").json()["status"] == "cancelled"
    listed = manager.get(f"/api/projects/{project.name}/jobs").json()
    assert [job["id"] for job in listed["items"]] == [jobs[1]["id"], jobs[0]["id"]]
    assert listed["next_cursor"] is None
    first = manager.get(f"/api/projects/{project.id}/jobs?limit=1").json()
    assert [job["id"] for job in first["items"]] == [jobs[1]["id"]]
    rest = manager.get(
        f"/api/projects/{project.id}/jobs?limit=1&cursor={first['next_cursor']}"
    ).json()
    assert [job["id"] for job in rest["items"]] == [jobs[0]["id"]]
    only = manager.get(f"/api/projects/{project.id}/jobs?status=cancelled").json()
    assert [job["id"] for job in only["items"]] == [jobs[0]["id"]]
    assert manager.get(f"/api/projects/{project.id}/jobs?status=lost").status_code == 422

    retried = manager.post(f"/api/jobs/{jobs[0]['id']}/retry")
    assert (retried.status_code, retried.json()["status"]) == (202, "queued")
    assert retried.headers["Location"] == f"/api/jobs/{jobs[0]['id']}"
    refused = manager.post(f"/api/jobs/{jobs[0]['id']}/retry")
    assert refused.status_code == 400
    assert "only a failed or cancelled job can be retried" in refused.json()["error"]["message"]
    # the app's worker takes the queued jobs when the app starts
    with client_as(
        engine,
        "meg",
        admin=False,
        settings=Settings(data_dir=tmp_path / "data", job_workers=1),
    ) as running:
        done = [_finished(running, job["id"]) for job in jobs]
    assert [job["status"] for job in done] == ["done", "done"]
    finished = manager.post(f"/api/jobs/{jobs[0]['id']}/cancel")
    assert finished.status_code == 400
    assert "is done; only a queued or running job" in finished.json()["error"]["message"]


def test_bad_submissions(project: Project, engine: Engine) -> None:
    manager = _as(engine, project, "meg", Role.MANAGER)
    url = f"/api/projects/{project.id}/jobs"
    unknown = manager.post(url, json={"kind": "mine-bitcoin"})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["field"] == "kind"
    bad = manager.post(url, json={"kind": "export", "params": {"shard_size": "many"}})
    assert bad.status_code == 422
    assert (bad.json()["error"]["field"], bad.json()["error"]["rule"]) == (
        "params.shard_size",
        "job-params",
    )
    assert manager.post(url, json={"params": {}}).status_code == 422
    assert manager.post("/api/projects/nope/jobs", json={"kind": "probe"}).status_code == 404
    assert manager.get("/api/jobs/nope").status_code == 404


def test_upload_an_import(
    engine: Engine, project: Project, manager: TestClient, settings: Settings, tmp_path: Path
) -> None:
    ids = add_samples(engine, project.id, 5)
    body = io.BytesIO()
    export_jsonl(engine, project.id, body)
    with engine.connect() as connection:
        ontology = load_ontology(connection, project.id)
    copy = create_project(engine, "copy", ontology, TESTER)
    started = manager.post(
        f"/api/projects/{copy.name}/imports?new_ids=true",
        content=iter([body.getvalue()[:100], body.getvalue()[100:]]),
        headers={"Content-Type": "application/x-ndjson"},
    )
    # the manager of the first project is not a member of the copy
    assert started.status_code == 404
    admin = client_as(engine, "root", admin=True, settings=settings)
    started = admin.post(
        f"/api/projects/{copy.name}/imports?new_ids=true",
        content=iter([body.getvalue()[:100], body.getvalue()[100:]]),
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert started.status_code == 202, started.text
    job = started.json()
    assert (job["kind"], job["status"], job["params"]["new_ids"]) == ("import", "queued", True)
    upload = settings.data_dir / job["params"]["file"]
    assert upload.read_bytes() == body.getvalue()
    with admin:  # the app's worker runs it
        done = _finished(admin, job["id"])
    assert done["status"] == "done", done["error"]
    assert (done["result"]["samples_written"], done["result"]["annotations"]) == (5, 20)
    assert not upload.exists()
    with engine.connect() as connection:
        copied = connection.execute(
            select(samples.c.id, samples.c.external_id)
            .where(samples.c.project_id == copy.id)
            .order_by(samples.c.pk)
        ).all()
    assert [row.external_id for row in copied] == [
        sample.external_id for sample in stored_samples(engine, ids)
    ]
    assert not {row.id for row in copied} & set(ids)  # new ids

    empty = admin.post(f"/api/projects/{copy.id}/imports", content=b"")
    assert empty.status_code == 422
    assert empty.json()["error"]["field"] == "body"
    assert list((settings.data_dir / "uploads").iterdir()) == []


def test_an_upload_over_the_limit_is_413_and_leaves_no_file(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    line = b'{"id": "s1", "external_id": "one"}\n'
    settings = Settings(data_dir=tmp_path / "data", job_workers=0, max_upload_bytes=len(line))
    admin = client_as(engine, "root", admin=True, settings=settings)
    url = f"/api/projects/{project.id}/imports"
    uploads = settings.data_dir / "uploads"
    for body in (line + b"\n", iter([line, b"\n"])):  # declared and streamed (chunked)
        refused = admin.post(url, content=body)
        assert refused.status_code == 413, refused.text
        error = refused.json()["error"]
        assert error["type"] == "too_large" and error["limit"] == len(line)
        assert f"larger than the limit of {len(line)} bytes" in error["message"]
        assert "ROSETTA_MAX_UPLOAD_BYTES" in error["message"]
        assert not uploads.exists() or list(uploads.iterdir()) == []
    with engine.connect() as connection:
        assert connection.execute(select(samples.c.id)).all() == []
    accepted = admin.post(url, content=iter([line]))
    assert accepted.status_code == 202, accepted.text
    assert (settings.data_dir / accepted.json()["params"]["file"]).read_bytes() == line


def test_who_may_do_what(engine: Engine, project: Project, settings: Settings) -> None:
    manager = _as(engine, project, "meg", Role.MANAGER)
    job = manager.post(f"/api/projects/{project.id}/jobs", json={"kind": "probe"}).json()
    reviewer = _as(engine, project, "rita", Role.REVIEWER)
    annotator = _as(engine, project, "ann", Role.ANNOTATOR)
    stranger = _as(engine, project, "sam", None)
    anonymous = TestClient(manager.app)
    jobs = f"/api/projects/{project.id}/jobs"
    one = f"/api/jobs/{job['id']}"
    reads = [("GET", one), ("GET", f"{one}/logs"), ("GET", jobs)]
    manages = [
        ("POST", jobs),
        ("POST", f"{one}/cancel"),
        ("POST", f"{one}/retry"),
        ("GET", f"{one}/files"),
        ("GET", f"{one}/files/samples-00000.jsonl"),
        ("POST", f"/api/projects/{project.id}/imports"),
    ]

    def status(client: TestClient, method: str, url: str) -> int:
        body = {"kind": "probe"} if url == jobs else None
        return client.request(method, url, json=body).status_code

    for method, url in reads:
        assert status(reviewer, method, url) == 200, url
        assert status(annotator, method, url) == 403, url
        assert status(stranger, method, url) == 404, url
        assert status(anonymous, method, url) == 401, url
    for method, url in manages:
        assert status(reviewer, method, url) == 403, url
        assert status(annotator, method, url) == 403, url
        assert status(stranger, method, url) == 404, url
        assert status(anonymous, method, url) == 401, url
    assert stranger.get(one).json()["error"]["kind"] == "job"  # not even its project named
    assert not (settings.data_dir / "uploads").exists()  # refused uploads write nothing


def test_cancel_a_running_job(
    project: Project, manager: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(KINDS, "gate", GATE)
    GATES.pop("api", None)
    ENTERED.pop("api", None)
    job = manager.post(
        f"/api/projects/{project.id}/jobs", json={"kind": "gate", "params": {"name": "api"}}
    ).json()
    deadline = time.monotonic() + 30
    while "api" not in ENTERED:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    cancelling = manager.post(f"/api/jobs/{job['id']}/cancel").json()
    assert cancelling["status"] == "cancelling"
    cancelled = _finished(manager, job["id"])  # at the handler's next progress report
    assert (cancelled["status"], cancelled["result"]) == ("cancelled", None)
    log = manager.get(f"/api/jobs/{job['id']}/logs").json()["items"]
    assert [line["message"] for line in log][-2:] == ["cancelled by meg", "cancelled"]
