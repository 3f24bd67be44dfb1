"""What a sample holds at a time, and which frames of one stream overlap another's."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from rosetta.api.auth import CurrentUser, SampleAccess, policy, sample_access
from rosetta.api.deps import Db
from rosetta.core.clock import Rounding
from rosetta.core.errors import RosettaError
from rosetta.core.schema import Sample
from rosetta.core.timebase import exact, format_exact
from rosetta.core.timeline import StreamMoment
from rosetta.services.timeline import moments_at, overlap
from rosetta.services.visibility import visible_sample

router = APIRouter()


class Transcript(BaseModel):
    """A transcript segment holding t and the word at t."""

    annotation: str
    text: str
    word: str | None
    word_index: int | None


class Moment(BaseModel):
    """One stream at time t: its index (frame, sample, sweep, row) and that index's start
    (exact string and float seconds), interpolated sensor values, transcript segments."""

    stream: str
    modality: str
    index: int | None
    time: str | None
    seconds: float | None
    values: dict[str, float] | None
    transcript: list[Transcript]


class IndexRange(BaseModel):
    """Indices ``start`` (included) to ``stop`` (excluded) of a stream."""

    stream: str
    start: int
    stop: int


def _moment(moment: StreamMoment) -> Moment:
    return Moment(
        stream=moment.stream,
        modality=moment.modality.value,
        index=moment.index,
        time=None if moment.time is None else format_exact(moment.time),
        seconds=None if moment.time is None else float(moment.time),
        values=moment.values,
        transcript=[
            Transcript(
                annotation=hit.annotation, text=hit.text, word=hit.word, word_index=hit.word_index
            )
            for hit in moment.transcript
        ],
    )


@router.get("/api/samples/{sample_id}/at", openapi_extra=policy("annotator"))
def sample_at(  # noqa: PLR0917 - FastAPI passes the parameters by name
    request: Request,
    db: Db,
    user: CurrentUser,
    sample_id: str,
    t: Annotated[str, Query(description="Reference time in seconds: 14.327 or 1001/30000.")],
    rounding: Rounding | None = None,
) -> list[Moment]:
    """Every stream of the sample at reference time `t`, with the transcript segments there
    that the caller may see."""
    shown = _shown_to(sample_access(db, user, sample_id))
    settings = request.app.state.settings
    moments = moments_at(db, sample_id, _time(t), rounding, settings=settings, shown=shown)
    return [_moment(moment) for moment in moments]


@router.get("/api/samples/{sample_id}/overlap", openapi_extra=policy("annotator"))
def sample_overlap(  # noqa: PLR0917 - FastAPI passes the query parameters by name
    db: Db,
    user: CurrentUser,
    sample_id: str,
    stream: str,
    target: str,
    start: Annotated[int, Query(ge=0, description="First index of `stream`.")],
    stop: Annotated[int, Query(ge=0, description="Index of `stream` after the last one.")],
) -> IndexRange:
    """The indices of `target` that overlap indices `start`..`stop` of `stream` (a stream
    the caller may not see is answered for as one the sample lacks)."""
    access = sample_access(db, user, sample_id)
    found = overlap(db, sample_id, stream, range(start, stop), target, shown=_shown_to(access))
    return IndexRange(stream=target, start=found.start, stop=found.stop)


def _shown_to(found: SampleAccess) -> Callable[[Sample], Sample]:
    """What of a sample the person of `found` may see."""

    def shown(sample: Sample) -> Sample:
        return visible_sample(sample, found.access, found.assignment, gold=found.gold)

    return shown


def _time(text: str) -> str:
    try:
        return format_exact(exact(text))
    except ValueError as exc:
        raise RosettaError(f"t: {exc}") from exc
