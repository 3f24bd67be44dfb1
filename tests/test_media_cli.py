"""``rosetta media prepare`` on a real SQLite store with media files in tmp_path."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from conftest import MEDIA, TESTER
from mediagen import add_streams
from rosetta.cli.main import app
from rosetta.core.modality import Modality
from rosetta.core.ontology import Ontology
from rosetta.services.projects import create_project
from rosetta.store.engine import open_store
from rosetta.store.tables import media_artifacts


@pytest.fixture
def store(tmp_path: Path, demo_ontology: Ontology) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = open_store(url)
    project = create_project(engine, "talks", demo_ontology, TESTER)
    audio = tmp_path / "narration.wav"
    shutil.copy(MEDIA / "audio" / "narration.wav", audio)
    add_streams(
        engine,
        project,
        "s1",
        [
            ("s1-audio", Modality.AUDIO, audio),
            ("s1-video", Modality.VIDEO, MEDIA / "video" / "slideshow_320x240_25fps.webm"),
        ],
    )
    yield url, engine
    engine.dispose()


def _rosetta(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_prepare_a_project_then_find_it_fresh(store: tuple[str, Engine], tmp_path: Path) -> None:
    url, engine = store
    code, out, err = _rosetta("--db", url, "media", "prepare", "talks")
    assert code == 0, err
    assert "Prepared talks: 2 audio/video streams (2 prepared)" in out
    with engine.connect() as connection:
        kinds = connection.execute(
            select(media_artifacts.c.stream_id, func.count()).group_by(media_artifacts.c.stream_id)
        ).all()
    assert dict(kinds) == {"s1-audio": 1, "s1-video": 4}
    code, out, _ = _rosetta("--db", url, "media", "prepare", "talks")
    assert code == 0
    assert "(2 fresh)" in out

    (tmp_path / "narration.wav").unlink()
    code, out, err = _rosetta("--db", url, "media", "prepare", "talks")
    assert code == 1
    assert "(1 failed, 1 fresh)" in out
    assert f"stream s1-audio: {tmp_path / 'narration.wav'}: no such file" in err


def test_unknown_project_is_one_error_line(store: tuple[str, Engine]) -> None:
    url, _engine = store
    code, _, err = _rosetta("--db", url, "media", "prepare", "nope")
    assert code == 1
    assert err.startswith("error: ")
    assert "nope" in err
