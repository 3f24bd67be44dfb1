"""A third-party proposer, registered the way a package registers one (an entry point in
``rosetta.proposers``, `qa_checks.installed` puts its metadata on ``sys.path``): it needs no
model, so the host's contract (checks, provenance, decisions, batches) is tested on its
own. `CentreBox` proposes the box of the middle of an image (``share`` of its sides),
measured from the decoded file, so a stream whose media cannot be read fails."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from qa_checks import installed
from rosetta.core.geometry import Box, GeometryKind
from rosetta.core.modality import Modality
from rosetta.proposers.spec import ModelInfo, PromptKind, Proposal, ProposalRequest
from rosetta.services.proposer_registry import proposer_classes

#: The ``entry_points.txt`` that registers `CentreBox`.
ENTRY_POINTS = "[rosetta.proposers]\ncentre-box = proposer_plugins:CentreBox\n"


class CentreParams(BaseModel):
    """How much of each side the box spans."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    share: float = Field(default=0.5, gt=0, le=1)


class CentreBox:
    """The middle of an image, or around the first click."""

    name: ClassVar[str] = "centre-box"
    description: ClassVar[str] = "the middle of the image"
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.IMAGE})
    geometries: ClassVar[frozenset[GeometryKind]] = frozenset({"box"})
    prompts: ClassVar[frozenset[PromptKind]] = frozenset({"points"})
    prompt_required: ClassVar[bool] = False
    parameters: ClassVar[type[BaseModel]] = CentreParams
    calls: ClassVar[list[int]] = []

    def __init__(self, model: str | None = None) -> None:
        self.configured = model

    def unavailable(self) -> str | None:
        return None if self.configured != "missing" else "no model at 'missing'"

    def model(self) -> ModelInfo:
        return ModelInfo(name="centre-box-model", version="1.0")

    def propose(self, requests: Sequence[ProposalRequest]) -> list[list[Proposal]]:
        CentreBox.calls.append(len(requests))
        return [self._one(request) for request in requests]

    def _one(self, request: ProposalRequest) -> list[Proposal]:
        assert request.media is not None
        with request.media.open() as file, Image.open(file) as image:
            width, height = image.size
        share = float(request.parameters["share"])
        w, h = width * share, height * share
        if request.prompt.points:
            x, y = request.prompt.points[0].x - w / 2, request.prompt.points[0].y - h / 2
        else:
            x, y = (width - w) / 2, (height - h) / 2
        return [Proposal(geometry=Box(x=x, y=y, w=w, h=h), confidence=0.75)]


@contextmanager
def centre_box_installed(folder: Path) -> Iterator[None]:
    """`CentreBox` installed as a third-party proposer for the block."""
    with installed(folder, {"rosetta_test_proposers": ENTRY_POINTS}):
        proposer_classes.cache_clear()
        try:
            yield
        finally:
            proposer_classes.cache_clear()
