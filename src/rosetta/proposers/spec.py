"""What a proposer is: the one interface built-in and third-party pre-labellers implement.

A proposer looks at one stream of a sample (its media, read through the `MediaRef` the
host hands over) and, given an optional `Prompt` (clicks, a box, text), returns
*proposals*: geometries on that stream with a class, a confidence and attributes. The host
(`rosetta.services.proposals`) stores them as *candidates*, annotations whose
`rosetta.core.schema.Source` names the model (`ModelInfo`), its version, the parameters
and the prompt: beside people's work, never accepted without a person's decision.

Proposers are found through the ``rosetta.proposers`` entry-point group (the built-ins are
registered there too, in ``pyproject.toml``); `rosetta.services.proposer_registry` loads
them. An entry point names a class the registry constructs as ``cls(model=...)``: the
model location the server's settings give for that name (``ROSETTA_PROPOSER_MODELS``, a
local folder, a Hugging Face repo id in the local cache or an endpoint URL), or ``None``
when none is configured (built-ins whose weights ship in their package need none).
Constructing loads nothing; `Proposer.unavailable` says cheaply why it cannot run (a
missing path, an optional package not installed) and the first `Proposer.propose` loads
the model once per process.

A proposer declares what it can do (`Proposer.modalities`, `Proposer.geometries`,
`Proposer.prompts`, `Proposer.prompt_required`, `Proposer.parameters`) and the host checks
a request against it before running (`check_request`). A proposer receives the stream's
record, its media reference and the prompt: no store, no settings, no credentials but the
short-lived grant to read that stream's media that `MediaRef.url` may carry.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from rosetta.core.errors import RuleViolation
from rosetta.core.geometry import Box, Geometry, GeometryKind, Interval
from rosetta.core.modality import Modality
from rosetta.core.schema import JsonDict, Stream

#: The kinds of prompt a person can give: clicks, a box, text.
PromptKind = Literal["points", "box", "text"]


class PromptPoint(BaseModel):
    """A click in the stream's pixels: on the thing (``positive``) or off it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    x: float
    y: float
    positive: bool = True


class Prompt(BaseModel):
    """What a person gives a proposer, in the stream's own coordinates: clicks, a box,
    text (a transcript to align, an instruction, a description), on one ``frame`` of a
    video or within one ``interval`` of audio or video (seconds on the stream's media
    time). Empty: the whole stream."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    points: tuple[PromptPoint, ...] = ()
    box: Box | None = None
    text: str | None = Field(default=None, min_length=1)
    frame: int | None = Field(default=None, ge=0)
    interval: Interval | None = None

    def kinds(self) -> frozenset[PromptKind]:
        """The kinds of prompt given."""
        given: set[PromptKind] = set()
        if self.points:
            given.add("points")
        if self.box is not None:
            given.add("box")
        if self.text is not None:
            given.add("text")
        return frozenset(given)


class Proposal(BaseModel):
    """One candidate a proposer returns: a geometry on the request's stream, its class
    (``None``: the class the person chose, `ProposalRequest.label`), the model's confidence
    in [0, 1] (``None`` when it has none), attributes (the ontology's attributes of the
    class, checked as any annotation's) and ``details``: what else the model said or was
    sent (a caption's text, the prompt sent, per-word scores), kept in the candidate's
    provenance (``source.parameters["details"]``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    geometry: Geometry
    label: str | None = None
    confidence: float | None = Field(default=None, ge=0, le=1)
    attributes: JsonDict = Field(default_factory=dict)
    details: JsonDict = Field(default_factory=dict)


class ModelInfo(BaseModel):
    """The model behind a proposer's candidates, as provenance records it: ``name`` (one
    per model: two proposers on one stream are compared by it) and ``version`` (the
    package's and the weights', e.g. ``"5.1.1 en-us"`` or a weights hash)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)


@dataclass(frozen=True)
class MediaRef:
    """The media of the stream a proposer may read: its ``uri``, the local file the host
    resolved it to inside the server's media roots (``None`` for remote media), `open`,
    which reads it (local or remote) through the host's confined reader, and ``url``: when
    the server knows the address others reach it at (``ROSETTA_PUBLIC_URL``), an absolute
    URL of this stream's media with a short-lived grant to read it and nothing else
    (`rosetta.services.media_grants`), for a proposer whose work happens elsewhere (a
    Ray worker, an endpoint fetching the image itself); ``None`` otherwise. The URL is a
    credential while it lasts: send it where the media should go, never record it."""

    uri: str
    path: Path | None
    opener: Callable[[], BinaryIO] = field(repr=False)
    url: str | None = field(default=None, repr=False)

    @classmethod
    def local(cls, uri: str, path: Path, url: str | None = None) -> "MediaRef":
        """The media at `uri`, the local file `path` (and its granted `url`)."""
        return cls(uri, path, opener=lambda: path.open("rb"), url=url)

    def open(self) -> BinaryIO:
        """The media's bytes, from the start; the caller closes it."""
        return self.opener()


@dataclass(frozen=True)
class ProposalRequest:
    """One stream to propose on: the sample's id, the stream's record (modality, media
    info, inline text), its media (``None`` for inline text), the prompt, the class the
    person chose (``label``), the ontology classes the proposer may choose among for its
    geometries (``labels``, ontology order) and the proposer's validated parameters."""

    sample_id: str
    stream: Stream
    media: MediaRef | None
    prompt: Prompt = field(default_factory=Prompt)
    label: str | None = None
    labels: tuple[str, ...] = ()
    parameters: Mapping[str, Any] = field(default_factory=dict)


class NoParameters(BaseModel):
    """The parameters of a proposer that takes none."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@runtime_checkable
class Proposer(Protocol):
    """A candidate generator. ``name`` is its registry name; ``parameters`` the pydantic
    model of what a request may tune (defaults included: recorded with each candidate)."""

    name: ClassVar[str]
    description: ClassVar[str]
    modalities: ClassVar[frozenset[Modality]]
    geometries: ClassVar[frozenset[GeometryKind]]
    prompts: ClassVar[frozenset[PromptKind]]
    prompt_required: ClassVar[bool]
    parameters: ClassVar[type[BaseModel]]

    def unavailable(self) -> str | None:
        """Why the proposer cannot run here (a model path that does not exist, an optional
        package not installed), without loading anything; ``None`` when it can."""
        ...

    def model(self) -> ModelInfo:
        """The model's name and version (may load the model)."""
        ...

    def propose(self, requests: Sequence[ProposalRequest]) -> list[list[Proposal]]:
        """The proposals for each request, in order (one batch: a model runs it batched
        where it can)."""
        ...


def check_request(proposer: Proposer, stream: Stream, prompt: Prompt) -> None:
    """Refuse, before running, a stream or prompt the proposer does not take: a
    `RuleViolation` naming the proposer and what it accepts."""
    name = proposer.name
    if stream.modality not in proposer.modalities:
        accepted = ", ".join(sorted(str(m) for m in proposer.modalities))
        raise RuleViolation(
            stream.id,
            "modality",
            "proposer-modality",
            f"proposer {name!r} works on {accepted} streams, not {stream.modality}",
        )
    given = prompt.kinds()
    refused = given - proposer.prompts
    if refused:
        accepted = ", ".join(sorted(proposer.prompts)) or "none"
        raise RuleViolation(
            stream.id,
            "prompt",
            "proposer-prompt",
            f"proposer {name!r} takes no {', '.join(sorted(refused))} prompt (accepts: {accepted})",
        )
    if proposer.prompt_required and not given:
        raise RuleViolation(
            stream.id,
            "prompt",
            "proposer-prompt",
            f"proposer {name!r} needs a prompt: one of {', '.join(sorted(proposer.prompts))}",
        )
    if prompt.frame is not None and stream.modality is not Modality.VIDEO:
        raise RuleViolation(
            stream.id, "prompt.frame", "proposer-prompt", "a frame applies to video streams only"
        )
