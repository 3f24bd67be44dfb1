"""The job kinds run by a real worker on the real store: export shards that re-import to
the same samples, an export resumed after a failure, imports, probing, preparing media,
and worker threads sharing the queue."""

import io
import shutil
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, func, select

from builders import insert_sample
from conftest import DEMO_ONTOLOGY, MEDIA, TESTER
from jobtools import (
    ENTERED,
    GATE,
    GATES,
    SQUARE,
    add_samples,
    read_job,
    shard_bytes,
    stored_samples,
    wait_for,
)
from mediagen import add_streams
from rosetta.core.errors import NotFoundError, RuleViolation
from rosetta.core.modality import Modality
from rosetta.core.schema import MediaInfo, Project, Sample, Stream
from rosetta.services.exporter import export_jsonl
from rosetta.services.job_kinds import KINDS, export_dir, new_upload, submit
from rosetta.services.job_worker import Worker
from rosetta.services.jobs import retry_job
from rosetta.services.projects import create_project, load_ontology_file
from rosetta.store.engine import make_engine, upgrade
from rosetta.store.events import history
from rosetta.store.records import load_sample
from rosetta.store.tables import media_artifacts, samples


def _worker(engine: Engine, data_dir: Path, threads: int = 1) -> Worker:
    return Worker(engine, data_dir=data_dir, threads=threads, poll=0.05)


def _whole(engine: Engine, project_id: str) -> bytes:
    out = io.BytesIO()
    export_jsonl(engine, project_id, out)
    return out.getvalue()


def test_export_shards_re_import_to_the_same_samples(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    ids = add_samples(engine, project.id, 9)
    data = tmp_path / "data"
    job = submit(engine, TESTER, "export", project.id, {"shard_size": 4})
    assert job.params == {"shard_size": 4, "formats": ["jsonl", "parquet"], "tracks": "sparse"}
    [done] = _worker(engine, data).run_until_idle()
    assert (done.id, done.status, done.progress) == (job.id, "done", 1.0)
    assert done.result == {
        "shards": 3,
        "samples": 9,
        "formats": ["jsonl", "parquet"],
        "folder": f"exports/{job.id}",
    }
    assert done.checkpoint is not None
    assert (done.checkpoint["shards"], done.checkpoint["samples"]) == (3, 9)
    folder = export_dir(data, job.id)
    jsonl = shard_bytes(folder, "jsonl")
    assert jsonl == _whole(engine, project.id)
    parquet = [
        row["sample"].encode()
        for n in range(3)
        for row in pq.read_table(folder / f"samples-0000{n}.parquet").to_pylist()
    ]
    assert parquet == jsonl.splitlines()

    # both formats re-import into other stores (ids are unique per store) as the same
    # samples, value for value
    ontology = load_ontology_file(DEMO_ONTOLOGY)
    for name, body in (("jsonl", jsonl), ("parquet", b"\n".join(parquet) + b"\n")):
        other = make_engine(f"sqlite:///{tmp_path / name}.db")
        upgrade(other)
        target = create_project(other, "copy", ontology, TESTER)
        upload, path = new_upload(data)
        path.write_bytes(body)
        submit(other, TESTER, "import", target.id, {"file": upload})
        [imported] = _worker(other, data).run_until_idle()
        assert imported.status == "done", imported.error
        assert imported.result is not None
        assert (imported.result["samples_written"], imported.result["annotations"]) == (9, 36)
        assert not path.exists()  # an upload is removed once imported
        assert stored_samples(other, ids) == stored_samples(engine, ids)
        other.dispose()


def test_a_failed_export_resumes_after_its_last_finished_shard(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    add_samples(engine, project.id, 10)
    data = tmp_path / "data"
    job = submit(engine, TESTER, "export", project.id, {"shard_size": 2, "formats": ["jsonl"]})
    folder = export_dir(data, job.id)
    # the third shard cannot take its name: a folder is in the way (a real I/O failure)
    (folder / "samples-00002.jsonl" / "in-the-way").mkdir(parents=True)
    [failed] = _worker(engine, data).run_until_idle()
    assert failed.status == "failed"
    assert "IsADirectoryError" in (failed.error or "")
    assert failed.checkpoint is not None
    assert (failed.checkpoint["shards"], failed.checkpoint["samples"]) == (2, 4)
    finished = {path: path.stat() for path in folder.glob("*.jsonl") if path.is_file()}
    assert sorted(path.name for path in finished) == ["samples-00000.jsonl", "samples-00001.jsonl"]
    assert not list(folder.glob("*.part"))

    shutil.rmtree(folder / "samples-00002.jsonl")
    time.sleep(0.01)  # a shard written again would get a later modification time
    retry_job(engine, TESTER, job.id)
    [done] = _worker(engine, data).run_until_idle()
    assert (done.status, done.attempts, done.result) == (
        "done",
        1,
        {"shards": 5, "samples": 10, "formats": ["jsonl"], "folder": f"exports/{job.id}"},
    )
    for path, stat in finished.items():  # the finished shards were not written again
        assert (path.stat().st_ino, path.stat().st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
    assert shard_bytes(folder, "jsonl") == _whole(engine, project.id)


def test_an_import_that_fails_resumes_where_it_stopped(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    source = tmp_path / "source.db"
    other = make_engine(f"sqlite:///{source}")
    upgrade(other)
    origin = create_project(other, "origin", load_ontology_file(DEMO_ONTOLOGY), TESTER)
    ids = add_samples(other, origin.id, 6)
    lines = _whole(other, origin.id).splitlines(keepends=True)
    data = tmp_path / "data"
    upload, path = new_upload(data)
    path.write_bytes(b"".join(lines[:4]) + b'{"id": "broken"\n' + b"".join(lines[4:]))
    job = submit(engine, TESTER, "import", project.id, {"file": upload, "batch_size": 2})
    [failed] = _worker(engine, data).run_until_idle()
    assert failed.status == "failed"
    assert f"{path}:5" in (failed.error or "")
    with engine.connect() as connection:
        written = connection.execute(select(func.count()).select_from(samples)).scalar_one()
    assert written == 4  # the two batches before the bad line

    path.write_bytes(b"".join(lines[:4]) + b"\n" + b"".join(lines[4:]))  # line 5 mended
    retry_job(engine, TESTER, job.id)
    [done] = _worker(engine, data).run_until_idle()
    assert done.status == "done", done.error
    assert done.result is not None
    assert (done.result["samples_written"], done.result["lines_read"]) == (2, 2)
    assert stored_samples(engine, ids) == stored_samples(other, ids)
    other.dispose()

    outside = tmp_path / "outside.jsonl"
    outside.write_bytes(lines[0])
    (data / "link.jsonl").symlink_to(outside)
    for name in ("link.jsonl", "missing.jsonl"):
        submit(engine, TESTER, "import", project.id, {"file": name})
        [refused] = _worker(engine, data).run_until_idle()
        assert refused.error == f"{name}: no such file in the data folder"


def test_params_are_checked_when_a_job_is_submitted(engine: Engine, project: Project) -> None:
    cases = [
        ("nope", {}, "kind", "unknown kind 'nope'; expected one of import, export"),
        ("export", {"shard_size": 0}, "params.shard_size", "greater than or equal to 1"),
        ("export", {"formats": ["csv"]}, "params.formats.0", "'jsonl' or 'parquet'"),
        ("export", {"formats": []}, "params.formats", "at least 1 item"),
        ("export", {"extra": 1}, "params.extra", "Extra inputs are not permitted"),
        ("import", {}, "params.file", "Field required"),
        ("import", {"file": "../db.sqlite"}, "params.file", "without '..'"),
        ("import", {"file": "/etc/passwd"}, "params.file", "relative to the data folder"),
        ("prepare", {}, "params.stream", "Field required"),
    ]
    for kind, params, field, message in cases:
        with pytest.raises(RuleViolation) as caught:
            submit(engine, TESTER, kind, project.id, params)
        assert (caught.value.field, caught.value.rule) == (
            field,
            "job-kind" if kind == "nope" else "job-params",
        )
        assert message in caught.value.detail
    with pytest.raises(NotFoundError, match="no stream with id 'elsewhere'"):
        submit(engine, TESTER, "prepare", project.id, {"stream": "elsewhere"})
    with pytest.raises(NotFoundError, match="no project"):
        submit(engine, TESTER, "probe", "nope")


def test_probe_updates_media_info_with_an_event(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    audio = tmp_path / "narration.wav"
    shutil.copy(MEDIA / "audio" / "narration.wav", audio)
    add_streams(
        engine,
        project,
        "s1",
        [
            ("s1-audio", Modality.AUDIO, audio),
            ("s1-photo", Modality.IMAGE, MEDIA / "images" / "coffee.png"),
            ("s1-gone", Modality.AUDIO, tmp_path / "gone.wav"),
        ],
    )
    insert_sample(
        engine,
        project.id,
        Sample(
            id="s2",
            streams=[
                Stream(
                    id="s2-remote",
                    name="r",
                    modality=Modality.AUDIO,
                    uri="https://example.org/a.wav",
                ),
                Stream(
                    id="s2-text",
                    name="t",
                    modality=Modality.TEXT,
                    text="hi",
                    media=MediaInfo(length=2),
                ),
            ],
        ),
    )
    submit(engine, TESTER, "probe", project.id)
    [done] = _worker(engine, tmp_path).run_until_idle()
    assert done.result == {
        "streams": 5,
        "counts": {"updated": 2, "failed": 1, "remote": 1, "skipped": 1},
        "failures": [
            {
                "stream": "s1-gone",
                "error": f"{tmp_path / 'gone.wav'}: no such file (expected an audio file (WAV, FLAC, OGG, MP3, ...))",
            }
        ],
    }
    with engine.connect() as connection:
        sample = load_sample(connection, "s1")
        media = {stream.id: stream.media for stream in sample.streams}
        assert (media["s1-audio"].sample_rate, media["s1-audio"].channels) == (16000, 1)
        assert media["s1-photo"].width is not None
        [event] = [e for e in history(connection, "s1-audio") if e.action == "update"]
    assert (event.object_kind, event.note, event.actor, event.tool) == (
        "stream",
        "probed",
        "tester",
        "rosetta-job",
    )
    assert event.before == {"media": {}}
    assert event.after["media"]["sample_rate"] == 16000

    submit(engine, TESTER, "probe", project.id, {"only_missing": True})
    [again] = _worker(engine, tmp_path).run_until_idle()
    assert again.result is not None
    assert again.result["counts"] == {"skipped": 3, "failed": 1, "remote": 1}


def test_prepare_jobs(engine: Engine, project: Project, tmp_path: Path) -> None:
    audio = tmp_path / "narration.wav"
    shutil.copy(MEDIA / "audio" / "narration.wav", audio)
    add_streams(engine, project, "s1", [("s1-audio", Modality.AUDIO, audio)])
    one = submit(engine, TESTER, "prepare", project.id, {"stream": "s1-audio"})
    assert (one.kind, one.target) == ("prepare", "s1-audio")
    whole = submit(engine, TESTER, "prepare-project", project.id)
    assert whole.target == project.id
    done = _worker(engine, tmp_path).run_until_idle()
    assert [(job.id, job.status) for job in done] == [(one.id, "done"), (whole.id, "done")]
    assert done[0].result is not None and done[0].result["status"] == "prepared"
    assert done[1].result == {"streams": 1, "counts": {"fresh": 1}, "failures": []}
    with engine.connect() as connection:
        kinds = connection.execute(select(media_artifacts.c.kind)).scalars().all()
    assert kinds == ["peaks"]


def test_worker_threads_share_the_queue_and_stopping_requeues(
    engine: Engine, project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(KINDS, "square", SQUARE)
    monkeypatch.setitem(KINDS, "gate", GATE)
    first, second = _worker(engine, tmp_path, threads=2), _worker(engine, tmp_path, threads=2)
    first.start()
    second.start()
    try:
        jobs = [submit(engine, TESTER, "square", project.id, {"n": n}) for n in range(20)]
        for worker in (first, second):
            worker.wake()
        ran = [wait_for(engine, job.id) for job in jobs]
        assert [job.result["square"] for job in ran if job.result] == [n * n for n in range(20)]
        assert {job.attempts for job in ran} == {1}
        assert {job.worker for job in ran} <= {first.name, second.name}
        assert {job.worker for job in ran} == {job.result["worker"] for job in ran if job.result}

        GATES.pop("stop", None)
        ENTERED.pop("stop", None)
        gated = submit(engine, TESTER, "gate", project.id, {"name": "stop"})
        first.wake()
        second.wake()
        while "stop" not in ENTERED:
            time.sleep(0.01)
        owner, other = (
            (first, second) if read_job(engine, gated.id).worker == first.name else (second, first)
        )
        other.stop()
        owner.stop()  # its running job stops at its next progress report: queued again
        queued = read_job(engine, gated.id)
        assert (queued.status, queued.worker, queued.attempts) == ("queued", None, 1)
    finally:
        first.stop()
        second.stop()
    GATES["stop"].set()
    [resumed] = _worker(engine, tmp_path).run_until_idle()
    assert (resumed.id, resumed.status, resumed.result) == (
        gated.id,
        "done",
        {"passed": "stop", "attempts": 2},
    )
