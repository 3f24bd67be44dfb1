"""What the tests of foreign-format jobs, uploads and downloads share: the real files they
import, the mappings onto the demo ontology, small files of their own, and what a store
holds."""

import json
import zipfile
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import Engine, func, select

from conftest import SHARED
from rosetta.core.schema import Sample
from rosetta.services.exporter import sample_lines
from rosetta.store.tables import annotations, entities, links, samples

FIXTURES = SHARED / "fixtures" / "formats"
#: Datumaro's COCO instances: one image (``b.jpg``, 5x10), labels ``a`` and ``b``.
COCO = FIXTURES / "coco" / "openvinotoolkit__datumaro" / "instances_val.json"
#: Its labels onto the demo ontology, the attributes the ontology lacks left out.
COCO_MAPPING: dict[str, Any] = {
    "labels": {"a": "person", "b": "cat"},
    "attributes": {"x": None, "y": None, "iscrowd": None},
}
#: Datumaro's VOC annotation of one 20x10 image ``2007_000001.jpg``: a cat, a person and
#: the person's head (a part).
VOC = FIXTURES / "pascal_voc" / "openvinotoolkit__datumaro" / "2007_000001.xml"
_ACTIONS = [
    "other",
    "jumping",
    "phoning",
    "playinginstrument",
    "reading",
    "ridingbike",
    "ridinghorse",
    "running",
    "takingphoto",
    "usingcomputer",
    "walking",
]
#: Its part label dropped, the attributes the demo ontology lacks left out.
VOC_MAPPING: dict[str, Any] = {
    "drop": ["head"],
    "attributes": {name: None for name in ["pose", "truncated", "difficult", *_ACTIONS]},
}


def voc_folder(folder: Path) -> Path:
    """A VOC dataset folder: ``Annotations/`` with the real file and ``JPEGImages/`` with
    an image of its size; `folder`."""
    (folder / "Annotations").mkdir(parents=True)
    (folder / "Annotations" / VOC.name).write_bytes(VOC.read_bytes())
    (folder / "JPEGImages").mkdir()
    Image.new("RGB", (20, 10), "white").save(folder / "JPEGImages" / "2007_000001.jpg")
    return folder


def zipped(folder: Path, archive: Path) -> Path:
    """The files under `folder` in the zip file `archive`, named relative to `folder`."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                out.write(path, path.relative_to(folder).as_posix())
    return archive


def coco_file(path: Path, images: int, *, bbox: list[float] | None = None, uri: str = "") -> Path:
    """A COCO instances file of `images` 20x10 images with one ``Pedestrian`` box each
    (`bbox`, default ``[1, 1, 4, 4]``); the images' file names start with `uri`."""
    document = {
        "images": [
            {"id": n, "file_name": f"{uri}img{n}.jpg", "width": 20, "height": 10}
            for n in range(1, images + 1)
        ],
        "categories": [{"id": 1, "name": "Pedestrian"}],
        "annotations": [
            {"id": n, "image_id": n, "category_id": 1, "bbox": bbox or [1, 1, 4, 4], "iscrowd": 0}
            for n in range(1, images + 1)
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    return path


def row_counts(engine: Engine) -> tuple[int, ...]:
    """How many samples, annotations, entities and links the store holds."""
    with engine.connect() as connection:
        return tuple(
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (samples, annotations, entities, links)
        )


def project_samples(engine: Engine, project_id: str) -> list[Sample]:
    """The project's samples as the exporter reads them, in the store's order."""
    return [Sample.model_validate_json(line) for _, line in sample_lines(engine, project_id)]


def export_tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` by its path there, the dataset card without the time it
    was written (the one thing two exports of the same project differ in)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            name = path.relative_to(folder).as_posix()
            found[name] = path.read_bytes()
    card = json.loads(found["dataset_card.json"])
    written_at = card["export"].pop("exported_at")
    found["dataset_card.json"] = json.dumps(card, sort_keys=True).encode()
    found["README.md"] = found["README.md"].replace(written_at.encode(), b"")
    return found
