"""Stream clocks over HTTP: set one by hand, or align a stream to another by their sound.
Both change the project's timing: managers only."""

from typing import Annotated

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, Field

from rosetta.api.auth import (
    CurrentUser,
    UserActor,
    policy,
    require,
    sample_access,
    stream_access,
)
from rosetta.api.deps import Db, Store
from rosetta.core.clock import Clock
from rosetta.core.policies import can_manage
from rosetta.core.schema import Stream
from rosetta.services.clocks import MIN_CONFIDENCE, align_audio, set_stream_clock

router = APIRouter()


class AlignRequest(BaseModel):
    """Which stream to align to which, and how far to search."""

    reference: str = Field(min_length=1, description="The stream whose timeline is kept.")
    stream: str = Field(min_length=1, description="The stream whose clock is set.")
    max_lag: float | None = Field(
        default=None, ge=0, description="Search offsets up to this many seconds either way."
    )
    min_confidence: float = Field(
        default=MIN_CONFIDENCE, ge=0, le=1, description="Refuse to align below this confidence."
    )


class AlignResult(BaseModel):
    """The aligned stream and what was measured.

    ``offset``: a sound at time t of the reference's media is at t + offset of the
    stream's media (seconds). ``confidence`` (0..1): how far the chosen offset stands above
    the best other one; ``correlation``: Pearson correlation over the overlap.
    """

    stream: Stream
    reference: str
    offset: float
    confidence: float
    correlation: float
    analysis_rate: int


@router.put(
    "/api/streams/{stream_id}/clock",
    response_model_exclude_none=True,
    openapi_extra=policy("manager"),
)
def put_stream_clock(
    *,
    db: Db,
    store: Store,
    user: CurrentUser,
    actor: UserActor,
    stream_id: str,
    clock: Annotated[Clock, Body()],
) -> Stream:
    """Set the stream's clock; confirmed links on its annotations turn stale."""
    found = stream_access(db, user, stream_id)
    require(can_manage(found.access), "set the clock of", f"stream {stream_id!r}")
    return set_stream_clock(store, actor, stream_id, clock)


@router.post(
    "/api/samples/{sample_id}/align",
    response_model_exclude_none=True,
    openapi_extra=policy("manager"),
)
def align_sample_audio(
    *,
    db: Db,
    store: Store,
    user: CurrentUser,
    actor: UserActor,
    sample_id: str,
    request: AlignRequest,
    http: Request,
) -> AlignResult:
    """Align one stream of the sample to another by cross-correlating their audio."""
    found = sample_access(db, user, sample_id)
    require(can_manage(found.access), "align the streams of", f"sample {sample_id!r}")
    alignment = align_audio(
        store,
        actor,
        sample_id,
        request.reference,
        request.stream,
        max_lag=request.max_lag,
        min_confidence=request.min_confidence,
        settings=http.app.state.settings,
    )
    estimate = alignment.estimate
    return AlignResult(
        stream=alignment.stream,
        reference=alignment.reference,
        offset=estimate.offset,
        confidence=estimate.confidence,
        correlation=estimate.correlation,
        analysis_rate=estimate.analysis_rate,
    )
