"""grabcut: a box or clicks on an image or a video frame -> one mask (OpenCV GrabCut).

GrabCut models the colours of the thing and of its surroundings as two Gaussian
mixtures and cuts the image along a graph between them. Here it runs on a crop, so that
its cost follows the size of the thing, not of the image: the *region* plus a
``margin`` of context all round, scaled down to ``max_side`` pixels when larger.

- A box (grown to take in any positive click) is the region: inside it pixels start as
  probable foreground, around it as sure background.
- Clicks only: the region is a guess, the positive clicks' bounding box grown by
  ``click_region`` of the image's shorter side divided by the square root of the number
  of positive clicks (clicks spread over the thing say more of its extent). Inside it
  pixels start as probable foreground, around it as probable background (the thing may
  reach past the guess), on the crop's edge as sure background.
- A positive click marks a disk of ``click_radius`` pixels as sure foreground, a
  negative one as sure background.

The mask found is scaled back and pasted into an image-sized mask; none found, no
proposal. GrabCut gives no score, so the proposal has no confidence.
"""

import importlib.util
import math
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from rosetta.core.errors import RosettaError, RuleViolation
from rosetta.core.geometry import GeometryKind
from rosetta.core.modality import Modality
from rosetta.proposers.image_input import RgbArray, mask_geometry, rgb_array
from rosetta.proposers.spec import (
    ModelInfo,
    PromptKind,
    PromptPoint,
    Proposal,
    ProposalRequest,
)

#: GrabCut's mask values (cv2.GC_BGD, GC_FGD, GC_PR_BGD, GC_PR_FGD).
_BGD, _FGD, _PR_BGD, _PR_FGD = 0, 1, 2, 3

#: A pixel rectangle: x0, y0 (inclusive), x1, y1 (exclusive).
_Rect = tuple[int, int, int, int]


class GrabCutParameters(BaseModel):
    """What a GrabCut request may tune."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    iterations: int = Field(default=5, ge=1, le=20, description="GrabCut iterations")
    margin: float = Field(
        default=0.25,
        gt=0,
        le=4,
        description="context around the region that GrabCut learns the background from, "
        "as a fraction of the region's longer side",
    )
    click_radius: int = Field(
        default=4,
        ge=1,
        le=64,
        description="radius in pixels of the disk a click marks as sure foreground "
        "(positive) or background (negative)",
    )
    click_region: float = Field(
        default=0.15,
        gt=0,
        le=1,
        description="with clicks only: how far beyond the positive clicks the thing may "
        "reach, as a fraction of the image's shorter side",
    )
    max_side: int = Field(
        default=384,
        ge=64,
        le=4096,
        description="the crop is scaled down to at most this many pixels on its longer "
        "side (speed); the mask is scaled back to the image",
    )


class GrabCut:
    """Box or clicks -> mask with OpenCV's GrabCut, on an image or a video frame."""

    name: ClassVar[str] = "grabcut"
    description: ClassVar[str] = (
        "OpenCV GrabCut: a box and/or clicks on an image or video frame -> one mask"
    )
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.IMAGE, Modality.VIDEO})
    geometries: ClassVar[frozenset[GeometryKind]] = frozenset({"mask"})
    prompts: ClassVar[frozenset[PromptKind]] = frozenset({"box", "points"})
    prompt_required: ClassVar[bool] = True
    parameters: ClassVar[type[BaseModel]] = GrabCutParameters

    def __init__(self, model: str | None = None) -> None:
        self._model = model

    def unavailable(self) -> str | None:
        """Why GrabCut cannot run: OpenCV not installed, or a model configured for it (it
        takes none)."""
        if self._model is not None:
            return f"grabcut takes no model, but {self._model!r} is configured for it"
        if importlib.util.find_spec("cv2") is None:
            return (
                "opencv-python-headless is not installed (pip install 'rosetta-annotate[prelabel]')"
            )
        return None

    def model(self) -> ModelInfo:
        """``grabcut``, versioned by the OpenCV release."""
        import cv2

        return ModelInfo(name=self.name, version=f"opencv {cv2.__version__}")

    def propose(self, requests: Sequence[ProposalRequest]) -> list[list[Proposal]]:
        """One mask per request (none when GrabCut finds nothing)."""
        return [self._propose_one(request) for request in requests]

    def _propose_one(self, request: ProposalRequest) -> list[Proposal]:
        parameters = GrabCutParameters.model_validate(dict(request.parameters))
        image = rgb_array(request)
        found = _segment(image, request, parameters)
        if not found.any():
            return []
        return [Proposal(geometry=mask_geometry(found, frame=request.prompt.frame))]


def _segment(
    image: RgbArray, request: ProposalRequest, parameters: GrabCutParameters
) -> npt.NDArray[np.bool_]:
    """The ``H x W`` boolean mask GrabCut finds in `image` for the request's prompt."""
    import cv2

    height, width = image.shape[:2]
    clicks = [_pixel(point, width, height, request.stream.id) for point in request.prompt.points]
    region = _region(request, clicks, width, height, parameters.click_region)
    cx0, cy0, cx1, cy1 = _grow(region, parameters.margin, width, height)
    scale = min(1.0, parameters.max_side / max(cx1 - cx0, cy1 - cy0))
    size = (max(1, round((cx1 - cx0) * scale)), max(1, round((cy1 - cy0) * scale)))
    crop = image[cy0:cy1, cx0:cx1]
    pixels = np.ascontiguousarray(
        crop if scale == 1 else cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    )

    def at(x: int, y: int) -> tuple[int, int]:
        """Pixel (x, y) of the image in the scaled crop."""
        return math.floor((x - cx0) * scale), math.floor((y - cy0) * scale)

    labels = _initial_labels(
        pixels.shape[:2],
        (*at(region[0], region[1]), *at(region[2] - 1, region[3] - 1)),
        guessed=request.prompt.box is None,
    )
    radius = max(1, round(parameters.click_radius * scale))
    # negative clicks first, so that a positive one wins where two disks meet
    for (x, y), point in sorted(
        zip(clicks, request.prompt.points, strict=True), key=lambda pair: pair[1].positive
    ):
        cv2.circle(labels, at(x, y), radius, _FGD if point.positive else _BGD, thickness=-1)

    models = np.zeros((2, 65), dtype=np.float64)  # GrabCut's background and foreground GMMs
    try:
        # the rectangle is unused: GC_INIT_WITH_MASK starts from `labels`
        cv2.grabCut(
            pixels,
            labels,
            (0, 0, 0, 0),
            models[:1],
            models[1:],
            parameters.iterations,
            cv2.GC_INIT_WITH_MASK,
        )
    except cv2.error as exc:
        raise RosettaError(
            f"{request.stream.id}: GrabCut cannot segment the {cx1 - cx0}x{cy1 - cy0} "
            f"crop around the prompt: {exc.msg}"
        ) from exc
    found = (labels == _FGD) | (labels == _PR_FGD)
    if scale < 1:
        back = cv2.resize(
            found.astype(np.uint8) * 255, (cx1 - cx0, cy1 - cy0), interpolation=cv2.INTER_LINEAR
        )
        found = np.asarray(back) >= 128
    full = np.zeros((height, width), dtype=bool)
    full[cy0:cy1, cx0:cx1] = found
    return full


def _initial_labels(
    shape: tuple[int, ...], region: tuple[int, int, int, int], *, guessed: bool
) -> npt.NDArray[np.uint8]:
    """GrabCut's starting labels for a crop: the region (first and last pixel, inclusive)
    probable foreground; around it sure background for a box, probable background for a
    region guessed from clicks (the thing may reach beyond the guess) inside a frame of
    sure background. Some background is always there: when a box fills the whole crop,
    the crop's frame is probable background."""
    left, top, right, bottom = region
    labels = np.full(shape, _PR_BGD if guessed else _BGD, dtype=np.uint8)
    labels[top : bottom + 1, left : right + 1] = _PR_FGD
    if guessed:
        edge = _BGD
    elif not (labels == _BGD).any():
        edge = _PR_BGD
    else:
        return labels
    labels[[0, -1], :] = edge
    labels[:, [0, -1]] = edge
    return labels


def _pixel(point: PromptPoint, width: int, height: int, stream: str) -> tuple[int, int]:
    x, y = math.floor(point.x), math.floor(point.y)
    if not (0 <= x < width and 0 <= y < height):
        raise RuleViolation(
            stream,
            "prompt.points",
            "proposer-prompt",
            f"click ({point.x}, {point.y}) lies outside the {width}x{height} image",
        )
    return x, y


def _region(
    request: ProposalRequest,
    clicks: list[tuple[int, int]],
    width: int,
    height: int,
    click_region: float,
) -> _Rect:
    """Where the thing is (see the module's docstring), clipped to the image."""
    box = request.prompt.box
    inside = [
        click for click, point in zip(clicks, request.prompt.points, strict=True) if point.positive
    ]
    xs = [x for x, _ in inside]
    ys = [y for _, y in inside]
    if box is not None:
        x0, y0 = math.floor(box.x), math.floor(box.y)
        x1, y1 = math.ceil(box.x + box.w), math.ceil(box.y + box.h)
        x0, y0 = min([x0, *xs]), min([y0, *ys])
        x1, y1 = max([x1, *(x + 1 for x in xs)]), max([y1, *(y + 1 for y in ys)])
    elif inside:
        reach = round(click_region * min(width, height) / math.sqrt(len(inside)))
        x0, y0 = min(xs) - reach, min(ys) - reach
        x1, y1 = max(xs) + 1 + reach, max(ys) + 1 + reach
    else:
        raise RuleViolation(
            request.stream.id,
            "prompt",
            "proposer-prompt",
            "grabcut needs a box or at least one positive click",
        )
    rect = (max(0, x0), max(0, y0), min(width, x1), min(height, y1))
    if rect[2] <= rect[0] or rect[3] <= rect[1]:
        raise RuleViolation(
            request.stream.id,
            "prompt.box",
            "proposer-prompt",
            f"the box lies outside the {width}x{height} image",
        )
    return rect


def _grow(rect: _Rect, margin: float, width: int, height: int) -> _Rect:
    """`rect` with `margin` times its longer side added all round, clipped to the image."""
    x0, y0, x1, y1 = rect
    pad = max(1, round(margin * max(x1 - x0, y1 - y0)))
    return max(0, x0 - pad), max(0, y0 - pad), min(width, x1 + pad), min(height, y1 + pad)
