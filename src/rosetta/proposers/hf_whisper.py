"""whisper: speech on an audio stream or a video's audio track -> transcript segments with
word timings (Whisper through transformers).

The audio is decoded here (`rosetta.proposers.audio_input.mono_audio`, at the feature
extractor's rate, 16 kHz) and handed to the model as samples, never as a file path
(transformers would shell out to ffmpeg). A prompt's interval cuts a window; its text, if
any, is Whisper's initial prompt (``prompt_ids``: spellings, names, style; its last
``max_target_positions // 2 - 1`` tokens when longer), not a transcript to align.

``WhisperForConditionalGeneration.generate`` transcribes with segment timestamps
(Whisper's timestamp tokens) and token timestamps (dynamic time warping over the
cross-attention of the checkpoint's ``alignment_heads``); audio longer than 30 s is
transcribed window after window by ``generate`` itself (its sequential long-form
decoding). Requests with the same language and prompt text run as one batch.

Each Whisper segment becomes one `TranscriptSegment` (its text stripped; segments without
text are dropped); its words are its text tokens grouped at the tokens that start with a
space, each from its first token's time to the time of the token after its last (the
segment's end for the last word). A checkpoint whose generation config names no
``alignment_heads`` gives segments without words. The language parameter applies to
multilingual checkpoints only (an English-only one refuses it). Times are clamped to the audio (a model may place a
timestamp past its end), words into their segment and after the word before, and offset
by the window's start: seconds of the stream's media time. Whisper gives no usable
per-segment confidence here, so proposals carry none.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from rosetta.core.errors import RosettaError
from rosetta.core.geometry import GeometryKind, TranscriptSegment, Word
from rosetta.core.modality import Modality
from rosetta.proposers import hf_loading
from rosetta.proposers.audio_input import mono_audio
from rosetta.proposers.spec import ModelInfo, PromptKind, Proposal, ProposalRequest

if TYPE_CHECKING:
    import torch


class WhisperParameters(BaseModel):
    """What a Whisper request may tune."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    language: str | None = Field(
        default=None,
        min_length=2,
        description="the spoken language, as Whisper names it ('en', 'english'); "
        "none: Whisper detects it (multilingual models)",
    )


@dataclass(frozen=True)
class _Audio:
    """One request's samples, the media time of the first one, and its length in seconds."""

    samples: npt.NDArray[np.float32]
    start: float
    duration: float


class Transcriber:
    """A loaded Whisper model and its processor (feature extractor and tokenizer)."""

    def __init__(self, model: str, directory: Path) -> None:
        from transformers import WhisperForConditionalGeneration, WhisperProcessor

        self.device = hf_loading.device()
        self.info = hf_loading.model_info(model, directory)
        self.model = hf_loading.on_device(
            WhisperForConditionalGeneration.from_pretrained(directory, local_files_only=True)
        )
        self.processor: WhisperProcessor = WhisperProcessor.from_pretrained(
            directory, local_files_only=True
        )
        self.rate: int = self.processor.feature_extractor.sampling_rate
        generation = self.model.generation_config
        self.multilingual: bool = bool(getattr(generation, "is_multilingual", False))
        #: Word timings need the cross-attention heads that follow the audio.
        self.word_timings: bool = getattr(generation, "alignment_heads", None) is not None
        tokenizer = self.processor.tokenizer
        # Whisper's vocabulary: text tokens, then special tokens, then timestamps
        self._text_below: int = min(tokenizer.all_special_ids)
        self._spaced = {
            index
            for token, index in tokenizer.get_vocab().items()
            if index < self._text_below and token.startswith("Ġ")
        }

    def transcribe(
        self, audio: Sequence[_Audio], language: str | None, prompt: str | None
    ) -> list[list[TranscriptSegment]]:
        """The segments of each audio (one batch), in media time."""
        import torch

        extractor = self.processor.feature_extractor
        # one 30 s window at least (Whisper's input), all of the longest audio at most
        longest = max(len(one.samples) for one in audio)
        extracted = extractor(
            [one.samples for one in audio],
            sampling_rate=self.rate,
            return_tensors="pt",
            truncation=False,
            padding="max_length",
            max_length=max(longest, extractor.n_samples),
            return_attention_mask=True,
        )
        options: dict[str, Any] = {}
        if self.multilingual:
            options["task"] = "transcribe"
        if language is not None:
            if not self.multilingual:
                raise RosettaError(
                    f"whisper: {self.info.name} is an English-only model; leave its "
                    f"language unset (got {language!r})"
                )
            options["language"] = language
        if prompt is not None:
            options["prompt_ids"] = self._prompt_ids(prompt)
        with torch.inference_mode():
            generated = self.model.generate(
                input_features=extracted["input_features"].to(self.device),
                attention_mask=extracted["attention_mask"].to(self.device),
                return_timestamps=True,
                return_token_timestamps=self.word_timings,
                return_segments=True,
                **options,
            )
        return [
            self._segments(found, one)
            for found, one in zip(generated["segments"], audio, strict=True)
        ]

    def _prompt_ids(self, prompt: str) -> "torch.Tensor":
        """``<|startofprev|>`` and the prompt's tokens, the last ones only when it is longer
        than half the decoder's context (as OpenAI's Whisper keeps them)."""
        import torch

        ids = self.processor.get_prompt_ids(prompt, return_tensors="pt")
        room = self.model.config.max_target_positions // 2 - 1
        return torch.cat([ids[:1], ids[1:][-room:]]).to(self.device)

    def _segments(self, found: Sequence[dict[str, Any]], audio: _Audio) -> list[TranscriptSegment]:
        segments: list[TranscriptSegment] = []
        for raw in found:
            start = min(max(float(raw["start"]), 0.0), audio.duration)
            end = min(float(raw["end"]), audio.duration)
            tokens: list[int] = raw["tokens"].tolist()
            text_tokens = [t for t in tokens if t < self._text_below]
            text = self.processor.tokenizer.decode(text_tokens).strip()
            if not text or end <= start:
                continue
            words = None
            if self.word_timings:
                times: list[float] = raw["token_timestamps"].tolist()
                words = [
                    Word(text=w, start=s + audio.start, end=e + audio.start)
                    for w, s, e in self._words(tokens, times, start, end)
                ]
            segments.append(
                TranscriptSegment(
                    start=start + audio.start, end=end + audio.start, text=text, words=words
                )
            )
        return segments

    def _words(
        self, tokens: list[int], times: list[float], start: float, end: float
    ) -> list[tuple[str, float, float]]:
        """The segment's words and their times (see the module)."""
        groups: list[list[int]] = []
        for index, token in enumerate(tokens):
            if token >= self._text_below:
                continue
            if not groups or token in self._spaced:
                groups.append([])
            groups[-1].append(index)
        words: list[tuple[str, float, float]] = []
        previous = start
        for group in groups:
            text = self.processor.tokenizer.decode([tokens[i] for i in group]).strip()
            if not text:
                continue
            after = group[-1] + 1
            word_start = min(max(times[group[0]], previous), end)
            word_end = times[after] if after < len(times) else end
            word_end = min(max(word_end, word_start), end)
            words.append((text, word_start, word_end))
            previous = word_end
        return words


class Whisper:
    """Whisper speech recognition: transcript segments with word timings."""

    name: ClassVar[str] = "whisper"
    description: ClassVar[str] = (
        "Whisper speech recognition: transcript segments with word timings on an audio "
        "stream or a video's audio track (a prompt's text is Whisper's initial prompt)"
    )
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.AUDIO, Modality.VIDEO})
    geometries: ClassVar[frozenset[GeometryKind]] = frozenset({"transcript"})
    prompts: ClassVar[frozenset[PromptKind]] = frozenset({"text"})
    prompt_required: ClassVar[bool] = False
    parameters: ClassVar[type[BaseModel]] = WhisperParameters

    def __init__(self, model: str | None = None) -> None:
        self._model = model
        self._transcriber = hf_loading.LoadOnce(self._load)

    def _load(self) -> Transcriber:
        model, directory = hf_loading.resolve(self.name, self._model)
        return Transcriber(model, directory)

    def unavailable(self) -> str | None:
        """A missing package, no model configured, or a model not there (nothing loaded)."""
        return hf_loading.unavailable(self.name, self._model)

    def model(self) -> ModelInfo:
        """The model's name (repo id or folder name) and version (loads it)."""
        return self._transcriber.get().info

    def propose(self, requests: Sequence[ProposalRequest]) -> list[list[Proposal]]:
        """The transcript segments of each request; requests with the same language and
        prompt text run as one batch."""
        transcriber = self._transcriber.get()
        groups: dict[tuple[str | None, str | None], list[int]] = defaultdict(list)
        audio: list[_Audio] = []
        for index, request in enumerate(requests):
            language = WhisperParameters.model_validate(dict(request.parameters)).language
            groups[(language, request.prompt.text)].append(index)
            samples, start = mono_audio(request, transcriber.rate)
            audio.append(_Audio(samples, start, len(samples) / transcriber.rate))
        proposals: list[list[Proposal]] = [[] for _ in requests]
        for (language, prompt), indices in groups.items():
            found = transcriber.transcribe([audio[i] for i in indices], language, prompt)
            for index, segments in zip(indices, found, strict=True):
                proposals[index] = [Proposal(geometry=segment) for segment in segments]
        return proposals
