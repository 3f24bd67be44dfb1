"""Long media for the workspace: preparing a stream (a job, followed at ``/api/jobs/{id}``:
`rosetta.api.job_routes`) and reading what it made — waveform peaks, the frame table and
keyframe thumbnails. Preparing needs the ``reviewer`` role; reading, access to the sample.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from rosetta.api.auth import CurrentUser, UserActor, policy, require, stream_access
from rosetta.api.deps import Db, Store
from rosetta.api.job_routes import submitted
from rosetta.core.errors import RosettaError
from rosetta.core.policies import can_review
from rosetta.media.frames import FrameTable, frame_clock
from rosetta.media.peaks import Peaks
from rosetta.services.job_kinds import submit
from rosetta.services.jobs import Job
from rosetta.services.media_prep import PREPARE, load_artifact

router = APIRouter()

Seconds = Annotated[float | None, Query(ge=0, description="Seconds on the stream's timeline.")]


@router.post("/api/streams/{stream_id}/prepare", status_code=202, openapi_extra=policy("reviewer"))
def prepare_media(
    *,
    db: Db,
    store: Store,
    user: CurrentUser,
    actor: UserActor,
    request: Request,
    response: Response,
    stream_id: str,
) -> Job:
    """Start preparing the stream's peaks, frame table and thumbnails (a job); a job that
    is already queued or running for it is returned instead of a second one."""
    found = stream_access(db, user, stream_id)
    require(can_review(found.access), "prepare the media of", f"stream {stream_id!r}")
    params = {"stream": stream_id}
    settings = request.app.state.settings
    job = submit(store, actor, PREPARE, found.access.project_id, params, settings=settings)
    return submitted(request, response, job)


@router.get("/api/streams/{stream_id}/peaks", openapi_extra=policy("annotator"))
def stream_peaks(
    *,
    db: Db,
    user: CurrentUser,
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
    stream_access(db, user, stream_id)
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


@router.get("/api/streams/{stream_id}/frames", openapi_extra=policy("annotator"))
def stream_frames(db: Db, user: CurrentUser, stream_id: str) -> dict[str, Any]:
    """Every frame's presentation time, exactly (``time_base`` and ``ticks``: frame ``i`` is
    at ``ticks[i] * time_base`` seconds) and as float ``seconds``; the keyframe indices,
    the duration, the constant frame rate if there is one, and the stream's frame clock."""
    stream_access(db, user, stream_id)
    table = FrameTable.from_json(load_artifact(db, stream_id, "frames").json())
    return {
        **table.to_json(),
        "seconds": table.seconds(),
        "clock": frame_clock(table).model_dump(exclude_none=True),
    }


@router.get("/api/streams/{stream_id}/thumbnails", openapi_extra=policy("annotator"))
def stream_thumbnails(db: Db, user: CurrentUser, stream_id: str) -> dict[str, Any]:
    """The keyframe thumbnails' sprite sheet index: each tile's time range (seconds),
    frame, and place ``x, y, w, h`` in the sheet at ``sprite``."""
    stream_access(db, user, stream_id)
    index: dict[str, Any] = load_artifact(db, stream_id, "thumbnails-index").json()
    return {**index, "sprite": f"/api/streams/{stream_id}/thumbnails.jpg"}


@router.get(
    "/api/streams/{stream_id}/thumbnails.jpg",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
    openapi_extra=policy("annotator"),
)
def stream_thumbnail_sheet(db: Db, user: CurrentUser, stream_id: str) -> Response:
    """The sprite sheet of keyframe thumbnails (JPEG)."""
    stream_access(db, user, stream_id)
    artifact = load_artifact(db, stream_id, "thumbnails")
    return Response(artifact.body, media_type=artifact.content_type)
