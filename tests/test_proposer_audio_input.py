"""Audio for proposers (`rosetta.proposers.audio_input.mono_audio`): the narration WAV, the
slideshow videos' AAC and Opus tracks, remote media read through the host's opener, a
window cut by the prompt's interval, resampling, and the errors for media without audio."""

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile

from conftest import MEDIA
from mediagen import burst_wav, ntsc_clip
from rosetta.core.errors import RosettaError, RuleViolation
from rosetta.core.geometry import Interval
from rosetta.core.modality import Modality
from rosetta.core.schema import Stream
from rosetta.proposers.audio_input import mono_audio, pcm16
from rosetta.proposers.spec import MediaRef, Prompt, ProposalRequest

NARRATION = MEDIA / "audio" / "narration.wav"
MP4 = MEDIA / "video" / "slideshow_320x240_25fps.mp4"
WEBM = MEDIA / "video" / "slideshow_320x240_25fps.webm"
TIMINGS: dict[str, Any] = json.loads((MEDIA / "audio" / "word_timings.json").read_text())


def request(
    path: Path,
    modality: Modality = Modality.AUDIO,
    interval: Interval | None = None,
    *,
    remote: bool = False,
) -> ProposalRequest:
    """A request on the file at `path`; `remote`: the host gives no local path, only its
    opener."""
    uri = f"https://media.example.org/{path.name}" if remote else str(path)
    stream = Stream(id="stream-1", name="track", modality=modality, uri=uri)
    media = MediaRef(uri, None if remote else path, opener=lambda: path.open("rb"))
    return ProposalRequest("sample-1", stream, media, Prompt(interval=interval))


@pytest.fixture(scope="module")
def narration() -> np.ndarray:
    samples, rate = soundfile.read(NARRATION, dtype="float32")
    assert rate == 16000
    return samples


def test_a_wav_at_its_own_rate_is_its_samples(narration: np.ndarray) -> None:
    samples, start = mono_audio(request(NARRATION))
    assert start == 0.0
    assert samples.dtype == np.float32
    assert samples.size == TIMINGS["narration_duration_ms"] * 16
    np.testing.assert_array_equal(samples, narration)


def test_remote_media_is_read_through_the_opener(narration: np.ndarray) -> None:
    samples, start = mono_audio(request(NARRATION, remote=True))
    assert start == 0.0
    np.testing.assert_array_equal(samples, narration)


def test_the_interval_cuts_a_window_in_media_time(narration: np.ndarray) -> None:
    second = TIMINGS["sentences"][1]
    begin, end = second["offset_ms"] / 1000, (second["offset_ms"] + second["speech_end_ms"]) / 1000
    samples, start = mono_audio(request(NARRATION, interval=Interval(start=begin, end=end)))
    assert start == pytest.approx(begin, abs=1 / 16000)
    np.testing.assert_array_equal(samples, narration[round(begin * 16000) : round(end * 16000)])


@pytest.mark.parametrize("video", [MP4, WEBM], ids=["aac-16k", "opus-48k"])
def test_a_videos_audio_track_matches_the_narration_it_was_encoded_from(
    video: Path, narration: np.ndarray
) -> None:
    samples, start = mono_audio(request(video, Modality.VIDEO))
    assert start == 0.0
    assert float(np.abs(samples).max()) <= 1.0
    assert abs(samples.size - narration.size) <= 0.04 * 16000
    common = min(samples.size, narration.size)
    correlation = np.corrcoef(samples[:common], narration[:common])[0, 1]
    assert correlation > 0.9


def test_resampling_keeps_the_time_of_the_signal(tmp_path: Path) -> None:
    wav = burst_wav(tmp_path / "burst.wav", rate=44100)
    samples, start = mono_audio(request(wav), rate=16000)
    assert start == 0.0
    assert samples.size == 40000
    loud = np.flatnonzero(np.abs(samples) > 0.5)
    assert loud[0] / 16000 == pytest.approx(1.0, abs=0.005)
    assert loud[-1] / 16000 == pytest.approx(1.5, abs=0.005)


def test_pcm16_scales_and_clips() -> None:
    pcm = pcm16(np.array([0.0, 0.5, -1.0, 1.0, 2.0], dtype=np.float32))
    assert pcm.dtype == np.dtype("<i2")
    assert pcm.tolist() == [0, 16384, -32768, 32767, 32767]


def test_a_video_without_audio_is_refused_naming_its_uri(tmp_path: Path) -> None:
    silent = ntsc_clip(tmp_path / "silent.mp4", seconds=1)
    with pytest.raises(RosettaError, match=r"silent\.mp4.*no audio track"):
        mono_audio(request(silent, Modality.VIDEO, remote=True))


def test_an_interval_past_the_end_is_refused() -> None:
    with pytest.raises(
        RosettaError, match=r"narration\.wav\): no audio samples in \[20\.0, 21\.0\) s"
    ):
        mono_audio(request(NARRATION, interval=Interval(start=20.0, end=21.0)))


def test_a_stream_without_media_is_refused() -> None:
    stream = Stream(id="caption", name="caption", modality=Modality.AUDIO)
    with pytest.raises(RuleViolation, match="no media"):
        mono_audio(ProposalRequest("sample-1", stream, None))
