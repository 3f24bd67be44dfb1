"""The ``rosetta`` command line driven with CliRunner against real stores (SQLite and PostgreSQL)."""

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import DEMO_ONTOLOGY
from rosetta.cli.main import app
from rosetta.cli.render import change_summary, short
from rosetta.core.ontology import Ontology
from rosetta.formats.native import parse_sample
from rosetta.store.schemas import scratch_schema

StoreFactory = Callable[[], str]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Makes URLs of fresh, empty stores: SQLite files, or PostgreSQL schemas dropped afterwards."""
    if request.param == "sqlite":
        yield lambda: f"sqlite:///{tmp_path / f'{uuid.uuid4().hex[:8]}.db'}"
        return
    url = request.getfixturevalue("postgres_url")
    with ExitStack() as made:
        yield lambda: made.enter_context(scratch_schema(url, "t"))


def rosetta(url: str, *args: str) -> tuple[int, str, str, bytes]:
    """Run the CLI on the store at `url`: exit code, stdout, stderr and stdout bytes."""
    result = CliRunner().invoke(app, ["--db", url, *args], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr, result.stdout_bytes


@pytest.fixture
def demo_url(new_store: StoreFactory) -> str:
    url = new_store()
    code, out, err, _ = rosetta(url, "demo", "--db", url, "--no-serve")
    assert (code, err) == (0, "")
    assert "6 samples" in out
    return url


def test_init_then_show_the_ontology(new_store: StoreFactory, demo_ontology: Ontology) -> None:
    url = new_store()
    code, out, _, _ = rosetta(url, "init", "--name", "cats", "--ontology", str(DEMO_ONTOLOGY))
    assert code == 0
    assert "Created project cats" in out
    assert "13 classes, 5 relation types" in out
    code, out, _, _ = rosetta(url, "ontology", "show", "--json")
    assert code == 0
    assert Ontology.model_validate(json.loads(out)) == demo_ontology
    code, out, _, _ = rosetta(url, "ontology", "show")
    assert "spacecraft" in out
    assert "synchronized-with" in out


def test_export_of_the_demo_round_trips_into_a_fresh_store(
    demo_url: str, new_store: StoreFactory, tmp_path: Path
) -> None:
    exported = tmp_path / "demo.jsonl"
    code, _, err, _ = rosetta(demo_url, "export", str(exported))
    assert code == 0
    assert "6 samples, 31 annotations, 5 entities, 19 links" in err
    code, _, _, piped = rosetta(demo_url, "export", "-")
    assert code == 0
    assert piped == exported.read_bytes()

    fresh = new_store()
    assert rosetta(fresh, "init", "--name", "copy", "--ontology", str(DEMO_ONTOLOGY))[0] == 0
    code, out, _, _ = rosetta(fresh, "import", str(exported), "--batch-size", "2")
    assert code == 0
    assert "6 samples written, 0 skipped" in out
    again = tmp_path / "again.jsonl"
    assert rosetta(fresh, "export", str(again))[0] == 0
    assert again.read_bytes() == exported.read_bytes()
    samples = [parse_sample(line) for line in again.read_bytes().splitlines()]
    links = {link.id: link for sample in samples for link in sample.links}
    assert links["portrait.mentions-flag"].status == "stale"

    code, out, _, _ = rosetta(fresh, "import", str(exported))
    assert code == 0
    assert "0 samples written, 6 skipped" in out


def test_import_with_new_ids_keeps_content_under_fresh_ids(
    demo_url: str, new_store: StoreFactory, tmp_path: Path
) -> None:
    exported = tmp_path / "demo.jsonl"
    assert rosetta(demo_url, "export", str(exported))[0] == 0
    fresh = new_store()
    rosetta(fresh, "init", "--name", "copy", "--ontology", str(DEMO_ONTOLOGY))
    code, _, _, _ = rosetta(fresh, "import", str(exported), "--new-ids", "--project", "copy")
    assert code == 0
    copied = tmp_path / "copied.jsonl"
    assert rosetta(fresh, "export", str(copied))[0] == 0
    before = [parse_sample(line) for line in exported.read_bytes().splitlines()]
    after = [parse_sample(line) for line in copied.read_bytes().splitlines()]
    assert [s.external_id for s in after] == [s.external_id for s in before]
    assert all(a.id != b.id for a, b in zip(after, before, strict=True))
    assert [len(s.annotations) for s in after] == [len(s.annotations) for s in before]


def test_failed_import_names_the_line_and_resumes_after_the_last_batch(
    demo_url: str, new_store: StoreFactory, tmp_path: Path
) -> None:
    exported = tmp_path / "demo.jsonl"
    assert rosetta(demo_url, "export", str(exported))[0] == 0
    lines = exported.read_bytes().splitlines(keepends=True)
    partly_bad = tmp_path / "partly-bad.jsonl"
    partly_bad.write_bytes(b"".join([*lines[:3], b'{"id": "broken"\n', *lines[3:]]))
    fresh = new_store()
    rosetta(fresh, "init", "--name", "copy", "--ontology", str(DEMO_ONTOLOGY))
    code, _, err, _ = rosetta(fresh, "import", str(partly_bad), "--batch-size", "1")
    assert code == 1
    assert f"{partly_bad}:4" in err
    partly_bad.write_bytes(b"".join([*lines[:3], b"\n", *lines[3:]]))
    code, out, _, _ = rosetta(fresh, "import", str(partly_bad), "--resume")
    assert code == 0
    assert "3 samples written, 0 skipped" in out
    again = tmp_path / "again.jsonl"
    assert rosetta(fresh, "export", str(again))[0] == 0
    assert again.read_bytes() == exported.read_bytes()


def test_history_and_review_tables(demo_url: str) -> None:
    code, out, _, _ = rosetta(demo_url, "history", "portrait.mentions-flag")
    assert code == 0
    lines = [line for line in out.splitlines() if "│" in line]
    assert [line.split("│")[4].strip() for line in lines] == ["import", "confirm", "stale"]
    assert "sample portrait imported: 2 streams, 6 annotations, 2 entities, 2 links" in lines[0]
    assert "grace" in lines[1]
    assert "rosetta-demo 0.1.0" in lines[1]
    assert "proposed → confirmed" in lines[1]
    assert "confirmed → stale" in lines[2]
    code, out, _, _ = rosetta(demo_url, "review")
    assert code == 0
    assert "Stale links (1)" in out
    assert "portrait.mentions-flag" in out


def test_ontology_migration_prints_its_report(demo_url: str, tmp_path: Path) -> None:
    migration = tmp_path / "rename.yaml"
    migration.write_text(
        "description: cups are mugs now\noperations:\n  - {op: rename_class, from: cup, to: mug}\n",
        encoding="utf-8",
    )
    code, out, err, _ = rosetta(demo_url, "ontology", "migrate", str(migration))
    assert (code, err) == (0, "")
    assert "Ontology version 1 → 2" in out
    assert "relabelled from cup" in out
    _, now, _, _ = rosetta(demo_url, "ontology", "show", "--json")
    _, then, _, _ = rosetta(demo_url, "ontology", "show", "--json", "--version", "1")
    assert "mug" in {c["name"] for c in json.loads(now)["classes"]}
    assert "cup" in {c["name"] for c in json.loads(then)["classes"]}
    code, _, err, _ = rosetta(demo_url, "ontology", "migrate", str(migration))
    assert code == 1
    assert "rename_class" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["history", "nope"], "error: no object with id 'nope'"),
        (["import", "missing.jsonl"], "error: missing.jsonl: cannot read"),
        (["review", "--project", "nope"], "error: no project with id 'nope'"),
    ],
)
def test_domain_errors_print_one_line_and_exit_1(
    demo_url: str, args: list[str], message: str
) -> None:
    code, out, err, _ = rosetta(demo_url, *args)
    assert code == 1
    assert err.startswith(message)
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in out + err


def test_bad_files_and_missing_stores_are_one_line_errors(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    code, _, err, _ = rosetta(url, "review")
    assert code == 1
    assert err.startswith("error: no store at")
    broken = tmp_path / "broken.yaml"
    broken.write_text("classes: [{name: a, parent: nobody}]\n", encoding="utf-8")
    code, _, err, _ = rosetta(url, "init", "--name", "x", "--ontology", str(broken))
    assert code == 1
    assert str(broken) in err
    assert "nobody" in err
    code, _, _, _ = rosetta(url, "history")
    assert code == 2


def test_demo_is_rebuilt_fresh_each_time(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    for _ in range(2):
        code, out, err, _ = rosetta(url, "demo", "--db", url, "--no-serve")
        assert (code, err) == (0, "")
    _, out, _, _ = rosetta(url, "review")
    assert "Stale links (1)" in out


def test_store_url_comes_from_the_environment(demo_url: str) -> None:
    result = CliRunner().invoke(app, ["review"], env={"ROSETTA_DB": demo_url, "COLUMNS": "200"})
    assert result.exit_code == 0
    assert "portrait.mentions-flag" in result.stdout


def test_change_summaries() -> None:
    box = {"type": "box", "x": 0.0, "y": 0.0, "w": 124.0, "h": 512.0}
    assert short(box) == "box x=0.0 y=0.0 w=124.0 h=512.0"
    before = {"label": "flag", "geometry": box, "revision": 1}
    after = {"label": "flag", "geometry": {**box, "w": 96.0}, "revision": 2}
    assert change_summary(before, after) == (
        "geometry: box x=0.0 y=0.0 w=124.0 h=512.0 → box x=0.0 y=0.0 w=96.0 h=512.0"
    )
    assert change_summary(None, after) == "created flag box x=0.0 y=0.0 w=96.0 h=512.0"
    assert change_summary(before, None).startswith("deleted flag")
    assert short("x" * 100).endswith("…")
    assert len(short("x" * 100)) == 48
