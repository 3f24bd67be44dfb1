"""The Python SDK's jobs against a real server on loopback with its job worker: an export
waited for, its shards downloaded and uploaded into another store to import them equal;
uploads of JSONL files; cancelling and retrying; job logs and listings."""

import io
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine

from conftest import TESTER
from jobtools import add_samples, rich_sample, stored_samples
from loopback import api_token, serve
from rosetta.core.errors import RosettaError, RuleViolation
from rosetta.core.ontology import Ontology
from rosetta.core.policies import Role
from rosetta.core.schema import Project
from rosetta.formats.native import write_sample
from rosetta.sdk import Client, Job
from rosetta.services.exporter import export_jsonl
from rosetta.services.projects import create_project
from rosetta.services.settings import Settings
from rosetta.store.engine import make_engine, upgrade


def _manager(url: str, engine: Engine, project: Project) -> Client:
    return Client(url, api_token(engine, "meg", project_id=project.id, role=Role.MANAGER))


@pytest.fixture
def manager(engine: Engine, project: Project, tmp_path: Path) -> Iterator[Client]:
    """A manager of the project on a server whose worker runs jobs."""
    settings = Settings(data_dir=tmp_path / "data", job_workers=1)
    with serve(engine, settings) as url, _manager(url, engine, project) as client:
        yield client


@pytest.fixture
def other_store(tmp_path: Path, demo_ontology: Ontology) -> Iterator[Engine]:
    """A second, empty SQLite store with the project ``copy``."""
    engine = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(engine)
    create_project(engine, "copy", demo_ontology, TESTER)
    yield engine
    engine.dispose()


def test_an_export_downloaded_imports_equal_elsewhere(
    engine: Engine,
    project: Project,
    manager: Client,
    other_store: Engine,
    tmp_path: Path,
) -> None:
    ids = add_samples(engine, project.id, 7)
    job = manager.submit_export(project.name, shard_size=3)
    assert (job.kind, job.status, job.params) == (
        "export",
        "queued",
        {"shard_size": 3, "formats": ["jsonl", "parquet"], "tracks": "sparse"},
    )
    seen: list[Job] = []
    done = manager.wait(job, poll=0.02, progress=seen.append)
    assert (done.status, done.progress, done.result) == (
        "done",
        1.0,
        {"shards": 3, "samples": 7, "formats": ["jsonl", "parquet"], "folder": f"exports/{job.id}"},
    )
    assert seen[-1] == done
    assert [j.progress for j in seen] == sorted(j.progress for j in seen)
    assert manager.job(job.id) == done
    assert [j.id for j in manager.jobs(project.name)] == [job.id]
    assert list(manager.jobs(project.name, status="failed")) == []

    lines = list(manager.job_logs(done, page_size=2))
    assert lines[0].message == "submitted by meg"
    assert "shard 2 written (7 samples so far)" in [line.message for line in lines]
    assert lines[-1].message == "done"
    assert [line.id for line in lines] == sorted({line.id for line in lines})

    files = manager.job_files(done)
    paths = manager.download_export(done, tmp_path / "download")
    assert (
        [path.name for path in paths]
        == [f.name for f in files]
        == [
            "README.md",  # the dataset card, then the shards
            "dataset_card.json",
            "ontology.json",
            *[f"samples-0000{n}.{kind}" for n in range(3) for kind in ("jsonl", "parquet")],
        ]
    )
    assert [path.stat().st_size for path in paths] == [f.size for f in files]
    assert not list((tmp_path / "download").glob("*.part"))
    shards = [path for path in paths if path.suffix == ".jsonl"]
    whole = io.BytesIO()
    export_jsonl(engine, project.id, whole)
    assert b"".join(path.read_bytes() for path in shards) == whole.getvalue()
    rows = [
        row
        for path in paths
        if path.suffix == ".parquet"
        for row in pq.read_table(path).column("sample").to_pylist()
    ]
    assert [row.encode() + b"\n" for row in rows] == whole.getvalue().splitlines(keepends=True)
    only = manager.download_export(done, tmp_path / "parquet", formats=["parquet"])
    assert [path.suffix for path in only] == [".parquet"] * 3
    read = {sample_id: manager.sample(sample_id).sample for sample_id in ids}

    with (
        serve(other_store, Settings(data_dir=tmp_path / "other", job_workers=1)) as url,
        Client(url, api_token(other_store, "ada", admin=True)) as admin,
    ):
        for shard in shards:
            imported = admin.wait(admin.upload_import("copy", shard), poll=0.02)
            assert imported.kind == "import"
            assert imported.result is not None
            assert imported.result["samples_written"] == (3 if shard.name != shards[-1].name else 1)
        assert [summary.id for summary in admin.samples("copy")] == ids
        assert {sample_id: admin.sample(sample_id).sample for sample_id in ids} == read
    assert stored_samples(other_store, ids) == stored_samples(engine, ids)


def test_upload_a_jsonl_file_to_import(
    engine: Engine, project: Project, manager: Client, tmp_path: Path
) -> None:
    samples = [rich_sample(index) for index in range(5)]
    path = tmp_path / "samples.jsonl"
    with path.open("wb") as out:
        for sample in samples:
            write_sample(out, sample)

    job = manager.upload_import(project.name, path)
    assert (job.kind, job.params["new_ids"]) == ("import", False)
    done = manager.wait(job, poll=0.02)
    assert done.result is not None
    assert (done.result["samples_written"], done.result["annotations"]) == (5, 20)
    imported = stored_samples(engine, [sample.id for sample in samples])
    assert [s.model_dump(exclude={"annotations"}) for s in imported] == [
        s.model_dump(exclude={"annotations"}) for s in samples
    ]
    assert [[a.geometry for a in s.annotations] for s in imported] == [
        [a.geometry for a in s.annotations] for s in samples
    ]

    again = manager.wait(manager.upload_import(project.id, path, new_ids=True), poll=0.02)
    assert again.result is not None
    assert (again.result["samples_written"], again.result["samples_skipped"]) == (0, 5)

    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "b1", "streams": []}\n{"id": ', encoding="utf-8")
    with pytest.raises(RosettaError, match=r"failed: .*:2: "):
        manager.wait(manager.upload_import(project.name, broken), poll=0.02)
    empty = tmp_path / "empty.jsonl"
    empty.touch()
    with pytest.raises(RuleViolation) as refused:
        manager.upload_import(project.name, empty)
    assert refused.value.rule == "upload-empty"


def test_cancel_retry_and_time_out(engine: Engine, project: Project, tmp_path: Path) -> None:
    add_samples(engine, project.id, 2)
    settings = Settings(data_dir=tmp_path / "data", job_workers=0)  # nothing runs the jobs
    with serve(engine, settings) as url, _manager(url, engine, project) as manager:
        job = manager.submit_export(project.name, formats=["jsonl"])
        assert manager.submit_export(project.name, formats=["jsonl"]).id == job.id  # the same
        with pytest.raises(TimeoutError, match=f"job {job.id} \\(export\\) is still queued"):
            manager.wait(job, poll=0.01, timeout=0.05)
        assert manager.cancel_job(job).status == "cancelled"
        with pytest.raises(RosettaError, match=f"job {job.id} \\(export\\) cancelled"):
            manager.wait(job.id)
        assert manager.retry_job(job.id).status == "queued"
        assert [j.id for j in manager.jobs(project.name, status="queued")] == [job.id]
        probe = manager.submit_job(project.name, "probe", {"only_missing": True})
        assert (probe.kind, probe.params) == ("probe", {"only_missing": True})
        assert [j.id for j in manager.jobs(project.name, page_size=1)] == [probe.id, job.id]
        with pytest.raises(RuleViolation) as unknown:
            manager.submit_job(project.name, "explode")
        assert unknown.value.field == "kind"
