"""Media names too long for the file system in every importer whose document names files.

Python's ``Path.is_file()`` raises `OSError` (``ENAMETOOLONG``) for a name with a part over
255 bytes. A document naming such a file (a COCO ``file_name``, a Label Studio image, a
YOLO list entry, an ELAN ``MEDIA_URL``...) is read exactly as one naming a short file that
is missing, or is refused with an `ImportFailed` naming the document (and the line, where
the format has lines), and a refused import writes nothing; it never raises `OSError`.
The same holds for a name a reader makes longer (a YOLO label file's stem with an image
suffix): a name a document gives is 300 characters long, one a reader lengthens 251.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from conftest import TESTER
from foreign_formats import row_counts
from rosetta.core.errors import ImportFailed
from rosetta.core.ontology import Ontology
from rosetta.formats.interchange import ReadOptions
from rosetta.formats.registry import format_spec
from rosetta.services.format_io import import_foreign
from rosetta.services.projects import create_project
from test_fuzz_importers import ELAN, MAPPING, SEEDS

#: The name of a file that is missing, and its stand-in too long for the file system.
SHORT = "missing"
LONG = "n" * 300
#: A file name stem that fits (251 + ".txt" is 255 bytes) but not with a longer suffix.
LONGEST = "n" * 251


@dataclass(frozen=True)
class Case:
    """A document naming the file `stem`: the format, its files (by the name they give),
    what is imported, where the import fails (the document and its line; none: it reads)
    and whether only the long name fails there (a stream named by it is refused)."""

    format: str
    files: Callable[[str], dict[str, str]]
    source: str
    fails_at: tuple[str, int] | None
    stem: str = LONG
    refused: bool = False


def _seed(name: str) -> str:
    seed = SEEDS[name]
    return seed.files[seed.target].decode()


def _coco(stem: str) -> dict[str, str]:
    document = json.loads(_seed("coco"))
    document["images"] = [{"id": 1, "file_name": f"{stem}.jpg"}]
    return {"instances.json": json.dumps(document)}


def _label_studio(stem: str) -> dict[str, str]:
    tasks = json.loads(_seed("label-studio"))
    tasks[0]["data"]["image"] = f"{stem}.jpg"
    return {"tasks.json": json.dumps(tasks)}


def _cvat_images(stem: str) -> dict[str, str]:
    text = _seed("cvat-images").replace('name="a.jpg" width="20" height="10"', f'name="{stem}.jpg"')
    return {"annotations.xml": text}


def _voc(stem: str) -> dict[str, str]:
    size = "<size><width>20</width><height>10</height><depth>3</depth></size>"
    return {"a.xml": _seed("voc").replace("a.jpg", f"{stem}.jpg").replace(size, "")}


def _yolo_list(stem: str) -> dict[str, str]:
    return {"data.yaml": "train: train.txt\nnames: [person, cat]\n", "train.txt": f"{stem}.png\n"}


def _yolo_split(stem: str) -> dict[str, str]:
    return {"data.yaml": f"path: {stem}\ntrain: {stem}/images\nnames: [person, cat]\n"}


def _yolo_darknet(stem: str) -> dict[str, str]:
    return {"obj.data": f"classes = 2\nnames = data/{stem}.names\ntrain = train.txt\n"}


def _yolo_folder(stem: str) -> dict[str, str]:
    return {
        "data.yaml": "path: .\ntrain: images/train\nnames: [person, cat]\n",
        f"labels/train/{stem}.txt": "0 0.5 0.5 0.2 0.2\n",
    }


def _elan(url: str) -> dict[str, str]:
    header = '<HEADER MEDIA_FILE="" TIME_UNITS="milliseconds"/>'
    media = f'<MEDIA_DESCRIPTOR MEDIA_URL="{url}" MIME_TYPE="audio/x-wav"/>'
    return {"talk.eaf": ELAN.replace(header, header.replace("/>", f">{media}</HEADER>"))}


def _dpo(stem: str) -> dict[str, str]:
    pair = {"prompt": "Which?", "chosen": "a", "rejected": "b", "images": [f"{stem}.jpg"]}
    return {"pairs.jsonl": json.dumps(pair) + "\n"}


def _kitti(stem: str) -> dict[str, str]:
    """A KITTI frame whose label and calibration files are named `stem` (the frame name
    becomes the ids of its records)."""
    seed = SEEDS["kitti"].files
    return {
        f"label_2/{stem}.txt": seed["label_2/000001.txt"].decode(),
        f"calib/{stem}.txt": seed["calib/000001.txt"].decode(),
    }


CASES = {
    "coco": Case("coco", _coco, "instances.json", ("instances.json", 0)),
    "label-studio": Case("label-studio", _label_studio, "tasks.json", None),
    "cvat-images": Case("cvat-images", _cvat_images, "annotations.xml", ("annotations.xml", 1)),
    "voc": Case("voc", _voc, "a.xml", ("a.xml", 1)),
    "yolo list": Case("yolo", _yolo_list, ".", ("train.txt", 1)),
    "yolo split": Case("yolo", _yolo_split, ".", ("data.yaml", 0)),
    "yolo darknet": Case("yolo", _yolo_darknet, "obj.data", ("obj.data", 2)),
    "yolo label suffixed": Case(
        "yolo", _yolo_folder, ".", (f"labels/train/{LONGEST}.txt", 0), stem=LONGEST
    ),
    "elan folder": Case("elan", lambda stem: _elan(f"file:///{stem}/talk.wav"), "talk.eaf", None),
    "elan file": Case(
        "elan", lambda stem: _elan(f"file:///{stem}.wav"), "talk.eaf", ("talk.eaf", 3), refused=True
    ),
    "dpo": Case("dpo", _dpo, "pairs.jsonl", None),
    "kitti frame": Case(
        "kitti", _kitti, ".", (f"label_2/{LONGEST}.txt", 0), stem=LONGEST, refused=True
    ),
}


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _read(case: Case, folder: Path, stem: str) -> ImportFailed | list[str]:
    """The samples (as JSON) the format reads from the case's files naming `stem`, with
    the long name put back as the short one; or the `ImportFailed` it raises."""
    _write(folder, case.files(stem))
    options = ReadOptions(media_root=folder)
    try:
        found = list(format_spec(case.format).read(folder / case.source, options))
    except ImportFailed as failed:
        return failed
    return [
        foreign.sample.model_dump_json().replace(case.stem, SHORT).replace(str(folder), "")
        for foreign in found
    ]


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_name_too_long_reads_as_a_missing_file_or_is_refused_with_its_place(
    tmp_path: Path, name: str
) -> None:
    case = CASES[name]
    short = _read(case, tmp_path / "short", SHORT)
    long = _read(case, tmp_path / "long", case.stem)

    if case.fails_at is None:
        assert long == short
        return
    document, line = case.fails_at
    assert isinstance(long, ImportFailed), long
    assert (long.file, long.line) == (str(tmp_path / "long" / document), line)
    assert case.stem in str(long)
    if case.refused:
        assert isinstance(short, list)
    else:
        assert isinstance(short, ImportFailed), short
        assert (short.line, short.field) == (long.line, long.field)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_name_too_long_imports_or_writes_nothing(
    engine: Engine, demo_ontology: Ontology, tmp_path: Path, name: str
) -> None:
    case = CASES[name]
    folder = tmp_path / "in"
    _write(folder, case.files(case.stem))
    project = create_project(engine, "names", demo_ontology, TESTER)
    options = ReadOptions(media_root=folder)
    before = row_counts(engine)

    try:
        done = import_foreign(
            engine,
            project.id,
            case.format,
            folder / case.source,
            TESTER,
            mapping=MAPPING,
            options=options,
        )
    except ImportFailed as failed:
        assert failed.file.startswith(str(folder))
        assert case.stem in str(failed)
        assert row_counts(engine) == before
    else:
        assert done.imported.samples_written >= 1
        assert row_counts(engine)[0] == before[0] + done.imported.samples_written
