"""The whisper proposer on a tiny random Whisper that the fixture builds and saves: the
transcript contract (segments with words, word times monotonic and inside the audio or
the prompt's window), audio from a video's track, long audio, batches and clear errors.

Random weights transcribe nonsense (the text is whatever the tiny model emits); what is
tested is that the real generation, timestamp and word-timing code runs end to end and
that its output is turned into valid, well-placed transcript segments."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile

from conftest import MEDIA
from rosetta.core.errors import RosettaError
from rosetta.core.geometry import Interval, TranscriptSegment
from rosetta.core.modality import Modality
from rosetta.core.schema import Stream
from rosetta.proposers.hf_whisper import Whisper
from rosetta.proposers.spec import MediaRef, Prompt, Proposal, ProposalRequest, Proposer
from tiny_models import WHISPER_SAYS, WHISPER_UNTIL, whisper_model

NARRATION = MEDIA / "audio" / "narration.wav"  # 9.76 s
SENTENCE = MEDIA / "audio" / "s2_chelsea.wav"  # 2.926 s
VIDEO = MEDIA / "video" / "slideshow_320x240_25fps.mp4"  # 9.76 s, AAC 16 kHz


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return whisper_model(tmp_path_factory.mktemp("whisper-model"), [NARRATION, SENTENCE])


@pytest.fixture(scope="module")
def whisper(folder: Path) -> Whisper:
    return Whisper(str(folder))


def variant(folder: Path, target: Path, **generation: object) -> Path:
    """A copy of the model `folder` at `target` with its generation config changed (a
    ``None`` value: the setting removed)."""
    shutil.copytree(folder, target)
    config = json.loads((target / "generation_config.json").read_text())
    for key, value in generation.items():
        if value is None:
            del config[key]
        else:
            config[key] = value
    (target / "generation_config.json").write_text(json.dumps(config))
    return target


def request(
    path: Path,
    prompt: Prompt | None = None,
    modality: Modality = Modality.AUDIO,
    language: str | None = None,
) -> ProposalRequest:
    stream = Stream(id=f"s-{path.stem}", name=path.name, modality=modality, uri=str(path))
    return ProposalRequest(
        sample_id="sample",
        stream=stream,
        media=MediaRef.local(str(path), path),
        prompt=prompt or Prompt(),
        parameters={"language": language},
    )


def segments_within(proposals: list[Proposal], start: float, end: float) -> list[TranscriptSegment]:
    """The proposals' segments, checked: text, words in time order, all inside [start, end]."""
    segments = [proposal.geometry for proposal in proposals]
    assert all(isinstance(segment, TranscriptSegment) for segment in segments)
    found = [segment for segment in segments if isinstance(segment, TranscriptSegment)]
    previous = start
    for segment in found:
        assert segment.text.strip() == segment.text != ""
        assert start <= segment.start < segment.end <= end
        assert segment.words
        assert " ".join(word.text for word in segment.words).replace(" ", "") == (
            segment.text.replace(" ", "")
        )
        for word in segment.words:
            assert previous <= word.start <= word.end <= end
            previous = word.end
    assert all(proposal.label is None and proposal.confidence is None for proposal in proposals)
    return found


def said(segments: list[TranscriptSegment]) -> bool:
    """Whether `segments` are what the tiny Whisper was trained to say: one segment from
    0.00 s (on the audio's clock) to `WHISPER_UNTIL` or the audio's end, with its words."""
    (segment,) = segments
    assert segment.text == WHISPER_SAYS.strip()
    assert [word.text for word in segment.words or []] == WHISPER_SAYS.split()
    return True


def test_it_is_a_proposer_of_transcripts() -> None:
    whisper = Whisper(None)
    assert isinstance(whisper, Proposer)
    assert whisper.geometries == {"transcript"}
    assert not whisper.prompt_required


def test_speech_gives_segments_with_words_in_time_order(whisper: Whisper) -> None:
    (proposals,) = whisper.propose([request(NARRATION, language="en")])

    (segment,) = segments_within(proposals, 0.0, 9.76)
    assert said([segment])
    assert (segment.start, segment.end) == (0.0, WHISPER_UNTIL)


def test_times_are_offset_by_the_prompts_window(whisper: Whisper) -> None:
    window = Interval(start=3.64, end=6.4)
    (proposals,) = whisper.propose([request(NARRATION, Prompt(interval=window))])

    (segment,) = segments_within(proposals, 3.64, 6.4)
    assert said([segment])
    # said until 3.00 s into a 2.76 s window: cut at the window's end
    assert (segment.start, segment.end) == (3.64, pytest.approx(6.4))


def test_a_video_is_transcribed_from_its_audio_track(whisper: Whisper) -> None:
    prompt = Prompt(interval=Interval(start=1.0, end=9.0))
    (proposals,) = whisper.propose([request(VIDEO, prompt, Modality.VIDEO)])

    assert said(segments_within(proposals, 1.0, 9.0))


def test_a_long_initial_prompt_keeps_its_last_tokens(whisper: Whisper) -> None:
    """The prompt is ~100 tokens, the tiny decoder holds 32: its last 15 are sent (what the
    model says after a prompt it was not trained with is anyone's guess, so only the
    contract is checked)."""
    prompt = Prompt(text="astronaut, tabby cat, espresso, saucer, " * 3)
    (proposals,) = whisper.propose([request(SENTENCE, prompt)])

    segments_within(proposals, 0.0, 2.926)


# transformers' Whisper hands numpy a torch tensor when a batch's audio differ in length
@pytest.mark.filterwarnings("ignore:__array_wrap__ must accept context:DeprecationWarning")
def test_a_batch_keeps_each_requests_own_times(whisper: Whisper) -> None:
    first, second = whisper.propose([request(SENTENCE), request(NARRATION)])

    assert said(segments_within(first, 0.0, 2.926))
    assert said(segments_within(second, 0.0, 9.76))


def test_audio_longer_than_one_window_is_transcribed_whole(
    whisper: Whisper, tmp_path: Path
) -> None:
    """Four narrations back to back (39.04 s): Whisper's sequential long-form decoding."""
    samples, rate = soundfile.read(NARRATION, dtype="float32")
    long = tmp_path / "long.wav"
    soundfile.write(long, np.tile(samples, 4), rate)

    (proposals,) = whisper.propose([request(long)])

    segments = segments_within(proposals, 0.0, 39.04)
    assert said(segments[:1])
    assert said(segments[-1:])
    assert segments[-1].start >= 30.0  # from the second window, on the audio's clock


def test_a_model_without_alignment_heads_gives_segments_without_words(
    folder: Path, tmp_path: Path
) -> None:
    plain = Whisper(str(variant(folder, tmp_path / "no-heads", alignment_heads=None)))
    (proposals,) = plain.propose([request(SENTENCE)])

    (segment,) = [proposal.geometry for proposal in proposals]
    assert isinstance(segment, TranscriptSegment)
    assert (segment.text, segment.words) == (WHISPER_SAYS.strip(), None)


def test_an_english_only_model_refuses_a_language(folder: Path, tmp_path: Path) -> None:
    english = Whisper(str(variant(folder, tmp_path / "english", is_multilingual=False)))
    with pytest.raises(RosettaError, match="whisper: english is an English-only model"):
        english.propose([request(SENTENCE, language="de")])


def test_the_model_is_named_by_its_folder(whisper: Whisper) -> None:
    info = whisper.model()
    assert info.name == "tiny-whisper"
    assert info.version.startswith("transformers 5.")


def test_without_a_model_it_says_what_is_missing(tmp_path: Path) -> None:
    assert (Whisper(None).unavailable() or "").startswith("no model configured for whisper")
    missing = tmp_path / "whisper-large"
    assert f"{str(missing)!r} does not exist" in (Whisper(str(missing)).unavailable() or "")
    with pytest.raises(RosettaError, match="no model configured for whisper"):
        Whisper(None).propose([request(SENTENCE)])
