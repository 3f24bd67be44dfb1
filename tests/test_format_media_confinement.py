"""Readers importing on the server open no media file outside the imported folder and the
media root (`ReadOptions.media_confined_to`): a name in the annotations that climbs out
(``..``) or is absolute fails the import, naming the file, the element and the path."""

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine

from conftest import MEDIA, TESTER
from rosetta.core.errors import ImportFailed
from rosetta.core.ontology import parse_ontology
from rosetta.formats.interchange import ReadOptions
from rosetta.services.format_io import import_foreign
from rosetta.services.projects import create_project
from rosetta.services.settings import Settings

ONTOLOGY = parse_ontology({"name": "t", "classes": [{"name": "cat"}]})
#: A real image outside both folders: it would be probed (and read) if the reader opened it.
OUTSIDE = MEDIA / "images" / "chelsea.png"


def voc(name: str) -> str:
    return (
        f"<annotation><filename>{name}</filename><object><name>cat</name>"
        "<bndbox><xmin>2</xmin><ymin>2</ymin><xmax>9</xmax><ymax>9</ymax></bndbox>"
        "</object></annotation>\n"
    )


def cvat(name: str) -> str:
    return (
        '<?xml version="1.0"?>\n<annotations><version>1.1</version>\n'
        f'<image id="0" name="{name}">\n'
        '<box label="cat" xtl="2" ytl="2" xbr="9" ybr="9" occluded="0"/>\n'
        "</image></annotations>\n"
    )


FORMATS = {
    "voc": ("a.xml", voc, "a.xml:1: annotation: filename"),
    "cvat-images": ("a.xml", cvat, "a.xml:3: <image>: name"),
}


@pytest.mark.parametrize("name", ["../../etc/passwd", "../" * 40 + str(OUTSIDE)[1:], str(OUTSIDE)])
@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_a_name_outside_the_folders_is_not_opened(
    engine: Engine, tmp_path: Path, kind: str, name: str
) -> None:
    upload, media = tmp_path / "data" / "upload", tmp_path / "media"
    upload.mkdir(parents=True)
    (media / "inner").mkdir(parents=True)
    (tmp_path / "etc").mkdir()  # ../../etc/passwd from the media root: an image to probe
    shutil.copy(OUTSIDE, tmp_path / "etc" / "passwd")
    file, document, where = FORMATS[kind]
    (upload / file).write_text(document(name))
    settings = Settings(data_dir=tmp_path / "data", media_roots=(media,), job_workers=0)
    project = create_project(engine, "confined", ONTOLOGY, TESTER)
    options = ReadOptions(media_root=media / "inner")
    with pytest.raises(ImportFailed) as failed:
        import_foreign(engine, project.id, kind, upload, TESTER, options=options, settings=settings)
    assert str(failed.value).startswith(f"{upload / where}: the media file '")
    assert str(failed.value).endswith(
        f"{name}' lies outside the folders media may be in ({upload}, {media / 'inner'})"
    )


def test_a_name_inside_the_media_root_is_read(engine: Engine, tmp_path: Path) -> None:
    upload, media = tmp_path / "data" / "upload", tmp_path / "media"
    upload.mkdir(parents=True)
    media.mkdir()
    shutil.copy(OUTSIDE, media / "chelsea.png")
    (upload / "a.xml").write_text(cvat("chelsea.png"))
    settings = Settings(data_dir=tmp_path / "data", media_roots=(media,), job_workers=0)
    project = create_project(engine, "confined", ONTOLOGY, TESTER)
    done = import_foreign(
        engine,
        project.id,
        "cvat-images",
        upload,
        TESTER,
        options=ReadOptions(media_root=media),
        settings=settings,
    )
    assert done.imported.samples_written == 1


def test_the_command_line_may_read_media_anywhere(engine: Engine, tmp_path: Path) -> None:
    """Without the server's settings (a local import) the reader follows the name."""
    (tmp_path / "a.xml").write_text(cvat(str(OUTSIDE)))
    project = create_project(engine, "local", ONTOLOGY, TESTER)
    done = import_foreign(
        engine,
        project.id,
        "cvat-images",
        tmp_path / "a.xml",
        TESTER,
        options=ReadOptions(media_root=tmp_path),
    )
    assert done.imported.samples_written == 1
