"""``rosetta backup`` / ``rosetta restore`` (`rosetta.store.backups`): a store backed up
(while annotations are being written) and restored into a fresh file, schema or database
holds every row of every table, and a restore never replaces data unless forced."""

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from builders import box, empty_sample
from conftest import TESTER
from rosetta.cli.main import app
from rosetta.core.errors import RosettaError
from rosetta.core.ontology import Ontology
from rosetta.demo.build import build_demo
from rosetta.services.editing import create_annotation
from rosetta.services.projects import create_project
from rosetta.store.backups import backup, restore
from rosetta.store.engine import make_engine, open_store
from rosetta.store.schemas import scratch_schema
from rosetta.store.tables import annotations, events, metadata

#: Where an annotation row holds its id.
ANNOTATION_ID = list(annotations.columns.keys()).index("id")
#: A factory of fresh, empty stores: each call gives another URL.
Stores = Callable[[], str]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    """URLs of new stores: SQLite files in tmp_path, or new schemas of the test database
    (named by the URL's search_path, dropped afterwards)."""
    if request.param == "sqlite":
        names = (f"sqlite:///{tmp_path / f'store{n}.db'}" for n in range(100))
        yield lambda: next(names)
        return
    url = request.getfixturevalue("postgres_url")
    with ExitStack() as made:
        yield lambda: made.enter_context(scratch_schema(url, "t"))


@pytest.fixture
def demo_url(stores: Stores) -> Iterator[str]:
    """A store holding the demo project (every kind of row: media artifacts, accounts...)."""
    url = stores()
    engine = open_store(url)
    build_demo(engine)
    engine.dispose()
    yield url


def rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (and the schema revision), in primary key order."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            found = {
                table.name: [
                    tuple(row)
                    for row in connection.execute(
                        select(table).order_by(*table.primary_key.columns)
                    )
                ]
                for table in metadata.sorted_tables
            }
            found["alembic_version"] = list(
                connection.execute(text("SELECT version_num FROM alembic_version"))
            )
    finally:
        engine.dispose()
    return found


def test_a_restored_backup_holds_every_row_of_the_store(
    demo_url: str, stores: Stores, tmp_path: Path
) -> None:
    made = backup(demo_url, tmp_path / "demo.backup")
    restored_url = stores()

    done = restore(tmp_path / "demo.backup", restored_url)

    source, restored = rows(demo_url), rows(restored_url)
    assert restored == source
    assert len(source["annotations"]) > 10 and len(source["media_artifacts"]) > 3
    assert made.revision == done.revision == source["alembic_version"][0][0]
    assert made.size == (tmp_path / "demo.backup").stat().st_size > 0


def test_a_backup_taken_while_annotations_are_written_is_one_consistent_moment(
    stores: Stores, tmp_path: Path, demo_ontology: Ontology
) -> None:
    url = stores()
    engine = open_store(url)
    project = create_project(engine, "busy", demo_ontology, TESTER)
    empty_sample(engine, project.id, "s1")
    written: list[str] = []  # ids in the order their transactions committed
    stop, warmed = threading.Event(), threading.Event()

    def annotate() -> None:
        while not stop.is_set():
            ident = f"a{len(written)}"
            create_annotation(engine, project.id, "s1", box(ident, "s1", "cup"), TESTER)
            written.append(ident)
            if len(written) >= 20:
                warmed.set()

    writer = threading.Thread(target=annotate)
    writer.start()
    try:
        assert warmed.wait(60)
        before = len(written)
        backup(url, tmp_path / "busy.backup")
        after = len(written)
        while len(written) < after + 10 and writer.is_alive():
            stop.wait(0.01)
    finally:
        stop.set()
        writer.join()
    engine.dispose()
    restored_url = stores()
    restore(tmp_path / "busy.backup", restored_url)

    source, restored = rows(url), rows(restored_url)
    kept = [row[ANNOTATION_ID] for row in restored["annotations"]]
    # the backup is the store at one moment: the writes committed before it, none after
    assert kept == written[: len(kept)]
    assert before <= len(kept) <= after < len(written)
    assert restored["annotations"] == source["annotations"][: len(kept)]
    objects = {row[0] for row in _event_objects(restored_url)}
    assert {f"a{n}" for n in range(len(kept))} <= objects
    assert not objects & {f"a{n}" for n in range(len(kept), len(written))}
    untouched = set(source) - {"annotations", "events", "samples"}
    assert {name: restored[name] for name in untouched} == {
        name: source[name] for name in untouched
    }


def _event_objects(url: str) -> list[tuple[Any, ...]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(select(events.c.object_id))]
    finally:
        engine.dispose()


def test_restore_refuses_a_store_holding_data_unless_forced(
    demo_url: str, stores: Stores, tmp_path: Path, demo_ontology: Ontology
) -> None:
    backup(demo_url, tmp_path / "demo.backup")
    other = stores()
    engine = open_store(other)
    create_project(engine, "precious", demo_ontology, TESTER)
    engine.dispose()
    kept = rows(other)

    with pytest.raises(RosettaError, match=r"holds data .*projects.*--force"):
        restore(tmp_path / "demo.backup", other)
    assert rows(other) == kept

    restore(tmp_path / "demo.backup", other, force=True)
    assert rows(other) == rows(demo_url)


def test_a_damaged_backup_restores_nothing(
    demo_url: str, stores: Stores, tmp_path: Path, demo_ontology: Ontology
) -> None:
    whole = tmp_path / "demo.backup"
    backup(demo_url, whole)
    cut = tmp_path / "cut.backup"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 2 // 3])
    other = stores()
    engine = open_store(other)
    create_project(engine, "precious", demo_ontology, TESTER)
    engine.dispose()
    kept = rows(other)

    with pytest.raises(RosettaError, match=r"cut\.backup"):
        restore(cut, other, force=True)
    assert rows(other) == kept


def test_the_commands_back_up_and_restore_and_say_what_is_wrong(
    demo_url: str, stores: Stores, tmp_path: Path
) -> None:
    runner = CliRunner()
    file = tmp_path / "demo.backup"
    made = runner.invoke(app, ["backup", demo_url, str(file)])
    assert made.exit_code == 0, made.output
    assert "Backed up the" in made.output and "demo.backup" in made.output
    target = stores()
    done = runner.invoke(app, ["restore", str(file), target])
    assert done.exit_code == 0, done.output
    assert rows(target) == rows(demo_url)

    again = runner.invoke(app, ["restore", str(file), target])
    assert again.exit_code == 1
    assert "holds data" in again.output and "--force" in again.output
    assert runner.invoke(app, ["restore", str(file), target, "--force"]).exit_code == 0

    other_kind = "postgresql://nowhere/db" if target.startswith("sqlite") else "sqlite:///x.db"
    crossed = runner.invoke(app, ["restore", str(file), other_kind])
    assert crossed.exit_code == 1 and "restores into a" in crossed.output
    (tmp_path / "notes.txt").write_text("not a backup")
    wrong = runner.invoke(app, ["restore", str(tmp_path / "notes.txt"), target])
    assert wrong.exit_code == 1 and "not a Rosetta backup" in wrong.output


@pytest.mark.postgres
def test_without_the_postgresql_client_the_error_says_what_to_install(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no pg_dump, pg_restore, psql

    with pytest.raises(RosettaError, match=r"pg_dump is not on PATH: install .*postgresql-client"):
        backup(postgres_url, tmp_path / "none.backup")
    assert not (tmp_path / "none.backup").exists()


@pytest.mark.postgres
@pytest.mark.parametrize("stores", ["postgresql"], indirect=True)
def test_a_postgresql_backup_restores_into_a_fresh_database(demo_url: str, tmp_path: Path) -> None:
    name = f"rosetta_restore_{uuid.uuid4().hex[:8]}"
    server = make_url(demo_url).set(query={})
    admin = make_engine(server.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    target = server.set(database=name).render_as_string(hide_password=False)
    try:
        backup(demo_url, tmp_path / "demo.backup")
        restore(tmp_path / "demo.backup", target)  # into its public schema
        assert rows(target) == rows(demo_url)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
