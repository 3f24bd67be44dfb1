"""forced-alignment: a known transcript (the prompt's text) + English speech -> one
transcript segment with a start and end time for every word (PocketSphinx).

PocketSphinx's recogniser searches a grammar that holds exactly the transcript's words in
order, with optional silence and noise between them, over the request's audio (16 kHz,
its bundled en-us acoustic model and CMU pronunciation dictionary), and reports the
frames (10 ms) each word took. The grammar is built here rather than with
``Decoder.set_align_text`` for two reasons:

- a word the dictionary lacks (a name, a number, a misspelling) becomes a loop of the
  model's phones, so the acoustics choose its pronunciation and its span (PocketSphinx 5
  has no grapheme-to-phoneme model to guess one from its spelling);
- after a sentence's final ``.``, ``!`` or ``?`` a pause is required, so a short first
  word of the next sentence ("A") is not placed on the tail of the previous one.

Words are matched to the dictionary in lower case with the punctuation around them
removed (a hyphenated word is spoken as its parts); each `Word` keeps the text as
written. Times are media seconds (the prompt's interval start added). Alignment runs
without PocketSphinx's lattice pass (``bestpath``), which drops grammar words; without it
PocketSphinx gives every word a posterior of 1, so the proposal has no confidence.
"""

import importlib.metadata
import importlib.util
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel

from rosetta.core.errors import RosettaError, RuleViolation
from rosetta.core.geometry import GeometryKind, TranscriptSegment, Word
from rosetta.core.modality import Modality
from rosetta.proposers.audio_input import Samples, mono_audio, pcm16
from rosetta.proposers.spec import (
    ModelInfo,
    NoParameters,
    PromptKind,
    Proposal,
    ProposalRequest,
)

if TYPE_CHECKING:
    from pocketsphinx import Decoder

#: The sample rate of the en-us acoustic model.
RATE = 16000

#: The phones of the en-us model (the CMU dictionary's ARPAbet).
_PHONES = (
    *("AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F"),
    *("G", "HH", "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S"),
    *("SH", "T", "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH"),
)
#: Each phone as a grammar word, in two sets (``/aa/1``, ``/aa/2``) that alternate from
#: one out-of-vocabulary loop to the next, so that two loops in a row part where the
#: phones change set.
_PHONE_SETS = tuple(
    {f"/{phone.lower()}/{variant}": phone for phone in _PHONES} for variant in (1, 2)
)
_PHONE_WORDS = frozenset(word for words in _PHONE_SETS for word in words)

#: The grammar word of a pause required between sentences (the silence phone).
_PAUSE = "/sil/"

#: The probability that an out-of-vocabulary loop goes on to one more phone.
_PHONE_REPEAT = 0.5

#: Search beams wide enough that the grammar's final state is reached on the narration
#: fixtures (PocketSphinx's defaults, 1e-48, lose it on one sentence of three).
_BEAMS = {"beam": 1e-80, "pbeam": 1e-80, "wbeam": 1e-60}

#: From the first to the last letter or digit of a whitespace-separated token.
_WORD = re.compile(r"[^\W_](?:.*[^\W_])?")
_SENTENCE_END = re.compile(r"[.!?…]")
_APOSTROPHES = str.maketrans(dict.fromkeys("’‘ʼ`", "'"))
#: An alternative pronunciation's marker in the dictionary: ``an(2)``.
_ALTERNATIVE = re.compile(r"\(\d+\)$")

#: A grammar transition: from, to, probability and the word (none: an empty transition).
_Transition = tuple[int, int, float] | tuple[int, int, float, str]


@dataclass(frozen=True)
class _Token:
    """A word of the transcript: its ``text`` as written (without the punctuation around
    it), the dictionary words it is spoken as (``None``: a part no dictionary word spells,
    aligned as a phone loop), and whether a sentence ends after it."""

    text: str
    parts: tuple[str | None, ...]
    sentence_end: bool


class ForcedAlignment:
    """Word timings of a known English transcript in speech, with PocketSphinx."""

    name: ClassVar[str] = "forced-alignment"
    description: ClassVar[str] = (
        "PocketSphinx forced alignment (en-us): the transcript given as the prompt's text "
        "-> one transcript segment with word timings"
    )
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.AUDIO, Modality.VIDEO})
    geometries: ClassVar[frozenset[GeometryKind]] = frozenset({"transcript"})
    prompts: ClassVar[frozenset[PromptKind]] = frozenset({"text"})
    prompt_required: ClassVar[bool] = True
    parameters: ClassVar[type[BaseModel]] = NoParameters

    def __init__(self, model: str | None = None) -> None:
        self._model = model
        self._decoder: Decoder | None = None
        self._lock = threading.Lock()

    def unavailable(self) -> str | None:
        """Why alignment cannot run: pocketsphinx not installed, or a model configured for
        it (it uses the one bundled with pocketsphinx)."""
        if self._model is not None:
            return (
                f"forced-alignment uses the en-us model bundled with pocketsphinx and takes "
                f"no model, but {self._model!r} is configured for it"
            )
        if importlib.util.find_spec("pocketsphinx") is None:
            return "pocketsphinx is not installed (pip install 'rosetta-annotate[prelabel]')"
        return None

    def model(self) -> ModelInfo:
        """``pocketsphinx-en-us``, versioned by the pocketsphinx release."""
        return ModelInfo(
            name="pocketsphinx-en-us", version=importlib.metadata.version("pocketsphinx")
        )

    def propose(self, requests: Sequence[ProposalRequest]) -> list[list[Proposal]]:
        """One transcript segment per request, its words timed."""
        return [[self._align(request)] for request in requests]

    def _align(self, request: ProposalRequest) -> Proposal:
        stream = request.stream
        text = request.prompt.text
        if text is None:
            raise RuleViolation(
                stream.id, "prompt.text", "proposer-prompt", "forced alignment needs the transcript"
            )
        audio, offset = mono_audio(request, RATE)
        with self._lock:
            decoder = self._loaded()
            tokens = _tokens(text, lambda word: decoder.lookup_word(word) is not None)
            if not tokens:
                raise RuleViolation(
                    stream.id, "prompt.text", "proposer-prompt", "the transcript has no words"
                )
            frames = _decode(decoder, tokens, audio)
            rate = int(decoder.config["frate"])
        if frames is None:
            where = request.media.uri if request.media is not None else stream.id
            raise RosettaError(
                f"stream {stream.id!r} ({where}): the transcript ({len(tokens)} words) could "
                f"not be aligned to {audio.size / RATE:.2f} s of audio; check that it is what "
                "is spoken there, or give the interval it is spoken in"
            )
        words = [
            Word(text=token.text, start=offset + first / rate, end=offset + (last + 1) / rate)
            for token, (first, last) in zip(tokens, frames, strict=True)
        ]
        segment = TranscriptSegment(
            start=words[0].start, end=words[-1].end, text=text.strip(), words=words
        )
        return Proposal(geometry=segment)

    def _loaded(self) -> "Decoder":
        """The decoder, made once: the bundled model and dictionary, no language model, and
        the phones as words for out-of-vocabulary loops."""
        if self._decoder is None:
            from pocketsphinx import Decoder

            decoder = Decoder(lm=None, bestpath=False, loglevel="FATAL", **_BEAMS)
            for words in _PHONE_SETS:
                for word, phone in words.items():
                    decoder.add_word(word, phone, update=False)
            decoder.add_word(_PAUSE, "SIL", update=True)
            self._decoder = decoder
        return self._decoder


def _tokens(text: str, known: Callable[[str], bool]) -> list[_Token]:
    """The words of `text` (split at whitespace), each with the dictionary words it is
    spoken as."""
    tokens: list[_Token] = []
    for raw in text.split():
        found = _WORD.search(raw)
        ends = _SENTENCE_END.search(raw[found.end() :] if found else raw) is not None
        if found is None:
            if ends and tokens:
                tokens[-1] = _Token(tokens[-1].text, tokens[-1].parts, sentence_end=True)
            continue
        written = found.group()
        tokens.append(_Token(written, _parts(written, known), ends))
    return tokens


def _parts(written: str, known: Callable[[str], bool]) -> tuple[str | None, ...]:
    """The dictionary words `written` is spoken as: itself in lower case, else each of its
    letter runs (split at hyphens, slashes...) that the dictionary has, ``None`` for a run
    of those it lacks."""
    word = unicodedata.normalize("NFKC", written).translate(_APOSTROPHES).lower()
    if known(word):
        return (word,)
    parts: list[str | None] = []
    for run in re.split(r"[^\w']+", word):
        piece = run.strip("'")
        if not piece:
            continue
        part = piece if known(piece) else None
        if part is None and parts and parts[-1] is None:
            continue
        parts.append(part)
    return tuple(parts) or (None,)


def _grammar(tokens: Sequence[_Token]) -> tuple[list[_Transition], int]:
    """The transitions of a grammar that reads `tokens` in order, and its final state."""
    transitions: list[_Transition] = []
    state = loops = 0
    for index, token in enumerate(tokens):
        for part in token.parts:
            if part is None:
                phones = _PHONE_SETS[loops % 2]
                share = 1 / len(phones)
                loop, after = state + 1, state + 2
                for phone in phones:
                    transitions.append((state, loop, share, phone))
                    transitions.append((loop, loop, _PHONE_REPEAT * share, phone))
                transitions.append((loop, after, 1 - _PHONE_REPEAT))
                state, loops = after, loops + 1
            else:
                transitions.append((state, state + 1, 1.0, part))
                state += 1
        if token.sentence_end and index < len(tokens) - 1:
            transitions.append((state, state + 1, 1.0, _PAUSE))
            state += 1
    return transitions, state


def _decode(
    decoder: "Decoder", tokens: Sequence[_Token], audio: Samples
) -> list[tuple[int, int]] | None:
    """The first and last frame of each token in `audio`, or ``None`` when the search
    does not reach the end of the grammar."""
    transitions, final = _grammar(tokens)
    decoder.add_fsg("rosetta-align", decoder.create_fsg("rosetta-align", 0, final, transitions))
    decoder.activate_search("rosetta-align")
    decoder.start_utt()
    decoder.process_raw(pcm16(audio).tobytes(), full_utt=True)
    decoder.end_utt()
    if decoder.hyp() is None:
        return None
    spoken = [
        (_ALTERNATIVE.sub("", segment.word), segment.start_frame, segment.end_frame)
        for segment in decoder.seg()
    ]
    vocabulary = {part for token in tokens for part in token.parts if part is not None}
    found = [entry for entry in spoken if entry[0] in vocabulary or entry[0] in _PHONE_WORDS]
    frames: list[tuple[int, int]] = []
    at = loops = 0
    for token in tokens:
        first = last = -1
        for part in token.parts:
            expected = _PHONE_SETS[loops % 2] if part is None else {part}
            if at >= len(found) or found[at][0] not in expected:
                return None
            first = found[at][1] if first < 0 else first
            last = found[at][2]
            at += 1
            if part is None:
                while at < len(found) and found[at][0] in expected:
                    last = found[at][2]
                    at += 1
                loops += 1
        frames.append((first, last))
    return frames if at == len(found) else None
