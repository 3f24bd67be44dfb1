"""Limits of the real app: request bodies (declared and streamed), JSON nested too deeply,
the lines of an import file, and a project's pending jobs; each refused with a clear
error in the one shape, and nothing written."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from api_clients import client_as
from builders import empty_sample
from conftest import TESTER
from rosetta.core.errors import ImportFailed
from rosetta.core.ids import MAX_JSON_DEPTH
from rosetta.core.schema import Project
from rosetta.services.importer import import_jsonl
from rosetta.services.settings import Settings
from rosetta.store.tables import jobs, samples

BODY_LIMIT = 4096


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Small limits, and no job workers (submitted jobs stay queued)."""
    return Settings(
        data_dir=tmp_path / "data",
        job_workers=0,
        max_body_bytes=BODY_LIMIT,
        max_upload_bytes=4 * BODY_LIMIT,
        max_pending_jobs=2,
        max_import_line_bytes=200,
    )


@pytest.fixture
def admin(engine: Engine, project: Project, settings: Settings) -> TestClient:
    """A site administrator with a sample ``s1`` in the project."""
    empty_sample(engine, project.id, "s1")
    return client_as(engine, "root", admin=True, settings=settings)


def _metadata_patch(client: TestClient, content: bytes | list[bytes]) -> dict:
    etag = client.get("/api/samples/s1").headers["etag"]
    headers = {"content-type": "application/json", "If-Match": etag}
    body = content if isinstance(content, bytes) else iter(content)
    answer = client.patch("/api/samples/s1", content=body, headers=headers)
    return {"status": answer.status_code, "json": answer.json(), "etag": etag}


def _metadata(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(connection.execute(select(samples.c.metadata)).scalar_one())


def test_a_body_over_the_limit_is_413_naming_it_declared_or_streamed(
    engine: Engine, admin: TestClient
) -> None:
    big = b'{"metadata": {"note": "' + b"x" * BODY_LIMIT + b'"}}'
    before = _metadata(engine)
    for content in (big, [big[:100], big[100:]]):  # Content-Length, then chunked
        refused = _metadata_patch(admin, content)
        assert refused["status"] == 413
        error = refused["json"]["error"]
        assert error["type"] == "too_large" and error["limit"] == BODY_LIMIT
        assert f"limit of {BODY_LIMIT} bytes" in error["message"]
        assert "ROSETTA_MAX_BODY_BYTES" in error["message"]
    assert _metadata(engine) == before
    small = _metadata_patch(admin, b'{"metadata": {"note": "fits"}}')
    assert small["status"] == 200, small["json"]
    assert "fits" in _metadata(engine)


def test_uploads_keep_their_own_larger_limit(
    engine: Engine, project: Project, admin: TestClient, settings: Settings
) -> None:
    line = b'{"id": "u1", "external_id": "big", "metadata": {"pad": "%s"}}\n'
    body = line % (b"p" * (2 * BODY_LIMIT))
    assert BODY_LIMIT < len(body) <= settings.max_upload_bytes

    accepted = admin.post(f"/api/projects/{project.id}/imports", content=body)

    assert accepted.status_code == 202, accepted.text


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 300, 10_000])
def test_json_nested_too_deeply_is_422_and_writes_nothing(
    engine: Engine, admin: TestClient, depth: int
) -> None:
    nested = "[" * depth + "]" * depth
    before = _metadata(engine)
    body = f'{{"metadata": {{"deep": {nested}}}}}'.encode()
    settings = Settings(job_workers=0, max_body_bytes=1 << 20)
    client = client_as(engine, "root", admin=True, settings=settings)

    refused = _metadata_patch(client, body)

    assert refused["status"] == 422, refused["json"]
    error = refused["json"]["error"]
    assert error["type"] == "invalid_request"
    assert any(word in error["message"] for word in ("deeper than", "deeply", "depth limit"))
    assert _metadata(engine) == before
    fits = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    assert _metadata_patch(client, f'{{"metadata": {{"d": {fits}}}}}'.encode())["status"] == 200


def test_an_import_line_over_the_limit_fails_naming_it_and_writes_nothing(
    engine: Engine, project: Project, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "long.jsonl"
    long = b'{"id": "b", "metadata": {"pad": "%s"}}\n' % (b"p" * 300)
    path.write_bytes(b'{"id": "a"}\n' + long + b'{"id": "c"}\n')

    with pytest.raises(ImportFailed) as failed:
        import_jsonl(engine, project.id, path, TESTER, settings=settings)

    assert failed.value.line == 2 and failed.value.file == str(path)
    assert "limit of 200 bytes" in str(failed.value)
    assert "ROSETTA_MAX_IMPORT_LINE_BYTES" in str(failed.value)
    with engine.connect() as connection:
        assert connection.execute(select(samples.c.id)).all() == []
    report = import_jsonl(engine, project.id, path, TESTER)  # no settings: no line limit
    assert report.samples_written == 3


def _pending(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(jobs)).scalar_one())


def test_a_job_beyond_the_pending_quota_is_429_and_writes_nothing(
    engine: Engine, project: Project, admin: TestClient, settings: Settings
) -> None:
    url = f"/api/projects/{project.id}/jobs"

    def export(shard_size: int) -> dict:
        answer = admin.post(url, json={"kind": "export", "params": {"shard_size": shard_size}})
        return {"status": answer.status_code, "json": answer.json()}

    first, second = export(1), export(2)
    assert first["status"] == second["status"] == 202
    refused = export(3)
    assert refused["status"] == 429
    error = refused["json"]["error"]
    assert error["type"] == "too_many_requests" and error["limit"] == 2
    assert "has 2 jobs queued or running" in error["message"]
    assert "ROSETTA_MAX_PENDING_JOBS=2" in error["message"]
    assert _pending(engine) == 2
    again = export(1)  # the same work queued already: that job, not a refusal
    assert again["status"] == 202 and again["json"]["id"] == first["json"]["id"]
    uploads = settings.data_dir / "uploads"
    upload = admin.post(f"/api/projects/{project.id}/imports", content=b'{"id": "x"}\n')
    assert upload.status_code == 429, upload.text
    assert not uploads.exists() or list(uploads.iterdir()) == []
    assert _pending(engine) == 2

    assert admin.post(f"/api/jobs/{first['json']['id']}/cancel").status_code == 200
    assert export(3)["status"] == 202


def test_a_body_too_deep_for_the_standard_decoder_is_422(engine: Engine, admin: TestClient) -> None:
    nested = "[" * 10_000 + "]" * 10_000
    body = f'{{"name": "t", "expires_in_days": {nested}}}'.encode()
    client = client_as(engine, "root", admin=True, settings=Settings(job_workers=0))

    refused = client.post(
        "/api/me/tokens", content=body, headers={"content-type": "application/json"}
    )

    assert refused.status_code == 422, refused.text
    assert "too deeply" in refused.json()["error"]["message"]
    assert [token["name"] for token in client.get("/api/me/tokens").json()] == ["tests"] * 2
