"""Sensor calibration records: where each sensor sits on the rig, how a camera projects,
and where the rig (the ego vehicle) is in the world over time.

Frames are right-handed, metres. A `RigidTransform` is the pose of a child frame in a
parent frame: ``p_parent = R @ p_child + t`` with ``R`` from the unit quaternion
``rotation = [w, x, y, z]``. A stream's `Sensor.extrinsic` is the pose of the sensor in
the ego frame; a `Pose` is the pose of the ego frame in the world at a reference time.
Camera frames follow the computer-vision convention: x right, y down, z forward.

`RigidTransform` also does the arithmetic: `matrix`, `from_matrix`, `from_rotation`,
`inverse`, `compose` and `apply` (numpy and scipy's `Rotation`); `rosetta.core.projection` builds on them.
"""

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from scipy.spatial.transform import Rotation

from rosetta.core.timebase import ExactTime

Vector3 = tuple[float, float, float]
Quaternion = tuple[float, float, float, float]
Matrix3x3 = tuple[Vector3, Vector3, Vector3]
Matrix3x4 = tuple[
    tuple[float, float, float, float],
    tuple[float, float, float, float],
    tuple[float, float, float, float],
]


def _unit_quaternion(rotation: Quaternion) -> Quaternion:
    norm = math.sqrt(sum(part * part for part in rotation))
    if abs(norm - 1.0) > 1e-6:
        raise ValueError(f"rotation must be a unit quaternion [w, x, y, z], norm is {norm:.9g}")
    return rotation


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RigidTransform(_Record):
    """Pose of a child frame in its parent: rotation quaternion ``[w, x, y, z]``, translation."""

    rotation: Quaternion = (1.0, 0.0, 0.0, 0.0)
    translation: Vector3 = (0.0, 0.0, 0.0)

    @field_validator("rotation")
    @classmethod
    def _unit(cls, rotation: Quaternion) -> Quaternion:
        return _unit_quaternion(rotation)

    @classmethod
    def from_rotation(cls, rotation: Rotation, translation: ArrayLike) -> "RigidTransform":
        """The transform of a scipy `Rotation` and a translation."""
        w, x, y, z = (float(v) for v in rotation.as_quat(canonical=True, scalar_first=True))
        tx, ty, tz = (float(v) for v in np.asarray(translation, dtype=np.float64).reshape(3))
        return cls(rotation=(w, x, y, z), translation=(tx, ty, tz))

    @classmethod
    def from_matrix(cls, matrix: ArrayLike) -> "RigidTransform":
        """The transform of a 4x4 (or 3x4) matrix ``[R | t]``.

        A rotation block that is only nearly orthonormal (calibration files print their
        matrices to a few digits) becomes the nearest rotation (scipy's orthogonal
        Procrustes fit); a reflection or a degenerate block is a `ValueError`.
        """
        block = np.asarray(matrix, dtype=np.float64)
        if block.shape not in {(3, 4), (4, 4)}:
            raise ValueError(f"expected a 4x4 or 3x4 matrix, got shape {block.shape}")
        if not np.linalg.det(block[:3, :3]) > 0:
            raise ValueError("the rotation block is not a rotation (its determinant is not > 0)")
        return cls.from_rotation(Rotation.from_matrix(block[:3, :3]), block[:3, 3])

    def _rotation(self) -> Rotation:
        return Rotation.from_quat(self.rotation, scalar_first=True)

    def rotation_matrix(self) -> NDArray[np.float64]:
        """The 3x3 rotation matrix R."""
        matrix: NDArray[np.float64] = self._rotation().as_matrix()
        return matrix

    def matrix(self) -> NDArray[np.float64]:
        """The 4x4 homogeneous matrix ``[[R, t], [0, 1]]`` (child to parent)."""
        matrix = np.eye(4)
        matrix[:3, :3] = self.rotation_matrix()
        matrix[:3, 3] = self.translation
        return matrix

    def inverse(self) -> "RigidTransform":
        """The pose of the parent frame in the child frame (``R^T``, ``-R^T t``)."""
        inverse = self._rotation().inv()
        return RigidTransform.from_rotation(inverse, -inverse.apply(self.translation))

    def compose(self, inner: "RigidTransform") -> "RigidTransform":
        """``self · inner``: from `inner`'s child frame to this transform's parent frame."""
        rotation = self._rotation()
        return RigidTransform.from_rotation(
            rotation * inner._rotation(), rotation.apply(inner.translation) + self.translation
        )

    def apply(self, points: ArrayLike) -> NDArray[np.float64]:
        """Points ``(N, 3)`` of the child frame in the parent frame (``R p + t``)."""
        array = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        moved: NDArray[np.float64] = array @ self.rotation_matrix().T + np.asarray(self.translation)
        return moved


class Sensor(_Record):
    """A stream's sensor: its frame name, its pose on the rig and, for cameras, the optics.

    A camera gives either ``camera_matrix`` (the 3x3 intrinsic matrix K, pixels) with
    optional OpenCV ``distortion`` coefficients ``[k1, k2, p1, p2, k3, ...]``, or a 3x4
    ``projection`` matrix P that maps homogeneous points of the sensor frame to pixels
    (a rectified camera such as KITTI's ``P2``, which folds in the stereo baseline).
    """

    frame: str = Field(min_length=1)
    extrinsic: RigidTransform = Field(default_factory=RigidTransform)
    camera_matrix: Matrix3x3 | None = None
    projection: Matrix3x4 | None = None
    distortion: list[float] | None = None
    width: int | None = Field(default=None, gt=0)
    height: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_model(self) -> "Sensor":
        if self.camera_matrix is not None and self.projection is not None:
            raise ValueError("a camera has a camera_matrix or a projection, not both")
        if self.distortion is not None and self.camera_matrix is None:
            raise ValueError("distortion coefficients need a camera_matrix")
        return self

    def is_camera(self) -> bool:
        """Whether the sensor projects to an image."""
        return self.camera_matrix is not None or self.projection is not None


class Pose(_Record):
    """The pose of the ego frame in the world frame at reference time ``t`` (seconds)."""

    t: ExactTime
    rotation: Quaternion = (1.0, 0.0, 0.0, 0.0)
    translation: Vector3 = (0.0, 0.0, 0.0)

    @field_validator("rotation")
    @classmethod
    def _unit(cls, rotation: Quaternion) -> Quaternion:
        return _unit_quaternion(rotation)

    def transform(self) -> RigidTransform:
        """The pose as a rigid transform (ego in world)."""
        return RigidTransform(rotation=self.rotation, translation=self.translation)
