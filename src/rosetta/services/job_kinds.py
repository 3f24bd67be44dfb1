"""The kinds of background job: the params each takes, the target it works on, and the
handler that does the work. Workers run a job by looking its kind up in `KINDS`, wherever
they run (a server's threads, ``rosetta worker``, a Ray task).

===================  ========  =======================================================
kind                 target    does (params)
===================  ========  =======================================================
``import``           project   imports a native JSONL file of the data folder
                               (``file``, relative to it, e.g. an upload
                               ``uploads/<id>.jsonl``; ``new_ids``; ``batch_size``);
                               a resumed run goes on after the last committed batch
``export``           project   writes the project as shards of ``shard_size`` samples
                               in ``formats`` (``jsonl``, ``parquet``) with ``tracks``
                               sparse or dense, under ``exports/<job id>/`` of the data
                               folder; a resumed run goes on after the last finished shard
``probe``            project   probes the media of the project's streams and stores
                               what changed (``only_missing``)
``prepare``          stream    waveform peaks, frame table and thumbnails of ``stream``
``prepare-project``  project   the same for every audio and video stream of the project
``enqueue``          project   queues ``samples`` (none: all) for annotation with
                               ``priority`` (`rosetta.services.workflow.enqueue`); a rerun
                               skips the samples queued already
``qa``               project   runs the QA checks ``checks`` (none: every installed
                               one) with ``settings`` over every sample and stores
                               their findings (`rosetta.services.qa_runs`); a resumed
                               run goes on after the last recorded chunk
===================  ========  =======================================================

Params are validated when the job is submitted (a `RuleViolation` names the field) and
stored with their defaults filled in, so two submissions of the same work are the same job.
"""

import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Connection, Engine

from rosetta.core.errors import NotFoundError, RosettaError, RuleViolation
from rosetta.services.exporter import TrackForm, count_samples
from rosetta.services.importer import import_jsonl
from rosetta.services.jobs import Job, JobContext, submit_job
from rosetta.services.media_prep import (
    PREPARE,
    PREPARE_PROJECT,
    prepare_all,
    prepare_stream,
    stream_project,
)
from rosetta.services.probing import probe_project
from rosetta.services.projects import find_project
from rosetta.services.qa_runs import QA_KIND, QaParams, known_checks, qa_job
from rosetta.services.shards import Position, ShardFormat, export_shards
from rosetta.services.workflow import enqueue, workflow_of
from rosetta.store.events import Actor

#: Where uploaded import files are kept, in the data folder.
UPLOADS = "uploads"
#: Where exports write their shards, in the data folder (one folder per job).
EXPORTS = "exports"

P = TypeVar("P", bound=BaseModel)


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ImportParams(_Params):
    """Import a native JSONL file of the data folder."""

    file: str = Field(description="The file's path relative to the data folder.")
    new_ids: bool = Field(default=False, description="Give every record a fresh id.")
    batch_size: int = Field(default=500, ge=1, le=10_000, description="Samples per transaction.")

    @field_validator("file")
    @classmethod
    def _inside(cls, value: str) -> str:
        path = PurePosixPath(value)
        if not value or path.is_absolute() or ".." in path.parts or "\\" in value:
            raise ValueError(f"{value!r} must be a path relative to the data folder, without '..'")
        return str(path)


class ExportParams(_Params):
    """Export the project as shards."""

    shard_size: int = Field(default=1000, ge=1, le=1_000_000, description="Samples per shard.")
    formats: list[ShardFormat] = Field(
        default=["jsonl", "parquet"], min_length=1, description="The shard formats to write."
    )
    tracks: TrackForm = Field(default="sparse", description="Tracks as key frames or dense.")

    @field_validator("formats")
    @classmethod
    def _unique(cls, value: list[ShardFormat]) -> list[ShardFormat]:
        return list(dict.fromkeys(value))


class ProbeParams(_Params):
    """Probe the media of the project's streams."""

    only_missing: bool = Field(
        default=False, description="Probe only streams that have no media info at all."
    )


class PrepareParams(_Params):
    """Prepare one stream's media."""

    stream: str = Field(min_length=1, description="The stream's id.")


class PrepareProjectParams(_Params):
    """Prepare every audio and video stream of the project."""


class EnqueueParams(_Params):
    """Queue samples of the project for annotation."""

    samples: list[str] | None = Field(
        default=None, max_length=100_000, description="The samples to queue; none: all."
    )
    priority: float = Field(default=0.0, description="Their tasks' priority (higher first).")


def _project_target(project_id: str, _params: Any) -> str:
    return project_id


@dataclass(frozen=True)
class JobKind(Generic[P]):
    """A kind of job: its name, its params, its handler, and what its target is."""

    name: str
    summary: str
    params: type[P]
    handler: Callable[[JobContext, P], dict[str, Any]]
    #: the target of a job of this kind in a project with these params
    target: Callable[[str, P], str] = field(default=_project_target)
    #: raises when the params name something that is not in the project
    check: Callable[[Connection, str, P], None] | None = None

    def parse(self, params: Mapping[str, Any]) -> P:
        """The params validated; a `RuleViolation` names the first field that is wrong."""
        try:
            return self.params.model_validate(dict(params))
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in ("params", *error["loc"]))
            raise RuleViolation(f"{self.name} job", where, "job-params", error["msg"]) from None

    def run(self, context: JobContext) -> dict[str, Any]:
        """Do the work of the job in `context`."""
        return self.handler(context, self.parse(context.job.params))


def submit(
    engine: Engine,
    actor: Actor,
    kind: str,
    project_id: str,
    params: Mapping[str, Any] | None = None,
) -> Job:
    """Queue a job of `kind` in the project `project_id` with `params` (validated, defaults
    filled in); the same work queued or running already is returned instead."""
    job_kind = KINDS.get(kind)
    if job_kind is None:
        raise RuleViolation(
            "job", "kind", "job-kind", f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}"
        )
    parsed = job_kind.parse(params or {})
    with engine.connect() as connection:
        find_project(connection, project_id)
        if job_kind.check is not None:
            job_kind.check(connection, project_id, parsed)
    return submit_job(
        engine,
        actor,
        kind,
        job_kind.target(project_id, parsed),
        project_id,
        params=parsed.model_dump(mode="json"),
    )


def run_kind(context: JobContext) -> dict[str, Any]:
    """Run the job in `context` with the handler of its kind."""
    job_kind = KINDS.get(context.job.kind)
    if job_kind is None:
        raise RosettaError(f"this worker knows no job kind {context.job.kind!r}")
    return job_kind.run(context)


def new_upload(data_dir: Path) -> tuple[str, Path]:
    """A fresh name for an uploaded import file (relative to the data folder, the
    ``file`` param of its import job) and its path, whose folder exists."""
    name = f"{UPLOADS}/{uuid.uuid4().hex}.jsonl"
    path = data_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return name, path


def export_dir(data_dir: Path, job_id: str) -> Path:
    """The folder the export job `job_id` writes its shards to."""
    return data_dir / EXPORTS / job_id


# --- handlers -------------------------------------------------------------------------------


def _project(context: JobContext) -> str:
    if context.job.project_id is None:
        raise RosettaError(f"job {context.job.id} names no project")
    return context.job.project_id


def _import(context: JobContext, params: ImportParams) -> dict[str, Any]:
    root = context.data_dir.resolve()
    path = (root / params.file).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise RosettaError(f"{params.file}: no such file in the data folder")
    size = path.stat().st_size

    def progress(read: int) -> None:
        context.progress(read / max(1, size), f"{read} of {size} bytes")

    report = import_jsonl(
        context.engine,
        _project(context),
        path,
        context.actor,
        batch_size=params.batch_size,
        resume=True,
        new_ids=params.new_ids,
        progress=progress,
        settings=context.settings,
    )
    if PurePosixPath(params.file).parts[0] == UPLOADS:
        path.unlink()
        context.log(f"imported; the upload {params.file} is removed")
    return {**asdict(report), "file": params.file}


def _export(context: JobContext, params: ExportParams) -> dict[str, Any]:
    project_id = _project(context)
    start = Position.from_json(context.checkpoint)
    if start.shards:
        context.log(f"going on after shard {start.shards - 1} ({start.samples} samples)")
    with context.engine.connect() as connection:
        total = count_samples(connection, project_id)

    def shard_done(position: Position) -> None:
        context.checkpoint_to(position.to_json())
        context.log(f"shard {position.shards - 1} written ({position.samples} samples so far)")

    def progress(samples: int) -> None:
        context.progress(samples / max(1, total), f"{samples} of {total} samples")

    end = export_shards(
        context.engine,
        project_id,
        export_dir(context.data_dir, context.job.id),
        shard_size=params.shard_size,
        formats=params.formats,
        tracks=params.tracks,
        start=start,
        on_shard=shard_done,
        progress=progress,
    )
    return {
        "shards": end.shards,
        "samples": end.samples,
        "formats": params.formats,
        "folder": f"{EXPORTS}/{context.job.id}",
    }


def _probe(context: JobContext, params: ProbeParams) -> dict[str, Any]:
    return probe_project(
        context.engine,
        context.actor,
        _project(context),
        only_missing=params.only_missing,
        progress=context.progress,
        settings=context.settings,
    )


def _stream_in_project(connection: Connection, project_id: str, params: PrepareParams) -> None:
    if stream_project(connection, params.stream) != project_id:
        raise NotFoundError("stream", params.stream)


def _prepare(context: JobContext, params: PrepareParams) -> dict[str, Any]:
    return prepare_stream(
        context.engine, params.stream, context.progress, settings=context.settings
    )


def _prepare_project(context: JobContext, _params: PrepareProjectParams) -> dict[str, Any]:
    return prepare_all(
        context.engine, _project(context), context.progress, settings=context.settings
    )


def _has_workflow(connection: Connection, project_id: str, _params: EnqueueParams) -> None:
    workflow_of(connection, project_id)


def _enqueue(context: JobContext, params: EnqueueParams) -> dict[str, Any]:
    project_id = _project(context)
    if params.samples is None:
        with context.engine.connect() as connection:
            total = count_samples(connection, project_id)
    else:
        total = len(params.samples)

    def progress(handled: int) -> None:
        context.progress(handled / max(1, total), f"{handled} of {total} samples")

    made = enqueue(
        context.engine,
        context.actor,
        project_id,
        params.samples,
        priority=params.priority,
        progress=progress,
    )
    return {"created": made}


#: Every kind of job, by name.
KINDS: dict[str, JobKind[Any]] = {
    kind.name: kind
    for kind in (
        JobKind("import", "Import a native JSONL file.", ImportParams, _import),
        JobKind("export", "Export the project as JSONL and Parquet shards.", ExportParams, _export),
        JobKind("probe", "Probe the media of the project's streams.", ProbeParams, _probe),
        JobKind(
            PREPARE,
            "Prepare a stream's peaks, frame table and thumbnails.",
            PrepareParams,
            _prepare,
            target=lambda _project_id, params: params.stream,
            check=_stream_in_project,
        ),
        JobKind(
            PREPARE_PROJECT,
            "Prepare every audio and video stream of the project.",
            PrepareProjectParams,
            _prepare_project,
        ),
        JobKind(
            "enqueue",
            "Queue samples of the project for annotation.",
            EnqueueParams,
            _enqueue,
            check=_has_workflow,
        ),
        JobKind(
            QA_KIND,
            "Run QA checks over every sample of the project.",
            QaParams,
            qa_job,
            check=known_checks,
        ),
    )
}
