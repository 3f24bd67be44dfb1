"""Make the fixture stores of an older schema that ``tests/test_store_upgrade.py`` upgrades.

Usage: ``.venv/bin/python scripts/make_fixture_store.py COMMIT [--pg URL] [--out DIR]``.

It checks `COMMIT` out into a temporary git worktree, runs that commit's own demo builder
(this venv's Python with ``PYTHONPATH`` on the worktree's ``src``) and writes, under
``tests/fixtures/stores/`` and named by the schema revision the commit ends at:

- ``store_<rev>.sqlite``: the demo project in an SQLite store (one file, no WAL);
- ``store_<rev>.jsonl``: that commit's native export of the demo project, the data an
  upgraded store must still give;
- ``store_<rev>.pg.sql``: a plain ``pg_dump`` (``--inserts``) of a PostgreSQL schema
  populated the same way, in the schema ``rosetta_fixture`` (load it, then rename it).

The worktree and the PostgreSQL schema are removed afterwards.
"""

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from rosetta.store.engine import make_engine
from rosetta.store.schemas import create_schema, drop_schema, schema_url

REPO = Path(__file__).resolve().parents[1]
TARGET = REPO / "tests" / "fixtures" / "stores"
#: The schema the PostgreSQL store is built in, and which its dump names.
PG_SCHEMA = "rosetta_fixture"

#: Run by the old commit's code: build the demo into the store at argv[1], export it to argv[2].
BUILD = """
import sys
from rosetta.demo.build import build_demo
from rosetta.services.exporter import export_jsonl
from rosetta.store.engine import open_store

engine = open_store(sys.argv[1])
project = build_demo(engine)
if len(sys.argv) > 2:
    with open(sys.argv[2], "wb") as out:
        export_jsonl(engine, project.id, out)
engine.dispose()
"""


def head_revision(tree: Path) -> str:
    """The newest Alembic revision in the checkout at `tree` (files are numbered)."""
    versions = tree / "src" / "rosetta" / "store" / "migrations" / "versions"
    return max(path.name.split("_", 1)[0] for path in versions.glob("[0-9]*_*.py"))


def build(tree: Path, url: str, export: Path | None) -> None:
    """Run the old commit's demo builder against `url`."""
    environment = {**os.environ, "PYTHONPATH": str(tree / "src")}
    arguments = [sys.executable, "-c", BUILD, url, *([str(export)] if export else [])]
    subprocess.run(arguments, cwd=tree, env=environment, check=True)


def sqlite_store(tree: Path, out: Path, export: Path) -> None:
    """The demo in one compact SQLite file at `out` and its export at `export`."""
    with tempfile.TemporaryDirectory() as scratch:
        built = Path(scratch) / "store.sqlite"
        build(tree, f"sqlite:///{built}", export)
        with sqlite3.connect(built) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.execute("PRAGMA journal_mode=DELETE")
        connection.close()
        with sqlite3.connect(built) as connection:
            connection.execute("VACUUM")
        connection.close()
        shutil.copyfile(built, out)


def postgres_dump(tree: Path, url: str, out: Path) -> None:
    """The demo built in the schema `PG_SCHEMA` at `url`, dumped as plain SQL to `out`."""
    admin = make_engine(url)
    drop_schema(admin, PG_SCHEMA)
    create_schema(admin, PG_SCHEMA)
    try:
        build(tree, schema_url(url, PG_SCHEMA), None)
        dump = subprocess.run(
            ["pg_dump", "--schema", PG_SCHEMA, "--inserts", "--no-owner", "--no-privileges", url],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        # the version lines change with every client, and ``\restrict`` (a random key) is a
        # psql meta-command: the tests run the dump through psycopg
        noise = ("-- Dumped ", "\\restrict ", "\\unrestrict ")
        lines = [line for line in dump.splitlines() if not line.startswith(noise)]
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    finally:
        drop_schema(admin, PG_SCHEMA)
        admin.dispose()


def main() -> None:
    """Check the commit out, build its stores, remove the checkout."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("commit", help="the commit whose schema and demo builder to use")
    parser.add_argument(
        "--pg",
        default=os.environ.get("ROSETTA_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"),
        help="a PostgreSQL database to build the dump in (a schema is made and dropped there)",
    )
    parser.add_argument("--out", type=Path, default=TARGET, help="where the fixtures go")
    arguments = parser.parse_args()
    arguments.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch) / "checkout"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), arguments.commit],
            check=True,
        )
        try:
            revision = head_revision(tree)
            stem = arguments.out / f"store_{revision}"
            sqlite_store(tree, stem.with_suffix(".sqlite"), stem.with_suffix(".jsonl"))
            postgres_dump(tree, arguments.pg, stem.with_suffix(".pg.sql"))
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=True
            )
    print(f"wrote {stem}.sqlite, .jsonl and .pg.sql (schema revision {revision})")


if __name__ == "__main__":
    main()
