"""Long media for the workspace: preparing a stream (a job), following the job, and reading
what it made — waveform peaks, the frame table and keyframe thumbnails.

Jobs run on the app's `JobRunner`, made on first use and kept in ``app.state.job_runner``;
`shutdown_jobs` stops it (call it when the app shuts down).
"""

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response

from rosetta.api.deps import ActorDep, Db, Store
from rosetta.core.errors import RosettaError
from rosetta.media.frames import FrameTable, frame_clock
from rosetta.media.peaks import Peaks
from rosetta.services.jobs import Job, JobRunner, get_job
from rosetta.services.media_prep import load_artifact, prepare_stream, stream_project

router = APIRouter()

#: The kind of the jobs `prepare` submits.
PREPARE = "prepare"

_runner_lock = threading.Lock()


def _runner(request: Request) -> JobRunner:
    state = request.app.state
    with _runner_lock:
        runner: JobRunner | None = getattr(state, "job_runner", None)
        if runner is None:
            runner = state.job_runner = JobRunner(state.engine)
    return runner


def shutdown_jobs(app: FastAPI) -> None:
    """Stop the app's job runner, if it has one: running jobs finish, queued ones fail."""
    with _runner_lock:
        runner: JobRunner | None = getattr(app.state, "job_runner", None)
        app.state.job_runner = None
    if runner is not None:
        runner.shutdown()


Runner = Annotated[JobRunner, Depends(_runner)]
Seconds = Annotated[float | None, Query(ge=0, description="Seconds on the stream's timeline.")]


@router.post("/api/streams/{stream_id}/prepare", status_code=202)
def prepare_media(
    stream_id: str, response: Response, *, db: Db, store: Store, actor: ActorDep, runner: Runner
) -> Job:
    """Start preparing the stream's peaks, frame table and thumbnails (a job); a job that
    is already queued or running for it is returned instead of a second one."""
    project_id = stream_project(db, stream_id)
    job = runner.submit(
        actor,
        PREPARE,
        stream_id,
        project_id,
        lambda progress: prepare_stream(store, stream_id, progress),
    )
    response.headers["Location"] = f"/api/jobs/{job.id}"
    return job


@router.get("/api/jobs/{job_id}")
def job_status(db: Db, job_id: str) -> Job:
    """A job: its status, progress (0..1) and message, and its result or error."""
    return get_job(db, job_id)


@router.get("/api/streams/{stream_id}/peaks")
def stream_peaks(
    db: Db,
    stream_id: str,
    level: Annotated[
        int | None, Query(ge=0, description="0 is the finest; default: the coarsest.")
    ] = None,
    start: Seconds = None,
    end: Seconds = None,
) -> dict[str, Any]:
    """One level of the waveform peaks in audiowaveform's JSON shape, optionally only the
    buckets from ``start`` to ``end`` seconds (``start_bucket`` is the first one's index);
    ``levels`` lists the samples per pixel of every level."""
    levels = Peaks.from_bytes(load_artifact(db, stream_id, "peaks").body).levels
    chosen = len(levels) - 1 if level is None else level
    if chosen >= len(levels):
        raise RosettaError(
            f"stream {stream_id!r} has peak levels 0 to {len(levels) - 1}, not level {level}"
        )
    if start is not None and end is not None and end < start:
        raise RosettaError(f"end ({end}) is before start ({start})")
    return {
        **levels[chosen].to_json(start, end),
        "level": chosen,
        "levels": [each.samples_per_pixel for each in levels],
    }


@router.get("/api/streams/{stream_id}/frames")
def stream_frames(db: Db, stream_id: str) -> dict[str, Any]:
    """Every frame's presentation time, exactly (``time_base`` and ``ticks``: frame ``i`` is
    at ``ticks[i] * time_base`` seconds) and as float ``seconds``; the keyframe indices,
    the duration, the constant frame rate if there is one, and the stream's frame clock."""
    table = FrameTable.from_json(load_artifact(db, stream_id, "frames").json())
    return {
        **table.to_json(),
        "seconds": table.seconds(),
        "clock": frame_clock(table).model_dump(exclude_none=True),
    }


@router.get("/api/streams/{stream_id}/thumbnails")
def stream_thumbnails(db: Db, stream_id: str) -> dict[str, Any]:
    """The keyframe thumbnails' sprite sheet index: each tile's time range (seconds),
    frame, and place ``x, y, w, h`` in the sheet at ``sprite``."""
    index: dict[str, Any] = load_artifact(db, stream_id, "thumbnails-index").json()
    return {**index, "sprite": f"/api/streams/{stream_id}/thumbnails.jpg"}


@router.get(
    "/api/streams/{stream_id}/thumbnails.jpg",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def stream_thumbnail_sheet(db: Db, stream_id: str) -> Response:
    """The sprite sheet of keyframe thumbnails (JPEG)."""
    artifact = load_artifact(db, stream_id, "thumbnails")
    return Response(artifact.body, media_type=artifact.content_type)
