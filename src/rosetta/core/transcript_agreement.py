"""Agreement of two transcripts of one stream: word and character error rates (jiwer) of
the whole transcripts and of each pair of segments that match in time. Pure: no I/O.

``reference`` is the first transcript (gold, or annotator A), ``hypothesis`` the one
compared with it; the rates are ``(substitutions + deletions + insertions) / reference
length``, so they are not symmetric and may exceed 1. An empty reference gives jiwer's
convention: the WER is the number of inserted words (and the CER of characters).

A transcript's text is its segments' texts joined by a space in time order (by start,
then end). Texts are compared after ``normalize`` (the default): lower case, punctuation
(Unicode category P) removed, runs of white space made one space; otherwise as written,
where "Flag." and "flag" are two different words.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import jiwer

from rosetta.core.geometry import TranscriptSegment
from rosetta.core.matching import Matching
from rosetta.core.segment_agreement import segment_agreement

#: ``normalize``: lower case, no punctuation, single spaces, no space at either end.
_NORMALIZE: list[jiwer.AbstractTransform] = [
    jiwer.ToLowerCase(),
    jiwer.RemovePunctuation(),  # type: ignore[no-untyped-call]  # jiwer leaves it unannotated
    jiwer.RemoveMultipleSpaces(),
    jiwer.Strip(),
]
#: How texts become lists of words and of characters: (normalised, as written).
_WORDS = (jiwer.Compose([*_NORMALIZE, jiwer.ReduceToListOfListOfWords()]), jiwer.wer_default)
_CHARACTERS = (
    jiwer.Compose([*_NORMALIZE, jiwer.ReduceToListOfListOfChars()]),
    jiwer.cer_default,
)


@dataclass(frozen=True)
class EditCounts:
    """The alignment of a hypothesis with a reference, in words or in characters:
    ``hits`` (equal), ``substitutions``, ``deletions`` (reference units missing) and
    ``insertions`` (hypothesis units added), and the error ``rate``."""

    rate: float
    hits: int
    substitutions: int
    deletions: int
    insertions: int

    @property
    def reference_length(self) -> int:
        """Units of the reference: hits + substitutions + deletions."""
        return self.hits + self.substitutions + self.deletions


@dataclass(frozen=True)
class TextErrors:
    """Word (``words.rate``: WER) and character (``characters.rate``: CER) errors of a
    hypothesis text against a reference text."""

    words: EditCounts
    characters: EditCounts


@dataclass(frozen=True)
class SegmentErrors:
    """The errors of one matched pair: ``first`` indexes the reference's segments,
    ``second`` the hypothesis's."""

    first: int
    second: int
    errors: TextErrors


@dataclass(frozen=True)
class TranscriptAgreement:
    """Errors of the whole transcripts (``overall``), the matching of their segments by
    time (overlap; `segment_agreement`) and the errors of each matched pair."""

    overall: TextErrors
    matching: Matching
    segments: tuple[SegmentErrors, ...]


def transcript_text(segments: Sequence[TranscriptSegment]) -> str:
    """The segments' texts joined by a space in time order (by start, then end)."""
    ordered = sorted(segments, key=lambda segment: (segment.start, segment.end))
    return " ".join(segment.text for segment in ordered)


def text_errors(reference: str, hypothesis: str, *, normalize: bool = True) -> TextErrors:
    """WER and CER of `hypothesis` against `reference` (jiwer's `process_words` and
    `process_characters`), after normalising both unless `normalize` is false."""
    words_in = _WORDS[0] if normalize else _WORDS[1]
    characters_in = _CHARACTERS[0] if normalize else _CHARACTERS[1]
    words = jiwer.process_words(reference, hypothesis, words_in, words_in)
    characters = jiwer.process_characters(reference, hypothesis, characters_in, characters_in)
    return TextErrors(
        words=EditCounts(
            float(words.wer), words.hits, words.substitutions, words.deletions, words.insertions
        ),
        characters=EditCounts(
            float(characters.cer),
            characters.hits,
            characters.substitutions,
            characters.deletions,
            characters.insertions,
        ),
    )


def transcript_agreement(
    reference: Sequence[TranscriptSegment],
    hypothesis: Sequence[TranscriptSegment],
    *,
    normalize: bool = True,
) -> TranscriptAgreement:
    """Errors of the `hypothesis` transcript against the `reference`, whole and per pair of
    segments that overlap in time (matched one-to-one, largest total temporal IoU)."""
    matching = segment_agreement(reference, hypothesis).matching
    return TranscriptAgreement(
        overall=text_errors(
            transcript_text(reference), transcript_text(hypothesis), normalize=normalize
        ),
        matching=matching,
        segments=tuple(
            SegmentErrors(
                m.first,
                m.second,
                text_errors(
                    reference[m.first].text, hypothesis[m.second].text, normalize=normalize
                ),
            )
            for m in matching.matches
        ),
    )
