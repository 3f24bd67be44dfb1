"""Crash safety: ``rosetta serve`` killed with SIGKILL at seeded random moments while
annotators write (annotation creates and updates, links, whole-sample submits), then
restarted: every acknowledged write is there with its content, no write is there in part,
no sample is half-written, the store opens whole (SQLite's integrity check, Alembic at
head) and an export job the kill interrupted resumes from its checkpoint and finishes. And
the CLI: a killed ``rosetta import`` finishes with ``--resume`` without duplicates or
partial samples, a killed ``rosetta export`` leaves no file that looks complete, and a
``rosetta ontology migrate`` killed mid-way leaves the old version whole (the migration is
one transaction) and a rerun applies it exactly once.

``ROSETTA_CRASH_SEED`` picks the kill moments (printed on failure);
``ROSETTA_CRASH_ROUNDS`` how many kills (``make soak`` runs 20, and waits the real
`STALE_AFTER` for the interrupted job rather than ageing its heartbeat).
"""

import fcntl
import os
import random
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Connection, Engine, func, select, text, update

from conftest import DEMO_ONTOLOGY, TESTER
from crash_workload import CAPTION, Annotator, Ledger, read_states
from loopback import api_token
from rosetta.core.modality import Modality
from rosetta.core.policies import Role
from rosetta.core.schema import MediaInfo, Sample, Stream
from rosetta.formats.native import write_sample
from rosetta.sdk import Client
from rosetta.services.accounts import assign
from rosetta.services.importer import import_samples
from rosetta.services.job_kinds import export_dir
from rosetta.services.jobs import STALE_AFTER
from rosetta.services.projects import create_project, load_ontology_file
from rosetta.store.engine import make_engine, open_store
from rosetta.store.schemas import scratch_schema
from rosetta.store.tables import (
    annotations,
    events,
    imports,
    jobs,
    links,
    ontology_versions,
    projects,
    samples,
)
from server_process import run_cli, start_server
from store_integrity import at_head, half_written, sqlite_integrity

SEED = int(os.environ.get("ROSETTA_CRASH_SEED", "20250611"))
ROUNDS = int(os.environ.get("ROSETTA_CRASH_ROUNDS", "3"))
#: The long run (more rounds) waits for the dead worker's job to go stale by itself.
WAIT_FOR_STALE = ROUNDS > 3
ANNOTATORS = 4
SAMPLES_EACH = 3
#: Samples of the project the export job writes, in shards of `SHARD`.
EXPORTED = 3000
SHARD = 100
#: Samples in the file the CLI imports.
IMPORTED = 4000
#: Samples (a person span, a cup box, a confirmed link between them) the CLI migrates.
MIGRATED = 3000
#: Every annotation of those samples changes class; every link turns stale, as its target's
#: class changes meaning in the merge.
MIGRATION = """\
description: people are humans, cups are vessels
operations:
  - {op: rename_class, from: person, to: human}
  - {op: merge_classes, sources: [cup], into: vessel}
"""
RELABEL = {"person": "human", "cup": "vessel"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store's URL: an SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crash.db'}"
    else:
        with scratch_schema(request.getfixturevalue("postgres_url"), "crash") as url:
            yield url


def streams(sample_id: str) -> list[Stream]:
    """A caption and a photo (its size given, so nothing is probed)."""
    return [
        Stream(
            id=f"{sample_id}-text",
            name="caption",
            modality=Modality.TEXT,
            text=CAPTION,
            media=MediaInfo(length=len(CAPTION)),
        ),
        Stream(
            id=f"{sample_id}-image",
            name="photo",
            modality=Modality.IMAGE,
            uri="images/photo.png",
            media=MediaInfo(width=640, height=480, mime="image/png"),
        ),
    ]


def populate(engine: Engine) -> tuple[str, list[tuple[str, str, list[str]]], str]:
    """The project ``crash`` with each annotator's samples assigned to them, and the
    project ``bulk`` to export: (crash's id, (name, token, samples) per annotator, a token
    of bulk's manager)."""
    ontology = load_ontology_file(DEMO_ONTOLOGY)
    project = create_project(engine, "crash", ontology, TESTER)
    people = []
    for number in range(ANNOTATORS):
        owned = [f"w{number}s{index}" for index in range(SAMPLES_EACH)]
        import_samples(
            engine, project.id, [Sample(id=s, streams=streams(s)) for s in owned], TESTER
        )
        name = f"w{number}"
        token = api_token(engine, name, project_id=project.id, role=Role.ANNOTATOR)
        for sample_id in owned:
            assign(engine, TESTER, sample_id, name)
        people.append((name, token, owned))
    bulk = create_project(engine, "bulk", ontology, TESTER)
    import_samples(
        engine,
        bulk.id,
        (Sample(id=f"b{i}", streams=streams(f"b{i}")) for i in range(EXPORTED)),
        TESTER,
    )
    manager = api_token(engine, "manager", project_id=bulk.id, role=Role.MANAGER)
    return project.id, people, manager


def check_store(url: str, project_id: str) -> None:
    """The store opens whole: integrity, schema at head, no half-written sample."""
    engine = make_engine(url)
    try:
        if engine.dialect.name == "sqlite":
            assert sqlite_integrity(engine) == "ok"
            with engine.connect() as connection:
                assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
                # FULL: a commit survives a power cut, not only a kill (docs/reliability.md)
                assert connection.execute(text("PRAGMA synchronous")).scalar() == 2
        assert at_head(engine)
        assert half_written(engine, project_id) == []
    finally:
        engine.dispose()


def test_killed_server_keeps_every_acknowledged_write(store_url: str, tmp_path: Path) -> None:
    engine = open_store(store_url)
    project_id, people, manager = populate(engine)
    data, log = tmp_path / "data", tmp_path / "server.log"
    rng = random.Random(SEED)
    ledgers = [Ledger(owned) for _, _, owned in people]
    export = None
    try:
        for round_ in range(ROUNDS + 1):
            server = start_server(store_url, data, log)
            clients = [Client(server.base, token, timeout=60) for _, token, _ in people]
            for ledger, client in zip(ledgers, clients, strict=True):
                problems = ledger.check(read_states(client, ledger.samples))
                assert problems == [], f"seed {SEED}, after kill {round_}: {problems}"
            check_store(store_url, project_id)
            if round_ == ROUNDS:
                for client in clients:
                    client.close()
                break
            stop = threading.Event()
            writers = [
                Annotator(name, client, ledger, rng.randrange(1 << 30), stop)
                for (name, _, _), client, ledger in zip(people, clients, ledgers, strict=True)
            ]
            for writer in writers:
                writer.start()
            if round_ < ROUNDS - 1:
                time.sleep(rng.uniform(0.5, 3.0))
            else:  # the last kill also interrupts an export job
                with Client(server.base, manager, timeout=60) as client:
                    export = client.submit_export("bulk", shard_size=SHARD, formats=["jsonl"])
                progress = wait_for_checkpoint(engine, export.id)
            server.kill()
            stop.set()
            for writer, client in zip(writers, clients, strict=True):
                writer.join(60)
                client.close()
                assert writer.errors == [], f"seed {SEED}: {writer.errors}"
        acknowledged = sum(ledger.acknowledged for ledger in ledgers)
        assert acknowledged > 10 * ROUNDS, "too few writes to say anything"
        assert sum(ledger.interrupted for ledger in ledgers) > 0, "no kill came mid-write"
        assert export is not None and progress < 0.9, "the kill came too late for the export"
        export_resumes(engine, server.base, manager, export.id, data)
    finally:
        server.stop()
        engine.dispose()


def wait_for_checkpoint(engine: Engine, job_id: str) -> float:
    """Wait until the job has finished a shard (its checkpoint); its progress then."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            row = connection.execute(
                select(jobs.c.status, jobs.c.checkpoint, jobs.c.progress).where(jobs.c.id == job_id)
            ).one()
        assert row.status in ("queued", "running"), f"the export ended before the kill: {row}"
        if row.checkpoint is not None:
            return float(row.progress)
        time.sleep(0.01)
    raise AssertionError("the export wrote no shard in 2 minutes")


def export_resumes(engine: Engine, base: str, token: str, job_id: str, data: Path) -> None:
    """The export the kill interrupted goes on after its last finished shard once its
    worker is seen to be gone, and ends with every sample exactly once."""
    if not WAIT_FOR_STALE:  # stands in for the minute the worker would wait
        with engine.begin() as connection:
            connection.execute(
                update(jobs)
                .where(jobs.c.id == job_id)
                .values(heartbeat_at=jobs.c.heartbeat_at - 2 * STALE_AFTER)
            )
    with Client(base, token, timeout=60) as client:
        done = client.wait(job_id, timeout=STALE_AFTER + 180)
        logs = [entry.message for entry in client.job_logs(job_id)]
    assert done.status == "done", done.error
    assert any("queued again" in line for line in logs), logs
    assert any(line.startswith("going on after shard") for line in logs), logs
    folder = export_dir(data, job_id)
    assert not list(folder.rglob("*.part"))
    exported = [
        orjson.loads(line)["id"]
        for shard in sorted(folder.glob("*.jsonl"))
        for line in shard.read_bytes().splitlines()
    ]
    assert sorted(exported) == sorted(f"b{i}" for i in range(EXPORTED))


def test_killed_cli_import_resumes_and_killed_export_leaves_no_whole_file(
    store_url: str, tmp_path: Path
) -> None:
    engine = open_store(store_url)
    project = create_project(engine, "imported", load_ontology_file(DEMO_ONTOLOGY), TESTER)
    source = tmp_path / "big.jsonl"
    with source.open("wb") as out:
        for index in range(IMPORTED):
            write_sample(out, import_sample(index))
    log = tmp_path / "cli.log"
    command = (
        "--db",
        store_url,
        "import",
        str(source),
        "--project",
        "imported",
        "--batch-size",
        "100",
    )
    importing = run_cli(*command, log=log)
    committed = wait_for(
        engine, lambda c: c.execute(select(imports.c.lines_committed)).scalar() or 0, 300
    )
    importing.kill()
    importing.wait()
    assert committed < IMPORTED, "the import finished before the kill"
    assert run_cli(*command, "--resume", log=log).wait(600) == 0, log.read_text()
    with engine.connect() as connection:
        tracked = connection.execute(select(imports.c.status, imports.c.lines_committed)).one()
        per_sample = (
            connection.execute(select(events.c.sample_id).where(events.c.action == "import"))
            .scalars()
            .all()
        )
    assert tuple(tracked) == ("done", IMPORTED)
    assert len(per_sample) == len(set(per_sample)) == IMPORTED  # each sample imported once
    assert half_written(engine, project.id) == []

    exported = tmp_path / "out.jsonl"
    exporting = run_cli(
        "--db", store_url, "export", str(exported), "--project", "imported", log=log
    )
    part = Path(f"{exported}.part")
    deadline = time.monotonic() + 300
    while not (part.exists() and part.stat().st_size > 0):
        assert exporting.poll() is None, "the export ended before the kill"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    exporting.kill()
    exporting.wait()
    assert not exported.exists(), "a killed export left a file under the name asked for"
    assert (
        run_cli("--db", store_url, "export", str(exported), "--project", "imported", log=log).wait(
            600
        )
        == 0
    )
    assert exported.read_bytes() == source.read_bytes()  # every sample once, whole, in order
    assert not part.exists()
    if engine.dialect.name == "sqlite":
        assert sqlite_integrity(engine) == "ok"
    with engine.connect() as connection:
        assert connection.execute(
            select(samples.c.pk).where(samples.c.project_id == project.id)
        ).all()
    engine.dispose()


def import_sample(index: int, prefix: str = "i") -> Sample:
    """Sample ``<prefix><index>`` of the imported file: a caption with a span, a photo with a
    box, and a link between them."""
    sample_id = f"{prefix}{index}"
    return Sample.model_validate(
        {
            "id": sample_id,
            "streams": [s.model_dump(mode="json", exclude_none=True) for s in streams(sample_id)],
            "annotations": [
                {
                    "id": f"{sample_id}-span",
                    "stream": f"{sample_id}-text",
                    "label": "person",
                    "geometry": {"type": "span", "start": 3, "end": 12},
                    "ontology_version": 1,
                },
                {
                    "id": f"{sample_id}-box",
                    "stream": f"{sample_id}-image",
                    "label": "cup",
                    "geometry": {"type": "box", "x": 10.0, "y": 20.0, "w": 30.0, "h": 40.0},
                    "ontology_version": 1,
                },
            ],
            "links": [
                {
                    "id": f"{sample_id}-link",
                    "type": "refers-to",
                    "source": f"{sample_id}-span",
                    "target": f"{sample_id}-box",
                }
            ],
        }
    )


def wait_for(engine: Engine, read: Callable[[Connection], object], seconds: float) -> int:
    """Poll `read(connection)` until it is positive; its value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with engine.connect() as connection:
                value = int(str(read(connection)))
        except Exception:  # noqa: BLE001 - the table may not be there yet
            value = 0
        if value > 0:
            return value
        time.sleep(0.01)
    raise AssertionError(f"nothing after {seconds} s")


def test_killed_cli_ontology_migration_changes_nothing_and_a_rerun_applies_it_once(
    store_url: str, tmp_path: Path
) -> None:
    engine = open_store(store_url)
    migration = tmp_path / "migration.yaml"
    migration.write_text(MIGRATION)
    log = tmp_path / "cli.log"

    def migrate(project: str) -> "subprocess.Popen[bytes]":
        arguments = ("ontology", "migrate", str(migration), "--project", project)
        return run_cli("--db", store_url, *arguments, "--expected-version", "1", log=log)

    # a twin project, migrated to the end first, says how long this machine's migration
    # transaction writes; the real one is killed part way through that time, so it has
    # relabelled some chunks and has more to go however fast or slow the machine is
    twin = create_project(engine, "twin", load_ontology_file(DEMO_ONTOLOGY), TESTER)
    project = create_project(engine, "migrated", load_ontology_file(DEMO_ONTOLOGY), TESTER)
    for imported, prefix in ((twin, "t"), (project, "i")):
        samples_of = (confirmed(import_sample(i, prefix)) for i in range(MIGRATED))
        import_samples(engine, imported.id, samples_of, TESTER)
    writing = longest_busy(migrate("twin"), migration_writing(engine))
    assert versions(engine, twin.id) == (2, [1, 2], 1), log.read_text()
    hold = writing * random.Random(SEED).uniform(0.3, 0.6)
    before = object_states(engine, project.id)
    kill_while(migrate("migrated"), migration_writing(engine), hold)
    assert versions(engine, project.id) == (1, [1], 0), f"seed {SEED}: committed before the kill"
    check_store(store_url, project.id)
    assert migration_outcome(engine, project.id, before) == {"untouched": 3 * MIGRATED}

    assert migrate("migrated").wait(600) == 0, log.read_text()
    check_store(store_url, project.id)
    assert migration_outcome(engine, project.id, before) == {"migrated": 3 * MIGRATED}
    assert versions(engine, project.id) == (2, [1, 2], 1)
    # run once more, as whoever saw the kill might: refused, nothing applied twice
    assert migrate("migrated").wait(600) == 1
    assert "expected revision 1 but the current revision is 2" in log.read_text()
    assert migration_outcome(engine, project.id, before) == {"migrated": 3 * MIGRATED}
    assert versions(engine, project.id) == (2, [1, 2], 1)
    engine.dispose()


def confirmed(sample: Sample) -> Sample:
    """`sample` with its links confirmed (a migration turns only confirmed links stale)."""
    return sample.model_copy(
        update={"links": [link.model_copy(update={"status": "confirmed"}) for link in sample.links]}
    )


def migration_writing(engine: Engine) -> Callable[[], bool]:
    """Whether a migration's transaction is writing now. On PostgreSQL: another session
    holds the lock an UPDATE of ``annotations`` takes (a chunk is relabelled, uncommitted).
    On SQLite, whose transactions show nothing before they commit: some process holds the
    writers' ``flock`` (`rosetta.store.engine`)."""
    if engine.dialect.name == "postgresql":
        held = text(
            "SELECT count(*) FROM pg_locks WHERE relation = 'annotations'::regclass"
            " AND mode = 'RowExclusiveLock' AND granted AND pid <> pg_backend_pid()"
        )

        def updating() -> bool:
            with engine.connect() as connection:
                return bool(connection.execute(held).scalar())

        return updating
    writers = f"{engine.url.database}-writers"

    def locked() -> bool:
        descriptor = os.open(writers, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(descriptor)  # releases the lock if this probe got it
        return False

    return locked


def longest_busy(process: "subprocess.Popen[bytes]", busy: Callable[[], bool]) -> float:
    """Wait for `process` to end; the longest time on end `busy()` was true meanwhile."""
    longest, since = 0.0, None
    deadline = time.monotonic() + 600
    while process.poll() is None:
        assert time.monotonic() < deadline, "the process ran for 10 minutes"
        now = time.monotonic()
        if not busy():
            since = None
        elif since is None:
            since = now
        else:
            longest = max(longest, now - since)
        time.sleep(0.01)
    assert process.returncode == 0
    return longest


def kill_while(process: "subprocess.Popen[bytes]", busy: Callable[[], bool], hold: float) -> None:
    """SIGKILL `process` once `busy()` has been true for `hold` seconds on end."""
    deadline = time.monotonic() + 300
    since = None
    while time.monotonic() < deadline:
        assert process.poll() is None, f"seed {SEED}: the process ended before the kill"
        if not busy():
            since = None
        elif since is None:
            since = time.monotonic()
        elif time.monotonic() - since >= hold:
            process.kill()
            process.wait()
            return
        time.sleep(0.01)
    raise AssertionError("the process was not busy for long enough in 5 minutes")


def object_states(engine: Engine, project_id: str) -> dict[str, tuple[object, ...]]:
    """Each annotation's (label, ontology version, revision, flags) and each link's
    (status, revision), by id."""
    with engine.connect() as connection:
        labelled = connection.execute(
            select(
                annotations.c.id,
                annotations.c.label,
                annotations.c.ontology_version,
                annotations.c.revision,
                annotations.c.flags,
            ).where(annotations.c.project_id == project_id)
        ).all()
        linked = connection.execute(
            select(links.c.id, links.c.status, links.c.revision).where(
                links.c.project_id == project_id
            )
        ).all()
    return {row[0]: tuple(row[1:]) for row in [*labelled, *linked]}


def migration_outcome(
    engine: Engine, project_id: str, before: dict[str, tuple[object, ...]]
) -> Counter[str]:
    """How many of the objects that were `before` are ``untouched`` (as they were, no
    migration event) and how many ``migrated`` (relabelled at version 2 or turned stale,
    one revision on, with exactly one event saying so); anything else by itself."""
    now = object_states(engine, project_id)
    recorded: dict[str, list[tuple[str, int]]] = {}
    with engine.connect() as connection:
        for change in connection.execute(
            select(events.c.object_id, events.c.action, events.c.revision)
            .where(
                events.c.project_id == project_id,
                events.c.object_kind.in_(("annotation", "link")),
                events.c.action.in_(("migrate", "stale")),
            )
            .order_by(events.c.pk)
        ):
            recorded.setdefault(change.object_id, []).append((change.action, change.revision))
    outcome: Counter[str] = Counter()
    for ident in before.keys() | now.keys():
        old, new, seen = before.get(ident), now.get(ident), recorded.get(ident, [])
        if old is not None and new == old and not seen:
            outcome["untouched"] += 1
        elif old is not None and (new, seen) == migrated(old):
            outcome["migrated"] += 1
        else:
            outcome[f"{ident}: {old} -> {new}, events {seen}"] += 1
    return outcome


def migrated(
    old: tuple[object, ...],
) -> tuple[tuple[object, ...], list[tuple[str, int]]]:
    """An object's state after the migration, from `old`, and the events that say so."""
    if len(old) == 2:  # a link: (status, revision)
        revision = int(str(old[1])) + 1
        return ("stale", revision), [("stale", revision)]
    label, _, revision, flags = old
    after = int(str(revision)) + 1
    return (RELABEL[str(label)], 2, after, flags), [("migrate", after)]


def versions(engine: Engine, project_id: str) -> tuple[int, list[int], int]:
    """The project's ontology version, the versions stored, and how many ontology
    migrations its events record."""
    with engine.connect() as connection:
        current = connection.execute(
            select(projects.c.ontology_version).where(projects.c.id == project_id)
        ).scalar_one()
        stored = connection.execute(
            select(ontology_versions.c.version)
            .where(ontology_versions.c.project_id == project_id)
            .order_by(ontology_versions.c.version)
        ).scalars()
        migrations = connection.execute(
            select(func.count()).where(
                events.c.project_id == project_id,
                events.c.object_kind == "ontology",
                events.c.action == "migrate",
            )
        ).scalar_one()
        return int(current), list(stored), int(migrations)
