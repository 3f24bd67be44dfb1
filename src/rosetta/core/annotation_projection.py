"""A cuboid annotation as a camera stream of its sample sees it.

A cuboid on a point-cloud stream is projected into a camera stream of the same sample
through both streams' sensors (`rosetta.core.projection.project_cuboid`); a camera
sensor without an image size takes the stream's probed width and height.

A single cuboid belongs to the point-cloud stream's sweep 0 and the camera image to its
frame (0 for a still image); each instant is the stream clock's reference time of that
index. A cuboid track is taken at the sweep nearest the camera frame's instant (the same
index when either stream has no clock), its pose interpolated between key sweeps. When
both streams have clocks and the sample has ego poses, the rig's motion between the two
instants is compensated; otherwise both sensors are taken at one instant.
"""

from collections.abc import Sequence
from fractions import Fraction

from rosetta.core.calibration import Pose, Sensor
from rosetta.core.clock import compile_clock
from rosetta.core.errors import RosettaError
from rosetta.core.geometry import Cuboid, Track
from rosetta.core.modality import Modality
from rosetta.core.projection import Projection, project_cuboid
from rosetta.core.schema import Annotation, Stream
from rosetta.core.tracks import shape_at


def camera_sensor(stream: Stream) -> Sensor:
    """The stream's camera, its image size taken from the media when the sensor lacks it;
    a `RosettaError` when the stream has no camera calibration."""
    sensor = stream.sensor
    if sensor is None or not sensor.is_camera():
        raise RosettaError(
            f"stream {stream.id!r} has no camera calibration (a sensor with a camera_matrix "
            "or a projection)"
        )
    if sensor.width is None or sensor.height is None:
        size = {
            "width": sensor.width or stream.media.width,
            "height": sensor.height or stream.media.height,
        }
        sensor = sensor.model_copy(update=size)
    return sensor


def source_sensor(stream: Stream) -> Sensor:
    """The sensor a cuboid on `stream` is measured in; a `RosettaError` when it has none."""
    if stream.sensor is None:
        raise RosettaError(f"stream {stream.id!r} has no sensor calibration to project from")
    return stream.sensor


def stream_instant(stream: Stream, index: int) -> Fraction | None:
    """The reference time of the stream's `index` (sweep or frame), when it has a clock."""
    return None if stream.clock is None else compile_clock(stream.clock).time_of(index)


def is_cuboid(annotation: Annotation) -> bool:
    """Whether `annotation` is a cuboid or a cuboid track (what `cuboid_at` takes)."""
    geometry = annotation.geometry
    return isinstance(geometry, Cuboid) or (
        isinstance(geometry, Track) and geometry.kind == "cuboid"
    )


def cuboid_at(
    annotation: Annotation, source: Stream, camera: Stream, frame: int
) -> tuple[Cuboid | None, int]:
    """The annotation's cuboid seen from camera `frame` and the sweep it belongs to;
    ``None`` for a cuboid track outside on that sweep."""
    geometry = annotation.geometry
    if isinstance(geometry, Cuboid):
        return geometry, 0
    if isinstance(geometry, Track) and geometry.kind == "cuboid":
        sweep = frame
        if source.clock is not None and camera.clock is not None:
            instant = compile_clock(camera.clock).time_of(frame)
            sweep = compile_clock(source.clock).index_at(instant, "nearest")
        shape = shape_at(geometry, sweep)
        assert shape is None or isinstance(shape, Cuboid)
        return shape, sweep
    raise RosettaError(
        f"annotation {annotation.id!r} is a {geometry.type}, not a cuboid or a cuboid track"
    )


def project_into(
    cuboid: Cuboid,
    source: Stream,
    camera: Stream,
    poses: Sequence[Pose],
    frame: int,
    *,
    sweep: int = 0,
) -> Projection | None:
    """`cuboid`, measured on `source`'s `sweep`, as `camera` sees it on `frame` (a video's
    box and polygon carry the frame); ``None`` when the camera does not see it."""
    projection = project_cuboid(
        cuboid,
        source_sensor(source),
        camera_sensor(camera),
        poses=poses,
        t_source=stream_instant(source, sweep),
        t_camera=stream_instant(camera, frame),
    )
    if projection is None or camera.modality is not Modality.VIDEO:
        return projection
    return projection.model_copy(
        update={
            "box": projection.box.model_copy(update={"frame": frame}),
            "polygon": projection.polygon.model_copy(update={"frame": frame}),
        }
    )


def cuboid_in_camera(
    annotation: Annotation,
    source: Stream,
    camera: Stream,
    *,
    poses: Sequence[Pose] = (),
    frame: int = 0,
) -> Projection | None:
    """The cuboid (or cuboid track) `annotation` on stream `source` as `camera` sees it on
    `frame`; ``None`` when unseen or when the track is outside at that instant."""
    cuboid, sweep = cuboid_at(annotation, source, camera, frame)
    if cuboid is None:
        return None
    return project_into(cuboid, source, camera, poses, frame, sweep=sweep)
