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
``format-import``    project   imports ``file`` (relative to the data folder: a file,
                               or a folder such as an unpacked upload) in ``format``
                               with the label ``mapping``, media under ``media_root``
                               (inside the media roots), ``default_label``,
                               ``new_ids``, ``batch_size``
                               (`rosetta.services.format_io.import_foreign`); a rerun
                               skips the samples whose external id the project holds
``format-export``    project   writes the project in ``format`` with ``tracks`` and
                               its dataset card under ``exports/<job id>/`` (into
                               ``exports/<job id>.part/`` first, renamed when whole; a
                               rerun starts afresh)
``prelabel``         project   runs the proposer ``proposer`` (with ``parameters``,
                               ``label``) over the project's streams in batches of
                               ``batch`` and stores its candidates
                               (`rosetta.services.prelabel_runs`); a resumed run goes
                               on after the last checkpointed sample, a rerun skips
                               streams holding the model's candidates
``prioritize``       project   orders the waiting annotate slots by active learning
                               (``settings``: the signals' weights; ``embedder``:
                               ``minilm`` for diversity) and sets their priorities
                               (`rosetta.services.queue_order`)
===================  ========  =======================================================

Params are validated when the job is submitted (a `RuleViolation` names the field) and
stored with their defaults filled in, so two submissions of the same work are the same job;
what depends on the server's settings (a ``media_root`` inside the media roots) is checked
when they are given to `submit`, and again when the job runs. An import of an upload
(``uploads/...``) removes it once done; a failed one keeps it for a retry.
"""

import shutil
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Connection, Engine

from rosetta.core.errors import NotFoundError, RosettaError, RuleViolation
from rosetta.formats.interchange import ReadOptions
from rosetta.formats.label_map import LabelMap
from rosetta.formats.registry import FORMATS, format_spec
from rosetta.services.exporter import TrackForm, count_samples
from rosetta.services.format_io import export_foreign, import_foreign
from rosetta.services.importer import import_jsonl
from rosetta.services.jobs import Job, JobContext, submit_job
from rosetta.services.media_prep import (
    PREPARE,
    PREPARE_PROJECT,
    prepare_all,
    prepare_stream,
    stream_project,
)
from rosetta.services.prelabel_runs import PRELABEL, PrelabelParams, check_prelabel, prelabel_job
from rosetta.services.probing import probe_project
from rosetta.services.projects import find_project
from rosetta.services.qa_runs import QA_KIND, QaParams, known_checks, qa_job
from rosetta.services.queue_order import PRIORITIZE, PrioritizeParams, prioritize_job
from rosetta.services.settings import Settings
from rosetta.services.shards import Position, ShardFormat, export_shards
from rosetta.services.workflow import enqueue, workflow_of
from rosetta.store.events import Actor

#: Where uploaded import files are kept, in the data folder.
UPLOADS = "uploads"
#: Where exports write their shards, in the data folder (one folder per job).
EXPORTS = "exports"
#: The kinds that import and export other tools' formats.
FORMAT_IMPORT = "format-import"
FORMAT_EXPORT = "format-export"

P = TypeVar("P", bound=BaseModel)


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _in_data_folder(value: str) -> str:
    path = PurePosixPath(value)
    if not value or path.is_absolute() or ".." in path.parts or "\\" in value:
        raise ValueError(f"{value!r} must be a path relative to the data folder, without '..'")
    return str(path)


#: A path relative to the data folder, never leaving it.
DataPath = Annotated[str, AfterValidator(_in_data_folder)]


class ImportParams(_Params):
    """Import a native JSONL file of the data folder."""

    file: DataPath = Field(description="The file's path relative to the data folder.")
    new_ids: bool = Field(default=False, description="Give every record a fresh id.")
    batch_size: int = Field(default=500, ge=1, le=10_000, description="Samples per transaction.")


def _format_that(can: Literal["read", "write"]) -> AfterValidator:
    """A validator of a format name that Rosetta can `can`."""

    def known(value: str) -> str:
        if value not in FORMATS:
            raise ValueError(f"unknown format {value!r}; known: {', '.join(sorted(FORMATS))}")
        spec = format_spec(value)
        if getattr(spec, can) is None:
            raise ValueError(f"Rosetta cannot {can} format {value!r} ({spec.title})")
        return value

    return AfterValidator(known)


class FormatImportParams(_Params):
    """Import a file or folder in another tool's format."""

    format: Annotated[str, _format_that("read")] = Field(
        description="The format (``GET /api/formats``); one Rosetta reads."
    )
    file: DataPath = Field(
        description="The file or folder relative to the data folder (an upload: ``uploads/…``)."
    )
    mapping: LabelMap = Field(
        default_factory=LabelMap,
        description="Foreign label -> class (``labels``), relation -> type (``relations``), "
        "attribute renames (``attributes``; null: left out), labels to ``drop``.",
    )
    media_root: str | None = Field(
        default=None,
        description="The folder of the media the annotations name: inside ROSETTA_MEDIA_ROOTS, "
        "absolute or relative to one of them.",
    )
    default_label: str | None = Field(
        default=None, min_length=1, description="The label of records the format leaves without."
    )
    instances: DataPath | None = Field(
        default=None,
        description="COCO: the instances file (or folder) relative to the data folder whose "
        "images and categories a results file names by id, when they are not beside it.",
    )
    zero_based_pixels: bool = Field(
        default=False,
        description="VOC: coordinates are pixel edges counted from 0 (Datumaro, CVAT).",
    )
    new_ids: bool = Field(default=False, description="Give every record a fresh id.")
    batch_size: int = Field(default=500, ge=1, le=10_000, description="Samples per transaction.")


class FormatExportParams(_Params):
    """Export the project in another tool's format."""

    format: Annotated[str, _format_that("write")] = Field(
        description="The format (``GET /api/formats``); one Rosetta writes."
    )
    tracks: TrackForm = Field(default="sparse", description="Tracks as key frames or dense.")


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
    #: raises when the params ask for what the server's settings do not allow
    allowed: Callable[[Settings, P], None] | None = None

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
    *,
    settings: Settings | None = None,
) -> Job:
    """Queue a job of `kind` in the project `project_id` with `params` (validated, defaults
    filled in, and checked against the server's `settings` when given, and then refused
    with `TooManyRequests` beyond the project's ``max_pending_jobs``); the same work
    queued or running already is returned instead."""
    parsed = parse_params(kind, params, settings=settings)
    job_kind = KINDS[kind]
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
        max_pending=None if settings is None else settings.max_pending_jobs,
    )


def parse_params(
    kind: str, params: Mapping[str, Any] | None, *, settings: Settings | None = None
) -> BaseModel:
    """The `params` of a job of `kind` validated (defaults filled in) and, given the
    server's `settings`, allowed by them; a `RuleViolation` names what is wrong."""
    job_kind = KINDS.get(kind)
    if job_kind is None:
        raise RuleViolation(
            "job", "kind", "job-kind", f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}"
        )
    parsed: BaseModel = job_kind.parse(params or {})
    if settings is not None and job_kind.allowed is not None:
        job_kind.allowed(settings, parsed)
    return parsed


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


def new_folder_upload(data_dir: Path) -> tuple[str, Path]:
    """A fresh folder for an upload to import in another tool's format (relative to the
    data folder, and its path, not made yet; its parent exists)."""
    name = f"{UPLOADS}/{uuid.uuid4().hex}"
    path = data_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return name, path


def export_dir(data_dir: Path, job_id: str) -> Path:
    """The folder the export job `job_id` writes its files to."""
    return data_dir / EXPORTS / job_id


def media_folder(value: str, settings: Settings | None) -> Path:
    """The folder `value` names as a ``media_root``: with the server's `settings`, the real
    path of a folder inside one of their media roots (`value` absolute, or relative to a
    root), else a `RuleViolation`; without (the command line), the path as given."""
    if settings is None:
        return Path(value)
    given = Path(value)
    roots = [root.resolve() for root in settings.media_roots]
    for candidate in [given] if given.is_absolute() else [root / given for root in roots]:
        try:
            real = candidate.resolve()
            if real.is_dir() and any(real.is_relative_to(root) for root in roots):
                return real
        except (OSError, ValueError):  # a NUL, a name too long, a loop of links
            continue
    raise RuleViolation(
        "format-import job",
        "params.media_root",
        "media-root",
        f"{value!r} is no folder inside ROSETTA_MEDIA_ROOTS (links and '..' resolved); "
        "give one of them, or a folder in one",
    )


# --- handlers -------------------------------------------------------------------------------


def _project(context: JobContext) -> str:
    if context.job.project_id is None:
        raise RosettaError(f"job {context.job.id} names no project")
    return context.job.project_id


def _in_data(context: JobContext, file: str, *, folders: bool = False) -> Path:
    """The file (or, with `folders`, folder) `file` of the data folder."""
    root = context.data_dir.resolve()
    path = (root / file).resolve()
    if not path.is_relative_to(root) or not (path.is_file() or (folders and path.is_dir())):
        raise RosettaError(
            f"{file}: no such {'file or folder' if folders else 'file'} in the data folder"
        )
    return path


def _remove_upload(context: JobContext, file: str) -> None:
    """Remove the upload `file` (an ``uploads/...`` path: the upload's file or folder)
    once imported; any other file of the data folder stays."""
    parts = PurePosixPath(file).parts
    if len(parts) < 2 or parts[0] != UPLOADS:
        return
    upload = context.data_dir / UPLOADS / parts[1]
    if upload.is_dir() and not upload.is_symlink():
        shutil.rmtree(upload)
    else:
        upload.unlink(missing_ok=True)
    context.log(f"imported; the upload {UPLOADS}/{parts[1]} is removed")


def _import(context: JobContext, params: ImportParams) -> dict[str, Any]:
    path = _in_data(context, params.file)
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
    _remove_upload(context, params.file)
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


def _allowed_media_root(settings: Settings, params: FormatImportParams) -> None:
    if params.media_root is not None:
        media_folder(params.media_root, settings)


def _format_import(context: JobContext, params: FormatImportParams) -> dict[str, Any]:
    source = _in_data(context, params.file, folders=True)
    media_root = (
        None if params.media_root is None else media_folder(params.media_root, context.settings)
    )
    instances = (
        None if params.instances is None else _in_data(context, params.instances, folders=True)
    )
    counted = {"checked": 0, "written": 0}

    def progress(step: Literal["checked", "written"], samples: int) -> None:
        if step == "written" and counted["written"] == 0:
            context.log(f"{counted['checked']} samples read, mapped and checked; writing them")
        counted[step] = samples
        total = counted["checked"]
        if step == "checked":
            context.progress(0.0, f"{samples} samples read and checked")
        else:
            context.progress(samples / max(1, total), f"{samples} of {total} samples written")

    context.log(f"reading {params.file} as {params.format}")
    try:
        done = import_foreign(
            context.engine,
            _project(context),
            params.format,
            source,
            context.actor,
            mapping=params.mapping,
            options=ReadOptions(
                media_root=media_root,
                default_label=params.default_label,
                instances=instances,
                zero_based_pixels=params.zero_based_pixels,
            ),
            batch_size=params.batch_size,
            new_ids=params.new_ids,
            settings=context.settings,
            progress=progress,
        )
    except RosettaError as exc:
        # the reason names files as the data folder holds them, not where the folder is
        raise RosettaError(str(exc).replace(f"{context.data_dir.resolve()}/", "")) from exc
    report = done.imported
    _remove_upload(context, params.file)
    return {
        "format": params.format,
        "file": params.file,
        "samples_written": report.samples_written,
        "samples_skipped": report.samples_skipped,
        "annotations": report.annotations,
        "entities": report.entities,
        "links": report.links,
        "dropped": done.dropped,
    }


def _format_export(context: JobContext, params: FormatExportParams) -> dict[str, Any]:
    project_id = _project(context)
    folder = export_dir(context.data_dir, context.job.id)
    part = folder.with_name(folder.name + ".part")
    shutil.rmtree(part, ignore_errors=True)  # what a run that stopped wrote
    with context.engine.connect() as connection:
        total = count_samples(connection, project_id)

    def progress(samples: int) -> None:
        context.progress(samples / max(1, total), f"{samples} of {total} samples")

    try:
        report = export_foreign(
            context.engine, project_id, params.format, part, tracks=params.tracks, progress=progress
        )
        part.rename(folder)
    except BaseException:
        shutil.rmtree(part, ignore_errors=True)
        raise
    context.log(f"{report.samples} samples written as {params.format}: {', '.join(report.files)}")
    return {
        "format": params.format,
        "files": report.files,
        "samples": report.samples,
        "annotations": report.annotations,
        "not_carried": report.not_carried,
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


def _has_workflow(connection: Connection, project_id: str, _params: Any) -> None:
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
        JobKind(
            FORMAT_IMPORT,
            "Import a file or folder in another tool's format.",
            FormatImportParams,
            _format_import,
            allowed=_allowed_media_root,
        ),
        JobKind(
            PRELABEL,
            "Pre-label the project's streams with a proposer (model candidates).",
            PrelabelParams,
            prelabel_job,
            check=check_prelabel,
        ),
        JobKind(
            PRIORITIZE,
            "Order the waiting annotate slots by active learning (uncertainty, model "
            "disagreement, diversity).",
            PrioritizeParams,
            prioritize_job,
            check=_has_workflow,
        ),
        JobKind(
            FORMAT_EXPORT,
            "Export the project in another tool's format, with its dataset card.",
            FormatExportParams,
            _format_export,
        ),
    )
}
