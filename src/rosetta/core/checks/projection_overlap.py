"""projection-overlap: a LiDAR cuboid and the camera box said to be the same thing agree.

For each link that is not rejected, whose type is one of `CheckSettings.identity_relations`
(the two ends denote one thing), between a cuboid (a `Cuboid`, or a cuboid track, on a
point-cloud stream with a sensor) and a 2D `Box` on an image or video stream with a camera
sensor (an entity end stands for its members), the cuboid is projected into the camera
at the box's instant (its frame on a video; `rosetta.core.annotation_projection` states
how instants, tracks and ego motion are taken). A projected box overlapping the drawn one
by an IoU below `CheckSettings.projection_iou` is a warning; a cuboid the camera does not
see at that instant (outside the image, behind the camera, or a track outside) is an error.
"""

from collections.abc import Iterator
from typing import ClassVar

from rosetta.core.annotation_projection import cuboid_at, is_cuboid, project_into
from rosetta.core.checks.spec import CheckContext, Finding, SampleIndex, Severity
from rosetta.core.geometry import Box
from rosetta.core.modality import Modality
from rosetta.core.projection import box_iou
from rosetta.core.schema import Annotation, Link

_CAMERA_MODALITIES = frozenset({Modality.IMAGE, Modality.VIDEO})


def _is_lidar_cuboid(index: SampleIndex, annotation: Annotation) -> bool:
    stream = index.streams.get(annotation.stream or "")
    return (
        stream is not None
        and stream.modality is Modality.POINTCLOUD
        and stream.sensor is not None
        and is_cuboid(annotation)
    )


def _is_camera_box(index: SampleIndex, annotation: Annotation) -> bool:
    stream = index.streams.get(annotation.stream or "")
    return (
        stream is not None
        and stream.modality in _CAMERA_MODALITIES
        and stream.sensor is not None
        and stream.sensor.is_camera()
        and isinstance(annotation.geometry, Box)
    )


class ProjectionOverlap:
    """A cuboid projected into a camera covers the 2D box it is linked to."""

    name: ClassVar[str] = "projection-overlap"
    description: ClassVar[str] = (
        "a LiDAR cuboid linked to a camera box as the same thing projects onto that box "
        "(IoU at least the projection threshold) and is visible in the camera"
    )
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.POINTCLOUD})
    needs_embedder: ClassVar[bool] = False

    def run(self, context: CheckContext) -> Iterator[Finding]:
        """One finding per linked cuboid and box that disagree."""
        index = context.index
        identity = set(context.settings.identity_relations)
        for link in context.sample.links:
            if link.type not in identity or link.status == "rejected":
                continue
            ends = index.annotations_behind(link.source), index.annotations_behind(link.target)
            for first in ends[0]:
                for second in ends[1]:
                    found = None
                    if _is_lidar_cuboid(index, first) and _is_camera_box(index, second):
                        found = self._compare(context, link, first, second)
                    elif _is_lidar_cuboid(index, second) and _is_camera_box(index, first):
                        found = self._compare(context, link, second, first)
                    if found is not None:
                        yield found

    def _compare(
        self, context: CheckContext, link: Link, cuboid: Annotation, box: Annotation
    ) -> Finding | None:
        index = context.index
        drawn = box.geometry
        assert isinstance(drawn, Box)
        source, camera = index.streams[cuboid.stream or ""], index.streams[box.stream or ""]
        frame = drawn.frame or 0
        shape, sweep = cuboid_at(cuboid, source, camera, frame)
        seen = (
            None
            if shape is None
            else project_into(shape, source, camera, context.sample.ego_poses, frame, sweep=sweep)
        )
        subjects = [link.id, cuboid.id, box.id]
        where = f"{camera.id} frame {frame}" if camera.modality is Modality.VIDEO else camera.id
        if seen is None:
            why = "the track is outside" if shape is None else "it lies outside the camera's view"
            return context.finding(
                self.name,
                Severity.ERROR,
                subjects,
                f"{link.type} {link.id} joins {cuboid.id} and the box {box.id} in {where}, "
                f"but the camera does not see the cuboid: {why} (sweep {sweep})",
                fix="link the box to the cuboid it shows, or correct the cuboid or its sweep",
                camera=camera.id,
                frame=frame,
                sweep=sweep,
            )
        projected = seen.box
        iou = float(
            box_iou(
                [projected.x, projected.y, projected.w, projected.h],
                [drawn.x, drawn.y, drawn.w, drawn.h],
            )[0, 0]
        )
        if iou >= context.settings.projection_iou:
            return None
        return context.finding(
            self.name,
            Severity.WARNING,
            subjects,
            f"{cuboid.id} projected into {where} overlaps the box {box.id} it is linked "
            f"to by IoU {iou:.2f}, below {context.settings.projection_iou:.2f}",
            fix="correct the box or the cuboid, or link the box to the cuboid it shows",
            iou=iou,
            projected_box=[projected.x, projected.y, projected.w, projected.h],
            camera=camera.id,
            frame=frame,
            sweep=sweep,
        )
