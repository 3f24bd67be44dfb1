"""KITTI calibration and labels: reading, the Velodyne-frame cuboid, and projection into P2.

The reference is the KITTI devkit's own math (``devkit_object/matlab/computeBox3D.m`` and
``projectToImage.m``), written out here on the label in rectified camera coordinates;
our path goes label -> cuboid in the Velodyne frame -> camera sensor -> pixels.
"""

import math
from pathlib import Path

import numpy as np
import pytest

from conftest import SHARED
from rosetta.core.errors import ImportFailed, RosettaError
from rosetta.core.geometry import Box, Cuboid
from rosetta.core.projection import project_cuboid, source_to_camera
from rosetta.formats.kitti import (
    KittiCalib,
    KittiObject,
    cuboid_to_label,
    format_label,
    kitti_sensors,
    label_to_box,
    label_to_cuboid,
    read_calib,
    read_labels,
)

KITTI = SHARED / "fixtures" / "formats" / "sensor" / "openvinotoolkit__datumaro" / "kitti_3d"
CALIB = KITTI / "calib" / "000001.txt"
LABELS = KITTI / "label_2" / "000001.txt"

#: The same two objects in KITTI's own ``training/label_2/000001.txt``: datumaro's
#: fixture rounds their 2D boxes to 10 px (and calls the cyclist a car).
KITTI_BBOXES = {"Truck": (599.41, 156.40, 629.75, 189.25), "Car": (676.60, 163.95, 688.98, 193.93)}


@pytest.fixture(scope="module")
def calib() -> KittiCalib:
    return read_calib(CALIB)


def devkit_corners(obj: KittiObject, p2: np.ndarray) -> np.ndarray:
    """``computeBox3D`` then ``projectToImage``: the 8 corners' pixels ``(8, 2)``."""
    h, w, l = obj.dimensions  # noqa: E741 - the devkit's names
    ry = obj.rotation_y
    rotation = np.array(
        [[math.cos(ry), 0, math.sin(ry)], [0, 1, 0], [-math.sin(ry), 0, math.cos(ry)]]
    )
    x_corners = [l / 2, l / 2, -l / 2, -l / 2, l / 2, l / 2, -l / 2, -l / 2]
    y_corners = [0, 0, 0, 0, -h, -h, -h, -h]
    z_corners = [w / 2, -w / 2, -w / 2, w / 2, w / 2, -w / 2, -w / 2, w / 2]
    corners_3d = rotation @ np.array([x_corners, y_corners, z_corners])
    corners_3d += np.array(obj.location)[:, None]
    assert corners_3d[2].min() >= 0.1  # the devkit gives up on boxes behind the camera
    points = p2 @ np.vstack([corners_3d, np.ones(8)])
    pixels: np.ndarray = (points[:2] / points[2]).T
    return pixels


# --- reading ---------------------------------------------------------------------------------


def test_read_calib(calib: KittiCalib) -> None:
    assert [p.shape for p in calib.p] == [(3, 4)] * 4
    assert calib.p[2][0, 3] == 44.85728 and calib.p[2][2, 3] == 2.745884e-3
    assert calib.r0_rect.shape == (3, 3) and calib.r0_rect[0, 0] == 0.9999239
    assert calib.tr_velo_to_cam[2, 3] == -0.2717806
    assert calib.tr_imu_to_velo is not None and calib.tr_imu_to_velo[0, 3] == -0.8086759


def test_read_labels_keeps_dontcare_with_its_sentinels() -> None:
    truck, car, dontcare = read_labels(LABELS)
    assert truck == KittiObject(
        type="Truck",
        truncated=0.0,
        occluded=0,
        alpha=-1.57,
        bbox=(600, 150, 630, 190),
        dimensions=(2.85, 2.63, 12.34),
        location=(0.47, 1.49, 69.44),
        rotation_y=-1.56,
    )
    assert (car.type, car.occluded, car.dimensions) == ("Car", 3, (1.86, 0.60, 2.02))
    assert dontcare.is_dontcare and not truck.is_dontcare
    assert (dontcare.occluded, dontcare.location, dontcare.rotation_y) == (
        -1,
        (-1000, -1000, -1000),
        -10,
    )
    assert label_to_box(dontcare) == Box(x=500, y=170, w=90, h=20)
    with pytest.raises(RosettaError, match="DontCare"):
        label_to_cuboid(dontcare, read_calib(CALIB))


def test_tracking_benchmark_names_and_a_score_column(tmp_path: Path) -> None:
    lines = (
        CALIB.read_text().replace("R0_rect:", "R_rect").replace("Tr_velo_to_cam:", "Tr_velo_cam")
    )
    path = tmp_path / "calib.txt"
    path.write_text(lines.replace("Tr_imu_to_velo", "Tr_imu_velo") + "\nextra: 1 2\n")
    again = read_calib(path)
    np.testing.assert_array_equal(again.velo_to_rect(), read_calib(CALIB).velo_to_rect())
    assert again.tr_imu_to_velo is not None
    labels = tmp_path / "scored.txt"
    labels.write_text("Car 0 0 0.5 1 2 30 40 1.5 1.6 3.9 1 1.6 20 0.3 0.87\n")
    assert read_labels(labels)[0].score == 0.87


# --- the devkit reference --------------------------------------------------------------------


def test_cuboids_project_onto_the_devkit_reference(calib: KittiCalib) -> None:
    lidar, camera = kitti_sensors(calib)
    for obj in read_labels(LABELS)[:2]:
        reference = devkit_corners(obj, calib.p[2])
        cuboid = label_to_cuboid(obj, calib)

        projection = project_cuboid(cuboid, lidar, camera)

        assert projection is not None
        corners = np.array(projection.corners, dtype=float)
        corner_error = np.abs(corners - reference).max()
        box = projection.box
        ours = np.array([box.x, box.y, box.x + box.w, box.y + box.h])
        devkit = np.array([*reference.min(axis=0), *reference.max(axis=0)])
        box_error = np.abs(ours - devkit).max()
        # the transforms are inverted exactly both ways, so the error is rounding only
        assert corner_error < 1e-6 and box_error < 1e-6
        assert projection.visible_fraction == 1.0
        to_fixture = np.abs(ours - obj.bbox).max()
        to_kitti = np.abs(ours - KITTI_BBOXES[obj.type]).max()
        print(
            f"{obj.type}: corners within {corner_error:.1e} px and box within "
            f"{box_error:.1e} px of the devkit; box {np.round(ours, 2).tolist()} vs the "
            f"fixture's {list(obj.bbox)}: {to_fixture:.2f} px, vs KITTI's "
            f"{list(KITTI_BBOXES[obj.type])}: {to_kitti:.2f} px"
        )
        # annotated boxes are drawn around the pixels, not the cuboid: a few px apart
        assert to_kitti < 2.0
        assert to_fixture < 30.0


def test_camera_sensor_reproduces_the_raw_calibration_chain(calib: KittiCalib) -> None:
    # KITTI's readme: y = P2 · R0_rect · Tr_velo_to_cam · x for a Velodyne point x
    lidar, camera = kitti_sensors(calib)
    points = np.array([[10.0, 2.0, -1.0], [45.0, -6.0, 0.5], [70.0, 0.0, 1.5]])
    raw = calib.p[2] @ calib.velo_to_rect() @ np.vstack([points.T, np.ones(3)])
    in_camera = source_to_camera(lidar, camera).apply(points)
    ours = in_camera @ calib.p[2][:, :3].T + calib.p[2][:, 3]
    np.testing.assert_allclose(ours[:, :2] / ours[:, 2:], (raw[:2] / raw[2]).T, atol=1e-3)
    assert lidar.extrinsic.matrix().tolist() == np.eye(4).tolist()
    assert camera.projection == tuple(tuple(row) for row in calib.p[2].tolist())
    assert (camera.width, camera.height) == (1242, 375)


def test_label_to_cuboid_in_the_velodyne_frame(calib: KittiCalib) -> None:
    truck = read_labels(LABELS)[0]
    cuboid = label_to_cuboid(truck, calib)
    assert cuboid.size == (12.34, 2.63, 2.85)
    # 69 m ahead, about half a metre to the right, yaw -rotation_y - π/2 = -0.0108 rad
    # (the Velodyne's x is the camera's z, its y the camera's -x)
    x, y, _ = cuboid.center
    assert 69 < x < 71 and -1 < y < 0
    assert cuboid.rotation[2] == pytest.approx(1.56 - math.pi / 2, abs=0.02)
    # the rectified camera is tilted against the Velodyne by about half a degree
    assert max(abs(cuboid.rotation[0]), abs(cuboid.rotation[1])) < 0.02


# --- round trips -----------------------------------------------------------------------------


def test_cuboid_to_label_to_cuboid(calib: KittiCalib, tmp_path: Path) -> None:
    given = label_to_cuboid(
        KittiObject(
            type="Van",
            truncated=0.0,
            occluded=0,
            alpha=0.0,
            bbox=(0, 0, 1, 1),
            dimensions=(2.1, 1.9, 5.2),
            location=(-3.2, 1.7, 18.4),
            rotation_y=2.6,
        ),
        calib,
    )
    label = cuboid_to_label(given, calib, "Van")
    path = tmp_path / "000001.txt"
    path.write_text(format_label(label) + "\n")
    [read] = read_labels(path)

    again = label_to_cuboid(read, calib)

    assert read == label
    np.testing.assert_allclose(again.center, given.center, atol=1e-9)
    np.testing.assert_allclose(again.size, given.size, atol=1e-12)
    np.testing.assert_allclose(again.rotation, given.rotation, atol=1e-9)
    np.testing.assert_allclose(read.location, (-3.2, 1.7, 18.4), atol=1e-9)
    assert read.rotation_y == pytest.approx(2.6)
    # alpha = rotation_y - atan2(x, z); the box is the cuboid's image
    assert read.alpha == pytest.approx(2.6 - math.atan2(-3.2, 18.4))
    assert 0 < read.bbox[0] < read.bbox[2] < 1242 and read.truncated == 0.0


def test_label_to_cuboid_to_label_keeps_the_fixture_values(calib: KittiCalib) -> None:
    for obj in read_labels(LABELS)[:2]:
        again = cuboid_to_label(label_to_cuboid(obj, calib), calib, obj.type)
        np.testing.assert_allclose(again.location, obj.location, atol=1e-9)
        np.testing.assert_allclose(again.dimensions, obj.dimensions, atol=1e-12)
        assert again.rotation_y == pytest.approx(obj.rotation_y, abs=1e-9)
        assert again.alpha == pytest.approx(obj.alpha, abs=0.005)  # the file has 2 decimals


def test_a_level_velodyne_cuboid_loses_only_its_tilt(calib: KittiCalib) -> None:
    level = Cuboid(center=(25.0, 3.0, -0.8), size=(4.0, 1.8, 1.5), rotation=(0, 0, 0.4))
    again = label_to_cuboid(cuboid_to_label(level, calib, "Car"), calib)
    np.testing.assert_allclose(again.center, level.center, atol=1e-9)
    assert again.rotation[2] == pytest.approx(0.4, abs=0.02)
    with pytest.raises(RosettaError, match="not in image_2"):
        cuboid_to_label(Cuboid(center=(-20, 0, 0), size=(4, 2, 1.5)), calib, "Car")


# --- bad files -------------------------------------------------------------------------------


def _broken_calib(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "calib.txt"
    path.write_text(CALIB.read_text().replace(old, new, 1))
    return path


def test_missing_p2_names_file_line_and_field(tmp_path: Path) -> None:
    lines = CALIB.read_text().splitlines()
    path = tmp_path / "calib.txt"
    path.write_text("\n".join(line for line in lines if not line.startswith("P2:")) + "\n")
    with pytest.raises(ImportFailed) as failed:
        read_calib(path)
    assert (failed.value.file, failed.value.line, failed.value.field) == (str(path), 6, "P2")
    assert "missing" in failed.value.detail and "12 numbers" in failed.value.detail


def test_calib_errors_name_file_line_and_field(tmp_path: Path) -> None:
    cases = [
        # P2 with its last value dropped: 11 columns
        (" 2.745884000000e-03\nP3", "\nP3", 3, "P2", "expected 12 numbers"),
        ("R0_rect: 9.999239000000e-01", "R0_rect: nan", 5, "R0_rect[0]", "finite number"),
        ("R0_rect: 9.999239000000e-01", "R0_rect: 3.0", 5, "R0_rect", "not a rotation"),
        ("P0:", "P1: 1 2 3 4 5 6 7 8 9 10 11 12\nP0:", 3, "P1", "given twice .first on line 1"),
    ]
    for old, new, line, field, detail in cases:
        path = _broken_calib(tmp_path, old, new)
        with pytest.raises(ImportFailed, match=detail) as failed:
            read_calib(path)
        assert (failed.value.file, failed.value.line, failed.value.field) == (
            str(path),
            line,
            field,
        )
        assert str(failed.value).startswith(f"{path}:{line}: {field}: ")


def test_label_errors_name_file_line_and_field(tmp_path: Path) -> None:
    good = "Car 0.00 0 -1.57 600 150 630 190 1.5 1.6 3.9 0.47 1.49 30.0 -1.56"
    cases = [
        (good.rsplit(" ", 1)[0], "", "expected 15 values"),
        (good.replace("1.5 1.6", "-1.5 1.6"), "dimensions.height", "positive size"),
        (good.replace(" 0 -1.57", " 1.5 -1.57"), "occluded", "integer"),
        (good.replace(" 0 -1.57", " 4 -1.57"), "occluded", "0, 1, 2 or 3"),
        (good.replace("600 150 630", "600 150 590"), "bbox", "left < right"),
        (good.replace("30.0", "far"), "location.z", "finite number"),
    ]
    for bad, field, detail in cases:
        path = tmp_path / "label.txt"
        path.write_text(f"{good}\n\n{bad}\n")
        with pytest.raises(ImportFailed, match=detail) as failed:
            read_labels(path)
        assert (failed.value.file, failed.value.line, failed.value.field) == (str(path), 3, field)


def test_kitti_has_four_cameras(calib: KittiCalib) -> None:
    _, camera_3 = kitti_sensors(calib, camera=3, width=1224, height=370)
    assert camera_3.frame == "image_3" and camera_3.width == 1224
    with pytest.raises(ValueError, match=r"cameras 0\.\.3"):
        kitti_sensors(calib, camera=4)
