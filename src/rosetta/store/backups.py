"""Backing a store up to one file and restoring it, on both backends.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies the database in one
step, inside one read transaction: in WAL mode that is a consistent snapshot and writers
carry on meanwhile. The copy is an ordinary SQLite file (rollback journal, checked with
``PRAGMA quick_check``), written beside the target and renamed into place, so a failed
backup leaves no partial file. Restoring runs the same API the other way, into the
target database through its own locks, in one transaction.

PostgreSQL: ``pg_dump --format=custom`` of the store's schema (the first of the URL's
``search_path``, ``public`` by default). Restoring pipes ``pg_restore``'s script into
``psql`` as one transaction that drops and recreates the target schema and loads the dump
with its schema-qualified names rewritten to the target's (the rows of ``COPY`` blocks
pass untouched): a dump of one schema restores into another of the same database, or into
another database, and a failed or cut-short restore changes nothing.

Both refuse to overwrite a store holding data unless forced, and a restored store is
brought to the newest schema revision (a backup of an older release restores into this
one). The PostgreSQL client tools must be on ``PATH`` (Debian: ``postgresql-client``) and
``pg_dump`` at least as new as the server.
"""

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import inspect, select, table, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from rosetta.core.errors import RosettaError
from rosetta.store.engine import make_engine, open_store

Backend = Literal["sqlite", "postgresql"]

#: The first bytes of each backend's backup file.
_MAGIC: dict[Backend, bytes] = {"sqlite": b"SQLite format 3\x00", "postgresql": b"PGDMP"}
_CLIENT = "install the PostgreSQL client tools (Debian: apt-get install postgresql-client)"


@dataclass(frozen=True)
class Transfer:
    """What a backup or a restore did: the backend, the backup file and its size, the
    schema revision of the store (after a restore: after the upgrade) and the time taken."""

    backend: Backend
    file: Path
    size: int
    revision: str | None
    seconds: float


def backup(url: str, file: Path) -> Transfer:
    """Back the store at `url` up to `file` (replaced when it exists), while it is in use."""
    started = time.perf_counter()
    backend = _backend(url)
    with _opening(url):
        path = _sqlite_file(url, must_exist=True) if backend == "sqlite" else None
        revision = _revision(url)
        if path is not None:
            _sqlite_backup(path, file)
        else:
            _pg_backup(url, file)
    return Transfer(backend, file, file.stat().st_size, revision, time.perf_counter() - started)


def restore(file: Path, url: str, *, force: bool = False) -> Transfer:
    """Restore the backup `file` into the store at `url` and upgrade it to the newest
    schema; a store holding data is replaced only when `force`."""
    started = time.perf_counter()
    backend = _backend(url)
    _check_kind(file, backend)
    with _opening(url):
        if backend == "sqlite":
            path = _sqlite_file(url, must_exist=False)
            if path.exists():
                _refuse_data(url, force)
            _sqlite_restore(file, path)
        else:
            _refuse_data(url, force)
            _pg_restore(file, url)
        open_store(url).dispose()  # Alembic brings an older backup to the newest schema
        revision = _revision(url)
    return Transfer(backend, file, file.stat().st_size, revision, time.perf_counter() - started)


@contextmanager
def _opening(url: str) -> Iterator[None]:
    """A database error while working on the store at `url` as one line naming it."""
    try:
        yield
    except DBAPIError as exc:
        raise RosettaError(f"cannot use the store at {_shown(url)}: {exc.orig}") from exc


def _shown(url: str) -> str:
    """`url` as errors name it: without its password."""
    return make_url(url).render_as_string(hide_password=True)


def _backend(url: str) -> Backend:
    try:
        name = make_url(url).get_backend_name()
    except ArgumentError:
        raise RosettaError(
            f"{url!r} is not a store URL (sqlite:///path/to/file.db or postgresql://...)"
        ) from None
    if name not in ("sqlite", "postgresql"):
        raise RosettaError(f"{_shown(url)}: a store is an SQLite file or a PostgreSQL database")
    return "sqlite" if name == "sqlite" else "postgresql"


def _revision(url: str) -> str | None:
    """The store's schema revision (None: not a Rosetta store yet)."""
    engine = make_engine(url)
    try:
        if not inspect(engine).has_table("alembic_version"):
            return None
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def _refuse_data(url: str, force: bool) -> None:
    """Refuse (unless `force`) when any table of the store at `url` has a row."""
    if force:
        return
    engine = make_engine(url)
    try:
        names = [name for name in inspect(engine).get_table_names() if name != "alembic_version"]
        with engine.connect() as connection:
            holding = [
                name
                for name in names
                if connection.execute(select(text("1")).select_from(table(name)).limit(1)).first()
            ]
    finally:
        engine.dispose()
    if holding:
        raise RosettaError(
            f"{_shown(url)}: the store holds data (in {', '.join(sorted(holding)[:3])}"
            f"{', ...' if len(holding) > 3 else ''}); restore into an empty store, or pass "
            "--force to replace it"
        )


def _check_kind(file: Path, backend: Backend) -> None:
    try:
        with file.open("rb") as stream:
            head = stream.read(16)
    except OSError as exc:
        raise RosettaError(f"{file}: cannot read: {exc.strerror}") from exc
    found = next((kind for kind, magic in _MAGIC.items() if head.startswith(magic)), None)
    if found is None:
        raise RosettaError(
            f"{file}: not a Rosetta backup (expected an SQLite file or a pg_dump custom archive)"
        )
    if found != backend:
        raise RosettaError(
            f"{file}: a backup of a {found} store restores into a {found} store, not "
            f"{backend}; to move between backends export and import the projects"
        )


def _sqlite_file(url: str, *, must_exist: bool) -> Path:
    database = make_url(url).database
    if database in (None, "", ":memory:"):
        raise RosettaError(
            f"{_shown(url)}: an in-memory SQLite store has no file to back up or restore"
        )
    path = Path(database or "")
    if must_exist and not path.is_file():
        raise RosettaError(f"no SQLite store at {path}")
    return path


@contextmanager
def _sqlite(path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(path, timeout=30)
    try:
        yield connection
    finally:
        connection.close()


@contextmanager
def _replacing(file: Path) -> Iterator[Path]:
    """A scratch path beside `file`, renamed to `file` when the block succeeds."""
    partial = file.with_name(f".{file.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        yield partial
        with partial.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, file)
    finally:
        partial.unlink(missing_ok=True)


def _sqlite_backup(path: Path, file: Path) -> None:
    with _replacing(file) as partial, _sqlite(path) as source, _sqlite(partial) as copy:
        source.backup(copy)  # one step: one read snapshot, writers go on
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        _quick_check(copy, file)


def _quick_check(connection: sqlite3.Connection, file: Path) -> None:
    try:
        problems = [row[0] for row in connection.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    if problems != ["ok"]:
        raise RosettaError(f"{file}: the database is damaged: {'; '.join(problems[:3])}")


def _sqlite_restore(file: Path, path: Path) -> None:
    with _sqlite(file) as source, _sqlite(path) as target:
        _quick_check(source, file)
        try:
            source.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.Error:
            raise RosettaError(f"{file}: an SQLite file, but not of a Rosetta store") from None
        try:
            source.backup(target)
        except sqlite3.Error as exc:
            raise RosettaError(f"{path}: cannot restore into it: {exc}") from exc


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise RosettaError(f"{name} is not on PATH: {_CLIENT}")
    return found


def _major(version: str) -> int:
    """The major version in ``pg_dump (PostgreSQL) 15.2`` or a server's ``150002``."""
    match = re.search(r"(\d+)", version)
    assert match is not None, version
    number = int(match.group(1))
    return number // 10000 if number >= 10000 else number


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The libpq form of `url` and the environment to run a client tool in (the password
    goes there, not on a command line others can read)."""
    parsed = make_url(url)
    environment = dict(os.environ)
    if parsed.password is not None:
        environment["PGPASSWORD"] = str(parsed.password)
    bare = parsed.set(drivername="postgresql", password=None)
    return bare.render_as_string(hide_password=False), environment


def _pg_facts(url: str) -> tuple[str | None, int]:
    """The store's schema (None: its search_path names none that exists) and the server's
    major version."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            schema = connection.execute(text("SELECT current_schema()")).scalar()
            server = _major(str(connection.execute(text("SHOW server_version_num")).scalar()))
        return schema, server
    finally:
        engine.dispose()


def _pg_backup(url: str, file: Path) -> None:
    pg_dump = _tool("pg_dump")
    schema, server = _pg_facts(url)
    if schema is None:
        raise RosettaError(f"{_shown(url)}: the schema its search_path names does not exist")
    version = subprocess.run([pg_dump, "--version"], capture_output=True, text=True, check=True)
    if _major(version.stdout) < server:
        raise RosettaError(
            f"{version.stdout.strip()} cannot dump a PostgreSQL {server} server; "
            f"install the client of version {server} or newer"
        )
    address, environment = _libpq(url)
    with _replacing(file) as partial:
        done = subprocess.run(
            [
                pg_dump,
                "--format=custom",
                "--no-password",
                f"--schema={schema}",
                f"--file={partial}",
                f"--dbname={address}",
            ],
            capture_output=True,
            text=True,
            env=environment,
            check=False,
        )
        if done.returncode != 0:
            raise RosettaError(f"pg_dump of {_shown(url)} failed: {done.stderr.strip()}")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


#: A schema's entry (and its comment's) in ``pg_restore --list``:
#: ``<id>; <oids> SCHEMA - <name> <owner>``.
_SCHEMA_ENTRY = re.compile(r"^\d+; \d+ \d+ (?:COMMENT - )?SCHEMA (?:- )?(.+) \S+$", re.MULTILINE)


def _dumped_schema(pg_restore: str, file: Path) -> tuple[str, list[str]]:
    """The schema the dump `file` was taken of, and its table of contents without the
    schema's own entries."""
    listing = subprocess.run(
        [pg_restore, "--list", str(file)], capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        raise RosettaError(f"{file}: pg_restore cannot read it: {listing.stderr.strip()}")
    schemas = {match.group(1) for match in _SCHEMA_ENTRY.finditer(listing.stdout)}
    if len(schemas) != 1:
        raise RosettaError(f"{file}: a backup holds one schema, this dump {len(schemas)}")
    entries = [line for line in listing.stdout.splitlines() if not _SCHEMA_ENTRY.match(line)]
    return schemas.pop(), entries


def _renamer(source: str, target: str) -> Callable[[bytes], bytes]:
    """Rewrites the schema-qualified names of `source` in the lines of a dump's script to
    `target`'s (the rows inside ``COPY`` blocks are left to the caller to pass as they
    are). pg_dump quotes a name only when it must."""
    plain = re.fullmatch(r"[a-z_][a-z0-9_$]*", source) is not None
    written = source if plain else _quoted(source)
    pattern = re.compile(rb'(?<![\w"$])' + re.escape(written.encode()) + rb"\.")
    replacement = _quoted(target).encode() + b"."
    return lambda line: pattern.sub(lambda _: replacement, line)


def _pg_restore(file: Path, url: str) -> None:
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    source, entries = _dumped_schema(pg_restore, file)
    target, _ = _pg_facts(url)
    if target is None:
        raise RosettaError(
            f"{_shown(url)}: the schema its search_path names does not exist; create it"
        )
    rename = _renamer(source, target)
    address, environment = _libpq(url)
    with (
        tempfile.NamedTemporaryFile("w", suffix=".list") as chosen,
        tempfile.TemporaryFile() as complaints,
        tempfile.TemporaryFile() as psql_complaints,
    ):
        # the schema's own entries are left out: the target schema is made here instead
        chosen.write("\n".join(entries) + "\n")
        chosen.flush()
        reader = subprocess.Popen(
            [
                pg_restore,
                "--file=-",
                "--no-owner",
                "--no-privileges",
                f"--use-list={chosen.name}",
                str(file),
            ],
            stdout=subprocess.PIPE,
            stderr=complaints,
        )
        loader = subprocess.Popen(
            [
                psql,
                "--no-psqlrc",
                "--quiet",
                "--no-password",
                "--set=ON_ERROR_STOP=1",
                "--single-transaction",
                "--file=-",
                f"--dbname={address}",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_complaints,
            env=environment,
        )
        assert reader.stdout is not None and loader.stdin is not None
        try:
            target_name = _quoted(target).encode()
            loader.stdin.write(b"DROP SCHEMA IF EXISTS %s CASCADE;\n" % target_name)
            loader.stdin.write(b"CREATE SCHEMA %s;\n" % target_name)
            rows = False  # inside a COPY block: its rows pass unchanged
            for line in reader.stdout:
                if rows:
                    rows = line != b"\\.\n"
                    loader.stdin.write(line)
                else:
                    rows = line.startswith(b"COPY ")
                    loader.stdin.write(rename(line))
        except BrokenPipeError:
            pass  # psql stopped at an error, which it reports
        finally:
            reader.stdout.close()  # pg_restore, if psql stopped first, ends on the broken pipe
            if reader.wait() != 0:
                loader.kill()  # before its input ends: psql must not commit a cut script
            with suppress(BrokenPipeError):
                loader.stdin.close()  # the end of the script: psql commits
            loader.wait()
        failures = []
        for process, log in ((loader, psql_complaints), (reader, complaints)):
            log.seek(0)
            if process.returncode != 0:
                failures.append(log.read().decode(errors="replace").strip())
    if failures:
        problem = next((text for text in failures if text), "pg_restore or psql failed")
        raise RosettaError(
            f"restoring {file} into {_shown(url)} failed, nothing was changed: {problem}"
        )
