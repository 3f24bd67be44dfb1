"""Pixels for image proposers: images and exact video frames as RGB arrays, masks as RLE."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import MEDIA
from rosetta.core.errors import RosettaError, RuleViolation
from rosetta.core.modality import Modality
from rosetta.core.schema import Stream
from rosetta.media.probe import probe
from rosetta.proposers.image_input import mask_geometry, rgb_array
from rosetta.proposers.spec import MediaRef, Prompt, ProposalRequest

VIDEO = MEDIA / "video" / "slideshow_320x240_25fps.mp4"
WEBM = MEDIA / "video" / "slideshow_320x240_25fps.webm"


def request(
    path: Path, modality: Modality, *, frame: int | None = None, local: bool = True
) -> ProposalRequest:
    """A request for `path`; ``local=False``: the host gives no path, only its reader."""
    stream = Stream(id="st", name="media", modality=modality, uri=str(path))
    media = MediaRef(str(path), path if local else None, opener=lambda: path.open("rb"))
    return ProposalRequest("s1", stream, media, Prompt(frame=frame))


@pytest.mark.parametrize("local", [True, False])
@pytest.mark.parametrize("name", ["astronaut.png", "rocket.jpg"])
def test_an_image_is_its_stored_rgb_pixels(name: str, local: bool) -> None:
    path = MEDIA / "images" / name
    pixels = rgb_array(request(path, Modality.IMAGE, local=local))
    info = probe(str(path), Modality.IMAGE)
    assert pixels.dtype == np.uint8
    assert pixels.shape == (info.height, info.width, 3)
    with Image.open(path) as image:
        assert np.array_equal(pixels, np.asarray(image.convert("RGB")))


def test_exif_orientation_is_not_applied(tmp_path: Path) -> None:
    """Pixel coordinates are those of the stored pixels, as the probe measures them."""
    path = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    Image.new("RGB", (40, 20), (200, 30, 30)).save(path, exif=exif)
    pixels = rgb_array(request(path, Modality.IMAGE))
    info = probe(str(path), Modality.IMAGE)
    assert pixels.shape == (20, 40, 3) == (info.height, info.width, 3)


def test_palette_and_alpha_images_become_rgb(tmp_path: Path) -> None:
    path = tmp_path / "rgba.png"
    Image.new("RGBA", (8, 6), (10, 20, 30, 0)).save(path)
    pixels = rgb_array(request(path, Modality.IMAGE))
    assert pixels.shape == (6, 8, 3)
    assert pixels[0, 0].tolist() == [10, 20, 30]


@pytest.mark.parametrize("local", [True, False])
def test_an_undecodable_image_names_its_uri(tmp_path: Path, local: bool) -> None:
    path = tmp_path / "broken.png"
    path.write_bytes(b"not an image at all")
    with pytest.raises(RosettaError, match=r"broken\.png: not readable as an image"):
        rgb_array(request(path, Modality.IMAGE, local=local))


@pytest.mark.parametrize("video", [VIDEO, WEBM])
def test_a_seeked_frame_is_the_frame_counted_from_the_start(video: Path) -> None:
    """With a local file the frame is found by seeking to its PTS; without, by decoding
    and counting: both give the same pixels, frame by frame, across the slide change."""
    for frame in (0, 89, 90, 91, 170, 243):
        seeked = rgb_array(request(video, Modality.VIDEO, frame=frame))
        counted = rgb_array(request(video, Modality.VIDEO, frame=frame, local=False))
        assert seeked.shape == (240, 320, 3)
        assert seeked.dtype == np.uint8
        assert np.array_equal(seeked, counted), frame


def test_frames_follow_the_slideshow() -> None:
    """Frame 90 is the last astronaut frame and 91 the first cat frame."""

    def frame(index: int) -> np.ndarray:
        return rgb_array(request(VIDEO, Modality.VIDEO, frame=index)).astype(np.int16)

    within = np.abs(frame(90) - frame(89)).mean()
    across = np.abs(frame(91) - frame(90)).mean()
    assert within < 5 < across


@pytest.mark.parametrize("local", [True, False])
def test_a_frame_past_the_end_names_the_uri_and_the_count(local: bool) -> None:
    with pytest.raises(
        RosettaError,
        match=r"slideshow_320x240_25fps\.mp4: video frame 244 is past the end \(the video has 244 frames",
    ):
        rgb_array(request(VIDEO, Modality.VIDEO, frame=244, local=local))


def test_a_missing_video_names_its_uri(tmp_path: Path) -> None:
    with pytest.raises(RosettaError, match=r"gone\.mp4: cannot read the video file"):
        rgb_array(request(tmp_path / "gone.mp4", Modality.VIDEO, frame=0))


def test_a_video_needs_a_frame_and_only_media_has_pixels() -> None:
    with pytest.raises(RuleViolation, match="needs a frame index"):
        rgb_array(request(VIDEO, Modality.VIDEO))
    with pytest.raises(RuleViolation, match="image or video streams, not audio"):
        rgb_array(request(MEDIA / "audio" / "narration.wav", Modality.AUDIO))
    inline = request(MEDIA / "images" / "coffee.png", Modality.IMAGE)
    with pytest.raises(RuleViolation, match="no media to read"):
        rgb_array(ProposalRequest("s1", inline.stream, None))


def test_a_mask_is_compressed_coco_rle() -> None:
    found = np.zeros((30, 40), dtype=bool)
    found[5:20, 10:35] = True
    found[25, 0] = True
    geometry = mask_geometry(found, frame=7)
    assert geometry.frame == 7
    assert geometry.rle.size == (30, 40)
    runs = geometry.rle.runs()
    assert sum(runs) == 30 * 40
    # runs alternate 0s and 1s, column by column
    decoded = np.repeat(np.arange(len(runs)) % 2 == 1, runs).reshape(40, 30).T
    assert np.array_equal(decoded, found)
    with pytest.raises(ValueError, match="2-D"):
        mask_geometry(np.zeros((2, 3, 4)))
