"""KITTI object-detection calibration and label files (the devkit's ``calib/`` and ``label_2/``).

Conventions of the KITTI devkit (``devkit_object/readme.txt``, ``computeBox3D.m``):

- Velodyne frame: x forward, y left, z up. Camera frames: x right, y down, z forward.
- ``Tr_velo_to_cam`` (3x4) maps Velodyne points to the (unrectified) camera-0 frame,
  ``R0_rect`` (3x3) rotates that into the rectified camera-0 frame, and ``P0..P3`` (3x4)
  project rectified camera-0 points to the pixels of camera 0..3 (the stereo baseline is
  folded into P's last column): ``pixel ~ P2 · R0_rect · Tr_velo_to_cam · [x; 1]``.
- A label row is ``type truncated occluded alpha left top right bottom h w l x y z
  rotation_y [score]``: the 2D box in pixels, the object's height, width and length in
  metres, ``(x, y, z)`` the centre of the box's *bottom* face in rectified camera-0
  coordinates, and ``rotation_y`` the yaw about the camera's y axis (0: the object's
  length points along the camera's x axis).

In Rosetta the ego frame of a KITTI frame is the Velodyne frame (`kitti_sensors`) and a
`Cuboid` sits in it: centre, ``[length, width, height]`` and roll/pitch/yaw (yaw is about
``-rotation_y - π/2``; the small roll and pitch that remain are the tilt of the rectified
camera against the Velodyne, kept so that the conversion is exact both ways).

``DontCare`` rows (regions whose objects were not labelled) are kept by `read_labels`:
they carry a real 2D box (`label_to_box`) and the 3D sentinels (-1, -1000, -10) as
written; `label_to_cuboid` refuses them.
"""

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from rosetta.core.calibration import RigidTransform, Sensor
from rosetta.core.errors import ImportFailed, RosettaError
from rosetta.core.geometry import Box, Cuboid
from rosetta.core.projection import cuboid_from_pose, cuboid_pose, project_cuboid
from rosetta.formats.text_lines import utf8_lines

FloatArray = NDArray[np.float64]

#: Image size of most KITTI object frames (a few are 1224x370, 1238x374 or 1241x376).
WIDTH: Final = 1242
HEIGHT: Final = 375

#: Calibration keys and the shapes of their matrices (written row by row).
_SHAPES: Final = {
    "P0": (3, 4),
    "P1": (3, 4),
    "P2": (3, 4),
    "P3": (3, 4),
    "R0_rect": (3, 3),
    "Tr_velo_to_cam": (3, 4),
    "Tr_imu_to_velo": (3, 4),
}
#: The names the KITTI tracking benchmark's calibration files use for the same matrices.
_ALIASES: Final = {
    "R_rect": "R0_rect",
    "Tr_velo_cam": "Tr_velo_to_cam",
    "Tr_imu_velo": "Tr_imu_to_velo",
}
_OPTIONAL: Final = frozenset({"Tr_imu_to_velo"})
_ORTHONORMAL_TOLERANCE: Final = 1e-3


@dataclass(frozen=True, eq=False)
class KittiCalib:
    """One ``calib/*.txt``: the four camera projections and the rig's transforms."""

    p: tuple[FloatArray, FloatArray, FloatArray, FloatArray]
    """``P0..P3``, 3x4: rectified camera-0 coordinates to camera 0..3 pixels."""
    r0_rect: FloatArray
    """3x3 rotation from the camera-0 frame to the rectified camera-0 frame."""
    tr_velo_to_cam: FloatArray
    """3x4 ``[R | t]`` from the Velodyne frame to the camera-0 frame."""
    tr_imu_to_velo: FloatArray | None = None
    """3x4 ``[R | t]`` from the IMU/GPS frame to the Velodyne frame, when the file has it."""

    def velo_to_rect(self) -> FloatArray:
        """``R0_rect · Tr_velo_to_cam`` as a 4x4 matrix, exactly as the file gives it."""
        matrix = np.eye(4)
        matrix[:3, :] = self.r0_rect @ self.tr_velo_to_cam
        return matrix

    def rect_pose(self) -> RigidTransform:
        """The pose of the rectified camera-0 frame in the Velodyne frame.

        The inverse of ``R0_rect · Tr_velo_to_cam``, its rotation orthonormalised: the
        files print rotations to 7 digits, so they are orthonormal only to about 1e-7.
        """
        return RigidTransform.from_matrix(self.velo_to_rect()).inverse()


@dataclass(frozen=True)
class KittiObject:
    """One row of a ``label_2/*.txt`` file, in KITTI's own units and frames."""

    type: str
    truncated: float
    occluded: int
    alpha: float
    bbox: tuple[float, float, float, float]
    """``left, top, right, bottom`` in pixels."""
    dimensions: tuple[float, float, float]
    """``height, width, length`` in metres."""
    location: tuple[float, float, float]
    """Bottom-face centre ``x, y, z`` in rectified camera-0 coordinates, metres."""
    rotation_y: float
    score: float | None = None

    @property
    def is_dontcare(self) -> bool:
        """A region whose objects were not labelled (no 3D box)."""
        return self.type == "DontCare"


# --- reading ---------------------------------------------------------------------------------


def _number(token: str, file: str, line: int, name: str) -> float:
    try:
        value = float(token)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ImportFailed(file, line, name, f"expected a finite number, got {token!r}")
    return value


def _lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    with utf8_lines(path) as lines:
        for number, text in enumerate(lines, start=1):
            if text.strip():
                yield number, text.split()


def _check_rotation(block: FloatArray, file: str, line: int, name: str) -> None:
    error = np.abs(block.T @ block - np.eye(3)).max()
    if error > _ORTHONORMAL_TOLERANCE or np.linalg.det(block) <= 0:
        raise ImportFailed(
            file, line, name, f"the 3x3 rotation part is not a rotation (|RᵀR - I| = {error:.3g})"
        )


def read_calib(path: Path | str) -> KittiCalib:
    """Read a KITTI calibration file (``key: v1 v2 ...``; the colon may be missing).

    ``P0..P3``, ``R0_rect`` and ``Tr_velo_to_cam`` are required (the tracking
    benchmark's names ``R_rect`` and ``Tr_velo_cam`` are accepted), ``Tr_imu_to_velo``
    optional, other keys ignored. A missing or duplicated matrix, a wrong number of
    values, a value that is not a number or a rotation part that is not a rotation is an
    `ImportFailed` naming the file, the line and the key (for a missing matrix, the last
    line).
    """
    path = Path(path)
    file = str(path)
    found: dict[str, tuple[int, FloatArray]] = {}
    last = 0
    for number, tokens in _lines(path):
        last = number
        key = _ALIASES.get(tokens[0].rstrip(":"), tokens[0].rstrip(":"))
        shape = _SHAPES.get(key)
        if shape is None:
            continue
        if key in found:
            raise ImportFailed(file, number, key, f"given twice (first on line {found[key][0]})")
        count = shape[0] * shape[1]
        values = tokens[1:]
        if len(values) != count:
            raise ImportFailed(
                file,
                number,
                key,
                f"expected {count} numbers (a {shape[0]}x{shape[1]} matrix, row by row), "
                f"got {len(values)}",
            )
        matrix = np.array(
            [_number(v, file, number, f"{key}[{i}]") for i, v in enumerate(values)]
        ).reshape(shape)
        if not key.startswith("P"):
            _check_rotation(matrix[:, :3], file, number, key)
        found[key] = (number, matrix)
    for key, (rows, columns) in _SHAPES.items():
        if key not in found and key not in _OPTIONAL:
            raise ImportFailed(
                file,
                last,
                key,
                f"missing: expected a line '{key}: ' with {rows * columns} numbers "
                f"(a {rows}x{columns} matrix, row by row)",
            )
    imu = found.get("Tr_imu_to_velo")
    return KittiCalib(
        p=(found["P0"][1], found["P1"][1], found["P2"][1], found["P3"][1]),
        r0_rect=found["R0_rect"][1],
        tr_velo_to_cam=found["Tr_velo_to_cam"][1],
        tr_imu_to_velo=None if imu is None else imu[1],
    )


_LABEL_FIELDS: Final = (
    "type",
    "truncated",
    "occluded",
    "alpha",
    "bbox.left",
    "bbox.top",
    "bbox.right",
    "bbox.bottom",
    "dimensions.height",
    "dimensions.width",
    "dimensions.length",
    "location.x",
    "location.y",
    "location.z",
    "rotation_y",
    "score",
)


def _label(tokens: list[str], file: str, line: int) -> KittiObject:
    if len(tokens) not in {15, 16}:
        raise ImportFailed(
            file,
            line,
            "",
            f"expected 15 values (type truncated occluded alpha left top right bottom "
            f"h w l x y z rotation_y) and an optional score, got {len(tokens)}",
        )
    values = [
        _number(token, file, line, name)
        for name, token in zip(_LABEL_FIELDS[1:], tokens[1:], strict=False)
    ]
    obj = KittiObject(
        type=tokens[0],
        truncated=values[0],
        occluded=int(values[1]),
        alpha=values[2],
        bbox=(values[3], values[4], values[5], values[6]),
        dimensions=(values[7], values[8], values[9]),
        location=(values[10], values[11], values[12]),
        rotation_y=values[13],
        score=values[14] if len(values) == 15 else None,
    )
    if values[1] != obj.occluded:
        raise ImportFailed(file, line, "occluded", f"expected an integer, got {tokens[2]!r}")
    left, top, right, bottom = obj.bbox
    if right <= left or bottom <= top:
        raise ImportFailed(
            file, line, "bbox", f"expected left < right and top < bottom, got {list(obj.bbox)}"
        )
    if not obj.is_dontcare:
        if obj.occluded not in {0, 1, 2, 3}:
            raise ImportFailed(file, line, "occluded", f"expected 0, 1, 2 or 3, got {obj.occluded}")
        for name, value in zip(_LABEL_FIELDS[8:11], obj.dimensions, strict=True):
            if value <= 0:
                raise ImportFailed(
                    file, line, name, f"expected a positive size in metres, got {value}"
                )
    return obj


def read_labels(path: Path | str) -> list[KittiObject]:
    """The objects of a KITTI label file, in file order, ``DontCare`` rows included."""
    path = Path(path)
    return [_label(tokens, str(path), number) for number, tokens in _lines(path)]


# --- conversion ------------------------------------------------------------------------------


def kitti_sensors(
    calib: KittiCalib, camera: int = 2, width: int = WIDTH, height: int = HEIGHT
) -> tuple[Sensor, Sensor]:
    """The Velodyne and camera `camera` (0..3) as Rosetta sensors; the ego frame is the Velodyne.

    The camera sensor's frame is the rectified camera-0 frame (its extrinsic is
    `KittiCalib.rect_pose`) and its ``projection`` is ``P<camera>``, which carries the
    camera's offset along the stereo baseline.
    """
    if camera not in {0, 1, 2, 3}:
        raise ValueError(f"KITTI has cameras 0..3, got {camera}")
    projection = tuple(tuple(float(v) for v in row) for row in calib.p[camera])
    lidar = Sensor(frame="velodyne")
    image = Sensor.model_validate(
        {
            "frame": f"image_{camera}",
            "extrinsic": calib.rect_pose(),
            "projection": projection,
            "width": width,
            "height": height,
        }
    )
    return lidar, image


def _rect_axes(rotation_y: float) -> FloatArray:
    """The box axes (length, width, height) as columns, in rectified camera-0 coordinates.

    The devkit turns the box by ``R_y(rotation_y)``: length along ``(cos, 0, -sin)``,
    width along ``(sin, 0, cos)``; height points up, which is -y in a camera frame.
    """
    c, s = math.cos(rotation_y), math.sin(rotation_y)
    return np.array([[c, s, 0.0], [0.0, 0.0, -1.0], [-s, c, 0.0]])


def label_to_cuboid(obj: KittiObject, calib: KittiCalib) -> Cuboid:
    """The label's 3D box as a `Cuboid` in the Velodyne frame."""
    if obj.is_dontcare:
        raise RosettaError("a DontCare region has no 3D box")
    height, width, length = obj.dimensions
    centre = np.asarray(obj.location) - np.array([0.0, height / 2, 0.0])
    in_rect = np.eye(4)
    in_rect[:3, :3] = _rect_axes(obj.rotation_y)
    in_rect[:3, 3] = centre
    in_velo = calib.rect_pose().matrix() @ in_rect
    return cuboid_from_pose(RigidTransform.from_matrix(in_velo), (length, width, height))


def _wrap(angle: float) -> float:
    return math.remainder(angle, math.tau)


def cuboid_to_label(
    cuboid: Cuboid,
    calib: KittiCalib,
    object_type: str,
    *,
    occluded: int = 3,
    camera: int = 2,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> KittiObject:
    """The KITTI label of a cuboid in the Velodyne frame, as seen by camera `camera`.

    ``rotation_y`` keeps the cuboid's turn about the rectified camera's vertical; any
    other tilt is dropped, as KITTI boxes are level in that frame. ``bbox`` and
    ``truncated`` come from the projection clipped to the image, ``alpha`` from the
    viewing direction; ``occluded`` is not knowable from geometry (3: unknown). A cuboid
    the camera does not see is a `RosettaError`.
    """
    lidar, image = kitti_sensors(calib, camera, width, height)
    seen = project_cuboid(cuboid, lidar, image)
    if seen is None:
        raise RosettaError(f"the cuboid at {list(cuboid.center)} is not in image_{camera}")
    in_rect = calib.rect_pose().inverse().matrix() @ cuboid_pose(cuboid).matrix()
    axes = in_rect[:3, :3]
    rotation_y = math.atan2(-axes[2, 0], axes[0, 0])
    length, box_width, box_height = cuboid.size
    x, y, z = in_rect[:3, 3] + np.array([0.0, box_height / 2, 0.0])
    box = seen.box
    return KittiObject(
        type=object_type,
        truncated=1.0 - seen.visible_fraction,
        occluded=occluded,
        alpha=_wrap(rotation_y - math.atan2(x, z)),
        bbox=(box.x, box.y, box.x + box.w, box.y + box.h),
        dimensions=(box_height, box_width, length),
        location=(float(x), float(y), float(z)),
        rotation_y=rotation_y,
    )


def format_label(obj: KittiObject) -> str:
    """One label line (no newline); numbers in their shortest exact form, not rounded."""
    numbers = [
        obj.truncated,
        obj.occluded,
        obj.alpha,
        *obj.bbox,
        *obj.dimensions,
        *obj.location,
        obj.rotation_y,
        *(() if obj.score is None else (obj.score,)),
    ]
    return " ".join(
        [obj.type, *(repr(float(v)) if isinstance(v, float) else str(v) for v in numbers)]
    )


def label_to_box(obj: KittiObject) -> Box:
    """The label's 2D box as a `Box` (``x, y, w, h`` in pixels)."""
    left, top, right, bottom = obj.bbox
    return Box(x=left, y=top, w=right - left, h=bottom - top)
