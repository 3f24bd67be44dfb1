"""silero-vad and webrtc-vad on the real speech of the media fixtures: the three sentences
of the narration (and of the slideshow's AAC track), an interval, a batch, silence, the
parameters and the errors."""

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile
from pydantic import ValidationError

from conftest import MEDIA
from rosetta.core.errors import RuleViolation
from rosetta.core.geometry import Interval
from rosetta.core.modality import Modality
from rosetta.core.schema import Stream
from rosetta.proposers.spec import MediaRef, Prompt, Proposal, ProposalRequest, check_request
from rosetta.proposers.speech_activity import (
    SileroParameters,
    SileroVad,
    WebRtcParameters,
    WebRtcVad,
)

TIMINGS: dict[str, Any] = json.loads((MEDIA / "audio" / "word_timings.json").read_text())
#: Where each sentence's speech starts and ends on the narration's timeline (seconds).
SENTENCES = [
    (s["offset_ms"] / 1000, (s["offset_ms"] + s["speech_end_ms"]) / 1000)
    for s in TIMINGS["sentences"]
]
NARRATION = MEDIA / "audio" / "narration.wav"
MP4 = MEDIA / "video" / "slideshow_320x240_25fps.mp4"

Detector = SileroVad | WebRtcVad


def request(
    path: Path,
    modality: Modality = Modality.AUDIO,
    interval: Interval | None = None,
    parameters: dict[str, Any] | None = None,
) -> ProposalRequest:
    stream = Stream(id="speech", name="speech", modality=modality, uri=str(path))
    media = MediaRef.local(str(path), path)
    return ProposalRequest(
        "sample-1", stream, media, Prompt(interval=interval), parameters=parameters or {}
    )


@pytest.fixture(scope="module", params=[SileroVad, WebRtcVad], ids=["silero", "webrtc"])
def detector(request: pytest.FixtureRequest) -> Detector:
    proposer: Detector = request.param()
    assert proposer.unavailable() is None
    return proposer


def spans(proposals: list[Proposal]) -> list[tuple[float, float]]:
    found = []
    for proposal in proposals:
        assert isinstance(proposal.geometry, Interval)
        assert proposal.label is None
        found.append((proposal.geometry.start, proposal.geometry.end))
    return found


def assert_finds_the_sentences(found: list[tuple[float, float]]) -> None:
    """One segment per sentence, overlapping it and no other, its ends within 150 ms."""
    assert len(found) == len(SENTENCES)
    for (start, end), (speech_start, speech_end) in zip(found, SENTENCES, strict=True):
        overlapped = [s for s in SENTENCES if start < s[1] and s[0] < end]
        assert overlapped == [(speech_start, speech_end)]
        assert start == pytest.approx(speech_start, abs=0.15)
        assert end == pytest.approx(speech_end, abs=0.15)


@pytest.mark.parametrize(
    ("path", "modality"),
    [(NARRATION, Modality.AUDIO), (MP4, Modality.VIDEO)],
    ids=["narration-wav", "slideshow-aac"],
)
def test_finds_the_three_sentences_of_the_narration(
    detector: Detector, path: Path, modality: Modality
) -> None:
    [proposals] = detector.propose([request(path, modality)])
    assert_finds_the_sentences(spans(proposals))
    for proposal in proposals:
        if isinstance(detector, SileroVad):
            assert proposal.confidence is not None
            assert 0.9 <= proposal.confidence <= 1.0
        else:
            assert proposal.confidence is None


def test_times_are_media_seconds_inside_an_interval(detector: Detector) -> None:
    [proposals] = detector.propose([request(NARRATION, interval=Interval(start=3.3, end=6.6))])
    [(start, end)] = spans(proposals)
    speech_start, speech_end = SENTENCES[1]
    assert start == pytest.approx(speech_start, abs=0.15)
    assert end == pytest.approx(speech_end, abs=0.15)
    assert 3.3 <= start < end <= 6.6


def test_a_batch_gives_what_each_request_gives_alone(detector: Detector) -> None:
    batch = [
        request(NARRATION),
        request(MEDIA / "audio" / "s2_chelsea.wav"),
        request(NARRATION, interval=Interval(start=6.5, end=9.76)),
    ]
    together = detector.propose(batch)
    alone = [detector.propose([one])[0] for one in batch]
    assert together == alone
    assert [len(found) for found in together] == [3, 1, 1]


def test_silence_has_no_speech(detector: Detector, tmp_path: Path) -> None:
    silent = tmp_path / "silence.wav"
    soundfile.write(silent, np.zeros(3 * 16000, dtype=np.int16), 16000)
    assert detector.propose([request(silent)]) == [[]]


def test_a_shorter_min_silence_splits_the_first_sentence_at_its_pause() -> None:
    # the narration pauses for about 0.13 s between "suit" and "smiles" (1.55 s)
    vad = SileroVad()
    [proposals] = vad.propose([request(NARRATION, parameters={"min_silence_ms": 100})])
    found = spans(proposals)
    assert len(found) == 4
    assert found[0][1] == pytest.approx(1.55, abs=0.05)
    assert found[1][0] == pytest.approx(1.65, abs=0.05)


def test_parameters_are_checked() -> None:
    assert SileroParameters().exit_threshold == pytest.approx(0.35)
    with pytest.raises(ValidationError, match="must not exceed threshold"):
        SileroParameters(threshold=0.5, neg_threshold=0.6)
    with pytest.raises(ValidationError, match="frame_ms"):
        WebRtcParameters.model_validate({"frame_ms": 25})
    with pytest.raises(ValidationError, match="aggressiveness"):
        WebRtcParameters(aggressiveness=4)


def test_the_models_are_named_and_versioned() -> None:
    silero = SileroVad().model()
    assert silero.name == "silero-vad"
    assert "sha256:" in silero.version
    webrtc = WebRtcVad().model()
    assert webrtc.name == "webrtc-vad"
    assert webrtc.version.startswith("2.")


def test_a_configured_model_is_checked() -> None:
    missing = SileroVad(model="/nowhere/silero.onnx").unavailable()
    assert missing is not None
    assert "/nowhere/silero.onnx" in missing
    refused = WebRtcVad(model="/nowhere").unavailable()
    assert refused is not None
    assert "takes no model" in refused


def test_the_host_refuses_a_text_prompt(detector: Detector) -> None:
    stream = request(NARRATION).stream
    check_request(detector, stream, Prompt(interval=Interval(start=0.0, end=1.0)))
    with pytest.raises(RuleViolation, match="takes no text prompt"):
        check_request(detector, stream, Prompt(text="hello"))
