"""CLIP through transformers: zero-shot labels for images and regions (`ClipLabels`, the
``clip-labels`` proposer) and image-crop/text similarity for the embedding check
(`ClipEmbedder`, a `rosetta.core.checks.spec.Embedder`).

The model (``CLIPModel`` with its ``CLIPProcessor``; images prepared with the PIL image
processor, no torchvision) loads from a local folder or the local Hugging Face cache
(`rosetta.proposers.hf_loading`). Image and text embeddings are L2-normalised, so their
dot product is the cosine similarity in [-1, 1].

``clip-labels``: the image (a video's prompt frame), or the prompt's box cropped from it
(pixels the box covers, clipped to the image), against the prompt ``template`` filled with
each of the request's ``labels`` (the ontology's classes); the label is the one CLIP
scores best, the confidence its softmax probability over the labels (CLIP's learned
logit scale), the details the `RANKED` most probable labels' probabilities. Without a box the proposal is a `Classification` of the stream (on a video,
the frame's class stands for the stream), with one the box itself.

`ClipEmbedder.similarity` compares words (a text span's covered text, a transcript
segment's text) with a region (a box; a polygon's or a mask's bounding box; a box or
polygon track's first key frame in view) of an image or video frame: the image is decoded
from the local file of the region's stream's URI (the URI as a path or ``file://`` URI,
or what the host's ``locate`` gives: a server's media-root lookup); a region on a video
needs its
``frame``. Pairs it cannot compare (not one words and one region, a region that is an
interval, a text stream without its text, an empty crop) give ``None``.
"""

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from pycocotools import mask as mask_utils
from pydantic import BaseModel, ConfigDict, Field, field_validator

from rosetta.core.errors import RosettaError, RuleViolation
from rosetta.core.geometry import (
    Box,
    Classification,
    Geometry,
    GeometryKind,
    Mask,
    Polygon,
    TextSpan,
    Track,
    TranscriptSegment,
)
from rosetta.core.modality import Modality
from rosetta.core.schema import Annotation, Sample, Stream
from rosetta.media.probe import local_path
from rosetta.proposers import hf_loading
from rosetta.proposers.image_input import RgbArray, rgb_array
from rosetta.proposers.spec import (
    MediaRef,
    ModelInfo,
    Prompt,
    PromptKind,
    Proposal,
    ProposalRequest,
)

if TYPE_CHECKING:
    import torch

#: Images (or texts) embedded in one forward pass.
BATCH = 32

#: Labels whose probabilities a proposal's details keep (the most probable).
RANKED = 5

#: Decoded images an embedder keeps (a sample's regions often share one image).
IMAGES_KEPT = 4

#: A region in whole pixels: x0, y0 (inclusive), x1, y1 (exclusive).
_Rect = tuple[int, int, int, int]

#: A region's bounding box in pixels: x, y, w, h.
_Bounds = tuple[float, float, float, float]


class ClipLabelParameters(BaseModel):
    """What a ``clip-labels`` request may tune."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    template: str = Field(
        default="a photo of a {label}",
        description="the text each label is put into ('{label}' stands for it)",
    )

    @field_validator("template")
    @classmethod
    def _names_the_label(cls, template: str) -> str:
        if "{label}" not in template:
            raise ValueError(f"the template must contain '{{label}}', got {template!r}")
        return template


class Clip:
    """A loaded CLIP model and its processor."""

    def __init__(self, model: str, directory: Path) -> None:
        from transformers import CLIPModel, CLIPProcessor

        self.device = hf_loading.device()
        self.info = hf_loading.model_info(model, directory)
        self.model = hf_loading.on_device(
            CLIPModel.from_pretrained(directory, local_files_only=True)
        )
        self.processor: CLIPProcessor = CLIPProcessor.from_pretrained(
            directory, local_files_only=True
        )

    def images(self, images: Sequence[RgbArray]) -> "torch.Tensor":
        """The images' normalised embeddings (one row each)."""
        import torch

        rows = []
        with torch.inference_mode():
            for start in range(0, len(images), BATCH):
                inputs = self.processor.image_processor(
                    list(images[start : start + BATCH]), return_tensors="pt"
                )
                output = self.model.get_image_features(
                    pixel_values=inputs["pixel_values"].to(self.device), return_dict=True
                )
                rows.append(_normalised(output.pooler_output))
        return torch.cat(rows)

    def texts(self, texts: Sequence[str]) -> "torch.Tensor":
        """The texts' normalised embeddings (one row each; long texts truncated)."""
        import torch

        rows = []
        with torch.inference_mode():
            for start in range(0, len(texts), BATCH):
                inputs = self.processor.tokenizer(
                    list(texts[start : start + BATCH]),
                    padding=True,
                    truncation=True,
                    return_tensors="pt",
                ).to(self.device)
                output = self.model.get_text_features(**inputs, return_dict=True)
                rows.append(_normalised(output.pooler_output))
        return torch.cat(rows)

    def logit_scale(self) -> float:
        """CLIP's learned temperature: similarities times this are the logits."""
        return float(self.model.logit_scale.detach().exp())


def _normalised(rows: "torch.Tensor") -> "torch.Tensor":
    from torch.nn import functional

    return functional.normalize(rows, dim=-1)


class ClipLabels:
    """CLIP zero-shot labels: the ontology class an image or a box looks most like."""

    name: ClassVar[str] = "clip-labels"
    description: ClassVar[str] = (
        "CLIP zero-shot classification: the class an image, a video frame or a box on it "
        "looks most like, among the ontology's classes"
    )
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.IMAGE, Modality.VIDEO})
    geometries: ClassVar[frozenset[GeometryKind]] = frozenset({"classification", "box"})
    prompts: ClassVar[frozenset[PromptKind]] = frozenset({"box"})
    prompt_required: ClassVar[bool] = False
    parameters: ClassVar[type[BaseModel]] = ClipLabelParameters

    def __init__(self, model: str | None = None) -> None:
        self._model = model
        self._clip = hf_loading.LoadOnce(self._load)

    def _load(self) -> Clip:
        model, directory = hf_loading.resolve(self.name, self._model)
        return Clip(model, directory)

    def unavailable(self) -> str | None:
        """A missing package, no model configured, or a model not there (nothing loaded)."""
        return hf_loading.unavailable(self.name, self._model)

    def model(self) -> ModelInfo:
        """The model's name (repo id or folder name) and version (loads it)."""
        return self._clip.get().info

    def propose(self, requests: Sequence[ProposalRequest]) -> list[list[Proposal]]:
        """One labelled classification or box per request; every crop and every label text
        embedded in one batch each."""
        import torch

        if not requests:
            return []
        clip = self._clip.get()
        prompts: list[list[str]] = []
        crops: list[RgbArray] = []
        for request in requests:
            if not request.labels:
                raise RuleViolation(
                    request.stream.id,
                    "labels",
                    "proposer-labels",
                    "clip-labels chooses among the ontology's classes, and none was given",
                )
            template = ClipLabelParameters.model_validate(dict(request.parameters)).template
            prompts.append([template.replace("{label}", label) for label in request.labels])
            crops.append(_request_crop(request))
        texts = sorted({text for chosen in prompts for text in chosen})
        text_rows = clip.texts(texts)
        row_of = {text: index for index, text in enumerate(texts)}
        image_rows = clip.images(crops)
        scale = clip.logit_scale()
        proposals: list[list[Proposal]] = []
        for index, request in enumerate(requests):
            chosen = text_rows[[row_of[text] for text in prompts[index]]]
            probabilities = torch.softmax(scale * chosen @ image_rows[index], dim=0).tolist()
            ranked = sorted(
                zip(request.labels, probabilities, strict=True), key=_second, reverse=True
            )
            label, probability = ranked[0]
            proposals.append(
                [
                    Proposal(
                        geometry=_geometry(request),
                        label=label,
                        confidence=min(probability, 1.0),
                        details={"probabilities": dict(ranked[:RANKED])},
                    )
                ]
            )
        return proposals


def _second(pair: tuple[str, float]) -> float:
    return pair[1]


def _request_crop(request: ProposalRequest) -> RgbArray:
    """The request's image, or the part of it under the prompt's box."""
    image = rgb_array(request)
    box = request.prompt.box
    if box is None:
        return image
    rect = _pixels(image, (box.x, box.y, box.w, box.h))
    if rect is None:
        raise RuleViolation(
            request.stream.id,
            "prompt.box",
            "proposer-prompt",
            f"the box lies outside the {image.shape[1]}x{image.shape[0]} image",
        )
    x0, y0, x1, y1 = rect
    return image[y0:y1, x0:x1]


def _geometry(request: ProposalRequest) -> Box | Classification:
    box = request.prompt.box
    if box is None:
        return Classification()
    if request.stream.modality is Modality.VIDEO:
        return box.model_copy(update={"frame": request.prompt.frame})
    return box


def _pixels(image: RgbArray, box: _Bounds) -> _Rect | None:
    """The whole pixels a box ``(x, y, w, h)`` touches, clipped to the image (``None``:
    none)."""
    height, width = image.shape[:2]
    x, y, w, h = box
    x0, y0 = max(math.floor(x), 0), max(math.floor(y), 0)
    x1, y1 = min(math.ceil(x + w), width), min(math.ceil(y + h), height)
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


class ClipEmbedder:
    """Similarity of words and an image region by CLIP (see the module): an `Embedder`."""

    def __init__(self, model: str, *, locate: Callable[[str], Path] = local_path) -> None:
        """`locate` turns a stream's URI into the local file to read (default: the URI
        as a path; a server passes its media-root lookup)."""
        self._model = model
        self._locate = locate
        self._clip = hf_loading.LoadOnce(self._load)
        self._images: hf_loading.Lru[tuple[str, int | None, int, int], RgbArray] = hf_loading.Lru(
            IMAGES_KEPT
        )
        self.name = f"clip {Path(model).name if Path(model).expanduser().is_dir() else model}"

    def _load(self) -> Clip:
        model, directory = hf_loading.resolve("clip embedder", self._model)
        return Clip(model, directory)

    def unavailable(self) -> str | None:
        """A missing package or a model not there (nothing loaded)."""
        return hf_loading.unavailable("clip embedder", self._model)

    def model(self) -> ModelInfo:
        """The model's name (repo id or folder name) and version (loads it)."""
        return self._clip.get().info

    def similarity(self, sample: Sample, first: Annotation, second: Annotation) -> float | None:
        """The cosine similarity in [-1, 1] of the words and the region's crop among
        `first` and `second` (either order); ``None`` when they cannot be compared."""
        words = next((a for a in (first, second) if _is_words(a)), None)
        region = next((a for a in (first, second) if _is_region(a)), None)
        if words is None or region is None:
            return None
        streams = {stream.id: stream for stream in sample.streams}
        text = _words_text(words, streams.get(words.stream or ""), self._locate)
        crop = self._region_crop(sample, region, streams.get(region.stream or ""))
        if not text or crop is None:
            return None
        clip = self._clip.get()
        cosine = float(clip.texts([text])[0] @ clip.images([crop])[0])
        return min(max(cosine, -1.0), 1.0)

    def _region_crop(
        self, sample: Sample, region: Annotation, stream: Stream | None
    ) -> RgbArray | None:
        if stream is None or stream.uri is None:
            return None
        if stream.modality not in (Modality.IMAGE, Modality.VIDEO):
            return None
        where = _where(region.geometry)
        if where is None:
            return None
        frame, bounds = where
        if (stream.modality is Modality.VIDEO) != (frame is not None):
            return None
        image = self._image(sample, stream, frame)
        rect = _pixels(image, bounds)
        if rect is None:
            return None
        x0, y0, x1, y1 = rect
        return image[y0:y1, x0:x1]

    def _image(self, sample: Sample, stream: Stream, frame: int | None) -> RgbArray:
        """The stream's image (a video's `frame`), decoded from its URI's local file."""
        assert stream.uri is not None
        path = self._locate(stream.uri)
        try:
            stat = path.stat()
        except OSError as exc:
            raise RosettaError(f"stream {stream.id!r}: cannot read {stream.uri}: {exc}") from exc
        key = (stream.uri, frame, stat.st_mtime_ns, stat.st_size)
        image = self._images.get(key)
        if image is None:
            request = ProposalRequest(
                sample_id=sample.id,
                stream=stream,
                media=MediaRef.local(stream.uri, path),
                prompt=Prompt(frame=frame) if stream.modality is Modality.VIDEO else Prompt(),
            )
            image = rgb_array(request)
            self._images.put(key, image)
        return image


def _is_words(annotation: Annotation) -> bool:
    return isinstance(annotation.geometry, TextSpan | TranscriptSegment)


def _is_region(annotation: Annotation) -> bool:
    geometry = annotation.geometry
    if isinstance(geometry, Track):
        return geometry.kind != "cuboid"
    return isinstance(geometry, Box | Polygon | Mask)


def _words_text(
    words: Annotation, stream: Stream | None, locate: Callable[[str], Path]
) -> str | None:
    """The words' text: a transcript segment's, or the text a span covers in its stream
    (inline, else read from the local UTF-8 file of the stream's URI)."""
    geometry = words.geometry
    if isinstance(geometry, TranscriptSegment):
        return geometry.text.strip()
    assert isinstance(geometry, TextSpan)
    if stream is None:
        return None
    text = stream.text
    if text is None:
        if stream.uri is None:
            return None
        try:
            text = locate(stream.uri).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RosettaError(f"stream {stream.id!r}: cannot read {stream.uri}: {exc}") from exc
    return geometry.extract(text).strip()


def _where(geometry: Geometry) -> tuple[int | None, _Bounds] | None:
    """The frame (``None`` on an image) and the bounding box ``(x, y, w, h)`` of a region:
    a box, a polygon, a mask, or a track's first key frame in view (``None``: an empty
    mask, a track never in view)."""
    if isinstance(geometry, Box):
        return geometry.frame, (geometry.x, geometry.y, geometry.w, geometry.h)
    if isinstance(geometry, Polygon):
        return geometry.frame, _polygon_bounds(geometry.points)
    if isinstance(geometry, Mask):
        rle = {"size": list(geometry.rle.size), "counts": geometry.rle.counts.encode("ascii")}
        x, y, w, h = (float(v) for v in mask_utils.toBbox(rle))
        return (geometry.frame, (x, y, w, h)) if w > 0 and h > 0 else None
    assert isinstance(geometry, Track)
    key = next((k for k in geometry.keyframes if k.is_key and not k.outside), None)
    if key is None:
        return None
    if key.points is not None:
        return key.frame, _polygon_bounds(key.points)
    assert key.x is not None and key.y is not None and key.w is not None and key.h is not None
    return key.frame, (key.x, key.y, key.w, key.h)


def _polygon_bounds(points: Sequence[tuple[float, float]]) -> _Bounds:
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)
