"""The ``format-import`` and ``format-export`` job kinds run by a real worker on the real
store (SQLite and PostgreSQL): an import stores what the command line's import stores;
unmapped labels, a malformed file and media outside the media roots fail the job with the
reason and write nothing; an import stopped half way runs again without doubling anything
(with and without new ids); params are checked at submission; an export writes what the
command line's export writes, and one stopped half way leaves nothing behind."""

import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from conftest import DEMO_ONTOLOGY, TESTER
from foreign_formats import (
    COCO,
    COCO_MAPPING,
    coco_file,
    export_tree,
    project_samples,
    row_counts,
)
from jobtools import read_job
from rosetta.core.errors import RuleViolation
from rosetta.core.schema import Project
from rosetta.formats.label_map import LabelMap
from rosetta.services.format_io import export_foreign, import_foreign
from rosetta.services.job_kinds import (
    FORMAT_EXPORT,
    FORMAT_IMPORT,
    export_dir,
    new_folder_upload,
    run_kind,
    submit,
)
from rosetta.services.job_worker import Worker
from rosetta.services.jobs import Job, JobContext, claim_next, execute, finish, read_log
from rosetta.services.projects import create_project, load_ontology_file
from rosetta.services.settings import Settings
from rosetta.store.engine import make_engine, upgrade

#: Foreign ``Pedestrian`` (the files `coco_file` writes) onto the demo ontology.
PEDESTRIANS = {"labels": {"Pedestrian": "person"}}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    media = tmp_path / "media"
    media.mkdir()
    return Settings(data_dir=tmp_path / "data", media_roots=(media,), job_workers=0)


def _run(engine: Engine, settings: Settings) -> list[Job]:
    worker = Worker(engine, data_dir=settings.data_dir, settings=settings, poll=0.05)
    return worker.run_until_idle()


def _upload(settings: Settings, source: Path) -> str:
    """`source` put in a fresh upload folder as an upload is; its ``file`` param."""
    name, folder = new_folder_upload(settings.data_dir)
    folder.mkdir()
    shutil.copy(source, folder / source.name)
    return f"{name}/{source.name}"


def _log(engine: Engine, job_id: str) -> list[str]:
    with engine.connect() as connection:
        return [line.message for line in read_log(connection, job_id)]


def test_an_import_job_stores_what_the_command_line_imports(
    engine: Engine, project: Project, settings: Settings, tmp_path: Path
) -> None:
    file = _upload(settings, COCO)
    job = submit(
        engine,
        TESTER,
        FORMAT_IMPORT,
        project.id,
        {"format": "coco", "file": file, "mapping": COCO_MAPPING},
        settings=settings,
    )
    assert job.params == {
        "format": "coco",
        "file": file,
        "mapping": {**COCO_MAPPING, "relations": {}, "drop": []},
        "media_root": None,
        "default_label": None,
        "instances": None,
        "zero_based_pixels": False,
        "new_ids": False,
        "batch_size": 500,
    }
    [done] = _run(engine, settings)
    assert (done.status, done.progress, done.error) == ("done", 1.0, None)
    assert done.result == {
        "format": "coco",
        "file": file,
        "samples_written": 1,
        "samples_skipped": 0,
        "annotations": 2,
        "entities": 0,
        "links": 0,
        "dropped": {},
    }
    upload = file.rsplit("/", 1)[0]
    assert not (settings.data_dir / upload).exists()  # removed once imported
    assert _log(engine, job.id)[2:] == [
        f"reading {file} as coco",
        "1 samples read, mapped and checked; writing them",
        f"imported; the upload {upload} is removed",
        "done",
    ]

    other = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    upgrade(other)
    target = create_project(other, "cli", load_ontology_file(DEMO_ONTOLOGY), TESTER)
    mapping = LabelMap.model_validate(COCO_MAPPING)
    import_foreign(other, target.id, "coco", COCO, TESTER, mapping=mapping)
    [stored] = project_samples(engine, project.id)
    assert [stored] == project_samples(other, target.id)
    assert [(a.label, a.geometry.type) for a in stored.annotations] == [
        ("person", "polygon"),
        ("cat", "mask"),
    ]
    other.dispose()


def test_unmapped_labels_fail_the_job_listing_them_and_nothing_is_written(
    engine: Engine, project: Project, settings: Settings
) -> None:
    file = _upload(settings, COCO)
    before = row_counts(engine)
    job = submit(engine, TESTER, FORMAT_IMPORT, project.id, {"format": "coco", "file": file})
    [failed] = _run(engine, settings)
    assert failed.status == "failed"
    reason = failed.error or ""
    assert reason.startswith("2 label(s) map to no class of the ontology")
    # each label with its count and first place, named as the data folder holds the file
    assert f"'a': 1 annotations, first at {file}:0 (annotations[0] (id 1))" in reason
    assert f"'b': 1 annotations, first at {file}:0 (annotations[1] (id 2))" in reason
    assert str(settings.data_dir) not in reason
    assert _log(engine, job.id)[-1] == f"failed: {reason}"
    assert row_counts(engine) == before
    assert (settings.data_dir / file).is_file()  # kept for a retry


def test_a_malformed_file_fails_the_job_naming_the_record_and_nothing_is_written(
    engine: Engine, project: Project, settings: Settings, tmp_path: Path
) -> None:
    source = coco_file(tmp_path / "broken.json", 3, bbox=[1, 2, 3])
    file = _upload(settings, source)
    before = row_counts(engine)
    submit(engine, TESTER, FORMAT_IMPORT, project.id, {"format": "coco", "file": file})
    [failed] = _run(engine, settings)
    assert failed.status == "failed"
    assert failed.error is not None
    assert failed.error.startswith(f"{file}:")
    assert "annotations[0] (id 1): bbox: expected [x, y, width, height], got [1" in failed.error
    assert row_counts(engine) == before


def test_media_outside_the_media_roots_fails_the_import(
    engine: Engine, project: Project, settings: Settings, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    source = coco_file(tmp_path / "far.json", 2, uri=f"{elsewhere}/")
    file = _upload(settings, source)
    before = row_counts(engine)
    params = {"format": "coco", "file": file, "mapping": PEDESTRIANS}
    submit(engine, TESTER, FORMAT_IMPORT, project.id, params)
    [failed] = _run(engine, settings)
    assert failed.error == (
        f"{file}:0: images[0] (id 1): streams[0].uri: '{elsewhere}/img1.jpg' lies outside the "
        "imported files and every folder of ROSETTA_MEDIA_ROOTS; give the media root it is in "
        "(media_root)"
    )
    assert row_counts(engine) == before

    # inside a media root it is kept as it is
    inside = settings.media_roots[0]
    source = coco_file(tmp_path / "near.json", 2, uri=f"{inside}/")
    submit(
        engine,
        TESTER,
        FORMAT_IMPORT,
        project.id,
        {"format": "coco", "file": _upload(settings, source), "mapping": PEDESTRIANS},
    )
    [done] = _run(engine, settings)
    assert done.status == "done", done.error
    uris = [s.streams[0].uri for s in project_samples(engine, project.id)]
    assert uris == [f"{inside}/img1.jpg", f"{inside}/img2.jpg"]

    # a media root the settings refuse fails the job when it runs, not only at submission
    params = {"format": "coco", "file": _upload(settings, source), "media_root": str(elsewhere)}
    submit(engine, TESTER, FORMAT_IMPORT, project.id, params)
    [refused] = _run(engine, settings)
    assert refused.error is not None
    assert "params.media_root: " in refused.error
    assert "is no folder inside ROSETTA_MEDIA_ROOTS" in refused.error


def _stop_after(
    engine: Engine, settings: Settings, kind: str, message: str
) -> tuple[Job, JobContext]:
    """Claim the queued job of `kind` and run it until it reports `message`, then stop it
    as a stopping worker does: it is queued again. The job and its context."""
    worker = "stopping-worker"
    job = claim_next(engine, worker, [kind])
    assert job is not None
    stop = threading.Event()

    def heard(_fraction: float, said: str | None) -> None:
        if said == message:
            stop.set()

    context = JobContext(
        engine,
        job,
        worker=worker,
        data_dir=settings.data_dir,
        settings=settings,
        stop=stop,
        on_progress=heard,
    )
    outcome = execute(context, run_kind)
    assert (outcome.status, outcome.reason) == ("interrupted", "stopping")
    assert finish(engine, job.id, worker, outcome).status == "queued"
    return job, context


@pytest.mark.parametrize("new_ids", [False, True])
def test_an_import_stopped_half_way_runs_again_without_doubling(
    engine: Engine, project: Project, settings: Settings, tmp_path: Path, new_ids: bool
) -> None:
    source = coco_file(tmp_path / "three.json", 3)
    file = _upload(settings, source)
    params: dict[str, Any] = {
        "format": "coco",
        "file": file,
        "mapping": PEDESTRIANS,
        "batch_size": 1,
        "new_ids": new_ids,
    }
    submit(engine, TESTER, FORMAT_IMPORT, project.id, params)
    job, _ = _stop_after(engine, settings, FORMAT_IMPORT, "2 of 3 samples written")
    assert row_counts(engine) == (2, 2, 0, 0)  # two batches of one committed
    assert (settings.data_dir / file).is_file()

    [done] = _run(engine, settings)
    assert (done.id, done.status, done.attempts) == (job.id, "done", 2)
    assert done.result is not None
    assert (done.result["samples_written"], done.result["samples_skipped"]) == (1, 2)
    stored = project_samples(engine, project.id)
    assert [s.external_id for s in stored] == ["img1.jpg", "img2.jpg", "img3.jpg"]
    ids = {s.id for s in stored}
    assert (ids == {"three.1", "three.2", "three.3"}) is not new_ids
    assert row_counts(engine) == (3, 3, 0, 0)


def test_params_are_checked_when_the_job_is_submitted(
    engine: Engine, project: Project, settings: Settings
) -> None:
    media = settings.media_roots[0]
    (media / "images").mkdir()
    cases: list[tuple[str, dict[str, Any], str, str]] = [
        (FORMAT_IMPORT, {"format": "coco"}, "params.file", "Field required"),
        (FORMAT_IMPORT, {"file": "x.json"}, "params.format", "Field required"),
        (FORMAT_IMPORT, {"format": "cocoa", "file": "x"}, "params.format", "unknown format"),
        (FORMAT_IMPORT, {"format": "parquet", "file": "x"}, "params.format", "cannot read"),
        (FORMAT_IMPORT, {"format": "coco", "file": "../x"}, "params.file", "without '..'"),
        (
            FORMAT_IMPORT,
            {"format": "coco", "file": "x", "mapping": {"labels": {"a": 3}}},
            "params.mapping.labels.a",
            "Input should be a valid string",
        ),
        (
            FORMAT_IMPORT,
            {"format": "coco", "file": "x", "mapping": {"colours": {}}},
            "params.mapping.colours",
            "Extra inputs are not permitted",
        ),
        (
            FORMAT_IMPORT,
            {"format": "coco", "file": "x", "mapping": {"drop": "DontCare"}},
            "params.mapping.drop",
            "Input should be a valid list",
        ),
        (FORMAT_EXPORT, {"format": "kitti"}, "params.format", "cannot write"),
        (FORMAT_EXPORT, {"format": "coco", "tracks": "all"}, "params.tracks", "'sparse'"),
    ]
    for kind, params, field, message in cases:
        with pytest.raises(RuleViolation) as caught:
            submit(engine, TESTER, kind, project.id, params, settings=settings)
        assert (caught.value.field, caught.value.rule) == (field, "job-params"), params
        assert message in caught.value.detail
    for media_root in ("/etc", "..", "images/../..", "missing"):
        with pytest.raises(RuleViolation) as caught:
            params = {"format": "coco", "file": "x", "media_root": media_root}
            submit(engine, TESTER, FORMAT_IMPORT, project.id, params, settings=settings)
        assert (caught.value.field, caught.value.rule) == ("params.media_root", "media-root")
    for media_root in ("images", str(media / "images"), str(media)):
        params = {"format": "coco", "file": "x", "media_root": media_root}
        assert submit(engine, TESTER, FORMAT_IMPORT, project.id, params, settings=settings)
    assert row_counts(engine) == (0, 0, 0, 0)


def test_an_export_job_writes_what_the_command_line_writes(
    engine: Engine, project: Project, settings: Settings, tmp_path: Path
) -> None:
    source = coco_file(tmp_path / "three.json", 3)
    mapping = LabelMap.model_validate(PEDESTRIANS)
    import_foreign(engine, project.id, "coco", source, TESTER, mapping=mapping)
    job = submit(engine, TESTER, FORMAT_EXPORT, project.id, {"format": "coco"}, settings=settings)
    assert job.params == {"format": "coco", "tracks": "sparse"}
    folder = export_dir(settings.data_dir, job.id)
    part = folder.with_name(f"{job.id}.part")

    _stop_after(engine, settings, FORMAT_EXPORT, "1 of 3 samples")
    assert not part.exists()  # a stopped export leaves nothing behind
    assert not folder.exists()

    [done] = _run(engine, settings)
    assert (done.status, done.attempts) == ("done", 2)
    files = ["instances.json", "dataset_card.json", "README.md", "ontology.json"]
    assert done.result == {
        "format": "coco",
        "files": files,
        "samples": 3,
        "annotations": 3,
        "not_carried": {},
        "folder": f"exports/{job.id}",
    }
    assert not part.exists()
    export_foreign(engine, project.id, "coco", tmp_path / "cli")
    assert export_tree(folder) == export_tree(tmp_path / "cli")
    assert sorted(export_tree(folder)) == sorted(files)
    assert read_job(engine, job.id).status == "done"
