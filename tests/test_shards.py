"""Sharded exports on the real store: JSONL and Parquet shards read back with pyarrow,
the same bytes as a whole export, resumed after a failure without rewriting a shard."""

import io
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine

from jobtools import add_samples, shard_bytes
from rosetta.core.errors import NotFoundError
from rosetta.core.schema import Project
from rosetta.formats.native import parse_sample
from rosetta.services import exporter
from rosetta.services.exporter import export_jsonl
from rosetta.services.shards import (
    PARQUET_SCHEMA,
    Position,
    ShardFile,
    export_shards,
    list_shards,
    shard_path,
)


def _whole(engine: Engine, project_id: str, tracks: exporter.TrackForm = "sparse") -> bytes:
    out = io.BytesIO()
    export_jsonl(engine, project_id, out, tracks=tracks)
    return out.getvalue()


class Crash(Exception):
    """What the test's shard callback raises to stop an export."""


def test_shards_hold_the_whole_export_in_both_formats(
    engine: Engine, project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exporter, "CHUNK", 3)  # shards span chunks and chunks span shards
    ids = add_samples(engine, project.id, 11)
    positions: list[Position] = []
    counted: list[int] = []
    end = export_shards(
        engine,
        project.id,
        tmp_path / "out",
        shard_size=4,
        on_shard=positions.append,
        progress=counted.append,
    )
    assert (end.shards, end.samples) == (3, 11)
    assert [(p.shards, p.samples) for p in positions] == [(1, 4), (2, 8), (3, 11)]
    assert counted == sorted(counted) and counted[-1] == 11
    folder = tmp_path / "out"
    assert [(f.name, f.format, f.index) for f in list_shards(folder)] == [
        (f"samples-0000{n}.{kind}", kind, n) for n in range(3) for kind in ("jsonl", "parquet")
    ]
    assert not list(folder.glob("*.part"))

    whole = _whole(engine, project.id)
    assert shard_bytes(folder, "jsonl") == whole
    lines = whole.splitlines()
    tables = [pq.read_table(folder / f"samples-0000{n}.parquet") for n in range(3)]
    assert [table.num_rows for table in tables] == [4, 4, 3]
    for table in tables:
        assert table.schema.equals(PARQUET_SCHEMA, check_metadata=True)
    rows = [row for table in tables for row in table.to_pylist()]
    assert [row["sample"].encode() for row in rows] == lines
    assert [row["id"] for row in rows] == ids
    for row in rows:
        sample = parse_sample(row["sample"].encode(), file="shard")
        assert (row["external_id"], row["status"]) == (sample.external_id, sample.status)
    assert rows[0]["status"] == "review" and rows[1]["status"] == "new"


def test_an_export_resumes_after_its_last_finished_shard(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    add_samples(engine, project.id, 10)
    folder = tmp_path / "out"
    saved: list[Position] = []

    def crash_after_two(position: Position) -> None:
        saved.append(position)
        if position.shards == 2:
            raise Crash

    with pytest.raises(Crash):
        export_shards(
            engine, project.id, folder, shard_size=2, formats=["jsonl"], on_shard=crash_after_two
        )
    assert [shard.name for shard in list_shards(folder)] == [
        "samples-00000.jsonl",
        "samples-00001.jsonl",
    ]
    before = {path.name: path.stat() for path in folder.iterdir()}
    checkpoint = orjson.loads(orjson.dumps(saved[-1].to_json()))  # as a job stores it
    end = export_shards(
        engine,
        project.id,
        folder,
        shard_size=2,
        formats=["jsonl"],
        start=Position.from_json(checkpoint),
    )
    assert (end.shards, end.samples) == (5, 10)
    for name, stat in before.items():  # not rewritten
        now = (folder / name).stat()
        assert (now.st_ino, now.st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
    assert shard_bytes(folder, "jsonl") == _whole(engine, project.id)
    assert not list(folder.glob("*.parquet"))

    # a failure inside a shard leaves no partial file behind
    def stop(samples: int) -> None:
        raise Crash

    with pytest.raises(Crash):
        export_shards(engine, project.id, tmp_path / "again", shard_size=4, progress=stop)
    assert list((tmp_path / "again").iterdir()) == []


def test_dense_tracks_and_an_empty_or_missing_project(
    engine: Engine, project: Project, tmp_path: Path
) -> None:
    assert export_shards(engine, project.id, tmp_path / "empty", shard_size=5) == Position()
    assert list_shards(tmp_path / "empty") == []
    with pytest.raises(NotFoundError, match="no project"):
        export_shards(engine, "nope", tmp_path / "x", shard_size=5)
    add_samples(engine, project.id, 3)
    export_shards(
        engine, project.id, tmp_path / "dense", shard_size=2, formats=["jsonl"], tracks="dense"
    )
    assert shard_bytes(tmp_path / "dense", "jsonl") == _whole(engine, project.id, "dense")


def test_only_finished_shard_names_are_served(tmp_path: Path) -> None:
    folder = tmp_path / "exports" / "job"
    folder.mkdir(parents=True)
    (folder / "samples-00000.jsonl").write_bytes(b"{}\n")
    (folder / "samples-00001.jsonl.part").write_bytes(b"{")
    (tmp_path / "secret.txt").write_text("secret")
    (folder / "samples-00009.jsonl").symlink_to(tmp_path / "secret.txt")
    assert list_shards(folder)[0] == ShardFile("samples-00000.jsonl", "jsonl", 0, 3)
    assert shard_path(folder, "samples-00000.jsonl") == (folder / "samples-00000.jsonl", "jsonl")
    for name in (
        "samples-00001.jsonl.part",
        "samples-00002.jsonl",
        "../../secret.txt",
        "..",
        "samples-00009.jsonl",  # a link out of the folder
        "/etc/passwd",
        "samples-00000.jsonl/../../../secret.txt",
    ):
        with pytest.raises(NotFoundError):
            shard_path(folder, name)
