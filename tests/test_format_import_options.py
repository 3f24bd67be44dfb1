"""The reading options every import surface gives: ``--instances`` / ``instances`` (a COCO
results file read against an instances file elsewhere) and ``--zero-based-pixels`` /
``zero_based_pixels`` (VOC coordinates as pixel edges from 0), on the command line and
through the upload route (its ``format-import`` job)."""

import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from api_clients import client_as
from conftest import DEMO_ONTOLOGY
from foreign_formats import project_samples
from jobtools import FINISHED
from rosetta.cli.main import app
from rosetta.core.geometry import Box
from rosetta.core.policies import Role
from rosetta.core.schema import Project
from rosetta.services.settings import Settings
from rosetta.store.engine import open_store
from rosetta.store.tables import projects

INSTANCES = {
    "images": [{"id": 1, "file_name": "one.jpg", "width": 30, "height": 20}],
    "categories": [{"id": 3, "name": "cat"}],
    "annotations": [],
}
DETECTIONS = [{"image_id": 1, "category_id": 3, "bbox": [1, 2, 5, 4], "score": 0.75}]
#: A box from pixel edge 0: VOC's 1-based pixels have no 0.
VOC = (
    "<annotation><filename>one.jpg</filename>"
    "<size><width>30</width><height>20</height><depth>3</depth></size>"
    "<object><name>cat</name><bndbox><xmin>0</xmin><ymin>2</ymin><xmax>20</xmax>"
    "<ymax>7.5</ymax></bndbox></object></annotation>\n"
)


def coco_files(folder: Path) -> tuple[Path, Path]:
    """A results file in `folder` and its instances file in ``truth/`` below it."""
    (folder / "truth").mkdir(parents=True)
    (folder / "dets.json").write_text(json.dumps(DETECTIONS))
    (folder / "truth" / "instances.json").write_text(json.dumps(INSTANCES))
    return folder / "dets.json", folder / "truth" / "instances.json"


def boxes(samples: list[Any]) -> list[tuple[Box, float | None]]:
    return [(a.geometry, a.source.confidence) for s in samples for a in s.annotations]


# --- the command line ------------------------------------------------------------------------


def rosetta(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "250"})
    return result.exit_code, " ".join((result.stdout + result.stderr).split())


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert rosetta("--db", url, "init", "--name", "p", "--ontology", str(DEMO_ONTOLOGY))[0] == 0
    return url


def stored(url: str) -> list[Any]:
    engine = open_store(url)
    try:
        with engine.connect() as connection:
            project_id = connection.execute(select(projects.c.id)).scalar_one()
        return project_samples(engine, project_id)
    finally:
        engine.dispose()


def test_the_command_line_reads_results_against_the_instances_given(
    tmp_path: Path, url: str
) -> None:
    results, instances = coco_files(tmp_path / "coco")
    code, out = rosetta("--db", url, "format", "import", "coco", str(results))
    assert code == 1
    assert "a results file names images and categories by id only" in out
    code, out = rosetta(
        "--db", url, "format", "import", "coco", str(results), "--instances", str(instances)
    )
    assert code == 0, out
    assert boxes(stored(url)) == [(Box(x=1, y=2, w=5, h=4), 0.75)]


def test_the_command_line_reads_voc_pixels_from_zero_when_asked(tmp_path: Path, url: str) -> None:
    path = tmp_path / "one.xml"
    path.write_text(VOC)
    code, out = rosetta("--db", url, "format", "import", "voc", str(path))
    assert code == 1
    assert "read with the zero_based_pixels option" in out
    code, out = rosetta("--db", url, "format", "import", "voc", str(path), "--zero-based-pixels")
    assert code == 0, out
    assert boxes(stored(url)) == [(Box(x=0, y=2, w=20, h=5.5), None)]


# --- the upload route and its job ------------------------------------------------------------


@pytest.fixture
def manager(engine: Engine, project: Project, tmp_path: Path) -> Iterator[TestClient]:
    """A manager of the project, with the app's worker running."""
    settings = Settings(data_dir=tmp_path / "data", media_roots=(tmp_path,), job_workers=1)
    client = client_as(
        engine, "meg", admin=False, project_id=project.id, role=Role.MANAGER, settings=settings
    )
    with client:
        yield client


def upload(client: TestClient, project: Project, body: bytes, **query: Any) -> dict[str, Any]:
    answer = client.post(
        f"/api/projects/{project.name}/format-imports",
        params=query,
        content=body,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert answer.status_code == 202, answer.text
    deadline = time.monotonic() + 60
    job_id = answer.json()["id"]
    while (job := client.get(f"/api/jobs/{job_id}").json())["status"] not in FINISHED:
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    return job


def zipped(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def test_an_upload_reads_results_against_the_instances_it_names(
    engine: Engine, project: Project, manager: TestClient, tmp_path: Path
) -> None:
    coco_files(tmp_path / "upload")
    body = zipped(tmp_path / "upload")
    query = {"format": "coco", "filename": "up.zip"}
    failed = upload(manager, project, body, **query)
    assert failed["status"] == "failed"  # the folder's truth/ is not read by itself
    done = upload(manager, project, body, **query, instances="truth/instances.json")
    assert done["status"] == "done", done["error"]
    assert done["params"]["instances"].endswith("/truth/instances.json")
    assert boxes(project_samples(engine, project.id)) == [(Box(x=1, y=2, w=5, h=4), 0.75)]
    refused = manager.post(
        f"/api/projects/{project.name}/format-imports",
        params={**query, "instances": "../elsewhere.json"},
        content=body,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert refused.status_code == 422
    assert "without '..'" in refused.text


def test_an_upload_reads_voc_pixels_from_zero_when_asked(
    engine: Engine, project: Project, manager: TestClient
) -> None:
    query = {"format": "voc", "filename": "one.xml"}
    failed = upload(manager, project, VOC.encode(), **query)
    assert failed["status"] == "failed"
    assert "read with the zero_based_pixels option" in failed["error"]
    done = upload(manager, project, VOC.encode(), **query, zero_based_pixels=True)
    assert done["status"] == "done", done["error"]
    assert boxes(project_samples(engine, project.id)) == [(Box(x=0, y=2, w=20, h=5.5), None)]
