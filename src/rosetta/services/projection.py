"""Cuboids seen by cameras: one stored annotation's projection, and proposed 3D box ↔ 2D
box links.

The projection itself is pure (`rosetta.core.annotation_projection`, which states the
rules for instants, tracks and ego motion); this module loads what it needs and writes
the links it proposes.
"""

import uuid

from pydantic import TypeAdapter
from scipy.optimize import linear_sum_assignment
from sqlalchemy import Connection, Engine, select

from rosetta.core.annotation_projection import cuboid_in_camera, project_into
from rosetta.core.calibration import Pose
from rosetta.core.errors import NotFoundError
from rosetta.core.geometry import Box, Cuboid
from rosetta.core.projection import Projection, box_iou
from rosetta.core.schema import Annotation, Link, Sample, Stream
from rosetta.core.validation import check_link
from rosetta.services.catalog import sample_project
from rosetta.services.editing import create_link, current_ontology
from rosetta.store.events import Actor
from rosetta.store.records import annotation_from_row, load_sample, stream_from_row
from rosetta.store.tables import annotations, samples, streams

#: What proposed links carry in their attributes as the model that proposed them.
MODEL = "projection"

_POSES = TypeAdapter(list[Pose])


def project_annotation(
    connection: Connection, annotation_id: str, camera_stream_id: str, *, frame: int = 0
) -> Projection | None:
    """The cuboid (or cuboid track) `annotation_id` as camera stream `camera_stream_id`
    sees it.

    `frame` is the frame of a video camera stream (its box and polygon carry it). ``None``
    when the camera does not see the cuboid or the track is outside at that instant. The
    camera stream must be in the cuboid's sample; both streams need sensors.
    """
    row = connection.execute(select(annotations).where(annotations.c.id == annotation_id)).first()
    if row is None:
        raise NotFoundError("annotation", annotation_id)
    annotation = annotation_from_row(row)
    found = {
        stream.id: stream_from_row(stream)
        for stream in connection.execute(
            select(streams).where(
                streams.c.sample_id == row.sample_id,
                streams.c.id.in_([row.stream_id, camera_stream_id]),
            )
        )
    }
    if camera_stream_id not in found:
        raise NotFoundError("stream", camera_stream_id)
    poses_json = connection.execute(
        select(samples.c.ego_poses).where(samples.c.id == row.sample_id)
    ).scalar_one()
    poses = _POSES.validate_json(poses_json) if poses_json else []
    source, camera = found[row.stream_id], found[camera_stream_id]
    return cuboid_in_camera(annotation, source, camera, poses=poses, frame=frame)


def _proposals(
    sample: Sample, camera: Stream, frame: int, relation: str, min_iou: float
) -> list[Link]:
    """One link per cuboid to the box its projection overlaps best (one-to-one)."""
    by_id = {stream.id: stream for stream in sample.streams}
    projected: list[tuple[Annotation, Box]] = []
    for annotation in sample.annotations:
        stream = by_id.get(annotation.stream or "")
        if isinstance(annotation.geometry, Cuboid) and stream is not None and stream.sensor:
            seen = project_into(annotation.geometry, stream, camera, sample.ego_poses, frame)
            if seen is not None:
                projected.append((annotation, seen.box))
    drawn = [
        (annotation, annotation.geometry)
        for annotation in sample.annotations
        if annotation.stream == camera.id
        and isinstance(annotation.geometry, Box)
        and (annotation.geometry.frame or 0) == frame
    ]
    if not projected or not drawn:
        return []
    iou = box_iou(*([[b.x, b.y, b.w, b.h] for _, b in pairs] for pairs in (projected, drawn)))
    boxes = [annotation for annotation, _ in drawn]
    linked = {
        frozenset((link.source, link.target)) for link in sample.links if link.type == relation
    }
    rows, columns = linear_sum_assignment(iou, maximize=True)
    return [
        Link(
            id=uuid.uuid4().hex,
            type=relation,
            source=projected[i][0].id,
            target=boxes[j].id,
            status="proposed",
            attributes={"model": MODEL, "iou": round(float(iou[i, j]), 4)},
        )
        for i, j in zip(rows, columns, strict=True)
        if iou[i, j] >= min_iou and frozenset((projected[i][0].id, boxes[j].id)) not in linked
    ]


def propose_box_links(
    engine: Engine,
    actor: Actor,
    sample_id: str,
    camera_stream_id: str,
    *,
    relation: str = "same-as",
    min_iou: float = 0.5,
    frame: int = 0,
) -> list[Link]:
    """Propose a `relation` link from each cuboid to the camera box that matches it; the links.

    Every cuboid of the sample on a stream with a sensor is projected into the camera
    stream (at `frame` for a video); cuboids and the camera's boxes on that frame are
    paired one-to-one by the Hungarian method on the IoU of the projected and the drawn
    box (scipy's `linear_sum_assignment`), and each pair with IoU ≥ `min_iou` becomes a
    ``proposed`` link with attributes ``{"model": "projection", "iou": ...}``. Pairs
    already joined by a link of that type (in any status, rejected included) are left
    alone. All proposals are checked against the ontology before the first is written.
    """
    with engine.connect() as connection:
        project_id = sample_project(connection, sample_id)
        sample = load_sample(connection, sample_id)
        camera = next((s for s in sample.streams if s.id == camera_stream_id), None)
        if camera is None:
            raise NotFoundError("stream", camera_stream_id)
        proposals = _proposals(sample, camera, frame, relation, min_iou)
        ontology = current_ontology(connection, project_id)
    endpoints = {annotation.id: annotation for annotation in sample.annotations}
    by_stream = {stream.id: stream for stream in sample.streams}
    for link in proposals:
        check_link(link, endpoints, by_stream, endpoints, ontology)
    return [create_link(engine, project_id, sample_id, link, actor) for link in proposals]
