"""Setting stream clocks: by hand, from audio alignment, or from hardware timestamps.

A stream's clock says when each of its frames, samples or sweeps happens on the sample's
reference timeline, so moving it moves every annotation on the stream relative to the
other streams. Each change is one transaction: the ``streams.clock`` column, an event
(object kind ``stream``, action ``update``, ``before``/``after`` holding ``{"clock": ...}``)
and every *confirmed* link touching an annotation on the stream (or an entity holding
one) turned ``stale``, with its own event, as an edit of the annotation would.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection, Engine, or_, select, update

from rosetta.core.clock import Clock, compile_clock
from rosetta.core.errors import NotFoundError, RosettaError
from rosetta.core.modality import Modality
from rosetta.core.schema import Stream
from rosetta.core.sync import OffsetEstimate, absolute_clock, common_origin, sync_point_from_offset
from rosetta.core.timebase import exact, format_exact
from rosetta.media.align import estimate_file_offset
from rosetta.services.catalog import sample_project
from rosetta.services.editing import mark_links_stale
from rosetta.services.media_access import stream_media_file
from rosetta.services.settings import Settings
from rosetta.store import events
from rosetta.store.engine import write_transaction
from rosetta.store.events import Actor, dumps
from rosetta.store.records import stream_from_row
from rosetta.store.tables import annotations, entity_members, links, samples, streams

#: Below this confidence `align_audio` refuses to move a clock (see `rosetta.media.align`:
#: unrelated recordings measured below 0.2, recordings of one event 0.4 and above).
MIN_CONFIDENCE = 0.3


@dataclass(frozen=True)
class Alignment:
    """The result of `align_audio`: the stream with its new clock and what was measured."""

    stream: Stream
    reference: str
    estimate: OffsetEstimate


def set_stream_clock(
    engine: Engine, actor: Actor, stream_id: str, clock: Clock | None, *, note: str | None = None
) -> Stream:
    """Give the stream `clock` (``None``: the default from its media); the stream after.

    Setting the clock it has already changes nothing and records nothing.
    """
    with write_transaction(engine) as connection:
        project_id, sample_id, stream = _load(connection, stream_id)
        return _set_clock(
            connection, actor, stream, clock, project_id=project_id, sample_id=sample_id, note=note
        )


def align_audio(
    engine: Engine,
    actor: Actor,
    sample_id: str,
    reference_stream_id: str,
    stream_id: str,
    *,
    max_lag: float | None = None,
    min_confidence: float = MIN_CONFIDENCE,
    settings: Settings | None = None,
) -> Alignment:
    """Align stream `stream_id` to `reference_stream_id` by their sound.

    Both must be audio or video streams of the sample with a local media file (inside the
    media roots of `settings`, when given: `services.media_access.stream_media_file`). The
    offset between their recordings (`rosetta.media.align.estimate_file_offset`) becomes the one
    sync point of the stream's clock (``source="audio"``, with the confidence and the
    measurement in its note), which replaces any sync points it had; its rate or table
    and offset stay (a stream without a clock gets its media's rate). Below
    `min_confidence` nothing is changed and a `RosettaError` says why.
    """
    if reference_stream_id == stream_id:
        raise RosettaError(f"stream {stream_id!r} cannot be aligned to itself")
    with engine.connect() as connection:
        paths = {
            ident: _media_path(stream, settings)
            for ident, stream in _sample_streams(
                connection, sample_id, (reference_stream_id, stream_id)
            ).items()
        }
    estimate = estimate_file_offset(
        paths[reference_stream_id],
        paths[stream_id],
        max_lag=max_lag,
        min_confidence=min_confidence,
    )
    with write_transaction(engine) as connection:
        found = _sample_streams(connection, sample_id, (reference_stream_id, stream_id))
        reference, stream = found[reference_stream_id], found[stream_id]
        base = stream.clock or _media_clock(stream)
        point = sync_point_from_offset(
            estimate,
            against=reference_stream_id,
            local_start=base.offset,
            reference_start=_reference_start(reference),
        )
        project_id = sample_project(connection, sample_id)
        after = _set_clock(
            connection,
            actor,
            stream,
            base.model_copy(update={"sync": [point]}),
            project_id=project_id,
            sample_id=sample_id,
            note=point.note,
        )
    return Alignment(stream=after, reference=reference_stream_id, estimate=estimate)


def align_hardware(
    engine: Engine, actor: Actor, sample_id: str, stream_ids: Sequence[str] | None = None
) -> list[Stream]:
    """Put streams with absolute timestamp tables (hardware clocks, e.g. PTP nanoseconds)
    on one timeline: reference time 0 is the earliest first timestamp among them.

    `stream_ids` picks the streams (default: every stream of the sample whose clock is a
    timestamp table); their tables must share one time base. Each keeps its table and
    gets ``offset = -origin`` with a ``hardware`` sync point (`absolute_clock`).
    """
    with write_transaction(engine) as connection:
        project_id = sample_project(connection, sample_id)
        rows = connection.execute(
            select(streams).where(streams.c.sample_id == sample_id).order_by(streams.c.pk)
        )
        everything = {row.id: stream_from_row(row) for row in rows}
        if stream_ids is None:
            chosen = [s for s in everything.values() if s.clock and s.clock.ticks]
        else:
            unknown = [ident for ident in stream_ids if ident not in everything]
            if unknown:
                raise NotFoundError(f"stream of sample {sample_id!r}", unknown[0])
            chosen = [everything[ident] for ident in stream_ids]
        tables = [_absolute_table(stream) for stream in chosen]
        if not tables:
            raise RosettaError(f"sample {sample_id!r} has no stream with a timestamp table")
        bases = {base for _, base in tables}
        if len(bases) > 1:
            raise RosettaError(
                "the timestamp tables have different time bases "
                f"({', '.join(sorted(format_exact(b) for b in bases))}); "
                "absolute times must be in one unit"
            )
        origin = common_origin(ticks for ticks, _ in tables)
        return [
            _set_clock(
                connection,
                actor,
                stream,
                absolute_clock(ticks, base, origin),
                project_id=project_id,
                sample_id=sample_id,
                note=f"hardware timestamps; reference 0 is tick {origin}, the earliest first "
                f"timestamp of streams {', '.join(repr(s.id) for s in chosen)}",
            )
            for stream, (ticks, base) in zip(chosen, tables, strict=True)
        ]


# --- reading --------------------------------------------------------------------------------


def _load(connection: Connection, stream_id: str) -> tuple[str, str, Stream]:
    """The project, sample and record of stream `stream_id`."""
    row = connection.execute(
        select(streams, samples.c.project_id)
        .join(samples, samples.c.id == streams.c.sample_id)
        .where(streams.c.id == stream_id)
    ).first()
    if row is None:
        raise NotFoundError("stream", stream_id)
    return row.project_id, row.sample_id, stream_from_row(row)


def _sample_streams(
    connection: Connection, sample_id: str, ids: Sequence[str]
) -> dict[str, Stream]:
    """Streams `ids` of the sample; `NotFoundError` for one that is not in it."""
    sample_project(connection, sample_id)
    rows = connection.execute(
        select(streams).where(streams.c.sample_id == sample_id, streams.c.id.in_(list(ids)))
    )
    found = {row.id: stream_from_row(row) for row in rows}
    for ident in ids:
        if ident not in found:
            raise NotFoundError(f"stream of sample {sample_id!r}", ident)
    return found


def _media_path(stream: Stream, settings: Settings | None) -> str:
    if stream.modality not in (Modality.AUDIO, Modality.VIDEO):
        raise RosettaError(
            f"stream {stream.id!r} is {stream.modality.value}; aligning by sound needs an "
            "audio or video stream"
        )
    if stream.uri is None:
        raise RosettaError(f"stream {stream.id!r} has no media file to align by")
    return str(stream_media_file(stream.id, stream.uri, settings))


def _media_clock(stream: Stream) -> Clock:
    """The clock a stream without one runs on: its media's frame or sample rate from 0."""
    rate = stream.media.fps() if stream.modality is Modality.VIDEO else stream.media.sample_rate
    if not rate:
        raise RosettaError(
            f"stream {stream.id!r} has no clock and its media info gives no rate; "
            "probe its media or set its clock first"
        )
    return Clock(rate=format_exact(Fraction(rate)))


def _reference_start(stream: Stream) -> Fraction:
    """The reference time of the first sample of `stream`'s media (its local time 0 is
    ``offset``)."""
    clock = stream.clock
    if clock is None:
        return Fraction(0)
    return compile_clock(clock).to_reference(exact(clock.offset))


def _absolute_table(stream: Stream) -> tuple[list[int], Fraction]:
    clock = stream.clock
    if clock is None or clock.ticks is None or clock.time_base is None:
        raise RosettaError(
            f"stream {stream.id!r} has no timestamp table; hardware alignment needs one"
        )
    return clock.ticks, exact(clock.time_base)


# --- writing --------------------------------------------------------------------------------


def _clock_json(clock: Clock | None) -> dict[str, Any]:
    return {"clock": None if clock is None else clock.model_dump(mode="json", exclude_none=True)}


def _set_clock(
    connection: Connection,
    actor: Actor,
    stream: Stream,
    clock: Clock | None,
    *,
    project_id: str,
    sample_id: str,
    note: str | None,
) -> Stream:
    """Write the stream's clock with its event and stale links (nothing when unchanged)."""
    if clock == stream.clock:
        return stream
    after = stream.model_copy(update={"clock": clock})
    stored = _clock_json(clock)["clock"]
    connection.execute(
        update(streams)
        .where(streams.c.id == stream.id)
        .values(clock=None if stored is None else dumps(stored))
    )
    events.record(
        connection,
        [
            events.event_row(
                project_id,
                actor,
                "stream",
                stream.id,
                "update",
                sample_id=sample_id,
                before=_clock_json(stream.clock),
                after=_clock_json(clock),
                note=note,
            )
        ],
    )
    _mark_stream_links_stale(connection, project_id, actor, stream.id)
    return after


def _mark_stream_links_stale(
    connection: Connection, project_id: str, actor: Actor, stream_id: str
) -> int:
    """Turn stale every confirmed link touching an annotation on the stream, or an entity
    holding one; how many turned.

    One query finds those links through subqueries (no list of the stream's annotations
    is loaded); only their endpoints are then looked up and handed to
    `services.editing.mark_links_stale`, which turns them stale in one batched update
    and logs each.
    """
    on_stream = select(annotations.c.id).where(annotations.c.stream_id == stream_id)
    holders = select(entity_members.c.entity_id).where(
        entity_members.c.annotation_id.in_(on_stream)
    )
    ends = connection.execute(
        select(links.c.source_id, links.c.target_id).where(
            links.c.status == "confirmed",
            or_(
                links.c.source_id.in_(on_stream),
                links.c.target_id.in_(on_stream),
                links.c.source_id.in_(holders),
                links.c.target_id.in_(holders),
            ),
        )
    ).all()
    if not ends:
        return 0
    endpoints = {ident for row in ends for ident in row}
    moved = connection.execute(
        select(annotations.c.id).where(
            annotations.c.id.in_(sorted(endpoints)), annotations.c.stream_id == stream_id
        )
    ).scalars()
    holding = connection.execute(
        select(entity_members.c.entity_id, entity_members.c.annotation_id).where(
            entity_members.c.entity_id.in_(sorted(endpoints)),
            entity_members.c.annotation_id.in_(on_stream),
        )
    ).all()
    why = f"is on stream {stream_id!r}, whose clock changed"
    changed = {ident: f"annotation {ident!r} {why}" for ident in moved}
    for entity_id, annotation_id in holding:
        changed.setdefault(
            entity_id, f"entity {entity_id!r} holds annotation {annotation_id!r}, which {why}"
        )
    return mark_links_stale(connection, project_id, actor, changed)
