"""Key-frame-first work on tracks: interpolated shapes proposed for review, and accepting one
(as it is or edited) as a new key frame.

Accepting goes through `rosetta.services.editing.update_annotation`, so it is validated,
bumps the annotation's revision, is recorded as an ``update`` event and turns the
confirmed links on the track stale, like any other edit.
"""

from sqlalchemy import Connection, Engine, select

from rosetta.core.errors import ConflictError, NotFoundError, RosettaError, RuleViolation
from rosetta.core.geometry import Track
from rosetta.core.schema import Annotation, MediaInfo
from rosetta.core.tracks import Proposal, Shape, key_of, propose, shape_at, with_keyframe
from rosetta.services.editing import update_annotation
from rosetta.store.events import Actor
from rosetta.store.records import annotation_from_row
from rosetta.store.tables import annotations, streams

#: The most frames one request for proposals may cover.
MAX_PROPOSALS = 10_000


def _track(connection: Connection, annotation_id: str) -> tuple[Annotation, Track, str]:
    """The annotation, its track and its project."""
    row = connection.execute(select(annotations).where(annotations.c.id == annotation_id)).first()
    if row is None:
        raise NotFoundError("annotation", annotation_id)
    annotation = annotation_from_row(row)
    if not isinstance(annotation.geometry, Track):
        raise RuleViolation(
            f"annotation {annotation_id!r}",
            "geometry.type",
            "track-keyframe",
            f"key frames belong to tracks; this annotation is a {annotation.geometry.type}",
        )
    return annotation, annotation.geometry, row.project_id


def propose_track_frames(
    connection: Connection, annotation_id: str, start: int | None = None, end: int | None = None
) -> list[Proposal]:
    """Interpolated shapes for review on the frames ``start..end`` (inclusive) of the track.

    `start` defaults to the track's first key frame, `end` to its last; `end` stops at the
    stream's last frame when its frame count is known. Key frames and frames where the
    object is absent are left out (`rosetta.core.tracks.propose`).
    """
    annotation, track, _ = _track(connection, annotation_id)
    first = track.keyframes[0].frame if start is None else start
    last = track.keyframes[-1].frame if end is None else end
    media = connection.execute(
        select(streams.c.media).where(streams.c.id == annotation.stream)
    ).scalar_one_or_none()
    frame_count = None if media is None else MediaInfo.model_validate_json(media).frame_count
    if frame_count is not None:
        last = min(last, frame_count - 1)
    if last - first + 1 > MAX_PROPOSALS:
        raise RosettaError(
            f"frames {first}..{last} are {last - first + 1} frames; ask for at most "
            f"{MAX_PROPOSALS} at a time"
        )
    return propose(track, range(first, last + 1))


def accept_proposal(
    engine: Engine,
    actor: Actor,
    annotation_id: str,
    frame: int,
    expected_revision: int,
    *,
    shape: Shape | None = None,
) -> Annotation:
    """Make `frame` a key frame of the track: with `shape` (an edited proposal, of the
    track's shape) or, without it, the interpolated shape shown there. The updated record.

    A new key frame takes ``occluded`` from the key frame before it, as the interpolated
    frame did (a replaced one keeps its own); stored interpolated frames of the segment it splits are dropped. Without a
    `shape`, a frame that is a key frame already changes nothing, and one where the object
    is absent is a `RuleViolation`. A stale `expected_revision` is a `ConflictError`.
    """
    with engine.connect() as connection:
        annotation, track, project_id = _track(connection, annotation_id)
    if annotation.revision != expected_revision:
        # the shape is computed from this revision; update_annotation checks it again
        raise ConflictError(f"annotation {annotation_id!r}", expected_revision, annotation.revision)
    obj = f"annotation {annotation_id!r}"
    keys = [key for key in track.keyframes if key.is_key]
    if shape is None:
        if any(key.frame == frame for key in keys):
            return annotation
        shape = shape_at(track, frame)
        if shape is None:
            raise RuleViolation(
                obj,
                "frame",
                "track-keyframe",
                f"the object is absent on frame {frame}; give the shape to add there",
            )
    before = [key for key in keys if key.frame <= frame]
    try:
        key = key_of(track, shape, frame, occluded=before[-1].occluded if before else None)
    except ValueError as exc:
        raise RuleViolation(obj, "shape", "track-keyframe", str(exc)) from None
    return update_annotation(
        engine,
        project_id,
        annotation_id,
        expected_revision,
        actor,
        geometry=with_keyframe(track, key),
    )
