"""The one schema: samples, their streams, annotations, entities and links.

These models are the native record shapes: the JSONL format, the store and the API all
speak them. Ids are strings unique within a project (`Id`: they are path segments of the
API's URLs); link and entity references point to ids inside the same sample.
"""

import itertools
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rosetta.core.calibration import Pose, Sensor
from rosetta.core.clock import Clock
from rosetta.core.geometry import Geometry
from rosetta.core.ids import ExternalId, Id, JsonDict, Name, Text
from rosetta.core.modality import Modality
from rosetta.core.preference import Candidate, Judgement

#: Id and JsonDict live in `rosetta.core.ids` (the preference records need them too).
__all__ = [
    "Annotation",
    "Entity",
    "Id",
    "JsonDict",
    "Link",
    "LinkStatus",
    "MediaInfo",
    "Project",
    "Sample",
    "SampleStatus",
    "Source",
    "Stream",
]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MediaInfo(_Record):
    """What probing the media found. Fields that do not apply to a modality stay ``None``.

    ``frame_rate`` is an exact fraction written ``"num/den"`` (``"30000/1001"``);
    ``duration`` is in seconds; ``length`` is the text length in code points.
    """

    width: int | None = Field(default=None, gt=0)
    height: int | None = Field(default=None, gt=0)
    duration: float | None = Field(default=None, ge=0)
    frame_rate: str | None = None
    frame_count: int | None = Field(default=None, ge=0)
    sample_rate: int | None = Field(default=None, gt=0)
    channels: int | None = Field(default=None, gt=0)
    length: int | None = Field(default=None, ge=0)
    codec: str | None = None
    mime: str | None = None

    @field_validator("frame_rate")
    @classmethod
    def _exact_fraction(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            rate = Fraction(value)
        except (ValueError, ZeroDivisionError) as exc:
            raise ValueError(
                f"frame_rate must be a fraction like '30000/1001', got {value!r}"
            ) from exc
        if rate <= 0:
            raise ValueError(f"frame_rate must be positive, got {value!r}")
        return f"{rate.numerator}/{rate.denominator}"

    def fps(self) -> Fraction | None:
        """The frame rate as an exact fraction."""
        return Fraction(self.frame_rate) if self.frame_rate else None


class Stream(_Record):
    """One asset of a sample. Media stays at ``uri``; text streams may carry ``text`` inline.

    ``clock`` maps the stream's native index to the sample's reference timeline; without
    one, a video or audio stream runs at its probed frame or sample rate from time 0
    (`rosetta.core.timeline.stream_clock`). ``sensor`` is its calibration.
    """

    id: Id
    name: Name = Field(min_length=1)
    modality: Modality
    uri: Text | None = None
    text: Text | None = None
    media: MediaInfo = Field(default_factory=MediaInfo)
    clock: Clock | None = None
    sensor: Sensor | None = None


class Source(_Record):
    """Where an annotation came from: a person's tool or a model, with its version, the
    model's confidence and the ``parameters`` it ran with (a proposer's: its name, its
    parameters and the prompt it was given, `rosetta.services.proposals`)."""

    kind: Literal["human", "model", "import"] = "human"
    name: str | None = None
    version: str | None = None
    confidence: float | None = Field(default=None, ge=0, le=1)
    parameters: JsonDict | None = None


class Annotation(_Record):
    """A geometry in its stream's own coordinates with a class of the project ontology.

    ``stream`` is ``None`` only for a classification of the whole sample.
    """

    id: Id
    stream: Text | None
    label: Name = Field(min_length=1)
    geometry: Geometry
    attributes: JsonDict = Field(default_factory=dict)
    revision: int = Field(default=1, ge=1)
    ontology_version: int | None = Field(default=None, ge=1)
    author: Name | None = None
    source: Source = Field(default_factory=Source)
    flags: list[str] = Field(default_factory=list)


class Entity(_Record):
    """Annotations (usually in different streams) that denote one real-world thing."""

    id: Id
    label: Name | None = None
    members: list[Text] = Field(default_factory=list)
    revision: int = Field(default=1, ge=1)
    author: Name | None = None


LinkStatus = Literal["proposed", "confirmed", "stale", "rejected"]


class Link(_Record):
    """A typed, directed relation between two annotations or entities of one sample.

    ``source_revision``/``target_revision`` are the endpoints' revisions when the link was
    last confirmed; when an endpoint changes after that, the link turns ``stale``.
    """

    id: Id
    type: Name = Field(min_length=1)
    source: Text = Field(min_length=1)
    target: Text = Field(min_length=1)
    status: LinkStatus = "proposed"
    attributes: JsonDict = Field(default_factory=dict)
    revision: int = Field(default=1, ge=1)
    source_revision: int | None = None
    target_revision: int | None = None
    author: Name | None = None


SampleStatus = Literal["new", "in_progress", "review", "done"]


class Sample(_Record):
    """One example: its streams and everything drawn on and between them.

    ``candidates`` and ``judgements`` make it a preference sample
    (`rosetta.core.preference`): model outputs among its streams, and evaluators' verdicts.

    ``ego_poses`` are the rig's poses in the world at reference times, in increasing time
    order (for sensor data recorded from a moving vehicle or robot).
    """

    id: Id
    external_id: ExternalId | None = None
    status: SampleStatus = "new"
    metadata: JsonDict = Field(default_factory=dict)
    ego_poses: list[Pose] = Field(default_factory=list)
    streams: list[Stream] = Field(default_factory=list)
    annotations: list[Annotation] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    candidates: list[Candidate] = Field(default_factory=list)
    judgements: list[Judgement] = Field(default_factory=list)

    @field_validator("ego_poses")
    @classmethod
    def _poses_in_time_order(cls, poses: list[Pose]) -> list[Pose]:
        for index, (before, after) in enumerate(itertools.pairwise(poses)):
            if Fraction(after.t) <= Fraction(before.t):
                raise ValueError(
                    f"ego poses must be in increasing time order "
                    f"(ego_poses[{index}].t = {before.t}, then {after.t})"
                )
        return poses


class Project(_Record):
    """A project: a name and the ontology version new annotations are made under."""

    id: Id
    name: Name
    ontology_version: int
