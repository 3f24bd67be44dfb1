"""Preparing long media for the workspace: what a stream's player needs before it can draw
an hour of audio or scrub through a video without decoding the file in the browser.

Per stream, kept in ``media_artifacts`` (one row per kind):

=====================  ==========================  ===========================================
kind                   content type                body
=====================  ==========================  ===========================================
``peaks``              application/octet-stream    waveform peaks, every level (`media.peaks`)
``frames``             application/json            the frame table with its keyframe indices
                                                   (`media.frames.FrameTable.to_json`)
``thumbnails``         image/jpeg                  keyframe thumbnails as one sprite sheet
``thumbnails-index``   application/json            the sheet's tiles (`media.frames.sprite_sheet`)
=====================  ==========================  ===========================================

An audio stream gets ``peaks``; a video stream ``frames``, ``thumbnails``,
``thumbnails-index`` and, when it has an audio track, ``peaks`` of that track. Each row
carries the fingerprint of the file it was computed from (size, modification time in
nanoseconds, resolved path): a stream whose artefacts all carry the file's current
fingerprint is skipped, any other is recomputed in full. Everything is computed first
and then written in one transaction, so a failure leaves the previous artefacts as they
were and never a partial set.

Given the server's `Settings` (its jobs), a stream's file is read only inside the media
roots (`services.media_access.stream_media_file`); a file outside them fails the stream
with an error naming it and its path. Without them (the command line, the demo) a file is
read wherever it is.
"""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, delete, func, insert, select

from rosetta.core.errors import NotFoundError, RosettaError
from rosetta.core.modality import Modality
from rosetta.media import frames, peaks
from rosetta.media.audio import has_audio
from rosetta.services.catalog import find_stream
from rosetta.services.jobs import Job, ProgressFn, run_here
from rosetta.services.media_access import stream_media_file
from rosetta.services.settings import Settings
from rosetta.store.engine import keyset_pages, write_transaction
from rosetta.store.events import Actor
from rosetta.store.tables import media_artifacts, projects, samples, streams

#: Thumbnails per video (at most; fewer when the video has fewer keyframes).
THUMBNAIL_COUNT = 200
THUMBNAIL_WIDTH = 160
#: Streams loaded per page when preparing a whole project.
PAGE_SIZE = 200

PREPARED = (Modality.AUDIO, Modality.VIDEO)

#: The job kinds of preparing one stream and every stream of a project.
PREPARE = "prepare"
PREPARE_PROJECT = "prepare-project"

JSON = "application/json"


@dataclass(frozen=True)
class Artifact:
    """One stored artefact of a stream."""

    stream_id: str
    kind: str
    fingerprint: str
    content_type: str
    body: bytes
    created_at: float

    def json(self) -> Any:
        """The body parsed as JSON."""
        return orjson.loads(self.body)


class NotPrepared(NotFoundError):
    """A stream has no artefact of the kind asked for (not prepared, or nothing to show)."""

    def __init__(self, stream_id: str, kind: str) -> None:
        super().__init__(f"{kind} of stream", stream_id)
        self.args = (
            f"stream {stream_id!r} has no {kind}: prepare it first "
            f"(POST /api/streams/{stream_id}/prepare, or rosetta media prepare)",
        )


def fingerprint(path: Path) -> str:
    """What an artefact was computed from: the file's size, mtime (ns) and resolved path."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise RosettaError(f"{path}: cannot read: {exc.strerror}") from exc
    return f"{stat.st_size}:{stat.st_mtime_ns}:{path.resolve()}"


def load_artifact(connection: Connection, stream_id: str, kind: str) -> Artifact:
    """The stored artefact `kind` of stream `stream_id`; `NotPrepared` when there is none."""
    row = connection.execute(
        select(media_artifacts).where(
            media_artifacts.c.stream_id == stream_id, media_artifacts.c.kind == kind
        )
    ).first()
    if row is None:
        find_stream(connection, stream_id)  # an unknown stream is a NotFoundError of its own
        raise NotPrepared(stream_id, kind)
    return Artifact(
        stream_id=row.stream_id,
        kind=row.kind,
        fingerprint=row.fingerprint,
        content_type=row.content_type,
        body=bytes(row.body),
        created_at=row.created_at,
    )


def stream_project(connection: Connection, stream_id: str) -> str:
    """The id of the project stream `stream_id` belongs to."""
    project_id = connection.execute(
        select(samples.c.project_id)
        .join(streams, streams.c.sample_id == samples.c.id)
        .where(streams.c.id == stream_id)
    ).scalar_one_or_none()
    if project_id is None:
        raise NotFoundError("stream", stream_id)
    return str(project_id)


def _ignore(_fraction: float, _message: str | None = None) -> None:
    """The default progress callback."""


def prepare_stream(
    engine: Engine,
    stream_id: str,
    progress: ProgressFn = _ignore,
    *,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Compute and store what stream `stream_id` needs, unless it is fresh already.

    Returns ``{"stream", "status": "prepared" | "fresh" | "nothing to prepare",
    "artifacts": {kind: size in bytes}}``. Raises `RosettaError` naming the file when it is
    missing, outside the media roots of `settings`, changes while it is read, or cannot be
    decoded; nothing is written then.
    """
    with engine.connect() as connection:
        stream = find_stream(connection, stream_id)
        stored = {
            row.kind: row.fingerprint
            for row in connection.execute(
                select(media_artifacts.c.kind, media_artifacts.c.fingerprint).where(
                    media_artifacts.c.stream_id == stream_id
                )
            )
        }
    report: dict[str, Any] = {"stream": stream_id, "artifacts": {}}
    if stream.modality not in PREPARED or stream.uri is None:
        return {**report, "status": "nothing to prepare"}
    path = stream_media_file(stream_id, stream.uri, settings)
    if not path.is_file():
        raise RosettaError(f"{path}: no such file (the media of stream {stream_id})")
    before = fingerprint(path)
    required = {"peaks"} if stream.modality is Modality.AUDIO else {"frames"}
    if required <= stored.keys() and set(stored.values()) == {before}:
        progress(1.0, "fresh")
        return {**report, "status": "fresh"}
    made = _compute(path, stream.modality, progress)
    if fingerprint(path) != before:
        raise RosettaError(f"{path}: the file changed while it was being read; prepare it again")
    now = time.time()
    with write_transaction(engine) as connection:
        connection.execute(delete(media_artifacts).where(media_artifacts.c.stream_id == stream_id))
        connection.execute(
            insert(media_artifacts),
            [
                {
                    "stream_id": stream_id,
                    "kind": kind,
                    "fingerprint": before,
                    "content_type": content_type,
                    "body": body,
                    "created_at": now,
                }
                for kind, (content_type, body) in made.items()
            ],
        )
    return {
        **report,
        "status": "prepared",
        "artifacts": {kind: len(body) for kind, (_type, body) in made.items()},
    }


def _compute(path: Path, modality: Modality, progress: ProgressFn) -> dict[str, tuple[str, bytes]]:
    """The artefacts of one media file, by kind: (content type, body)."""
    if modality is Modality.AUDIO:
        audio = peaks.compute_peaks(path, progress=_step(progress, 0.0, 1.0, "peaks"))
        return {"peaks": ("application/octet-stream", audio.to_bytes())}
    with_audio = has_audio(path)
    share = 0.4 if with_audio else 0.0
    table = frames.frame_table(path, progress=_step(progress, 0.0, 0.3, "frame table"))
    made = {"frames": (JSON, orjson.dumps(table.to_json()))}
    thumbs = frames.thumbnails(
        path,
        table,
        count=THUMBNAIL_COUNT,
        width=THUMBNAIL_WIDTH,
        progress=_step(progress, 0.3, 1.0 - share, "thumbnails"),
    )
    if thumbs:
        sheet, index = frames.sprite_sheet(table, thumbs)
        made["thumbnails"] = ("image/jpeg", sheet)
        made["thumbnails-index"] = (JSON, orjson.dumps(index))
    if with_audio:
        audio = peaks.compute_peaks(path, progress=_step(progress, 1.0 - share, 1.0, "peaks"))
        made["peaks"] = ("application/octet-stream", audio.to_bytes())
    return made


def _step(progress: ProgressFn, start: float, end: float, message: str) -> Callable[[float], None]:
    """A progress function for one step that covers `start`..`end` of the whole."""

    def report(fraction: float) -> None:
        progress(start + (end - start) * fraction, message)

    return report


def prepare_project(
    engine: Engine,
    actor: Actor,
    project_id: str,
    progress: ProgressFn = _ignore,
    *,
    settings: Settings | None = None,
) -> Job:
    """Prepare every audio and video stream of the project, as one recorded job (kind
    ``prepare-project``) run here and now; returns the finished job (see `prepare_all`)."""
    with engine.connect() as connection:
        if (
            connection.execute(select(projects.c.id).where(projects.c.id == project_id)).first()
            is None
        ):
            raise NotFoundError("project", project_id)
    return run_here(
        engine,
        actor,
        PREPARE_PROJECT,
        project_id,
        project_id=project_id,
        handler=lambda context: prepare_all(
            engine, project_id, context.progress, settings=settings
        ),
        progress=progress,
    )


def prepare_all(
    engine: Engine,
    project_id: str,
    progress: ProgressFn = _ignore,
    *,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Prepare every audio and video stream of the project (files read as `prepare_stream`
    reads them under `settings`).

    Streams are read by pages in insertion order. A stream that fails does not stop the
    others: the result lists the counts by status and each failure (``{"stream", "error"}``).
    """
    with engine.connect() as connection:
        total = connection.execute(
            select(func.count()).select_from(_project_streams(project_id).subquery())
        ).scalar_one()
    counts: dict[str, int] = {}
    failures: list[dict[str, str]] = []
    for done, stream_id in enumerate(_stream_ids(engine, project_id)):
        try:
            status = prepare_stream(
                engine, stream_id, _share(progress, done, total, stream_id), settings=settings
            )["status"]
        except RosettaError as exc:
            status = "failed"
            failures.append({"stream": stream_id, "error": str(exc)})
        counts[status] = counts.get(status, 0) + 1
    return {"streams": total, "counts": counts, "failures": failures}


def _share(progress: ProgressFn, done: int, total: int, stream_id: str) -> ProgressFn:
    """The progress function of the `done`-th of `total` streams."""

    def report(fraction: float, step: str | None = None) -> None:
        progress((done + fraction) / max(1, total), f"{stream_id} {step or ''}".rstrip())

    return report


def _project_streams(project_id: str) -> Any:
    return (
        select(streams.c.pk, streams.c.id)
        .join(samples, samples.c.id == streams.c.sample_id)
        .where(
            samples.c.project_id == project_id,
            streams.c.modality.in_([modality.value for modality in PREPARED]),
        )
    )


def _stream_ids(engine: Engine, project_id: str) -> Iterator[str]:
    """The ids of the project's audio and video streams, a page at a time (keyset on pk)."""
    for page in keyset_pages(engine, _project_streams(project_id), streams.c.pk, PAGE_SIZE):
        yield from (row.id for row in page)
