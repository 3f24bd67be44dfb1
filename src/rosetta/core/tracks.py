"""What a track shows on any frame: interpolation, dense and sparse forms, proposals.

The rules (the workspace page's ``boxAt`` follows them for boxes):

- **Key frames are the truth.** Frames marked ``interpolated`` (filled in by a dense
  export or by another tool) are ignored here and recomputed by `densify`.
- **Before the first key frame** the object is absent.
- **From an outside key frame until the next key frame** it is absent.
- **Between a key frame that is not outside and the next key frame** the shape is
  interpolated between the two, also when the next one is outside: the object moves
  towards where it leaves view. This is CVAT's rule, so tracks imported from CVAT show
  the shapes CVAT showed.
- **After the last key frame**, when it is not outside, the object stays where it is (held,
  never extrapolated) to the end of the stream. CVAT does the same (a track ends only at
  an outside key frame, and its dumps fill such tracks to the last frame), as does the
  workspace page; a track made elsewhere should end with an outside key frame.

Interpolation at ``t = (frame - f0) / (f1 - f0)``, always ``a + (b - a) * t``:

- boxes: ``x, y, w, h`` linearly;
- polygons: each vertex linearly when both key frames have as many vertices; otherwise
  the earlier polygon is held until the next key frame (resampling would invent vertices
  nobody placed; a visible step is what a reviewer should look at);
- cuboids: ``center`` and ``size`` linearly, and each of roll, pitch and yaw along the
  shorter arc (``b - a`` taken modulo 2π into ``[-π, π)``), so a yaw going from 3.1 to
  -3.1 turns by 0.08 rad, not by 6.2. Angles are not wrapped afterwards: they run on
  continuously from the earlier key frame. Interpolating each angle on its own is exact
  for a turn about one axis, which is what tracked vehicles do; it is what CVAT and
  most 3D tools do.

One vectorised routine (`_mix`) computes every interpolated value, so `shape_at`,
`densify` and `sparsify` agree to the last bit.
"""

import bisect
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from rosetta.core.geometry import Box, Cuboid, Polygon, Track, TrackFrame

Shape = Box | Polygon | Cuboid
Floats = NDArray[np.float64]

TAU = 2 * math.pi

#: Proposals' confidence halves every this many frames away from the nearest key frame.
HALF_LIFE = 10.0


class Proposal(BaseModel):
    """An interpolated shape offered for review on ``frame``.

    ``confidence`` is ``0.5 ** (d / half_life)``, ``d`` the distance in frames to the
    nearest key frame it is computed from (the one before, or the one after when the shape
    is interpolated towards it): 1 on a key frame, halving every ``half_life`` frames.
    """

    model_config = ConfigDict(frozen=True)
    frame: int
    shape: Annotated[Shape, Field(discriminator="type")]
    confidence: float = Field(ge=0, le=1)


# --- shapes as vectors ----------------------------------------------------------------------


def _vector(track: Track, key: TrackFrame) -> Floats:
    """The key frame's shape as one vector: ``[x, y, w, h]``, the flattened vertices, or
    ``center + size + rotation``."""
    kind = track.kind
    if kind == "box":
        return np.array([key.x, key.y, key.w, key.h], dtype=np.float64)
    if kind == "polygon":
        return np.array(key.points, dtype=np.float64).reshape(-1)
    return np.array(
        [*(key.center or ()), *(key.size or ()), *(key.rotation or (0.0, 0.0, 0.0))],
        dtype=np.float64,
    )


def _angular(track: Track, length: int) -> NDArray[np.bool_]:
    """Which entries of a shape vector are angles."""
    angles = np.zeros(length, dtype=bool)
    if track.kind == "cuboid":
        angles[6:] = True
    return angles


def _arc(difference: Floats) -> Floats:
    """Angle differences taken into ``[-π, π)``: the shorter way round."""
    result: Floats = np.mod(difference + math.pi, TAU) - math.pi
    return result


def _mix(a: Floats, b: Floats, t: Floats, angles: NDArray[np.bool_]) -> Floats:
    """Rows ``a + (b - a) * t`` for each ``t``, angles along the shorter arc."""
    step = b - a
    step[angles] = _arc(step[angles])
    mixed: Floats = a + step * t[:, None]
    return mixed


def _fractions(frames: NDArray[np.int64], f0: int, f1: int) -> Floats:
    fractions: Floats = (frames - f0) / (f1 - f0)
    return fractions


def _frame_of(track: Track, values: list[float], frame: int, like: TrackFrame) -> TrackFrame:
    """An interpolated frame with the shape `values` (``occluded`` as on `like`)."""
    fields: dict[str, Any]
    kind = track.kind
    if kind == "box":
        fields = dict(zip(("x", "y", "w", "h"), values, strict=True))
    elif kind == "polygon":
        fields = {"points": list(zip(values[0::2], values[1::2], strict=True))}
    else:
        fields = {"center": tuple(values[0:3]), "size": tuple(values[3:6])}
        if like.rotation is not None or any(values[6:9]):
            fields["rotation"] = tuple(values[6:9])
    return TrackFrame(frame=frame, occluded=like.occluded, interpolated=True, **fields)


def _shape(track: Track, vector: Floats, frame: int) -> Shape:
    values = vector.tolist()
    kind = track.kind
    if kind == "box":
        x, y, w, h = values
        return Box(x=x, y=y, w=w, h=h, frame=frame)
    if kind == "polygon":
        return Polygon(points=list(zip(values[0::2], values[1::2], strict=True)), frame=frame)
    return Cuboid(center=tuple(values[0:3]), size=tuple(values[3:6]), rotation=tuple(values[6:9]))


def key_of(track: Track, shape: Shape, frame: int, *, occluded: bool | None = None) -> TrackFrame:
    """A key frame of `track` on `frame` with `shape`, which must be of the track's shape.

    Raises `ValueError` saying what was expected when the shape does not fit.
    """
    kind = track.kind
    if shape.type != kind:
        raise ValueError(f"a {kind} track takes {kind} key frames, not a {shape.type}")
    if isinstance(shape, Box | Polygon) and shape.frame not in (None, frame):
        raise ValueError(f"the {shape.type} is on frame {shape.frame}, not on frame {frame}")
    if isinstance(shape, Box):
        return TrackFrame(
            frame=frame, x=shape.x, y=shape.y, w=shape.w, h=shape.h, occluded=occluded
        )
    if isinstance(shape, Polygon):
        return TrackFrame(frame=frame, points=shape.points, occluded=occluded)
    return TrackFrame(
        frame=frame,
        center=shape.center,
        size=shape.size,
        rotation=shape.rotation,
        occluded=occluded,
    )


# --- the key frames, ready to interpolate ---------------------------------------------------


@dataclass(frozen=True)
class _Keys:
    """A track's key frames with their frame numbers and shape vectors."""

    track: Track
    keys: list[TrackFrame]
    frames: list[int]
    vectors: list[Floats]

    @classmethod
    def of(cls, track: Track) -> "_Keys":
        keys = [key for key in track.keyframes if key.is_key]
        return cls(track, keys, [key.frame for key in keys], [_vector(track, k) for k in keys])

    def segment(self, frame: int) -> int | None:
        """The index of the key frame whose segment holds `frame`; ``None`` before the first."""
        index = bisect.bisect_right(self.frames, frame) - 1
        return None if index < 0 else index

    def interpolates(self, index: int) -> bool:
        """Whether the segment from key `index` to the next one is interpolated (not held)."""
        return index + 1 < len(self.keys) and len(self.vectors[index]) == len(
            self.vectors[index + 1]
        )

    def at(self, index: int, frames: NDArray[np.int64]) -> Floats:
        """The shape vectors on `frames`, all inside the segment of key `index`."""
        a = self.vectors[index]
        if not self.interpolates(index):
            return np.tile(a, (len(frames), 1))
        b = self.vectors[index + 1]
        t = _fractions(frames, self.frames[index], self.frames[index + 1])
        return _mix(a, b, t, _angular(self.track, len(a)))


def shape_at(track: Track, frame: int) -> Shape | None:
    """The track's shape on `frame`, or ``None`` where the object is absent (see the rules
    above). On a key frame it is that key frame's shape, exactly."""
    keys = _Keys.of(track)
    index = keys.segment(frame)
    if index is None or keys.keys[index].outside:
        return None
    if keys.frames[index] == frame:
        return _shape(
            track, keys.vectors[index], frame
        )  # as stored (``a + 0 * step`` is not: -0.0)
    vector = keys.at(index, np.array([frame], dtype=np.int64))[0]
    return _shape(track, vector, frame)


def densify(track: Track, start: int | None = None, end: int | None = None) -> Track:
    """The track with every frame from `start` to `end` where the object is present.

    The frames filled in are marked ``interpolated`` (and take ``occluded`` from the key
    frame before them); every key frame is kept, also outside the range, so the result
    shows the same shapes as `track` on every frame. Frames `track` marked ``interpolated``
    are recomputed. `start` defaults to the first key frame, `end` to the last one (pass
    the stream's last frame to fill a track that stays in view to the end).
    """
    keys = _Keys.of(track)
    first = keys.frames[0] if start is None else start
    last = keys.frames[-1] if end is None else end
    frames: list[TrackFrame] = []
    for index, key in enumerate(keys.keys):
        frames.append(key)
        if key.outside:
            continue
        following = keys.frames[index + 1] - 1 if index + 1 < len(keys.keys) else last
        low, high = max(key.frame + 1, first), min(following, last)
        if low > high:
            continue
        filled = np.arange(low, high + 1, dtype=np.int64)
        vectors = keys.at(index, filled)
        frames += [
            _frame_of(track, values, frame, key)
            for frame, values in zip(filled.tolist(), vectors.tolist(), strict=True)
        ]
    # in frame order, of the track's shape, beginning with its first key frame: valid, so
    # not checked again (the check of every frame's fields was a fifth of a dense export)
    return Track.model_construct(shape=track.shape, keyframes=frames)


def sparsify(track: Track, tolerance: float | None = None) -> Track:
    """The track without the frames that interpolation reproduces: the inverse of `densify`.

    Frames marked ``interpolated`` always go. With a `tolerance` (pixels for boxes and
    polygons, metres and radians for cuboids), key frames go too where interpolation
    between the key frames kept around them gives every dropped frame's values within it
    (say 0.5 px): this turns a track drawn on every frame into key frames. Without one,
    every key frame stays, so ``sparsify(densify(t)) == t``.
    """
    keys = _Keys.of(track)
    if tolerance is None:
        return Track(shape=track.shape, keyframes=keys.keys)
    kept: list[int] = []
    for low, high in _pieces(keys):
        kept += _simplify(keys, low, high, tolerance)
    # an outside key frame right after another says nothing new
    frames = [
        keys.keys[i]
        for n, i in enumerate(kept)
        if not (n > 0 and keys.keys[i].outside and keys.keys[kept[n - 1]].outside)
    ]
    return Track(shape=track.shape, keyframes=frames)


def _pieces(keys: _Keys) -> list[tuple[int, int]]:
    """Runs of key frames ``[low, high]`` that interpolation may shorten: each starts at a
    key frame that is not outside and ends where interpolation stops (an outside key
    frame, a change in the number of vertices, or the last key frame)."""
    pieces: list[tuple[int, int]] = []
    low = 0
    for index in range(len(keys.keys)):
        if keys.keys[index].outside or not keys.interpolates(index):
            pieces.append((low, index))
            low = index + 1
    return pieces


def _simplify(keys: _Keys, low: int, high: int, tolerance: float) -> list[int]:
    """The indices to keep of the run ``low..high``: greedily, from each kept key frame, the
    furthest later one (found by doubling, then bisecting) that reproduces all between."""
    if high - low < 2:
        return list(range(low, high + 1))
    kept = [low]
    anchor = low
    while anchor < high:
        good, reach = anchor + 1, 2
        while good < high:
            candidate = min(anchor + reach, high)
            if not _reproduces(keys, anchor, candidate, tolerance):
                bad = candidate
                while bad - good > 1:  # a failure at `bad`, success at `good`: narrow it
                    middle = (good + bad) // 2
                    if _reproduces(keys, anchor, middle, tolerance):
                        good = middle
                    else:
                        bad = middle
                break
            good, reach = candidate, reach * 2
        kept.append(good)
        anchor = good
    return kept


def _reproduces(keys: _Keys, anchor: int, end: int, tolerance: float) -> bool:
    """Whether interpolating from key `anchor` to key `end` gives every key between."""
    if end - anchor < 2:
        return True
    a, b = keys.vectors[anchor], keys.vectors[end]
    angles = _angular(keys.track, len(a))
    between = np.array(keys.frames[anchor + 1 : end], dtype=np.int64)
    mixed = _mix(a, b, _fractions(between, keys.frames[anchor], keys.frames[end]), angles)
    actual = np.stack(keys.vectors[anchor + 1 : end])
    error = mixed - actual
    error[:, angles] = _arc(error[:, angles])
    return bool(np.all(np.abs(error) <= tolerance))


def propose(track: Track, frames: Iterable[int], *, half_life: float = HALF_LIFE) -> list[Proposal]:
    """Interpolated shapes for review on `frames` (in the order given): every frame where the
    object is present and which is not a key frame. See `Proposal` for the confidence."""
    keys = _Keys.of(track)
    proposals: list[Proposal] = []
    for frame in frames:
        index = keys.segment(frame)
        if index is None or keys.keys[index].outside or keys.frames[index] == frame:
            continue
        distance = frame - keys.frames[index]
        if keys.interpolates(index):
            distance = min(distance, keys.frames[index + 1] - frame)
        vector = keys.at(index, np.array([frame], dtype=np.int64))[0]
        proposals.append(
            Proposal(
                frame=frame,
                shape=_shape(track, vector, frame),
                confidence=0.5 ** (distance / half_life),
            )
        )
    return proposals


def with_keyframe(track: Track, key: TrackFrame) -> Track:
    """The track with `key` as a key frame (replacing one on its frame), without the
    interpolated frames of the segments it splits, which no longer hold."""
    keys = _Keys.of(track)
    before = bisect.bisect_left(keys.frames, key.frame) - 1
    low = keys.frames[before] if before >= 0 else -1
    after = bisect.bisect_right(keys.frames, key.frame)
    high = keys.frames[after] if after < len(keys.frames) else math.inf
    frames = [
        frame
        for frame in track.keyframes
        if frame.frame != key.frame and not (frame.interpolated and low < frame.frame < high)
    ]
    bisect.insort(frames, key, key=lambda frame: frame.frame)
    return Track(shape=track.shape, keyframes=frames)
