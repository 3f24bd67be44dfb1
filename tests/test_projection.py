"""Rigid transforms, ego poses, cuboid corners, lens distortion and cuboid projection.

Expected values are worked out by hand (the arithmetic is in the comments), not by the
code under test.
"""

import math

import numpy as np
import pytest

from rosetta.core.calibration import Pose, RigidTransform, Sensor
from rosetta.core.errors import RosettaError
from rosetta.core.geometry import Cuboid
from rosetta.core.projection import (
    box_iou,
    cuboid_corners,
    cuboid_from_pose,
    cuboid_pose,
    distort,
    pose_at,
    project_cuboid,
    project_points,
    source_to_camera,
)

#: A 1280x720 pinhole camera, f = 1000 px, principal point at the image centre.
PINHOLE = Sensor(
    frame="camera",
    camera_matrix=((1000.0, 0.0, 640.0), (0.0, 1000.0, 360.0), (0.0, 0.0, 1.0)),
    width=1280,
    height=720,
)
#: A sensor whose frame is the ego frame.
AT_EGO = Sensor(frame="ego")
#: Camera axes in the ego frame (x forward, y left, z up): the camera's x (right) is -y,
#: its y (down) is -z, its z (forward) is x. Columns of R are the camera axes.
CAMERA_AXES = np.array([[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])


def _quaternion_about_z(angle: float) -> tuple[float, float, float, float]:
    return (math.cos(angle / 2), 0.0, 0.0, math.sin(angle / 2))


# --- rigid transforms ------------------------------------------------------------------------


def test_transform_matrix_inverse_and_composition() -> None:
    # 90° about z, then moved by (1, 2, 3): the child's x axis is the parent's y axis.
    turn = RigidTransform(rotation=_quaternion_about_z(math.pi / 2), translation=(1.0, 2.0, 3.0))
    expected = np.array([[0, -1, 0, 1], [1, 0, 0, 2], [0, 0, 1, 3], [0, 0, 0, 1]], dtype=float)
    np.testing.assert_allclose(turn.matrix(), expected, atol=1e-12)
    np.testing.assert_allclose(turn.apply([[1.0, 0.0, 0.0]]), [[1.0, 3.0, 3.0]], atol=1e-12)
    # the inverse takes the parent's origin to -R^T t = -(2, -1, 3)
    np.testing.assert_allclose(turn.inverse().translation, (-2.0, 1.0, -3.0), atol=1e-12)
    identity = turn.compose(turn.inverse())
    np.testing.assert_allclose(identity.matrix(), np.eye(4), atol=1e-12)
    shift = RigidTransform(translation=(5.0, 0.0, 0.0))
    np.testing.assert_allclose(
        turn.compose(shift).matrix(), turn.matrix() @ shift.matrix(), atol=1e-12
    )
    # (5, 0, 0) in the shifted frame's child is (5, 5, 3) after the turn: x -> y
    np.testing.assert_allclose(turn.compose(shift).translation, (1.0, 7.0, 3.0), atol=1e-12)


def test_from_matrix_orthonormalises_and_refuses_reflections() -> None:
    nearly = np.eye(4)
    nearly[:3, :3] += [[0, 2e-7, 0], [-1e-7, 0, 0], [0, 0, 3e-7]]
    nearly[:3, 3] = (1.0, 2.0, 3.0)
    transform = RigidTransform.from_matrix(nearly)
    rotation = transform.rotation_matrix()
    np.testing.assert_allclose(rotation.T @ rotation, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(rotation, nearly[:3, :3], atol=1e-6)
    assert transform.translation == (1.0, 2.0, 3.0)
    with pytest.raises(ValueError, match="not a rotation"):
        RigidTransform.from_matrix(np.diag([1.0, 1.0, -1.0, 1.0]))


# --- ego poses -------------------------------------------------------------------------------


POSES = [
    Pose(t="0", translation=(0.0, 0.0, 0.0)),
    Pose(t="1/3", rotation=_quaternion_about_z(math.pi / 2), translation=(10.0, 0.0, 0.0)),
]


def test_pose_at_interpolates_translation_linearly_and_rotation_by_slerp() -> None:
    # a quarter of the way: 2.5 m, and a quarter of the 90° turn (22.5° about z)
    between = pose_at(POSES, "1/12")
    np.testing.assert_allclose(between.translation, (2.5, 0.0, 0.0), atol=1e-12)
    np.testing.assert_allclose(between.rotation, _quaternion_about_z(math.pi / 8), atol=1e-12)
    assert pose_at(POSES, "1/3") == POSES[1].transform()
    assert pose_at(POSES, 0) == POSES[0].transform()


def test_pose_at_refuses_times_outside_the_poses() -> None:
    with pytest.raises(RosettaError, match=r"t = 0\.5 s: the poses cover \[0, 1/3\] s"):
        pose_at(POSES, 0.5)
    with pytest.raises(RosettaError, match="no ego poses"):
        pose_at([], 0)


# --- cuboids ---------------------------------------------------------------------------------


def test_cuboid_corners_order_and_yaw() -> None:
    # 4 m long, 2 m wide, 1 m high at (10, 20, 30), turned 90° left: its length runs
    # along the frame's y axis, its width along -x.
    cuboid = Cuboid(center=(10, 20, 30), size=(4, 2, 1), rotation=(0, 0, math.pi / 2))
    # local front-left-bottom (2, 1, -0.5) turns into (-1, 2, -0.5)
    expected_local = [
        (-1, 2, -0.5),  # front-left-bottom
        (1, 2, -0.5),  # front-right-bottom
        (1, -2, -0.5),  # back-right-bottom
        (-1, -2, -0.5),  # back-left-bottom
        (-1, 2, 0.5),
        (1, 2, 0.5),
        (1, -2, 0.5),
        (-1, -2, 0.5),
    ]
    np.testing.assert_allclose(
        cuboid_corners(cuboid), np.add(expected_local, (10, 20, 30)), atol=1e-12
    )


def test_cuboid_rotation_is_intrinsic_z_y_x_and_round_trips() -> None:
    # roll 90° then yaw 90°: the box's z axis (up) first turns to -y, then to +x
    cuboid = Cuboid(center=(0, 0, 0), size=(1, 1, 1), rotation=(math.pi / 2, 0, math.pi / 2))
    np.testing.assert_allclose(
        cuboid_pose(cuboid).rotation_matrix() @ [0, 0, 1], [1, 0, 0], atol=1e-12
    )
    tilted = Cuboid(center=(1, -2, 0.5), size=(4, 2, 1.5), rotation=(0.1, -0.2, 2.5))
    again = cuboid_from_pose(cuboid_pose(tilted), tilted.size)
    np.testing.assert_allclose(again.rotation, tilted.rotation, atol=1e-12)
    assert again.center == tilted.center


# --- cameras ---------------------------------------------------------------------------------


def test_pinhole_projection_and_points_behind() -> None:
    uv, depth = project_points([[1.0, 0.5, 10.0], [0.0, 0.0, -1.0]], PINHOLE)
    # u = 640 + 1000 · 1 / 10, v = 360 + 1000 · 0.5 / 10
    np.testing.assert_allclose(uv[0], (740.0, 410.0))
    assert np.isnan(uv[1]).all()
    np.testing.assert_allclose(depth, (10.0, -1.0))


def test_brown_conrady_distortion_against_a_hand_computed_point() -> None:
    camera = Sensor(
        frame="camera",
        camera_matrix=((800.0, 0.0, 320.0), (0.0, 820.0, 240.0), (0.0, 0.0, 1.0)),
        distortion=[-0.2, 0.05, 0.001, -0.002, 0.01],  # k1 k2 p1 p2 k3
    )
    # (x, y) = (0.3, -0.2); r² = 0.13, r⁴ = 0.0169, r⁶ = 0.002197
    # radial = 1 - 0.2·0.13 + 0.05·0.0169 + 0.01·0.002197 = 0.97486697
    # x'' = 0.3·radial + 2·0.001·0.3·(-0.2) + (-0.002)·(0.13 + 2·0.09) = 0.291720091
    # y'' = -0.2·radial + 0.001·(0.13 + 2·0.04) + 2·(-0.002)·0.3·(-0.2) = -0.194523394
    # u = 800·x'' + 320 = 553.3760728, v = 820·y'' + 240 = 80.49081692
    uv, _ = project_points([[0.6, -0.4, 2.0]], camera)
    np.testing.assert_allclose(uv[0], (553.3760728, 80.49081692), atol=1e-7)
    # the rational model divides by 1 + k4 r² + k5 r⁴ + k6 r⁶: with k4 = 1 and r² = 0.25,
    # x'' = 0.5 / 1.25
    np.testing.assert_allclose(distort([[0.5, 0.0]], [0, 0, 0, 0, 0, 1, 0, 0]), [[0.4, 0.0]])
    with pytest.raises(RosettaError, match="4, 5, 8 or 12"):
        distort([[0.0, 0.0]], [0.1, 0.2, 0.3])


def test_projection_matrix_camera_divides_by_the_third_row() -> None:
    # P = K [I | t] with a 0.5 m baseline: x shifts by f · 0.5 / Z, Z by 0.01
    camera = Sensor(
        frame="rect",
        projection=(
            (1000.0, 0.0, 640.0, 500.0),
            (0.0, 1000.0, 360.0, 0.0),
            (0.0, 0.0, 1.0, 0.01),
        ),
    )
    uv, depth = project_points([[0.0, 0.0, 9.99]], camera)
    np.testing.assert_allclose(depth, (10.0,))
    # P · [0, 0, 9.99, 1] = (640 · 9.99 + 500, 360 · 9.99, 10) = (6893.6, 3596.4, 10)
    np.testing.assert_allclose(uv[0], (689.36, 359.64))


def test_distorted_outline_follows_the_curved_edges() -> None:
    camera = PINHOLE.model_copy(
        update={"distortion": [-0.3, 0.1, 0.0, 0.0], "width": None, "height": None}
    )
    cuboid = Cuboid(center=(0, 0, 6), size=(5, 3, 2))
    projection = project_cuboid(cuboid, AT_EGO, camera)
    assert projection is not None
    # reference: 2001 points along every edge, each distorted on its own
    corners = cuboid_corners(cuboid)
    steps = np.linspace(0, 1, 2001)[:, None]
    edges = [(0, 1), (1, 2), (2, 3), (3, 0), (4, 5), (5, 6), (6, 7), (7, 4)]
    edges += [(0, 4), (1, 5), (2, 6), (3, 7)]
    dense = np.concatenate([corners[a] + steps * (corners[b] - corners[a]) for a, b in edges])
    uv, _ = project_points(dense, camera)
    box = projection.box
    assert abs(box.x - uv[:, 0].min()) < 0.5 and abs(box.y - uv[:, 1].min()) < 0.5
    assert abs(box.x + box.w - uv[:, 0].max()) < 0.5
    assert abs(box.y + box.h - uv[:, 1].max()) < 0.5
    # the corners alone would miss the bulge of the barrel-distorted edges
    corner_uv, _ = project_points(corners, camera)
    assert corner_uv[:, 0].min() - uv[:, 0].min() > 10
    assert corner_uv[:, 1].min() - uv[:, 1].min() > 10


# --- ego motion ------------------------------------------------------------------------------


def test_ego_motion_compensation_for_a_rig_moving_forward() -> None:
    # The rig drives along the world x axis at 10 m/s; the LiDAR is the ego frame and the
    # camera sits 1 m ahead of it, 1.5 m up, looking forward.
    poses = [Pose(t=0, translation=(0.0, 0.0, 0.0)), Pose(t="0.1", translation=(1.0, 0.0, 0.0))]
    extrinsic = np.eye(4)
    extrinsic[:3, :3] = CAMERA_AXES
    extrinsic[:3, 3] = (1.0, 0.0, 1.5)
    camera = PINHOLE.model_copy(update={"extrinsic": RigidTransform.from_matrix(extrinsic)})
    # A car swept at t = 0: 4 x 2 x 1.5 m at (21, 2, 0.5) in the ego frame.
    car = Cuboid(center=(21, 2, 0.5), size=(4, 2, 1.5))

    projection = project_cuboid(car, AT_EGO, camera, poses=poses, t_source=0, t_camera=0.05)

    # At t = 0.05 the rig has moved 0.5 m: the car spans x 18.5..22.5, y 1..3, z -0.25..1.25
    # in the ego frame, so in the camera frame Z = x - 1 spans 17.5..21.5, X = -y spans
    # -3..-1, Y = 1.5 - z spans 0.25..1.75.
    assert projection is not None
    left, right = 640 + 1000 * -3 / 17.5, 640 + 1000 * -1 / 21.5
    top, bottom = 360 + 1000 * 0.25 / 21.5, 360 + 1000 * 1.75 / 17.5
    box = projection.box
    np.testing.assert_allclose(
        (box.x, box.y, box.w, box.h), (left, top, right - left, bottom - top)
    )
    # the centre (20.5, 2, 0.5) is at depth 19.5
    assert projection.depth == pytest.approx(19.5)
    # corner 0 (front-left-bottom) is at (22.5, 3, -0.25): Z = 21.5, X = -3, Y = 1.75
    assert projection.corners[0] == pytest.approx((640 - 3000 / 21.5, 360 + 1750 / 21.5))
    # without the instants the car is where the sweep saw it, 0.5 m further away
    still = project_cuboid(car, AT_EGO, camera, poses=poses)
    assert still is not None
    assert still.box.x == pytest.approx(640 + 1000 * -3 / 18)
    # the transform itself: a point 0.5 m ahead of the rig at t = 0 is at the rig at 0.05
    to_camera = source_to_camera(AT_EGO, camera, poses=poses, t_source=0, t_camera=0.05)
    np.testing.assert_allclose(to_camera.apply([[1.5, 0.0, 1.5]]), [[0.0, 0.0, 0.0]], atol=1e-12)


# --- near plane and image bounds -------------------------------------------------------------


def test_cuboid_reaching_behind_the_camera_is_cut_at_the_near_plane() -> None:
    # x 1..2, y -0.5..0.5, z -2..2 in the camera frame: the far face (z = 2) spans
    # u 1140..1640, v 110..610; the edges cut at z = 0.1 reach u 10640.., v -4640..5360.
    # The top-left outline edge runs from (1140, 110) to (10640, -4640), slope -1/2, so at
    # the image's right border u = 1280 it is at v = 110 - 140 / 2 = 40 (and 680 below).
    straddling = Cuboid(center=(1.5, 0, 0), size=(1, 1, 4))
    projection = project_cuboid(straddling, AT_EGO, PINHOLE)
    assert projection is not None
    box = projection.box
    assert (box.x, box.y, box.w, box.h) == pytest.approx((1140, 40, 140, 640))
    assert projection.corners[:4] == [None] * 4
    assert projection.corners[4:] == [(1640, 610), (1640, 110), (1140, 110), (1140, 610)]
    assert 0 < projection.visible_fraction < 0.01
    assert all(0 <= u <= 1280 and 0 <= v <= 720 for u, v in projection.polygon.points)


def test_cuboid_around_the_camera_fills_the_image() -> None:
    # x, y -1..1, z -1..3: cut at z = 0.1 it spans u 640 ± 10000, v 360 ± 10000, so the
    # visible share is 1280 · 720 / 20000² = 0.002304
    projection = project_cuboid(Cuboid(center=(0, 0, 1), size=(2, 2, 4)), AT_EGO, PINHOLE)
    assert projection is not None
    assert projection.box.model_dump() == pytest.approx(
        {"type": "box", "x": 0, "y": 0, "w": 1280, "h": 720, "frame": None}
    )
    assert projection.visible_fraction == pytest.approx(0.002304)


def test_unseen_cuboids_project_to_nothing() -> None:
    assert project_cuboid(Cuboid(center=(0, 0, -5), size=(1, 1, 4)), AT_EGO, PINHOLE) is None
    # z -0.1..0.05: in front of the camera but closer than the near plane
    assert project_cuboid(Cuboid(center=(0, 0, 0), size=(1, 1, 0.1)), AT_EGO, PINHOLE) is None
    # in front, but right of the image: u from 640 + 1000 · 2 / 2 = 1640
    assert project_cuboid(Cuboid(center=(3, 0, 0), size=(2, 1, 4)), AT_EGO, PINHOLE) is None
    # without an image size nothing is outside it
    unbounded = PINHOLE.model_copy(update={"width": None, "height": None})
    beside = project_cuboid(Cuboid(center=(3, 0, 0), size=(2, 1, 4)), AT_EGO, unbounded)
    assert beside is not None and beside.visible_fraction == 1.0
    with pytest.raises(RosettaError, match="not a camera"):
        project_cuboid(Cuboid(center=(0, 0, 5), size=(1, 1, 1)), AT_EGO, AT_EGO)


def test_box_iou() -> None:
    # overlap 5 x 10 of two 10 x 10 boxes: 50 / 150
    iou = box_iou([[0, 0, 10, 10]], [[5, 0, 10, 10], [20, 20, 5, 5], [0, 0, 10, 10]])
    np.testing.assert_allclose(iou, [[1 / 3, 0.0, 1.0]])
