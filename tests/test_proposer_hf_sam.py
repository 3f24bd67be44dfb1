"""The sam proposer on tiny random SAM and SAM 2 models that the fixtures build and save:
loading from a folder, the mask contract (image-sized, binary, a confidence in [0, 1]),
the image embedding kept between clicks, batching, video frames and clear errors.

Random weights make the masks themselves meaningless; what is tested is the adapter's
contract and that it runs the real transformers models end to end."""

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import torch

from conftest import MEDIA
from rosetta.core.errors import RosettaError, RuleViolation
from rosetta.core.geometry import Box, Mask
from rosetta.core.modality import Modality
from rosetta.core.schema import Stream
from rosetta.proposers import hf_loading
from rosetta.proposers.hf_sam import Sam
from rosetta.proposers.spec import (
    MediaRef,
    Prompt,
    PromptPoint,
    Proposal,
    ProposalRequest,
    Proposer,
    check_request,
)
from tiny_models import sam2_model, sam_model

CAT = MEDIA / "images" / "chelsea.png"  # 451 x 300
COFFEE = MEDIA / "images" / "coffee.png"  # 600 x 400
VIDEO = MEDIA / "video" / "slideshow_320x240_25fps.mp4"


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sam-models")
    return {"sam": sam_model(folder), "sam2": sam2_model(folder)}


@pytest.fixture(scope="module", params=["sam", "sam2"])
def sam(request: pytest.FixtureRequest, models: dict[str, Path]) -> Sam:
    return Sam(str(models[request.param]))


class EncoderCalls:
    """Counts the vision encoder's forward passes and their batch sizes (a forward hook
    on the real module)."""

    def __init__(self, sam: Sam) -> None:
        self.batches: list[int] = []
        encoder = sam.transformers_model().vision_encoder
        assert isinstance(encoder, torch.nn.Module)
        self._hook = encoder.register_forward_hook(self._seen)

    def _seen(self, _module: torch.nn.Module, args: tuple[torch.Tensor, ...], _out: object) -> None:
        self.batches.append(int(args[0].shape[0]))

    def remove(self) -> None:
        self._hook.remove()


@pytest.fixture
def encoder_calls(sam: Sam) -> Iterator[EncoderCalls]:
    calls = EncoderCalls(sam)
    yield calls
    calls.remove()


def request(path: Path, prompt: Prompt, modality: Modality = Modality.IMAGE) -> ProposalRequest:
    stream = Stream(id=f"s-{path.stem}", name=path.name, modality=modality, uri=str(path))
    return ProposalRequest(
        sample_id="sample",
        stream=stream,
        media=MediaRef.local(str(path), path),
        prompt=prompt,
    )


def copied(source: Path, folder: Path) -> Path:
    """A copy of `source` in `folder`: a file no proposer has embedded yet."""
    target = folder / source.name
    target.write_bytes(source.read_bytes())
    return target


def click(x: float, y: float, positive: bool = True) -> PromptPoint:
    return PromptPoint(x=x, y=y, positive=positive)


def decoded(proposal: Proposal) -> npt.NDArray[np.bool_]:
    """The proposal's mask decoded from its RLE (runs of 0s and 1s, column-major), which
    must cover the mask's size exactly."""
    geometry = proposal.geometry
    assert isinstance(geometry, Mask)
    height, width = geometry.rle.size
    runs = geometry.rle.runs()
    assert sum(runs) == height * width
    return np.repeat(np.arange(len(runs)) % 2 == 1, runs).reshape(width, height).T


def test_it_is_a_proposer_that_needs_clicks_or_a_box() -> None:
    sam = Sam(None)
    assert isinstance(sam, Proposer)
    stream = Stream(id="s", name="s", modality=Modality.IMAGE, uri=str(CAT))
    check_request(sam, stream, Prompt(points=(click(1, 1),)))
    with pytest.raises(RuleViolation, match="needs a prompt"):
        check_request(sam, stream, Prompt())


def test_a_click_gives_a_binary_mask_of_the_image_size(sam: Sam) -> None:
    (proposals,) = sam.propose([request(CAT, Prompt(points=(click(225.5, 150.5),)))])

    (proposal,) = proposals
    mask = decoded(proposal)
    assert mask.shape == (300, 451)
    assert mask.dtype == np.bool_
    assert isinstance(proposal.geometry, Mask)
    assert proposal.geometry.frame is None
    assert proposal.confidence is not None
    assert 0 <= proposal.confidence <= 1
    assert proposal.confidence == min(max(proposal.details["predicted_iou"], 0.0), 1.0)


def test_further_clicks_on_an_image_skip_the_vision_encoder(
    sam: Sam, encoder_calls: EncoderCalls, tmp_path: Path
) -> None:
    coffee, cat = copied(COFFEE, tmp_path), copied(CAT, tmp_path)
    sam.propose([request(coffee, Prompt(points=(click(300, 200),)))])
    sam.propose([request(coffee, Prompt(points=(click(300, 200), click(10, 10, False))))])
    sam.propose([request(coffee, Prompt(box=Box(x=200, y=100, w=200, h=200)))])
    assert encoder_calls.batches == [1]

    (proposals,) = sam.propose([request(cat, Prompt(points=(click(50, 50),)))])
    assert decoded(proposals[0]).shape == (300, 451)
    assert encoder_calls.batches == [1, 1]


def test_a_batch_embeds_its_new_images_in_one_pass(sam: Sam, tmp_path: Path) -> None:
    """Two new images (copies, so nothing is kept for them yet) in one forward pass; a
    third request on one of them reuses its embedding."""
    first, second = copied(CAT, tmp_path), copied(MEDIA / "images" / "rocket.jpg", tmp_path)
    calls = EncoderCalls(sam)
    try:
        found = sam.propose(
            [
                request(first, Prompt(points=(click(100, 100),))),
                request(second, Prompt(box=Box(x=0, y=0, w=640, h=427))),
                request(first, Prompt(box=Box(x=10.5, y=20, w=30, h=40), points=(click(20, 30),))),
            ]
        )
    finally:
        calls.remove()
    assert calls.batches == [2]
    assert [decoded(one[0]).shape for one in found] == [(300, 451), (427, 640), (300, 451)]


def test_a_changed_file_is_embedded_again(sam: Sam, tmp_path: Path) -> None:
    image = copied(CAT, tmp_path)
    calls = EncoderCalls(sam)
    try:
        sam.propose([request(image, Prompt(points=(click(5, 5),)))])
        image.write_bytes(COFFEE.read_bytes())
        (proposals,) = sam.propose([request(image, Prompt(points=(click(5, 5),)))])
    finally:
        calls.remove()
    assert calls.batches == [1, 1]
    assert decoded(proposals[0]).shape == (400, 600)


def test_a_video_frame_gives_a_mask_on_that_frame(sam: Sam) -> None:
    prompt = Prompt(points=(click(160, 120),), frame=100)
    (proposals,) = sam.propose([request(VIDEO, prompt, Modality.VIDEO)])

    geometry = proposals[0].geometry
    assert isinstance(geometry, Mask)
    assert geometry.frame == 100
    assert decoded(proposals[0]).shape == (240, 320)


def test_a_video_request_needs_a_frame(sam: Sam) -> None:
    with pytest.raises(RuleViolation, match="frame"):
        sam.propose([request(VIDEO, Prompt(points=(click(1, 1),)), Modality.VIDEO)])


def test_the_model_is_named_by_its_folder_and_versioned_by_its_weights(
    models: dict[str, Path],
) -> None:
    info = Sam(str(models["sam"])).model()
    assert info.name == "tiny-sam"
    release, digest = info.version.removeprefix("transformers ").split(" ")
    assert release.startswith("5.")
    assert len(digest) == 12
    assert Sam(str(models["sam2"])).model().version != info.version


def test_unavailable_names_what_is_missing(tmp_path: Path) -> None:
    assert Sam(None).unavailable() == (
        'no model configured for sam: set ROSETTA_PROPOSER_MODELS, e.g. {"sam": '
        '"/models/<model folder>"} (a local folder or a Hugging Face repo id in the local cache)'
    )
    missing = tmp_path / "no-such-model"
    why = Sam(str(missing)).unavailable()
    assert why is not None
    assert f"model folder {str(missing)!r} does not exist" in why
    not_cached = Sam("rosetta-tests/not-a-cached-model").unavailable()
    assert not_cached is not None
    assert "'rosetta-tests/not-a-cached-model' is neither a local folder" in not_cached
    assert "hf download rosetta-tests/not-a-cached-model" in not_cached
    empty = tmp_path / "empty"
    empty.mkdir()
    assert f"{str(empty)!r} has no config.json" in (Sam(str(empty)).unavailable() or "")


def test_a_missing_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hf_loading, "PACKAGES", ("torch", "rosetta_tests_no_such_package"))
    assert Sam("facebook/sam-vit-base").unavailable() == (
        "sam: rosetta_tests_no_such_package not installed: pip install 'rosetta-annotate[models]'"
    )


def test_propose_without_the_model_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "gone"
    with pytest.raises(RosettaError, match=r"gone' does not exist"):
        Sam(str(missing)).propose([request(CAT, Prompt(points=(click(1, 1),)))])


def test_a_model_of_another_kind_is_refused(tmp_path_factory: pytest.TempPathFactory) -> None:
    from tiny_models import clip_model

    folder = clip_model(tmp_path_factory.mktemp("not-sam"))
    with pytest.raises(RosettaError, match="holds a 'clip' model; this proposer runs sam or sam2"):
        Sam(str(folder)).model()
