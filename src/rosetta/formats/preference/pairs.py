"""The preference pairs of a sample, as `DpoLine`s for the DPO writers.

**Majority** (the default): every judgement's outcomes (`rosetta.core.preference.judged_pairs`:
explicit pairs and those a ranking implies) are counted per unordered pair of candidates.
A pair is written when one candidate won more votes than the other *and* than the ties:
``chosen`` is that candidate, ``evaluators`` those who chose it (in judgement order),
``agreement`` their share of all the votes on the pair (ties included), ``strength`` the
lower median of the strengths they gave (null when none gave one). Evenly split pairs and
pairs most evaluators called a tie are left out. Pairs are in the order of the sample's
candidates.

**Each**: one line per outcome that is not a tie, in judgement order; ``evaluators`` its
author, ``agreement`` null.

A candidate's text is its text streams' texts joined by a blank line, its media every other
stream with a URI; the prompt is the prompt streams' text (`prompt_streams`) the same way,
its images, videos and audios by URI.
"""

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from statistics import median_low
from typing import Any, Final, Literal

from rosetta.core.modality import Modality
from rosetta.core.preference import Candidate, JudgedPair, judged_pairs, prompt_streams
from rosetta.core.schema import Sample, Stream
from rosetta.formats.interchange import Origin
from rosetta.formats.preference.dpo_lines import (
    DIALECTS,
    MEDIA_KEYS,
    Dialect,
    DpoLine,
    MediaRef,
    Message,
    Provenance,
    Response,
    message_of,
)

PairMode = Literal["majority", "each"]

#: Between the texts of several text streams of one prompt or candidate.
TEXT_JOINER: Final = "\n\n"
_MEDIA_KEY: Final = {modality: key for key, modality in MEDIA_KEYS.items()}

#: Makes the line of a pair: winner, loser, and the provenance fields of the votes.
_LineOf = Callable[[str, str, dict[str, Any]], DpoLine]


def joined_text(streams: list[Stream]) -> str | None:
    """The texts of the text streams among `streams`, joined (None when there is none)."""
    texts = [s.text or "" for s in streams if s.modality is Modality.TEXT]
    return TEXT_JOINER.join(texts) if texts else None


def media_refs(streams: list[Stream]) -> list[MediaRef]:
    """The streams that are not text and have a URI, as media references."""
    return [
        MediaRef(s.name, s.modality.value, s.uri)
        for s in streams
        if s.modality is not Modality.TEXT and s.uri is not None
    ]


@dataclass(frozen=True)
class Prompt:
    """A sample's prompt: its text, its media by key (``images``, ...) and all its media."""

    text: str | None
    media: dict[str, list[str]]
    refs: list[MediaRef]

    @classmethod
    def of(cls, sample: Sample) -> "Prompt":
        streams = prompt_streams(sample)
        refs = media_refs(streams)
        media: dict[str, list[str]] = {}
        for ref in refs:
            key = _MEDIA_KEY.get(ref.modality)
            if key is not None:
                media.setdefault(key, []).append(ref.uri)
        return cls(joined_text(streams), media, refs)


class _Kept:
    """What a sample read from a DPO file keeps of its dialect (``metadata.dpo``)."""

    def __init__(self, sample: Sample) -> None:
        kept: Any = sample.metadata.get("dpo")
        kept = kept if isinstance(kept, dict) and kept.get("dialect") in DIALECTS else {}
        self.origin = Origin(f"sample {sample.id}", 0, "metadata.dpo")
        self.dialect: Dialect = kept.get("dialect", "trl")
        self.sample: str = kept.get("sample") or sample.id
        self.extra: dict[str, Any] = kept.get("extra") or {}
        self.plain = kept.get("plain") is True
        raw = kept.get("conversation")
        self.conversation = None if raw is None else self._messages(raw, "conversation")

    def _messages(self, raw: Any, where: str) -> list[Message]:
        items = raw if isinstance(raw, list) else [raw]
        return [
            message_of(self.dialect, item, self.origin, f"{where}[{i}]")
            for i, item in enumerate(items)
        ]

    def response(self, candidate: Candidate, text: str) -> Response:
        kept = candidate.metadata.get("dpo")
        raw = kept.get("messages") if isinstance(kept, dict) else None
        return Response(text, None if raw is None else self._messages(raw, "messages"))


class PairLines:
    """The `DpoLine`s of samples (see the module), counting what they leave out."""

    def __init__(self, mode: PairMode = "majority") -> None:
        self.mode = mode
        self.left_out: Counter[str] = Counter()

    def __call__(self, sample: Sample) -> Iterator[DpoLine]:
        """The lines of `sample`."""
        self._count(sample)
        if len(sample.candidates) < 2:
            self.left_out["samples without two candidates"] += 1
            return
        kept = _Kept(sample)
        prompt = Prompt.of(sample)
        streams = {s.id: s for s in sample.streams}
        candidates = {c.id: c for c in sample.candidates}

        def line(winner: str, loser: str, provenance: dict[str, Any]) -> DpoLine:
            chosen, rejected = candidates[winner], candidates[loser]
            chosen_streams = [streams[i] for i in chosen.streams if i in streams]
            rejected_streams = [streams[i] for i in rejected.streams if i in streams]
            return DpoLine(
                dialect=kept.dialect,
                prompt=prompt.text,
                chosen=kept.response(chosen, joined_text(chosen_streams) or ""),
                rejected=kept.response(rejected, joined_text(rejected_streams) or ""),
                conversation=kept.conversation,
                media=prompt.media,
                extra=kept.extra,
                provenance=Provenance(
                    sample=kept.sample,
                    chosen_model=chosen.model,
                    rejected_model=rejected.model,
                    chosen_media=media_refs(chosen_streams),
                    rejected_media=media_refs(rejected_streams),
                    prompt_media=prompt.refs,
                    **provenance,
                ),
                plain=kept.plain,
            )

        votes = [
            vote
            for judgement in sample.judgements
            for vote in judged_pairs(judgement)
            if vote.winner in candidates and vote.loser in candidates
        ]
        if self.mode == "each":
            for vote in votes:
                if vote.tie:
                    self.left_out["ties"] += 1
                    continue
                evaluators = [] if vote.evaluator is None else [vote.evaluator]
                yield line(
                    vote.winner, vote.loser, {"strength": vote.strength, "evaluators": evaluators}
                )
            return
        by_pair: dict[frozenset[str], list[JudgedPair]] = {}
        for vote in votes:
            by_pair.setdefault(frozenset((vote.winner, vote.loser)), []).append(vote)
        order = list(candidates)
        for index, first in enumerate(order):
            for second in order[index + 1 :]:
                on_pair = by_pair.get(frozenset((first, second)))
                if on_pair:
                    yield from self._majority(first, second, on_pair, line)

    def _majority(
        self, first: str, second: str, votes: list[JudgedPair], line: _LineOf
    ) -> Iterator[DpoLine]:
        wins = {
            name: [v for v in votes if not v.tie and v.winner == name] for name in (first, second)
        }
        ties = sum(v.tie for v in votes)
        winner, loser = (first, second) if len(wins[first]) > len(wins[second]) else (second, first)
        agreeing = wins[winner]
        if len(agreeing) == len(wins[loser]) or len(agreeing) <= ties:
            self.left_out["split or tied pairs"] += 1
            return
        strengths = [v.strength for v in agreeing if v.strength is not None]
        yield line(
            winner,
            loser,
            {
                "strength": median_low(strengths) if strengths else None,
                "evaluators": [v.evaluator for v in agreeing if v.evaluator is not None],
                "agreement": round(len(agreeing) / len(votes), 4),
            },
        )

    def _count(self, sample: Sample) -> None:
        for what, count in (
            ("annotations", len(sample.annotations)),
            ("entities", len(sample.entities)),
            ("links", len(sample.links)),
            ("rubric scores", sum(len(j.scores) for j in sample.judgements)),
            ("rationales", sum(j.rationale is not None for j in sample.judgements)),
        ):
            if count:
                self.left_out[what] += count

    def report(self, file: str) -> dict[str, str]:
        """What was left out, for `WriteReport.not_carried`."""
        return {
            what: f"{count} not written to {file} (preference pairs only; the native export keeps them)"
            for what, count in sorted(self.left_out.items())
        }
