"""DPO files through the store on SQLite and PostgreSQL: the real LLaMA-Factory file imports
(`format_io.import_foreign`) and exports (`export_foreign`) as it was; Rosetta's pairs
export, import into another project and export again unchanged; a bad line writes
nothing."""

from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine

from conftest import MEDIA, TESTER
from preference_samples import preference_sample
from rosetta.core.errors import ImportFailed
from rosetta.core.ontology import Ontology
from rosetta.core.schema import Project, Sample
from rosetta.formats.interchange import ReadOptions
from rosetta.formats.native import dumps_sample
from rosetta.services.exporter import sample_lines
from rosetta.services.format_io import export_foreign, import_foreign
from rosetta.services.importer import import_jsonl
from rosetta.services.projects import create_project, load_ontology
from rosetta.services.settings import Settings
from test_format_dpo import LLAMA_FACTORY, lines_of


def stored(engine: Engine, project_id: str) -> list[Sample]:
    return [Sample.model_validate_json(line) for _, line in sample_lines(engine, project_id)]


def test_the_llama_factory_file_goes_through_the_store_unchanged(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    done = import_foreign(engine, project.id, "dpo", LLAMA_FACTORY, TESTER)
    assert done.imported.samples_written == 10
    samples = stored(engine, project.id)
    assert [len(s.candidates) for s in samples] == [2] * 10
    assert all(s.judgements[0].pairs[0].choice == "a" for s in samples)
    report = export_foreign(engine, project.id, "dpo", tmp_path / "out")
    assert "dpo.jsonl" in report.files
    assert lines_of(tmp_path / "out" / "dpo.jsonl") == lines_of(LLAMA_FACTORY)
    # importing the same file again changes nothing (idempotent by external id)
    import_foreign(engine, project.id, "dpo", LLAMA_FACTORY, TESTER)
    assert len(stored(engine, project.id)) == 10


@pytest.mark.parametrize("name", ["dpo", "dpo-parquet"])
def test_rosetta_pairs_export_import_and_export_again_unchanged(
    engine: Engine, project: Project, tmp_path: Path, name: str
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(
        b"".join(dumps_sample(preference_sample(i, ("ann", "bob"))) + b"\n" for i in ("p1", "p2"))
    )
    import_jsonl(engine, project.id, source, TESTER)
    first = export_foreign(engine, project.id, name, tmp_path / "first")
    again = create_project(engine, "again", project_ontology(engine, project), TESTER)
    options = ReadOptions(media_root=MEDIA)  # where the prompt's image is
    import_foreign(
        engine, again.id, name, tmp_path / "first" / first.files[0], TESTER, options=options
    )
    export_foreign(engine, again.id, name, tmp_path / "second")
    assert rows(tmp_path / "second" / first.files[0]) == rows(tmp_path / "first" / first.files[0])
    assert len(rows(tmp_path / "first" / first.files[0])) == 4
    models = {c.model for s in stored(engine, again.id) for c in s.candidates}
    assert models == {"captioner-large", "captioner-small", "vlm-chat"}


def project_ontology(engine: Engine, project: Project) -> Ontology:
    with engine.connect() as connection:
        return load_ontology(connection, project.id)


def rows(path: Path) -> list[Any]:
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pylist()
    return lines_of(path)


def test_a_bad_line_imports_nothing(engine: Engine, project: Project, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    good = {"prompt": "Q", "chosen": "yes", "rejected": "no"}
    path.write_bytes(orjson.dumps(good) + b"\n" + orjson.dumps({"prompt": "Q", "chosen": "y"}))
    with pytest.raises(ImportFailed, match=r"bad.jsonl:2: rejected: missing"):
        import_foreign(engine, project.id, "dpo", path, TESTER)
    assert stored(engine, project.id) == []


@pytest.mark.parametrize("name", ["../../etc/passwd", str(MEDIA / "images" / "chelsea.png")])
def test_a_prompt_image_outside_the_folders_is_not_opened(
    engine: Engine, project: Project, tmp_path: Path, name: str
) -> None:
    upload = tmp_path / "data" / "upload"
    upload.mkdir(parents=True)
    line = {"prompt": "Q", "chosen": "yes", "rejected": "no", "images": ["ok.png", name]}
    (upload / "pairs.jsonl").write_bytes(orjson.dumps(line) + b"\n")
    settings = Settings(
        data_dir=tmp_path / "data", media_roots=(tmp_path / "media",), job_workers=0
    )
    with pytest.raises(ImportFailed) as failed:
        import_foreign(engine, project.id, "dpo", upload, TESTER, settings=settings)
    assert str(failed.value).startswith(f"{upload / 'pairs.jsonl'}:1: images[1]: the media file")
    assert str(failed.value).endswith(f"lies outside the folders media may be in ({upload})")
