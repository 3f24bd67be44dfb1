"""Sharded exports: a project's samples as numbered shards of at most N samples each, in
native JSONL and in Parquet, written one shard at a time and resumable after the last
finished shard.

Shard ``i`` of a format is the file ``samples-<i, 5 digits>.jsonl`` or ``.parquet`` in the
export's folder; both formats of a shard hold the same samples, in the store's order.

- **JSONL**: one sample per line, byte for byte what `rosetta.services.exporter` writes, so
  the shards concatenated are a native file `rosetta import` takes.
- **Parquet** (zstd): one row per sample with the columns ``id``, ``external_id``,
  ``status`` and ``sample``, the sample's native JSON line as a string. The line keeps
  every record exactly (streams, annotations, entities, links, clocks, tracks) and
  re-imports without loss; the three scalar columns let a query engine (DuckDB, pandas,
  Spark) select samples without parsing JSON. A column per annotation field would need a
  nested schema per geometry kind and would drift from the native format; queries that
  want one can unnest the JSON.

A shard is written under a ``.part`` name and renamed when complete, so a folder never
holds a partial shard under a shard's name. `list_export_files` and `export_file` find
every finished file of an export folder (the shards, the dataset card, and what a
foreign-format export writes, in sub-folders too) for the download routes. The lines come from the exporter's chunk
query, one chunk of samples at a time (keyset on the sample's row order), so memory stays
bounded by one chunk whatever the shard size. A `Position` says how far an export got (the
finished shards, their samples and the last sample's row key); an export started from it
writes the next shard after it and never rewrites a finished one.
"""

import itertools
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Literal

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine

from rosetta.core.errors import NotFoundError
from rosetta.services.dataset_card import ExportParameters, write_dataset_card
from rosetta.services.exporter import CHUNK, TrackForm, sample_lines
from rosetta.services.projects import find_project

ShardFormat = Literal["jsonl", "parquet"]

#: The content type of each shard format.
CONTENT_TYPES: dict[ShardFormat, str] = {
    "jsonl": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
}

#: The Parquet shards' columns.
PARQUET_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("external_id", pa.string()),
        pa.field("status", pa.string(), nullable=False),
        pa.field("sample", pa.string(), nullable=False),
    ],
    metadata={"rosetta.sample": "the native JSONL line of the sample (rosetta.formats.native)"},
)

_NAME = re.compile(r"samples-(\d{5,})\.(jsonl|parquet)")
_PART = ".part"

#: A sample of the export: its row key and its native JSONL line.
_Line = tuple[int, bytes]


@dataclass(frozen=True)
class Position:
    """How far a sharded export got: `shards` finished shards holding `samples` samples,
    the last of which has the row key `after` (-1: none yet)."""

    shards: int = 0
    samples: int = 0
    after: int = -1

    def to_json(self) -> dict[str, int]:
        """The position as a JSON object (a job's checkpoint)."""
        return asdict(self)

    @classmethod
    def from_json(cls, value: dict[str, Any] | None) -> "Position":
        """The position a `to_json` object names; the start for None."""
        return cls() if value is None else cls(**value)


@dataclass(frozen=True)
class ShardFile:
    """A finished shard file of an export."""

    name: str
    format: ShardFormat
    index: int
    size: int


def shard_name(index: int, shard_format: ShardFormat) -> str:
    """The file name of shard `index` in `shard_format`."""
    return f"samples-{index:05d}.{shard_format}"


def list_shards(directory: Path) -> list[ShardFile]:
    """The finished shards in `directory` by index and format (none when it is missing)."""
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = _NAME.fullmatch(path.name)
        if match is not None and _is_shard_file(directory, path):
            shard_format: ShardFormat = "jsonl" if match[2] == "jsonl" else "parquet"
            found.append(ShardFile(path.name, shard_format, int(match[1]), path.stat().st_size))
    return sorted(found, key=lambda shard: (shard.index, shard.format))


def shard_path(directory: Path, name: str) -> tuple[Path, ShardFormat]:
    """The finished shard `name` in `directory` and its format. Any name that is not a
    shard's (a path, ``..``, a partial shard) or names no file there is a `NotFoundError`."""
    match = _NAME.fullmatch(name)
    path = directory / name
    if match is None or not _is_shard_file(directory, path):
        raise NotFoundError("export file", name)
    return path, "jsonl" if match[2] == "jsonl" else "parquet"


#: Content types of export files by suffix (any other: ``application/octet-stream``).
FILE_TYPES = {
    ".jsonl": CONTENT_TYPES["jsonl"],
    ".parquet": CONTENT_TYPES["parquet"],
    ".json": "application/json",
    ".md": "text/markdown",
    ".txt": "text/plain",
    ".yaml": "application/yaml",
    ".xml": "application/xml",
    ".eaf": "application/xml",
    ".textgrid": "text/plain",
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
}
#: The content type of an export file of any other suffix.
OTHER_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class ExportFile:
    """A finished file of an export: its `name` (its path in the export's folder, parts
    joined by ``/``), `size` in bytes and `content_type`; a shard's `format` and `index`."""

    name: str
    size: int
    content_type: str
    format: ShardFormat | None = None
    index: int | None = None


def list_export_files(directory: Path) -> list[ExportFile]:
    """Every finished file under `directory`, by name: plain files only (no links, nothing
    reached through one, no ``.part`` file); none when the folder is missing."""
    if not directory.is_dir() or directory.is_symlink():
        return []
    found = []
    for folder, folders, files in os.walk(directory):  # os.walk follows no folder links
        folders[:] = [name for name in folders if not name.endswith(_PART)]
        for name in files:
            path = Path(folder, name)
            if not name.endswith(_PART) and path.is_file() and not path.is_symlink():
                found.append(_export_file(path.relative_to(directory).as_posix(), path))
    return sorted(found, key=lambda file: file.name)


def export_file(directory: Path, name: str) -> tuple[Path, ExportFile]:
    """The finished file `name` (as `list_export_files` names it) under `directory`. A
    name that leaves the folder (absolute, ``..``, through a link), a partial file, or one
    that names no plain file is a `NotFoundError`."""
    parts = PurePosixPath(name).parts
    if (
        not name
        or "\\" in name
        or "\x00" in name
        or name.startswith("/")
        or any(part in ("..", ".") or part.endswith(_PART) for part in parts)
        or name != "/".join(parts)
    ):
        raise NotFoundError("export file", name)
    path = directory.joinpath(*parts)
    try:
        if not path.is_file() or path.resolve() != directory.resolve().joinpath(*parts):
            raise NotFoundError("export file", name)
        return path, _export_file(name, path)
    except OSError:  # a name too long, a loop of links
        raise NotFoundError("export file", name) from None


def _export_file(name: str, path: Path) -> ExportFile:
    match = _NAME.fullmatch(name)
    return ExportFile(
        name,
        path.stat().st_size,
        FILE_TYPES.get(path.suffix.lower(), OTHER_TYPE),
        format=None if match is None else ("jsonl" if match[2] == "jsonl" else "parquet"),
        index=None if match is None else int(match[1]),
    )


def _is_shard_file(directory: Path, path: Path) -> bool:
    """Whether `path` is a plain file in `directory` (not a link, not elsewhere)."""
    return path.is_file() and not path.is_symlink() and path.resolve().parent == directory.resolve()


def export_shards(
    engine: Engine,
    project_id: str,
    directory: Path,
    *,
    shard_size: int,
    formats: Iterable[ShardFormat] = ("jsonl", "parquet"),
    tracks: TrackForm = "sparse",
    start: Position = Position(),
    on_shard: Callable[[Position], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Position:
    """Write the project's samples after `start` into `directory` as shards of at most
    `shard_size` samples in each of `formats`; returns the final position.

    `on_shard` is called with the position after each finished shard (save it to resume
    from there); `progress` with the number of samples exported so far, after each chunk.
    When every shard is written, the dataset card (`rosetta.services.dataset_card`) goes
    beside them.
    An exception (from a callback too) removes the partial shard and propagates.
    """
    if shard_size < 1:
        raise ValueError(f"shard_size must be at least 1, not {shard_size}")
    chosen = tuple(dict.fromkeys(formats))
    with engine.connect() as connection:
        project_id = find_project(connection, project_id).id
    directory.mkdir(parents=True, exist_ok=True)
    lines = sample_lines(engine, project_id, after=start.after, tracks=tracks)
    position = start
    while (first := next(lines, None)) is not None:
        shard = itertools.chain([first], itertools.islice(lines, shard_size - 1))
        count, last = 0, first[0]
        writer = _ShardWriter(directory, position.shards, chosen)
        try:
            while batch := list(itertools.islice(shard, CHUNK)):
                writer.write(batch)
                count, last = count + len(batch), batch[-1][0]
                if progress is not None:
                    progress(position.samples + count)
            writer.close()
        except BaseException:
            writer.abort()
            raise
        position = Position(position.shards + 1, position.samples + count, last)
        if on_shard is not None:
            on_shard(position)
    parameters = ExportParameters(
        format="native-shards",
        tracks=tracks,
        files=[shard.name for shard in list_shards(directory)],
        samples=position.samples,
        options={"shard_size": shard_size, "formats": list(chosen)},
    )
    write_dataset_card(engine, project_id, directory, parameters)
    return position


class _ShardWriter:
    """One shard being written, in each format, under ``.part`` names until `close`."""

    def __init__(self, directory: Path, index: int, formats: tuple[ShardFormat, ...]) -> None:
        self.paths = {kind: directory / shard_name(index, kind) for kind in formats}
        self.jsonl: BinaryIO | None = None
        self.parquet: pq.ParquetWriter | None = None
        try:
            if "jsonl" in self.paths:
                self.jsonl = self._part("jsonl").open("wb")
            if "parquet" in self.paths:
                self.parquet = pq.ParquetWriter(
                    self._part("parquet"), PARQUET_SCHEMA, compression="zstd"
                )
        except BaseException:
            self.abort()
            raise

    def _part(self, kind: ShardFormat) -> Path:
        return self.paths[kind].with_name(self.paths[kind].name + _PART)

    def write(self, batch: list[_Line]) -> None:
        """Append a batch of samples to every format."""
        if self.jsonl is not None:
            self.jsonl.write(b"\n".join(line for _, line in batch))
            self.jsonl.write(b"\n")
        if self.parquet is not None:
            heads = [orjson.loads(line) for _, line in batch]
            self.parquet.write_table(
                pa.Table.from_pydict(
                    {
                        "id": [head["id"] for head in heads],
                        "external_id": [head.get("external_id") for head in heads],
                        "status": [head["status"] for head in heads],
                        "sample": [line for _, line in batch],
                    },
                    schema=PARQUET_SCHEMA,
                )
            )

    def close(self) -> None:
        """Finish every format's file and give it its shard name."""
        self._close_files()
        for kind, path in self.paths.items():
            os.replace(self._part(kind), path)

    def abort(self) -> None:
        """Drop the partial files."""
        self._close_files()
        for kind in self.paths:
            self._part(kind).unlink(missing_ok=True)

    def _close_files(self) -> None:
        if self.jsonl is not None:
            self.jsonl.close()
        if self.parquet is not None:
            self.parquet.close()
