"""Foreign formats over HTTP and the SDK, on the real app and store: the formats listed;
a COCO file uploaded with a YAML mapping and imported; a zip of a VOC folder with its image
imported, its media named inside the upload; unsafe archives (``..``, absolute paths,
links, zip bombs, too many members) and bad requests refused with nothing kept; an
export's files (in sub-folders too) downloaded equal to what the command line writes, and
names that leave the export refused; the SDK zipping a folder to import it, exporting and
downloading."""

import io
import stat
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api_clients import client_as
from foreign_formats import (
    COCO,
    COCO_MAPPING,
    VOC_MAPPING,
    export_tree,
    project_samples,
    row_counts,
    voc_folder,
    zipped,
)
from jobtools import FINISHED
from loopback import api_token, serve
from rosetta.core.policies import Role
from rosetta.core.schema import MediaInfo, Project
from rosetta.formats.registry import FORMATS
from rosetta.sdk import Client
from rosetta.services.format_io import export_foreign
from rosetta.services.job_kinds import export_dir
from rosetta.services.settings import Settings

#: The most bytes an upload (and what an archive inflates to) may take in these tests.
LIMIT = 64 << 10


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    media = tmp_path / "media"
    media.mkdir()
    return Settings(
        data_dir=tmp_path / "data",
        media_roots=(media,),
        job_workers=1,
        max_upload_bytes=LIMIT,
        archive_members=20,
    )


@pytest.fixture
def manager(engine: Engine, project: Project, settings: Settings) -> Iterator[TestClient]:
    """A manager of the project, with the app's worker running (the lifespan)."""
    client = client_as(
        engine, "meg", admin=False, project_id=project.id, role=Role.MANAGER, settings=settings
    )
    with client:
        yield client


def _finished(client: TestClient, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while (job := client.get(f"/api/jobs/{job_id}").json())["status"] not in FINISHED:
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    return job


def _upload(client: TestClient, project: Project, body: bytes, **query: Any) -> Any:
    return client.post(
        f"/api/projects/{project.name}/format-imports",
        params=query,
        content=body,
        headers={"Content-Type": "application/octet-stream"},
    )


def _kept(settings: Settings) -> list[Path]:
    """What the uploads folder holds."""
    folder = settings.data_dir / "uploads"
    return sorted(folder.rglob("*")) if folder.exists() else []


def test_the_formats_are_listed(manager: TestClient) -> None:
    listed = manager.get("/api/formats").json()
    assert [f["name"] for f in listed] == sorted(FORMATS)
    by_name = {f["name"]: f for f in listed}
    assert (by_name["coco"]["read"], by_name["coco"]["write"]) == (True, True)
    assert (by_name["kitti"]["read"], by_name["kitti"]["write"]) == (True, False)
    assert (by_name["parquet"]["read"], by_name["parquet"]["write"]) == (False, True)
    assert "links" in by_name["coco"]["not_carried"]


def test_a_coco_file_uploaded_with_a_yaml_mapping_is_imported(
    engine: Engine, project: Project, manager: TestClient, settings: Settings
) -> None:
    mapping = yaml.safe_dump(COCO_MAPPING)
    answer = _upload(
        manager, project, COCO.read_bytes(), format="coco", filename=COCO.name, mapping=mapping
    )
    assert answer.status_code == 202, answer.text
    job = answer.json()
    assert answer.headers["Location"] == f"/api/jobs/{job['id']}"
    assert (job["kind"], job["params"]["mapping"]["labels"]) == (
        "format-import",
        {"a": "person", "b": "cat"},
    )
    assert job["params"]["file"].endswith(f"/{COCO.name}")
    done = _finished(manager, job["id"])
    assert done["status"] == "done", done["error"]
    assert (done["result"]["samples_written"], done["result"]["annotations"]) == (1, 2)
    [sample] = project_samples(engine, project.id)
    assert sample.id == "instances_val.40"  # the file's own name: ids as the CLI's
    assert _kept(settings) == []


def test_a_zip_of_a_voc_folder_is_imported_with_its_image(
    engine: Engine, project: Project, manager: TestClient, settings: Settings, tmp_path: Path
) -> None:
    voc_folder(tmp_path / "zip" / "voc2007")  # an archive of a folder: that folder imported
    archive = zipped(tmp_path / "zip", tmp_path / "voc.zip")
    answer = _upload(
        manager,
        project,
        archive.read_bytes(),
        format="voc",
        filename="voc.zip",
        mapping=yaml.safe_dump(VOC_MAPPING),
    )
    assert answer.status_code == 202, answer.text
    assert answer.json()["params"]["file"].endswith("/voc2007")
    done = _finished(manager, answer.json()["id"])
    assert done["status"] == "done", done["error"]
    assert (done["result"]["annotations"], done["result"]["dropped"]) == (2, {"head": 1})
    [sample] = project_samples(engine, project.id)
    [stream] = sample.streams
    # probed in the upload, named as the archive has it (the upload is removed)
    assert stream.uri == "JPEGImages/2007_000001.jpg"
    assert stream.media == MediaInfo(width=20, height=10, mime="image/jpeg")
    assert _kept(settings) == []


def _archive(*members: tuple[str, bytes], link: str | None = None) -> bytes:
    """A zip of `members` (name, content), and a symbolic link member named `link`."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members:
            archive.writestr(name, content)
        if link is not None:
            info = zipfile.ZipInfo(link)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return out.getvalue()


def _corrupt(archive: bytes) -> bytes:
    """`archive` with a byte of its first member's data changed (its checksum fails)."""
    start = 30 + int.from_bytes(archive[26:28], "little") + int.from_bytes(archive[28:30], "little")
    return archive[:start] + bytes([archive[start] ^ 0xFF]) + archive[start + 1 :]


COCO_BYTES = COCO.read_bytes()
UNSAFE = {
    "a parent folder": (_archive(("ok.json", COCO_BYTES), ("../evil.json", b"{}")), "archive-path"),
    "a nested parent": (_archive(("a/../../evil.json", b"{}")), "archive-path"),
    "an absolute path": (_archive(("/tmp/evil.json", b"{}")), "archive-path"),
    "a drive": (_archive(("C:evil.json", b"{}")), "archive-path"),
    "a backslash": (_archive(("a\\..\\evil.json", b"{}")), "archive-path"),
    "a symbolic link": (_archive(("ok.json", COCO_BYTES), link="passwd"), "archive-link"),
    "a zip bomb": (_archive(("bomb.json", b"0" * (LIMIT + 1))), "archive-size"),
    "many small bombs": (
        _archive(*[(f"{n}.json", b" " * (LIMIT // 4)) for n in range(5)]),
        "archive-size",
    ),
    "too many members": (
        _archive(*[(f"{n}.json", b"{}") for n in range(21)]),
        "archive-members",
    ),
    "a corrupt member": (_corrupt(_archive(("ok.json", COCO_BYTES))), "archive-readable"),
    "no files": (_archive(("empty/", b"")), "archive-empty"),
}


@pytest.mark.parametrize("case", UNSAFE, ids=list(UNSAFE))
def test_unsafe_archives_are_refused_and_nothing_is_kept(
    engine: Engine, project: Project, manager: TestClient, settings: Settings, case: str
) -> None:
    body, rule = UNSAFE[case]
    assert len(body) <= LIMIT
    answer = _upload(manager, project, body, format="coco", filename="up.zip")
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert (error["type"], error["object"], error["rule"]) == ("rule_violation", "up.zip", rule)
    assert _kept(settings) == []
    assert not (settings.data_dir.parent / "evil.json").exists()
    assert manager.get(f"/api/projects/{project.name}/jobs").json()["items"] == []
    assert row_counts(engine) == (0, 0, 0, 0)


def test_bad_uploads_are_refused_before_their_body_is_kept(
    engine: Engine, project: Project, manager: TestClient, settings: Settings
) -> None:
    body = COCO.read_bytes()
    cases = [
        ({"format": "coco", "filename": "a.json", "mapping": "labels: [a"}, "mapping (line 1)"),
        ({"format": "coco", "filename": "a.json", "mapping": "- a"}, "mapping"),
        (
            {"format": "coco", "filename": "a.json", "mapping": "labels: {a: [1]}"},
            "params.mapping.labels.a",
        ),
        ({"format": "cocoa", "filename": "a.json"}, "params.format"),
        ({"format": "parquet", "filename": "a.json"}, "params.format"),
        ({"format": "coco", "filename": "a.json", "media_root": "/etc"}, "params.media_root"),
        ({"format": "coco", "filename": "../a.json"}, "filename"),
        ({"format": "coco", "filename": ".."}, "filename"),
    ]
    for query, field in cases:
        answer = _upload(manager, project, body, **query)
        assert answer.status_code == 422, (query, answer.text)
        assert answer.json()["error"]["field"] == field, query
    assert _upload(manager, project, b"", format="coco", filename="a.json").status_code == 422
    too_big = _upload(manager, project, b" " * (LIMIT + 1), format="coco", filename="a.json")
    assert too_big.status_code == 413
    assert "ROSETTA_MAX_UPLOAD_BYTES" in too_big.json()["error"]["message"]
    assert _kept(settings) == []
    assert manager.get(f"/api/projects/{project.name}/jobs").json()["items"] == []


def test_export_files_download_equal_to_the_command_line_export(
    engine: Engine, project: Project, manager: TestClient, settings: Settings, tmp_path: Path
) -> None:
    archive = zipped(voc_folder(tmp_path / "voc"), tmp_path / "voc.zip")
    mapping = yaml.safe_dump(VOC_MAPPING)
    imported = _upload(
        manager, project, archive.read_bytes(), format="voc", filename="voc.zip", mapping=mapping
    )
    assert _finished(manager, imported.json()["id"])["status"] == "done"
    started = manager.post(
        f"/api/projects/{project.name}/jobs",
        json={"kind": "format-export", "params": {"format": "yolo"}},
    )
    assert started.status_code == 202, started.text
    job = _finished(manager, started.json()["id"])
    assert job["status"] == "done", job["error"]
    base = f"/api/jobs/{job['id']}/files"
    listed = manager.get(base).json()["items"]
    names = [file["name"] for file in listed]
    assert "labels/train/2007_000001.txt" in names and "data.yaml" in names
    downloaded = tmp_path / "downloaded"
    for file in listed:
        got = manager.get(f"{base}/{file['name']}")
        assert got.status_code == 200, file
        assert got.headers["content-type"].split(";")[0] == file["content_type"]
        assert len(got.content) == file["size"]
        (downloaded / file["name"]).parent.mkdir(parents=True, exist_ok=True)
        (downloaded / file["name"]).write_bytes(got.content)
    export_foreign(engine, project.id, "yolo", tmp_path / "cli")
    assert export_tree(downloaded) == export_tree(tmp_path / "cli")

    secret = settings.data_dir / "secret.txt"
    secret.write_text("the database password")
    folder = export_dir(settings.data_dir, job["id"])
    (folder / "labels" / "elsewhere").symlink_to(settings.data_dir, target_is_directory=True)
    for name in (
        "labels/..%2F..%2F..%2Fsecret.txt",
        "labels/%2e%2e/%2e%2e/%2e%2e/secret.txt",
        "labels/elsewhere/secret.txt",
        "labels//train/2007_000001.txt",
        "labels",
        "%2Fetc%2Fpasswd",
    ):
        answer = manager.get(f"{base}/{name}")
        assert answer.status_code == 404, name
        assert b"database password" not in answer.content
    assert [f["name"] for f in manager.get(base).json()["items"]] == names


def test_the_sdk_imports_a_folder_exports_and_downloads(
    engine: Engine, project: Project, settings: Settings, tmp_path: Path
) -> None:
    token = api_token(engine, "meg", project_id=project.id, role=Role.MANAGER)
    mapping = tmp_path / "voc.yaml"
    mapping.write_text(yaml.safe_dump(VOC_MAPPING))
    with serve(engine, settings) as url, Client(url, token) as rosetta:
        assert [f.name for f in rosetta.formats()] == sorted(FORMATS)
        job = rosetta.import_format(
            project.name, "voc", voc_folder(tmp_path / "voc"), mapping=mapping
        )
        assert (job.kind, job.params["file"].endswith("/")) == ("format-import", False)
        done = rosetta.wait(job, poll=0.05)
        assert done.result is not None
        assert (done.result["samples_written"], done.result["dropped"]) == (1, {"head": 1})

        exported = rosetta.wait(rosetta.export_format(project.name, "yolo"), poll=0.05)
        assert exported.kind == "format-export"
        paths = rosetta.download_export(exported, tmp_path / "download")
        assert [f.name for f in rosetta.job_files(exported)] == [
            path.relative_to(tmp_path / "download").as_posix() for path in paths
        ]
        export_foreign(engine, project.id, "yolo", tmp_path / "cli")
        assert export_tree(tmp_path / "download") == export_tree(tmp_path / "cli")

        again = rosetta.wait(
            rosetta.import_format(project.name, "coco", COCO, mapping=COCO_MAPPING), poll=0.05
        )
        assert again.result is not None
        assert (again.result["samples_written"], again.result["annotations"]) == (1, 2)
