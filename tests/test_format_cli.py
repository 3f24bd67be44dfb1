"""``rosetta format``: the formats listed with what they cannot carry; a real VOC file
imported (its unmapped part label listed first, nothing written; then imported with a
mapping that drops it and the attributes the ontology lacks; importing it again, even with
new ids, changes nothing: the same external id);
the project exported as COCO with its dataset card."""

import json
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from conftest import DEMO_ONTOLOGY, SHARED
from rosetta.cli.main import app
from rosetta.formats.registry import FORMATS
from rosetta.store.engine import open_store
from rosetta.store.tables import annotations

VOC = (
    SHARED / "fixtures" / "formats" / "pascal_voc" / "openvinotoolkit__datumaro" / "2007_000001.xml"
)
ACTIONS = [
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


def _rosetta(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "250"})
    return result.exit_code, " ".join((result.stdout + result.stderr).split())


def _annotations(url: str) -> list[tuple[str, str]]:
    engine = open_store(url)
    with engine.connect() as connection:
        found = connection.execute(
            select(annotations.c.id, annotations.c.label).order_by(annotations.c.id)
        ).all()
    engine.dispose()
    return [(row.id, row.label) for row in found]


def test_the_formats_are_listed() -> None:
    code, out = _rosetta("format", "list")
    assert code == 0
    for name in FORMATS:
        assert f"│ {name} " in out


def test_a_voc_file_imported_with_a_mapping_and_exported_as_coco(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert _rosetta("--db", url, "init", "--name", "voc", "--ontology", str(DEMO_ONTOLOGY))[0] == 0

    code, out = _rosetta("--db", url, "format", "import", "voc", str(VOC))
    assert code == 1
    assert f"'head': 1 annotations, first at {VOC}:31 (object[2].part[1])" in out, (
        out
    )  # the part's label maps to no class: listed, and nothing written
    assert _annotations(url) == []

    mapping = tmp_path / "voc.yaml"
    dropped = {name: None for name in ["pose", "truncated", "difficult", *ACTIONS]}
    mapping.write_text(json.dumps({"drop": ["head"], "attributes": dropped}))
    code, out = _rosetta("--db", url, "format", "import", "voc", str(VOC), "--map", str(mapping))
    assert code == 0, out
    assert (
        "1 samples (0 already there), 2 annotations, 0 entities, 0 links, 1 'head' dropped" in out
    )
    first = _annotations(url)
    assert [label for _, label in first] == ["cat", "person"]

    code, out = _rosetta(
        "--db", url, "format", "import", "voc", str(VOC), "--map", str(mapping), "--new-ids"
    )
    assert code == 0, out
    assert "0 samples (1 already there)" in out  # the same external id: skipped, not doubled
    assert _annotations(url) == first

    out_dir = tmp_path / "coco"
    code, out = _rosetta("--db", url, "format", "export", "coco", str(out_dir))
    assert code == 0, out
    assert "Exported voc as coco" in out and "1 samples, 2 annotations" in out
    instances = json.loads((out_dir / "instances.json").read_text())
    boxes = sorted(a["bbox"] for a in instances["annotations"])
    assert boxes == [[0.0, 1.0, 3.0, 3.0], [3.0, 4.0, 3.0, 3.0]]  # VOC is 1-based, inclusive
    card = json.loads((out_dir / "dataset_card.json").read_text())
    assert card["export"]["format"] == "coco"
    assert (out_dir / "README.md").is_file() and (out_dir / "ontology.json").is_file()
    engine = open_store(url)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(annotations)).scalar_one() == 2
    engine.dispose()
