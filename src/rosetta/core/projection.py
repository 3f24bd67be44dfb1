"""Space: ego poses over time, cuboid corners, and projecting points and cuboids into cameras.

Frames and transforms follow `rosetta.core.calibration`. A cuboid lives in its stream's
sensor frame; `project_cuboid` carries it to the ego frame (the source sensor's
extrinsic), through the world when ego poses and both instants are known (ego-motion
compensation), into the camera frame, and through the camera's optics to pixels:

    p_cam = T_cam<-ego · T_ego(t_cam)^-1 · T_ego(t_src) · T_ego<-src · p_src

where ``T_ego(t)`` is the pose of the ego frame in the world at reference time ``t``
(`pose_at`). Pixels have the origin at the top-left corner of the top-left pixel (the
convention of `rosetta.core.geometry` and of OpenCV and KITTI).
"""

from bisect import bisect_left
from collections.abc import Sequence
from typing import Final

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict
from scipy.spatial.transform import Rotation, Slerp

from rosetta.core.calibration import Pose, RigidTransform, Sensor
from rosetta.core.errors import RosettaError
from rosetta.core.geometry import Box, Cuboid, Polygon
from rosetta.core.timebase import TimeLike, exact, format_exact

FloatArray = NDArray[np.float64]

#: Distance (metres along the optical axis) in front of the camera where cuboids are cut.
NEAR: Final = 0.1

#: The cuboid's corners in its own frame, as multiples of ``size / 2``: the bottom face
#: (z = -h/2) first, then the top face, each in the order front-left, front-right,
#: back-right, back-left (x forward along the length, y left along the width). This is
#: the corner order of the KITTI devkit's ``computeBox3D``.
CORNER_SIGNS: Final = np.array(
    [
        [1, 1, -1],
        [1, -1, -1],
        [-1, -1, -1],
        [-1, 1, -1],
        [1, 1, 1],
        [1, -1, 1],
        [-1, -1, 1],
        [-1, 1, 1],
    ],
    dtype=np.float64,
)

#: The 12 edges of the cuboid as pairs of corner indices.
EDGES: Final = (
    (0, 1), (1, 2), (2, 3), (3, 0),
    (4, 5), (5, 6), (6, 7), (7, 4),
    (0, 4), (1, 5), (2, 6), (3, 7),
)  # fmt: skip

#: Points per edge when a distorting lens bends straight edges into curves.
_CURVE_SAMPLES: Final = 17


# --- ego poses -------------------------------------------------------------------------------


def pose_at(poses: Sequence[Pose], t: TimeLike) -> RigidTransform:
    """The ego pose in the world at reference time `t`, between the surrounding poses.

    Translation is interpolated linearly, rotation by spherical linear interpolation
    (scipy's `Slerp`, along the shorter arc). `poses` are in increasing time order (as
    `Sample.ego_poses` are). A time outside ``[poses[0].t, poses[-1].t]`` is an error, not
    a clamp: holding or extrapolating the rig's pose would place objects metres off
    without saying so.
    """
    if not poses:
        raise RosettaError("no ego poses to interpolate")
    when = exact(t)
    times = [exact(pose.t) for pose in poses]
    if not times[0] <= when <= times[-1]:
        raise RosettaError(
            f"no ego pose at t = {format_exact(when)} s: the poses cover "
            f"[{format_exact(times[0])}, {format_exact(times[-1])}] s"
        )
    after = bisect_left(times, when)
    if times[after] == when:
        return poses[after].transform()
    first, second = poses[after - 1], poses[after]
    fraction = float((when - times[after - 1]) / (times[after] - times[after - 1]))
    rotations = Rotation.from_quat([first.rotation, second.rotation], scalar_first=True)
    start, end = np.asarray(first.translation), np.asarray(second.translation)
    return RigidTransform.from_rotation(
        Slerp([0.0, 1.0], rotations)(fraction), start + fraction * (end - start)
    )


def source_to_camera(
    source: Sensor,
    camera: Sensor,
    *,
    poses: Sequence[Pose] = (),
    t_source: TimeLike | None = None,
    t_camera: TimeLike | None = None,
) -> RigidTransform:
    """The pose of the `source` sensor frame in the `camera` frame.

    With ego poses and both instants, the rig's motion between ``t_source`` and
    ``t_camera`` is compensated (the world is assumed static); otherwise both sensors are
    taken at the same instant.
    """
    to_ego = source.extrinsic
    if poses and t_source is not None and t_camera is not None:
        world = pose_at(poses, t_source).compose(source.extrinsic)
        to_ego = pose_at(poses, t_camera).inverse().compose(world)
    return camera.extrinsic.inverse().compose(to_ego)


# --- cuboids ---------------------------------------------------------------------------------


def cuboid_pose(cuboid: Cuboid) -> RigidTransform:
    """The pose of the cuboid's own frame (origin at its centre) in the point cloud frame.

    The rotation is ``Rz(yaw) · Ry(pitch) · Rx(roll)`` (intrinsic z-y-x).
    """
    roll, pitch, yaw = cuboid.rotation
    return RigidTransform.from_rotation(
        Rotation.from_euler("ZYX", [yaw, pitch, roll]), cuboid.center
    )


def cuboid_from_pose(pose: RigidTransform, size: tuple[float, float, float]) -> Cuboid:
    """The cuboid of `size` ``[l, w, h]`` whose own frame has `pose` (inverse of `cuboid_pose`)."""
    yaw, pitch, roll = Rotation.from_quat(pose.rotation, scalar_first=True).as_euler("ZYX")
    return Cuboid(center=pose.translation, size=size, rotation=(roll, pitch, yaw))


def cuboid_corners(cuboid: Cuboid) -> FloatArray:
    """The 8 corners ``(8, 3)`` in the point cloud frame, in the order of `CORNER_SIGNS`."""
    return cuboid_pose(cuboid).apply(CORNER_SIGNS * (np.asarray(cuboid.size) / 2))


# --- cameras ---------------------------------------------------------------------------------


def distort(normalized: ArrayLike, coefficients: Sequence[float]) -> FloatArray:
    """OpenCV's Brown–Conrady lens model applied to normalised image points ``(N, 2)``.

    `coefficients` are OpenCV's ``[k1, k2, p1, p2[, k3[, k4, k5, k6[, s1, s2, s3, s4]]]]``:
    the rational radial factor ``(1 + k1 r² + k2 r⁴ + k3 r⁶) / (1 + k4 r² + k5 r⁴ + k6 r⁶)``,
    tangential terms ``p1, p2`` and thin-prism terms ``s1..s4``, exactly as
    ``cv2.projectPoints`` computes them. Written out here because the forward model is
    a closed-form polynomial and OpenCV (not a dependency) would be needed for nothing
    else; the tilted-sensor model (14 coefficients) is not supported.
    """
    count = len(coefficients)
    if count not in {4, 5, 8, 12}:
        raise RosettaError(
            f"distortion: expected 4, 5, 8 or 12 OpenCV coefficients "
            f"[k1, k2, p1, p2, k3, k4, k5, k6, s1, s2, s3, s4], got {count}"
        )
    k1, k2, p1, p2, k3, k4, k5, k6, s1, s2, s3, s4 = [*coefficients, *[0.0] * (12 - count)]
    points = np.asarray(normalized, dtype=np.float64).reshape(-1, 2)
    x, y = points[:, 0], points[:, 1]
    r2 = x * x + y * y
    r4 = r2 * r2
    radial = (1 + k1 * r2 + k2 * r4 + k3 * r4 * r2) / (1 + k4 * r2 + k5 * r4 + k6 * r4 * r2)
    xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x) + s1 * r2 + s2 * r4
    yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y + s3 * r2 + s4 * r4
    return np.column_stack([xd, yd])


def _depth_axis(camera: Sensor) -> tuple[FloatArray, float]:
    """``(n, d)`` with ``depth(p) = n · p + d``: the homogeneous coordinate pixels divide by."""
    if camera.projection is not None:
        row = np.asarray(camera.projection[2], dtype=np.float64)
        return row[:3], float(row[3])
    if camera.camera_matrix is not None:
        return np.array([0.0, 0.0, 1.0]), 0.0
    raise RosettaError(f"sensor {camera.frame!r} is not a camera (no camera_matrix or projection)")


def project_points(points: ArrayLike, camera: Sensor) -> tuple[FloatArray, FloatArray]:
    """Pixels ``(N, 2)`` and depths ``(N,)`` of points ``(N, 3)`` given in the camera's frame.

    With a ``camera_matrix`` K: ``(x, y) = (X / Z, Y / Z)``, distorted by `distort` when the
    sensor has coefficients, then ``K · [x, y, 1]``; the depth is ``Z``. With a 3x4
    ``projection`` P: ``P · [X, Y, Z, 1]`` divided by its third coordinate, which is the
    depth (for KITTI's ``P2``, Z in the rectified camera-0 frame plus P2's 2.7 mm offset
    of camera 2). Points at depth ≤ 0 get NaN pixels.
    """
    array = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    normal, offset = _depth_axis(camera)
    depth = array @ normal + offset
    with np.errstate(divide="ignore", invalid="ignore"):
        if camera.projection is not None:
            projection = np.asarray(camera.projection, dtype=np.float64)
            uv = (array @ projection[:, :3].T + projection[:, 3])[:, :2] / depth[:, None]
        else:
            normalized = array[:, :2] / depth[:, None]
            if camera.distortion:
                normalized = distort(normalized, camera.distortion)
            intrinsics = np.asarray(camera.camera_matrix, dtype=np.float64)
            homogeneous = np.column_stack([normalized, np.ones(len(array))]) @ intrinsics.T
            uv = homogeneous[:, :2] / homogeneous[:, 2:]
    uv[depth <= 0] = np.nan
    return uv, depth


class Projection(BaseModel):
    """A cuboid as one camera sees it.

    ``box`` and ``polygon`` (the convex outline of the cuboid's image) are clipped to the
    image when the camera knows its size; ``visible_fraction`` is the share of the
    outline's area inside the image (1 when the size is unknown; ``1 - truncation``).
    ``corners`` are the 8 corners' pixels in `CORNER_SIGNS` order, unclipped, ``None``
    for a corner closer than the near plane. ``depth`` is the cuboid centre's depth along
    the optical axis, metres.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    box: Box
    polygon: Polygon
    corners: list[tuple[float, float] | None]
    depth: float
    visible_fraction: float


def _segments(start: FloatArray, end: FloatArray, samples: int) -> FloatArray:
    if samples == 2:
        return np.stack([start, end])
    steps = np.linspace(0.0, 1.0, samples)[:, None]
    return start + steps * (end - start)


def _cap(crossings: list[FloatArray], normal: FloatArray, samples: int) -> list[FloatArray]:
    """Points along the outline of the cut face: its vertices ordered around their centre."""
    points = np.array(crossings)
    centre = points.mean(axis=0)
    axis_u = np.cross(normal, [1.0, 0.0, 0.0] if abs(normal[0]) < 0.9 else [0.0, 1.0, 0.0])
    axis_v = np.cross(normal, axis_u)
    angles = np.arctan2((points - centre) @ axis_v, (points - centre) @ axis_u)
    ring = points[np.argsort(angles)]
    return [_segments(a, b, samples) for a, b in zip(ring, np.roll(ring, -1, axis=0), strict=True)]


def _outline(corners: FloatArray, camera: Sensor, near: float) -> FloatArray:
    """Points in the camera frame whose images span the image of the cuboid cut at `near`.

    The cuboid cut by the half-space ``depth ≥ near`` is a convex solid whose vertices are
    the corners in front and the points where edges cross the plane; perspective maps it
    to the convex hull of their images. A distorting lens bends edges, so their points
    (and the cut face's outline) are then sampled along the way.
    """
    normal, offset = _depth_axis(camera)
    depths = corners @ normal + offset
    samples = _CURVE_SAMPLES if camera.distortion else 2
    pieces: list[FloatArray] = []
    crossings: list[FloatArray] = []
    for a, b in EDGES:
        start, end = corners[a], corners[b]
        if depths[a] < near and depths[b] < near:
            continue
        if depths[a] < near or depths[b] < near:
            cut = start + (near - depths[a]) / (depths[b] - depths[a]) * (end - start)
            crossings.append(cut)
            start, end = (cut, end) if depths[a] < near else (start, cut)
        pieces.append(_segments(start, end, samples))
    if crossings and samples > 2:
        pieces += _cap(crossings, normal, samples)
    return np.concatenate(pieces) if pieces else np.empty((0, 3))


def project_cuboid(
    cuboid: Cuboid,
    source: Sensor,
    camera: Sensor,
    *,
    poses: Sequence[Pose] = (),
    t_source: TimeLike | None = None,
    t_camera: TimeLike | None = None,
    near: float = NEAR,
) -> Projection | None:
    """The image of `cuboid` (in `source`'s frame) in `camera`, or ``None`` when unseen.

    The rig's motion between ``t_source`` and ``t_camera`` is compensated when `poses`
    and both instants are given (`source_to_camera`). The cuboid is cut at `near` metres
    in front of the camera, so a cuboid reaching behind the camera still projects to the
    image of its visible part. ``None`` when the cuboid lies wholly closer than `near`
    or, for a camera that knows its image size, wholly outside the image.

    Exact for pinhole and 3x4 projection cameras. Through a distorting lens the edges
    are sampled (`distort`); the lens polynomial only holds inside the field of view it
    was calibrated on and can fold back far outside it, so there the outline of a cuboid
    reaching well beyond the image (or cut at the near plane) is approximate.
    """
    if near <= 0:
        raise ValueError(f"the near plane must be in front of the camera, got {near}")
    to_camera = source_to_camera(source, camera, poses=poses, t_source=t_source, t_camera=t_camera)
    corners = to_camera.apply(cuboid_corners(cuboid))
    outline = _outline(corners, camera, near)
    if not len(outline):
        return None
    hull = shapely.MultiPoint(project_points(outline, camera)[0]).convex_hull
    if hull.geom_type != "Polygon" or hull.area <= 0:
        return None
    seen, visible_fraction = hull, 1.0
    if camera.width is not None and camera.height is not None:
        image = shapely.box(0, 0, camera.width, camera.height)
        if not image.contains(hull):
            seen = hull.intersection(image)
            if seen.geom_type != "Polygon" or seen.area <= 0:
                return None
            visible_fraction = seen.area / hull.area
    left, top, right, bottom = seen.bounds
    corner_uv, corner_depth = project_points(corners, camera)
    _, centre_depth = project_points(to_camera.apply([cuboid.center]), camera)
    return Projection(
        box=Box(x=left, y=top, w=right - left, h=bottom - top),
        polygon=Polygon(points=[(x, y) for x, y in seen.exterior.coords[:-1]]),
        corners=[
            (float(u), float(v)) if depth >= near else None
            for (u, v), depth in zip(corner_uv, corner_depth, strict=True)
        ],
        depth=float(centre_depth[0]),
        visible_fraction=visible_fraction,
    )


def box_iou(first: ArrayLike, second: ArrayLike) -> FloatArray:
    """Intersection over union of every pair of boxes ``[x, y, w, h]``: ``(N, M)``."""
    a = np.asarray(first, dtype=np.float64).reshape(-1, 4)[:, None, :]
    b = np.asarray(second, dtype=np.float64).reshape(-1, 4)[None, :, :]
    width = np.minimum(a[..., 0] + a[..., 2], b[..., 0] + b[..., 2]) - np.maximum(
        a[..., 0], b[..., 0]
    )
    height = np.minimum(a[..., 1] + a[..., 3], b[..., 1] + b[..., 3]) - np.maximum(
        a[..., 1], b[..., 1]
    )
    overlap = np.clip(width, 0, None) * np.clip(height, 0, None)
    union = a[..., 2] * a[..., 3] + b[..., 2] * b[..., 3] - overlap
    iou: FloatArray = overlap / union
    return iou
