"""GrabCut on real photographs: a box or clicks -> one mask, on images and video frames.

Where a true mask is needed, the thing is an ellipse cut from one photograph and pasted
onto another (real textures, a known outline)."""

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from conftest import MEDIA
from rosetta.core.errors import RuleViolation
from rosetta.core.geometry import Box, Mask
from rosetta.core.modality import Modality
from rosetta.core.schema import Stream
from rosetta.proposers.grabcut import GrabCut
from rosetta.proposers.spec import (
    MediaRef,
    Prompt,
    PromptPoint,
    Proposal,
    ProposalRequest,
    Proposer,
    check_request,
)

Bools = npt.NDArray[np.bool_]
ASTRONAUT = MEDIA / "images" / "astronaut.png"
COFFEE = MEDIA / "images" / "coffee.png"
VIDEO = MEDIA / "video" / "slideshow_320x240_25fps.mp4"


def request(path: Path, modality: Modality = Modality.IMAGE, **prompt: object) -> ProposalRequest:
    stream = Stream(id="st", name="media", modality=modality, uri=str(path))
    media = MediaRef.local(str(path), path)
    return ProposalRequest("s1", stream, media, Prompt.model_validate(prompt))


def only_mask(proposals: list[Proposal]) -> Bools:
    """The one proposal's mask, decoded from its RLE (runs of 0s and 1s, column-major)."""
    assert len(proposals) == 1
    proposal = proposals[0]
    assert isinstance(proposal.geometry, Mask)
    assert proposal.label is None
    assert proposal.confidence is None
    height, width = proposal.geometry.rle.size
    runs = proposal.geometry.rle.runs()
    return np.repeat(np.arange(len(runs)) % 2 == 1, runs).reshape(width, height).T


def iou(first: Bools, second: Bools) -> float:
    return float((first & second).sum() / (first | second).sum())


@pytest.fixture(scope="module")
def cat_on_table(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Bools]:
    """A 180x140 ellipse of the cat's face pasted onto the coffee table, and its mask."""
    table = np.asarray(Image.open(COFFEE).convert("RGB")).copy()
    cat = np.asarray(Image.open(MEDIA / "images" / "chelsea.png").convert("RGB"))
    rows, cols = np.mgrid[0:400, 0:600]
    inside = ((cols - 300) / 90) ** 2 + ((rows - 200) / 70) ** 2 <= 1
    ys, xs = np.nonzero(inside)
    table[ys, xs] = cat[ys - 70, xs - 75]
    path = tmp_path_factory.mktemp("grabcut") / "cat_on_table.png"
    Image.fromarray(table).save(path)
    return path, inside


def test_grabcut_is_a_proposer_that_needs_a_box_or_clicks() -> None:
    grabcut = GrabCut()
    assert isinstance(grabcut, Proposer)
    assert grabcut.unavailable() is None
    info = grabcut.model()
    assert info.name == "grabcut"
    assert info.version.startswith("opencv 4.")
    stream = Stream(id="st", name="image", modality=Modality.IMAGE, uri="x.png")
    with pytest.raises(RuleViolation, match="needs a prompt"):
        check_request(grabcut, stream, Prompt())
    with pytest.raises(RuleViolation, match="takes no text prompt"):
        check_request(grabcut, stream, Prompt(text="a cat"))
    assert "takes no model" in (GrabCut(model="/models/x").unavailable() or "")


def test_a_box_around_a_thing_gives_its_mask(cat_on_table: tuple[Path, Bools]) -> None:
    path, truth = cat_on_table
    box = Box(x=201, y=123, w=198, h=154)  # the ellipse's bounds and 5% more each side
    found = only_mask(GrabCut().propose([request(path, box=box)])[0])
    assert found.shape == (400, 600)
    assert iou(found, truth) > 0.9
    assert not found[:123].any() and not found[:, :201].any()


def test_a_box_on_a_photograph() -> None:
    """The astronaut's box: her face in, the flag and the shuttle out, nothing outside."""
    box = Box(x=15, y=10, w=360, h=502)
    found = only_mask(GrabCut().propose([request(ASTRONAUT, box=box)])[0])
    assert found.shape == (512, 512)
    assert 0.3 < found.sum() / box.area() < 0.7
    assert not found[:, :15].any() and not found[:, 375:].any() and not found[:10].any()
    assert found[120, 220]  # her face
    assert not found[150, 30]  # the flag


def test_clicks_move_the_mask() -> None:
    """On the saucer's box a negative click on the saucer takes out the saucer around it;
    a positive click in the white cup adds the cup's inside."""
    box = Box(x=70, y=60, w=415, h=335)
    grabcut = GrabCut()
    plain = only_mask(grabcut.propose([request(COFFEE, box=box)])[0])
    assert plain[250, 120] and not plain[40, 290]
    off = PromptPoint(x=120, y=250, positive=False)
    less = only_mask(grabcut.propose([request(COFFEE, box=box, points=[off])])[0])
    window = np.s_[230:270, 100:140]
    assert not less[249:252, 119:122].any()  # the disk around the click
    assert less[window].sum() < plain[window].sum()
    more = only_mask(grabcut.propose([request(COFFEE, box=box, points=[{"x": 290, "y": 40}])])[0])
    assert more[40, 290]
    assert (more & ~plain).sum() > 10_000


def test_clicks_alone_find_the_thing(cat_on_table: tuple[Path, Bools]) -> None:
    path, truth = cat_on_table
    for clicks in ([(300, 200)], [(300, 200), (250, 170)]):
        points = [PromptPoint(x=x, y=y) for x, y in clicks]
        found = only_mask(GrabCut().propose([request(path, points=points)])[0])
        assert iou(found, truth) > 0.85, clicks


def test_a_video_frame_gets_a_mask_on_that_frame() -> None:
    """Frame 200 shows the coffee cup; the mask is on frame 200, in the video's pixels."""
    box = Box(x=60, y=10, w=200, h=200)
    proposals = GrabCut().propose([request(VIDEO, Modality.VIDEO, frame=200, box=box)])[0]
    found = only_mask(proposals)
    assert isinstance(proposals[0].geometry, Mask)
    assert proposals[0].geometry.frame == 200
    assert found.shape == (240, 320)
    assert 0.1 < found.sum() / box.area() < 0.9
    assert not found[:, :60].any() and not found[:, 260:].any()


def test_a_box_over_the_whole_frame_still_leaves_background() -> None:
    """With no pixel outside the box, the frame's edge is the background sample."""
    box = Box(x=0, y=0, w=320, h=240)
    found = only_mask(GrabCut().propose([request(VIDEO, Modality.VIDEO, frame=200, box=box)])[0])
    assert 0.05 < found.mean() < 0.95


def test_one_batch_answers_each_request_in_order(cat_on_table: tuple[Path, Bools]) -> None:
    path, _ = cat_on_table
    requests = [
        request(path, box=Box(x=201, y=123, w=198, h=154)),
        request(VIDEO, Modality.VIDEO, frame=10, box=Box(x=100, y=20, w=120, h=200)),
    ]
    first, second = GrabCut().propose(requests)
    assert only_mask(first).shape == (400, 600)
    assert only_mask(second).shape == (240, 320)


def test_parameters_are_used_and_checked(cat_on_table: tuple[Path, Bools]) -> None:
    """A small `max_side` runs on a scaled-down crop: the mask is still image-sized and
    close to the full-resolution one; unknown parameters are refused."""
    path, truth = cat_on_table
    box = Box(x=201, y=123, w=198, h=154)
    small = request(path, box=box)
    small = ProposalRequest(
        small.sample_id,
        small.stream,
        small.media,
        small.prompt,
        parameters={"max_side": 96, "iterations": 2},
    )
    found = only_mask(GrabCut().propose([small])[0])
    assert found.shape == (400, 600)
    assert iou(found, truth) > 0.8
    bad = ProposalRequest(
        small.sample_id, small.stream, small.media, small.prompt, parameters={"radius": 3}
    )
    with pytest.raises(ValueError, match="radius"):
        GrabCut().propose([bad])


@pytest.mark.parametrize(
    ("prompt", "message"),
    [
        ({"points": [{"x": 10, "y": 10, "positive": False}]}, "a box or at least one positive"),
        ({"box": {"x": 700, "y": 10, "w": 50, "h": 50}}, "the box lies outside the 600x400"),
        (
            {"box": {"x": 10, "y": 10, "w": 50, "h": 50}, "points": [{"x": 600, "y": 5}]},
            r"click \(600.0, 5.0\) lies outside",
        ),
    ],
)
def test_prompts_it_cannot_use_are_refused(prompt: dict[str, Any], message: str) -> None:
    with pytest.raises(RuleViolation, match=message):
        GrabCut().propose([request(COFFEE, **prompt)])
