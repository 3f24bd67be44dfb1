"""Probing real media files: images, audio, video and text."""

import re
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from conftest import MEDIA
from rosetta.core.errors import RosettaError
from rosetta.core.modality import Modality
from rosetta.media.probe import local_path, probe

MP4 = MEDIA / "video" / "slideshow_320x240_25fps.mp4"
WEBM = MEDIA / "video" / "slideshow_320x240_25fps.webm"


@pytest.mark.parametrize(
    ("name", "size"),
    [("astronaut.png", (512, 512)), ("chelsea.png", (451, 300)), ("coffee.png", (600, 400))],
)
def test_image_size_and_mime(name: str, size: tuple[int, int]) -> None:
    info = probe(str(MEDIA / "images" / name), Modality.IMAGE)
    assert (info.width, info.height) == size
    assert info.mime == "image/png"
    assert info.duration is None


def test_jpeg_mime_comes_from_the_content() -> None:
    info = probe(str(MEDIA / "images" / "rocket.jpg"), Modality.IMAGE)
    assert (info.width, info.height, info.mime) == (640, 427, "image/jpeg")


@pytest.mark.parametrize(
    ("name", "samples"),
    [
        ("s1_astronaut.wav", 54454),
        ("s2_chelsea.wav", 46814),
        ("s3_coffee.wav", 43548),
        ("narration.wav", 156160),
    ],
)
def test_wav_duration_is_exact(name: str, samples: int) -> None:
    info = probe(str(MEDIA / "audio" / name), Modality.AUDIO)
    assert info.sample_rate == 16000
    assert info.channels == 1
    assert info.duration == samples / 16000
    assert info.codec == "pcm_16"


def test_narration_lasts_as_long_as_the_video() -> None:
    info = probe(str(MEDIA / "audio" / "narration.wav"), Modality.AUDIO)
    assert info.duration == pytest.approx(9.76)


def test_mp4_video() -> None:
    info = probe(str(MP4), Modality.VIDEO)
    assert (info.width, info.height) == (320, 240)
    assert info.frame_rate == "25/1"
    assert info.fps() == Fraction(25)
    assert info.frame_count == 244
    assert info.duration == pytest.approx(9.76)
    assert info.codec == "h264"
    assert (info.sample_rate, info.channels) == (16000, 1)
    assert info.mime == "video/mp4"


def test_webm_frames_are_counted_when_the_container_keeps_no_count() -> None:
    info = probe(str(WEBM), Modality.VIDEO)
    assert info.frame_count == 244
    assert info.frame_rate == "25/1"
    assert info.duration == pytest.approx(9.76)
    assert info.codec == "vp9"
    assert (info.sample_rate, info.channels) == (48000, 1)


def test_audio_that_libsndfile_cannot_read_falls_back_to_pyav() -> None:
    info = probe(str(WEBM), Modality.AUDIO)
    assert info.codec == "opus"
    assert info.sample_rate == 48000
    assert info.duration == pytest.approx(9.8)


def test_ntsc_frame_rate_is_an_exact_fraction(tmp_path: Path) -> None:
    path = tmp_path / "ntsc.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=Fraction(30000, 1001))
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(12):
            pixels = np.full((48, 64, 3), index * 10, np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        container.mux(stream.encode())
    info = probe(str(path), Modality.VIDEO)
    assert info.frame_rate == "30000/1001"
    assert info.frame_count == 12
    assert info.duration == pytest.approx(12 * 1001 / 30000)


def test_text_length_counts_code_points(tmp_path: Path) -> None:
    path = tmp_path / "caption.txt"
    path.write_text("Ünïcode 🚀 caption", encoding="utf-8")
    info = probe(path.as_uri(), Modality.TEXT)
    assert info.length == 17
    assert info.mime == "text/plain"


def test_file_uri_and_path_agree() -> None:
    path = MEDIA / "images" / "coffee.png"
    assert probe(path.as_uri(), Modality.IMAGE) == probe(str(path), Modality.IMAGE)
    assert local_path("file:///tmp/a%20b.png") == Path("/tmp/a b.png")


@pytest.mark.parametrize(
    ("uri", "modality", "message"),
    [
        (
            str(MEDIA / "missing.png"),
            Modality.IMAGE,
            "missing.png: no such file (expected an image",
        ),
        (str(MEDIA / "README.md"), Modality.IMAGE, "README.md: not readable as an image"),
        (str(MEDIA / "README.md"), Modality.VIDEO, "README.md: not readable as a video file"),
        (str(MEDIA / "README.md"), Modality.AUDIO, "README.md: not readable as an audio file"),
        (
            str(MEDIA / "audio" / "narration.wav"),
            Modality.VIDEO,
            "narration.wav: has no video track",
        ),
        (str(MEDIA / "images" / "chelsea.png"), Modality.TEXT, "chelsea.png: byte 0 is not UTF-8"),
        ("s3://bucket/key.png", Modality.IMAGE, "only local paths and file:// URIs"),
        ("file://server/share/a.png", Modality.IMAGE, "must name a local file"),
    ],
)
def test_bad_media_names_the_file_and_what_was_expected(
    uri: str, modality: Modality, message: str
) -> None:
    with pytest.raises(RosettaError, match=re.escape(message)):
        probe(uri, modality)
