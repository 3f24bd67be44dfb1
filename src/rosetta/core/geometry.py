"""One geometry vocabulary for every modality.

Each type states its coordinate convention in its docstring; conversions to other
conventions happen only at format edges. Image coordinates are pixels with the origin at
the top-left corner of the top-left pixel, x to the right and y downwards. Times are
seconds on the sample's reference timeline. Text offsets are Unicode code points.
"""

import itertools
import re
from array import array
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from rosetta.core.modality import Modality

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


#: Every number of a geometry is finite: NaN passes every bounds check (each comparison
#: with it is false), so a reader's ``NaN`` would otherwise be stored.
_FINITE = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class _Geometry(BaseModel):
    model_config = _FINITE


class TextSpan(_Geometry):
    """Half-open range ``[start, end)`` of Unicode code points of the stream's text."""

    type: Literal["span"] = "span"
    start: int = Field(ge=0)
    end: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> "TextSpan":
        if self.end <= self.start:
            raise ValueError(f"span end ({self.end}) must be greater than start ({self.start})")
        return self

    def extract(self, text: str) -> str:
        """The covered text."""
        return text[self.start : self.end]


class Box(_Geometry):
    """Axis-aligned box in pixels: top-left corner ``(x, y)``, width ``w``, height ``h``.

    On a video, ``frame`` is the 0-based frame index the box belongs to.
    """

    type: Literal["box"] = "box"
    x: float
    y: float
    w: float = Field(gt=0)
    h: float = Field(gt=0)
    frame: int | None = Field(default=None, ge=0)

    def area(self) -> float:
        """Area in square pixels."""
        return self.w * self.h


class Polygon(_Geometry):
    """Simple closed polygon, vertices ``[x, y]`` in pixels, not repeating the first one."""

    type: Literal["polygon"] = "polygon"
    points: list[tuple[float, float]] = Field(min_length=3)
    frame: int | None = Field(default=None, ge=0)


class Rle(BaseModel):
    """COCO run-length encoding: ``size`` is ``[height, width]``, ``counts`` the compressed string."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    size: tuple[int, int]
    counts: str

    @classmethod
    def from_array(cls, mask: "ArrayLike") -> "Rle":
        """The RLE of a 2-D array (nonzero: inside), compressed as pycocotools writes it."""
        import numpy as np  # imported here: the records need neither for anything else
        from pycocotools import mask as coco_mask

        pixels = np.asarray(mask)
        if pixels.ndim != 2:
            raise ValueError(f"a mask is a 2-D array, got shape {pixels.shape}")
        encoded = coco_mask.encode(np.asfortranarray(pixels != 0, dtype=np.uint8))
        height, width = pixels.shape
        return cls(size=(height, width), counts=encoded["counts"].decode("ascii"))

    def runs(self) -> list[int]:
        """The run lengths (0s first, then 1s, alternating; column-major) that ``counts`` encodes.

        Decodes COCO's compressed form (pycocotools ``rleFrString``): each run is a
        sign-extended number in 5-bit groups, least significant first, characters
        ``'0' + group`` with bit 6 set on all but the last group; runs after the second are
        stored as the difference to the run two before. The characters are translated to
        digits in one pass (a number's last group as a signed digit, so that a number is
        its digits in base 32); only the numbers of several groups take a Python loop.
        """
        try:
            raw = self.counts.encode("ascii")
        except UnicodeEncodeError:
            raise _not_coco(next(c for c in self.counts if not "0" <= c <= "o")) from None
        translated = raw.translate(_DIGITS)
        if _NOT_A_DIGIT in translated:
            raise _not_coco(chr(raw[translated.index(_NOT_A_DIGIT)]))
        if raw and raw[-1] >= _FIRST_CONTINUED:
            raise ValueError("compressed COCO RLE counts end inside a number")
        digits: list[int] = array("b", translated).tolist()
        values: list[int] = []
        done = 0
        for continued in _CONTINUED.finditer(raw):
            first, last = continued.start(), continued.end()  # `last`: the number's last group
            values += digits[done:first]
            value = 0
            for digit in reversed(digits[first : last + 1]):
                value = value * 32 + digit
            values.append(value)
            done = last + 1
        values += digits[done:]
        # from the fourth run on, runs[i] = values[i] + runs[i - 2]
        values[1::2] = itertools.accumulate(values[1::2])
        values[2::2] = itertools.accumulate(values[2::2])
        return values


def _not_coco(char: str) -> ValueError:
    return ValueError(f"{char!r} cannot appear in compressed COCO RLE counts")


#: A group is ``code = char - 48`` in 0…63; bit 5 (codes 32…63, ``'P'``…``'o'``) says
#: that more groups follow. `_DIGITS` maps each character to its group as a signed byte:
#: a following group's five bits (0…31), or a last group's five bits sign-extended
#: (-16…15); every other byte becomes `_NOT_A_DIGIT`.
_FIRST_CONTINUED = ord("0") + 32
_NOT_A_DIGIT = 0x7F
_DIGITS = bytes(
    (code - 32 if code >= 16 else code) & 0xFF
    if 0 <= (code := byte - ord("0")) < 64
    else _NOT_A_DIGIT
    for byte in range(256)
)
_CONTINUED = re.compile(rb"[P-o]+")


class Mask(_Geometry):
    """Binary mask as COCO RLE (column-major runs, pycocotools' compressed string)."""

    type: Literal["mask"] = "mask"
    rle: Rle
    frame: int | None = Field(default=None, ge=0)


class Keypoints(_Geometry):
    """Named points ``[x, y, v]`` in pixels; ``v`` is COCO visibility (0 absent, 1 hidden, 2 seen)."""

    type: Literal["keypoints"] = "keypoints"
    points: list[tuple[float, float, int]] = Field(min_length=1)
    names: list[str] | None = None
    frame: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _names_match(self) -> "Keypoints":
        if self.names is not None and len(self.names) != len(self.points):
            raise ValueError(f"{len(self.names)} names for {len(self.points)} points")
        for _, _, visibility in self.points:
            if visibility not in (0, 1, 2):
                raise ValueError(f"visibility must be 0, 1 or 2, got {visibility}")
        return self


class Interval(_Geometry):
    """Half-open time range ``[start, end)`` in seconds on the sample's reference timeline."""

    type: Literal["interval"] = "interval"
    start: float = Field(ge=0)
    end: float

    @model_validator(mode="after")
    def _ordered(self) -> "Interval":
        if self.end <= self.start:
            raise ValueError(f"interval end ({self.end}) must be greater than start ({self.start})")
        return self


TrackShape = Literal["box", "polygon", "cuboid"]

#: The fields a track frame of each shape carries (the last of a cuboid's, ``rotation``,
#: may be left out: no rotation).
TRACK_SHAPE_FIELDS: dict[str, tuple[str, ...]] = {
    "box": ("x", "y", "w", "h"),
    "polygon": ("points",),
    "cuboid": ("center", "size", "rotation"),
}
_REQUIRED = {"box": ("x", "y", "w", "h"), "polygon": ("points",), "cuboid": ("center", "size")}
_SHAPE_FIELDS = [name for fields in TRACK_SHAPE_FIELDS.values() for name in fields]


class TrackFrame(BaseModel):
    """One frame of a track: the shape on ``frame``, in the fields of the track's shape.

    A box track's frames carry ``x, y, w, h`` (pixels, as `Box`), a polygon track's
    ``points`` (as `Polygon`), a cuboid track's ``center``, ``size`` and ``rotation`` (as
    `Cuboid`; no ``rotation`` means none). ``outside``: the object leaves view on this
    frame. ``occluded``: it is there but hidden. ``interpolated``: a frame that a dense
    export (or another tool) filled in from the key frames around it; absent on key frames.
    """

    model_config = _FINITE
    frame: int = Field(ge=0)
    x: float | None = None
    y: float | None = None
    w: float | None = Field(default=None, gt=0)
    h: float | None = Field(default=None, gt=0)
    points: list[tuple[float, float]] | None = Field(default=None, min_length=3)
    center: tuple[float, float, float] | None = None
    size: tuple[float, float, float] | None = None
    rotation: tuple[float, float, float] | None = None
    outside: bool = False
    occluded: bool | None = None
    interpolated: bool | None = None

    @field_validator("size")
    @classmethod
    def _positive(
        cls, size: tuple[float, float, float] | None
    ) -> tuple[float, float, float] | None:
        if size is not None and min(size) <= 0:
            raise ValueError(f"cuboid size must be positive in every axis, got {list(size)}")
        return size

    @property
    def is_key(self) -> bool:
        """Whether this is a key frame (not one filled in by interpolation)."""
        return not self.interpolated


class Track(_Geometry):
    """An object followed over the frames of a video (boxes or polygons, pixels) or over
    the sweeps of a point cloud (cuboids, metres): key frames in increasing frame order.

    ``shape`` is ``"polygon"`` or ``"cuboid"``; absent, the track is of boxes (tracks made
    before other shapes existed have none and keep their bytes; ``"box"`` is accepted and
    stored as absent, so one track has one spelling). Between key frames the shape is
    interpolated, from an ``outside`` key frame until the next key frame the object is
    absent, and after a last key frame that is not outside it stays where it is;
    `rosetta.core.tracks` states the rules. Frames marked ``interpolated`` were filled in
    from the key frames (a dense export keeps them; everything else ignores them).
    """

    type: Literal["track"] = "track"
    shape: TrackShape | None = None
    keyframes: list[TrackFrame] = Field(min_length=1)

    @field_validator("shape")
    @classmethod
    def _box_is_default(cls, shape: TrackShape | None) -> TrackShape | None:
        return None if shape == "box" else shape

    @field_validator("keyframes")
    @classmethod
    def _increasing(cls, frames: list[TrackFrame]) -> list[TrackFrame]:
        for before, after in itertools.pairwise(frames):
            if after.frame <= before.frame:
                raise ValueError(
                    f"key frames must be in increasing frame order ({before.frame} then {after.frame})"
                )
        if frames and frames[0].interpolated:
            raise ValueError(f"keyframes[0] (frame {frames[0].frame}) must be a key frame")
        return frames

    @model_validator(mode="after")
    def _frames_fit_the_shape(self) -> "Track":
        kind = self.kind
        allowed = TRACK_SHAPE_FIELDS[kind]
        for index, key in enumerate(self.keyframes):
            where = f"keyframes[{index}] (frame {key.frame})"
            given = [name for name in _SHAPE_FIELDS if getattr(key, name) is not None]
            missing = [name for name in _REQUIRED[kind] if name not in given]
            extra = [name for name in given if name not in allowed]
            if missing or extra:
                problems = [f"missing {', '.join(missing)}"] if missing else []
                problems += [f"has {', '.join(extra)}"] if extra else []
                raise ValueError(
                    f"{where}: a {kind} track's frames carry {', '.join(allowed)}; "
                    f"this one {' and '.join(problems)}"
                )
            if key.interpolated and key.outside:
                raise ValueError(
                    f"{where}: an interpolated frame cannot be outside "
                    "(an outside key frame says the object is absent until the next key frame)"
                )
        return self

    @property
    def kind(self) -> TrackShape:
        """The shape of the track's frames."""
        return self.shape or "box"


class Cuboid(_Geometry):
    """3D box in the point cloud's frame, metres, right-handed.

    ``center`` is ``[x, y, z]``, ``size`` is ``[length, width, height]`` along the box's own
    x, y, z axes, ``rotation`` is ``[roll, pitch, yaw]`` in radians (applied z-y-x).
    """

    type: Literal["cuboid"] = "cuboid"
    center: tuple[float, float, float]
    size: tuple[float, float, float]
    rotation: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @field_validator("size")
    @classmethod
    def _positive(cls, size: tuple[float, float, float]) -> tuple[float, float, float]:
        if min(size) <= 0:
            raise ValueError(f"cuboid size must be positive in every axis, got {list(size)}")
        return size


class Classification(_Geometry):
    """A label on the whole stream (or, with no stream, on the whole sample)."""

    type: Literal["classification"] = "classification"


class Word(BaseModel):
    """One word of a transcript segment, times in reference seconds."""

    model_config = _FINITE
    text: str
    start: float = Field(ge=0)
    end: float


class TranscriptSegment(_Geometry):
    """Spoken text over ``[start, end)`` reference seconds, with optional word timings."""

    type: Literal["transcript"] = "transcript"
    start: float = Field(ge=0)
    end: float
    text: str
    words: list[Word] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "TranscriptSegment":
        if self.end <= self.start:
            raise ValueError(f"segment end ({self.end}) must be greater than start ({self.start})")
        previous = self.start
        for word in self.words or ():
            if word.end < word.start:
                raise ValueError(f"word {word.text!r} ends before it starts")
            if word.start < previous or word.end > self.end:
                raise ValueError(
                    f"word {word.text!r} [{word.start}, {word.end}) must lie inside the segment "
                    f"[{self.start}, {self.end}) after the previous word"
                )
            previous = word.end
        return self


Geometry = Annotated[
    TextSpan
    | Box
    | Polygon
    | Mask
    | Keypoints
    | Interval
    | Track
    | Cuboid
    | Classification
    | TranscriptSegment,
    Field(discriminator="type"),
]

#: Parses a geometry from its JSON (text or objects), by its ``type``.
GEOMETRY: TypeAdapter[Geometry] = TypeAdapter(Geometry)

GeometryKind = Literal[
    "span",
    "box",
    "polygon",
    "mask",
    "keypoints",
    "interval",
    "track",
    "cuboid",
    "classification",
    "transcript",
]

#: Which modalities each geometry may sit on (a track by its shape: `TRACK_SHAPE_MODALITIES`).
GEOMETRY_MODALITIES: dict[str, frozenset[Modality]] = {
    "span": frozenset({Modality.TEXT}),
    "box": frozenset({Modality.IMAGE, Modality.VIDEO}),
    "polygon": frozenset({Modality.IMAGE, Modality.VIDEO}),
    "mask": frozenset({Modality.IMAGE, Modality.VIDEO}),
    "keypoints": frozenset({Modality.IMAGE, Modality.VIDEO}),
    "interval": frozenset({Modality.AUDIO, Modality.VIDEO, Modality.TIMESERIES}),
    "track": frozenset({Modality.VIDEO, Modality.POINTCLOUD}),
    "cuboid": frozenset({Modality.POINTCLOUD}),
    "classification": frozenset(Modality),
    "transcript": frozenset({Modality.AUDIO, Modality.VIDEO}),
}


#: Which modalities a track of each shape may sit on.
TRACK_SHAPE_MODALITIES: dict[str, frozenset[Modality]] = {
    "box": frozenset({Modality.VIDEO}),
    "polygon": frozenset({Modality.VIDEO}),
    "cuboid": frozenset({Modality.POINTCLOUD}),
}
