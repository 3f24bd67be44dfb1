"""sam: clicks and/or a box on an image or a video frame -> one mask (Segment Anything).

Runs a SAM (``SamModel``) or SAM 2 (``Sam2Model``) checkpoint through transformers, chosen
by the ``model_type`` of the model's ``config.json``, loaded from a local folder or the
local Hugging Face cache (`rosetta.proposers.hf_loading`). Images are prepared on the CPU
with transformers' PIL image processors (no torchvision): SAM's ``SamImageProcessorPil``
(resize the longer side, pad to a square); for SAM 2, whose own image processor needs
torchvision, the PIL backend with the checkpoint's image processor settings over
`SAM2_IMAGES` (resize to a fixed size), and its low-resolution masks scaled to the image
as ``Sam2ImageProcessor.post_process_masks`` does.

Interactive use: the image embedding (the costly vision encoder's output) is kept for the
`EMBEDDINGS_KEPT` images used last, keyed by the stream's URI, the video frame and the
file's modification time and size (URI and frame only for media the host cannot resolve
to a local file), so further clicks on the same image run only the prompt encoder and the
mask decoder. Images not yet embedded in one `Sam.propose` batch go through the vision
encoder together.

Coordinates: a prompt's pixels have their origin at the top-left corner of the top-left
pixel; SAM's at the top-left pixel's centre, so points and box corners move by half a
pixel. One click alone asks SAM for its three candidate masks; several clicks or a box,
for one. The proposal is the mask with the highest predicted IoU, as a COCO RLE of the
image's size (on the prompt's frame for a video), its confidence that IoU clamped to
[0, 1] (the IoU itself in the proposal's details, ``predicted_iou``).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from rosetta.core.errors import RosettaError, RuleViolation
from rosetta.core.geometry import GeometryKind
from rosetta.core.modality import Modality
from rosetta.proposers import hf_loading
from rosetta.proposers.image_input import mask_geometry, rgb_array
from rosetta.proposers.spec import (
    ModelInfo,
    NoParameters,
    Prompt,
    PromptKind,
    Proposal,
    ProposalRequest,
)

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel
    from transformers.image_processing_utils import BaseImageProcessor

#: How many image embeddings a `Sam` keeps for further clicks.
EMBEDDINGS_KEPT = 4

#: Images that go through the vision encoder in one forward pass.
BATCH = 8

#: The model families this proposer runs (``config.json``'s ``model_type``).
FAMILIES = ("sam", "sam2")

#: transformers' ``Sam2ImageProcessor`` defaults, which a checkpoint's settings override.
SAM2_IMAGES: dict[str, Any] = {
    "size": {"height": 1024, "width": 1024},
    "resample": 2,  # bilinear
    "do_resize": True,
    "do_rescale": True,
    "rescale_factor": 1 / 255,
    "do_normalize": True,
    "image_mean": [0.485, 0.456, 0.406],
    "image_std": [0.229, 0.224, 0.225],
    "do_convert_rgb": True,
}

#: An embedded image's key: URI, frame, and the file's mtime (ns) and size when local.
_Key = tuple[str, int | None, int | None, int | None]


@dataclass(frozen=True)
class Embedded:
    """An image through the vision encoder: its features (SAM: one map; SAM 2: one per
    level), its size and the size it was resized to in the model's input (height, width)."""

    features: "torch.Tensor | list[torch.Tensor]"
    size: tuple[int, int]
    resized: tuple[int, int]


class Segmenter:
    """A loaded SAM or SAM 2 model with its image processor and its kept embeddings."""

    def __init__(self, model: str, directory: Path) -> None:
        from transformers import AutoConfig, Sam2Model, SamModel
        from transformers.image_processing_backends import PilBackend
        from transformers.models.sam.image_processing_pil_sam import SamImageProcessorPil

        family = AutoConfig.from_pretrained(directory, local_files_only=True).model_type
        self.family: str = family
        self.device = hf_loading.device()
        self.info = hf_loading.model_info(model, directory)
        self.model: SamModel | Sam2Model
        self.processor: BaseImageProcessor
        if family == "sam":
            self.model = hf_loading.on_device(
                SamModel.from_pretrained(directory, local_files_only=True)
            )
            self.processor = SamImageProcessorPil.from_pretrained(directory, local_files_only=True)
        elif family == "sam2":
            self.model = hf_loading.on_device(
                Sam2Model.from_pretrained(directory, local_files_only=True)
            )
            saved, _ = PilBackend.get_image_processor_dict(directory, local_files_only=True)
            known = PilBackend.valid_kwargs.__annotations__
            settings = SAM2_IMAGES | {k: v for k, v in saved.items() if k in known}
            self.processor = PilBackend(**settings)
        else:
            raise RosettaError(
                f"sam: model folder {str(directory)!r} holds a {family!r} model; "
                f"this proposer runs {' or '.join(FAMILIES)} models"
            )
        self.kept: hf_loading.Lru[_Key, Embedded] = hf_loading.Lru(EMBEDDINGS_KEPT)

    def embed(self, images: Sequence[npt.NDArray[np.uint8]]) -> list[Embedded]:
        """The images through the vision encoder, `BATCH` at a time."""
        embedded: list[Embedded] = []
        for start in range(0, len(images), BATCH):
            chunk = images[start : start + BATCH]
            inputs = self.processor(list(chunk), return_tensors="pt")
            pixels = inputs["pixel_values"].to(self.device)
            features = self.model.get_image_embeddings(pixels)
            for index, image in enumerate(chunk):
                height, width = image.shape[:2]
                if self.family == "sam":
                    resized = tuple(int(v) for v in inputs["reshaped_input_sizes"][index])
                    mine: torch.Tensor | list[torch.Tensor] = features[index : index + 1]
                else:
                    resized = (int(pixels.shape[-2]), int(pixels.shape[-1]))
                    mine = [level[index : index + 1] for level in features]
                embedded.append(Embedded(mine, (height, width), (resized[0], resized[1])))
        return embedded

    def segment(self, embedded: Embedded, prompt: Prompt) -> tuple[npt.NDArray[np.bool_], float]:
        """The best mask (image-sized, bool) for the prompt's clicks and box, and its
        predicted IoU."""
        import torch

        height, width = embedded.size
        scale_y, scale_x = embedded.resized[0] / height, embedded.resized[1] / width
        inputs: dict[str, Any] = {}
        if prompt.points:
            inputs["input_points"] = torch.tensor(
                [[[[(p.x - 0.5) * scale_x, (p.y - 0.5) * scale_y] for p in prompt.points]]],
                dtype=torch.float32,
                device=self.device,
            )
            inputs["input_labels"] = torch.tensor(
                [[[1 if p.positive else 0 for p in prompt.points]]], device=self.device
            )
        if prompt.box is not None:
            box = prompt.box
            corners = [
                (box.x - 0.5) * scale_x,
                (box.y - 0.5) * scale_y,
                (box.x + box.w - 0.5) * scale_x,
                (box.y + box.h - 0.5) * scale_y,
            ]
            inputs["input_boxes"] = torch.tensor(
                [[corners]], dtype=torch.float32, device=self.device
            )
        ambiguous = len(prompt.points) == 1 and prompt.box is None
        output = self.model(
            image_embeddings=embedded.features, multimask_output=ambiguous, **inputs
        )
        scores = output.iou_scores[0, 0]
        best = int(torch.argmax(scores))
        low = output.pred_masks[0, 0, best][None, None].float()
        return self._upscale(low, embedded), float(scores[best])

    def _upscale(self, low: "torch.Tensor", embedded: Embedded) -> npt.NDArray[np.bool_]:
        """A low-resolution mask's logits, scaled to the image and thresholded at 0."""
        if self.family == "sam":
            # SAM's own post-processing: to the padded input, unpad, to the image
            upscaled = self.processor.post_process_masks(  # type: ignore[attr-defined]
                [low], [embedded.size], [embedded.resized]
            )[0]
        else:
            from torch.nn import functional

            scaled = functional.interpolate(
                low, embedded.size, mode="bilinear", align_corners=False
            )
            upscaled = scaled > 0
        return np.asarray(upscaled[0, 0].cpu().numpy(), dtype=np.bool_)


class Sam:
    """Segment Anything through transformers: clicks and/or a box -> the best mask."""

    name: ClassVar[str] = "sam"
    description: ClassVar[str] = (
        "Segment Anything (SAM or SAM 2): clicks and/or a box on an image or a video frame "
        "-> the mask SAM scores best"
    )
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.IMAGE, Modality.VIDEO})
    geometries: ClassVar[frozenset[GeometryKind]] = frozenset({"mask"})
    prompts: ClassVar[frozenset[PromptKind]] = frozenset({"points", "box"})
    prompt_required: ClassVar[bool] = True
    parameters: ClassVar[type[BaseModel]] = NoParameters

    def __init__(self, model: str | None = None) -> None:
        self._model = model
        self._segmenter = hf_loading.LoadOnce(self._load)

    def _load(self) -> Segmenter:
        model, directory = hf_loading.resolve(self.name, self._model)
        return Segmenter(model, directory)

    def unavailable(self) -> str | None:
        """A missing package, no model configured, or a model not there (nothing loaded)."""
        return hf_loading.unavailable(self.name, self._model)

    def model(self) -> ModelInfo:
        """The model's name (repo id or folder name) and version (loads it)."""
        return self._segmenter.get().info

    def transformers_model(self) -> "PreTrainedModel":
        """The loaded transformers model (loads it), for inspection and benchmarks."""
        return self._segmenter.get().model

    def propose(self, requests: Sequence[ProposalRequest]) -> list[list[Proposal]]:
        """One mask per request; images not embedded yet go through the vision encoder in
        one batch."""
        import torch

        for request in requests:
            _check_prompt(request)
        segmenter = self._segmenter.get()
        keys = [_key(request) for request in requests]
        with torch.inference_mode():
            embedded: dict[_Key, Embedded] = {}
            missing: dict[_Key, ProposalRequest] = {}
            for key, request in zip(keys, requests, strict=True):
                kept = segmenter.kept.get(key)
                if kept is not None:
                    embedded[key] = kept
                else:
                    missing.setdefault(key, request)
            images = [rgb_array(request) for request in missing.values()]
            for key, new in zip(missing, segmenter.embed(images), strict=True):
                segmenter.kept.put(key, new)
                embedded[key] = new
            proposals: list[list[Proposal]] = []
            for key, request in zip(keys, requests, strict=True):
                mask, score = segmenter.segment(embedded[key], request.prompt)
                frame = request.prompt.frame if request.stream.modality is Modality.VIDEO else None
                proposals.append(
                    [
                        Proposal(
                            geometry=mask_geometry(mask, frame),
                            confidence=min(max(score, 0.0), 1.0),
                            details={"predicted_iou": score},
                        )
                    ]
                )
        return proposals


def _check_prompt(request: ProposalRequest) -> None:
    if not request.prompt.points and request.prompt.box is None:
        raise RuleViolation(
            request.stream.id, "prompt", "proposer-prompt", "sam needs clicks or a box"
        )


def _key(request: ProposalRequest) -> _Key:
    """What identifies the image a request segments (see the module)."""
    media = request.media
    if media is None:
        raise RuleViolation(
            request.stream.id, "uri", "proposer-media", "the stream has no media to read"
        )
    frame = request.prompt.frame if request.stream.modality is Modality.VIDEO else None
    if media.path is None:
        return (media.uri, frame, None, None)
    try:
        stat = media.path.stat()
    except OSError as exc:
        raise RosettaError(f"{media.uri}: cannot read {media.path}: {exc}") from exc
    return (media.uri, frame, stat.st_mtime_ns, stat.st_size)
