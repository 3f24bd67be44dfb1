"""Transcript agreement: WER and CER of the demo narration's real sentences against hand
counts and an edit distance computed here, jiwer's documented examples, and the
segment-by-segment errors."""

import json
from typing import Any

import pytest

from conftest import MEDIA
from rosetta.core.geometry import TranscriptSegment, Word
from rosetta.core.transcript_agreement import (
    EditCounts,
    text_errors,
    transcript_agreement,
    transcript_text,
)

TIMINGS: dict[str, Any] = json.loads((MEDIA / "audio" / "word_timings.json").read_text())
SENTENCES: list[dict[str, Any]] = TIMINGS["sentences"]


def _segment(
    sentence: dict[str, Any], text: str | None = None, shift: float = 0.0
) -> TranscriptSegment:
    """A sentence as a segment on the narration's timeline, moved by `shift` seconds;
    with its word timings when its text is the sentence's own."""
    offset = sentence["offset_ms"] / 1000 + shift
    words = [
        Word(text=w["word"], start=offset + w["start_ms"] / 1000, end=offset + w["end_ms"] / 1000)
        for w in sentence["words"]
    ]
    return TranscriptSegment(
        start=offset,
        end=offset + sentence["speech_end_ms"] / 1000,
        text=sentence["text"] if text is None else text,
        words=words if text is None else None,
    )


REFERENCE = [_segment(s) for s in SENTENCES]
#: A second transcriber: sentence 1 loses "an" and hears "the" for "a", sentence 2 is
#: right, sentence 3 gains "coffee"; the segments are drawn 50 ms late and listed last first.
HYPOTHESIS = [
    _segment(SENTENCES[2], "A cup of espresso coffee sits on a red saucer.", 0.05),
    _segment(SENTENCES[1], shift=0.05),
    _segment(SENTENCES[0], "An astronaut in orange suit smiles beside the flag.", 0.05),
]


def _distance(reference: list[str], hypothesis: list[str]) -> int:
    """Levenshtein distance of two token lists (Wagner-Fischer), independent of jiwer."""
    previous = list(range(len(hypothesis) + 1))
    for i, r in enumerate(reference, start=1):
        current = [i]
        for j, h in enumerate(hypothesis, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1]


def _normal(text: str) -> str:
    return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())


def test_the_demo_transcripts_by_hand() -> None:
    """Words: sentence 1 has 10, one deleted ("an") and one substituted (a → the);
    sentence 2's 10 are right; sentence 3's 9 gain one insertion ("coffee"). Overall
    3 errors in 29 words (27 hits); per segment 2/10, 0 and 1/9. Characters of sentence 3: the
    normalised reference "a cup of espresso sits on a red saucer" has 38 and gains the 7 of
    "coffee " (no shorter edit: the hypothesis is 7 longer)."""
    found = transcript_agreement(REFERENCE, HYPOTHESIS)
    assert found.overall.words == EditCounts(3 / 29, 27, 1, 1, 1)
    assert [(s.first, s.second) for s in found.segments] == [(0, 2), (1, 1), (2, 0)]
    assert [s.errors.words.rate for s in found.segments] == [
        pytest.approx(2 / 10),
        0.0,
        pytest.approx(1 / 9),
    ]
    coffee = found.segments[2].errors.characters
    assert (coffee.insertions, coffee.reference_length, coffee.rate) == (7, 38, 7 / 38)
    assert found.segments[1].errors.characters.rate == 0.0
    assert found.matching.f1 == 1.0


def test_rates_equal_an_independent_edit_distance() -> None:
    found = transcript_agreement(REFERENCE, HYPOTHESIS)
    pairs = [(REFERENCE[s.first].text, HYPOTHESIS[s.second].text, s.errors) for s in found.segments]
    pairs.append((transcript_text(REFERENCE), transcript_text(HYPOTHESIS), found.overall))
    for reference, hypothesis, errors in pairs:
        ref, hyp = _normal(reference), _normal(hypothesis)
        words = _distance(ref.split(), hyp.split()) / len(ref.split())
        characters = _distance(list(ref), list(hyp)) / len(ref)
        assert errors.words.rate == pytest.approx(words, abs=1e-9)
        assert errors.characters.rate == pytest.approx(characters, abs=1e-9)
        counts = errors.words
        assert counts.substitutions + counts.deletions + counts.insertions == round(
            words * len(ref.split())
        )


def test_the_text_is_joined_in_time_order() -> None:
    assert transcript_text(HYPOTHESIS) == (
        "An astronaut in orange suit smiles beside the flag. "
        "A tabby cat with green eyes stares at the camera. "
        "A cup of espresso coffee sits on a red saucer."
    )
    assert transcript_text([]) == ""


def test_jiwers_documented_examples() -> None:
    """jiwer's README (github.com/jitsi/jiwer): "hello world" against "hello duck" is one
    substitution in two words, WER 0.5; since jiwer 4 an empty reference and an empty
    hypothesis are no error (``wer('', '') == 0``), and the WER of an empty reference is
    the number of words inserted."""
    assert text_errors("hello world", "hello duck").words == EditCounts(0.5, 1, 1, 0, 0)
    assert text_errors("", "").words.rate == 0.0
    assert text_errors("", "a b").words == EditCounts(2.0, 0, 0, 0, 2)


def test_normalising_is_optional() -> None:
    sentence = SENTENCES[0]["text"]
    shouted = sentence.upper().rstrip(".")
    assert text_errors(sentence, shouted).words.rate == 0.0
    as_written = text_errors(sentence, shouted, normalize=False)
    # every word differs in case, and "flag." is not "FLAG"
    assert as_written.words == EditCounts(1.0, 0, 10, 0, 0)
    assert as_written.characters.deletions == 1  # the full stop


def test_segments_that_do_not_meet_in_time_have_no_pair() -> None:
    late = [_segment(SENTENCES[0], shift=3.1)]  # now inside sentence 2's time
    found = transcript_agreement(REFERENCE[:1], late)
    assert found.segments == () and found.matching.f1 == 0.0
    assert found.overall.words.rate == 0.0  # the texts agree even so
