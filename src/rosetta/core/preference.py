"""Preference samples: candidate outputs of named models and evaluators' judgements of them.

A preference sample is an ordinary `Sample` whose ``candidates`` group some of its streams
into the outputs of models; every other stream (but a judgement's rationale) is the
prompt. A `Judgement` is one evaluator's verdict on the whole sample: pairwise choices
(with strength and ties), a full or partial ranking, rubric scores per criterion and a
rationale. The rationale is a text stream of the sample (``Judgement.rationale`` names it),
so its phrases are text spans that link to spans and regions of the candidates and the
prompt through ordinary `Link` records.

Pure: no I/O. `judged_pairs` turns any judgement into the pairwise outcomes that
aggregation and DPO export read.
"""

import hashlib
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rosetta.core.ids import Id, JsonDict, Name

if TYPE_CHECKING:
    from rosetta.core.schema import Sample, Stream

#: 1 slightly, 2 clearly, 3 much better; a tie has no strength.
Strength = Literal[1, 2, 3]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RubricCriterion(_Record):
    """One criterion of the project's rubric (accuracy to the image, tone, safety, ...),
    scored on the integers ``low``..``high``; ``labels`` name some points of the scale."""

    name: str = Field(min_length=1, max_length=64)
    description: str | None = None
    low: int = 1
    high: int = 5
    labels: dict[int, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _scale(self) -> "RubricCriterion":
        if self.high <= self.low:
            raise ValueError(f"criterion {self.name!r}: high must exceed low")
        outside = sorted(point for point in self.labels if not self.low <= point <= self.high)
        if outside:
            raise ValueError(
                f"criterion {self.name!r}: labelled points {outside} lie outside "
                f"{self.low}..{self.high}"
            )
        return self


class Candidate(_Record):
    """One model output: the streams of the sample that make it up (a caption, an image,
    a spoken answer, or several). ``model`` is hidden from evaluators by default."""

    id: Id
    model: Name | None = None
    model_version: Name | None = None
    streams: list[str] = Field(min_length=1)
    metadata: JsonDict = Field(default_factory=dict)


class PairVerdict(_Record):
    """Candidate ``a`` against ``b``: which is better and by how much (`Strength`)."""

    a: str
    b: str
    choice: Literal["a", "b", "tie"]
    strength: Strength | None = None

    @model_validator(mode="after")
    def _coherent(self) -> "PairVerdict":
        if self.a == self.b:
            raise ValueError("a pair compares two different candidates")
        if self.choice == "tie" and self.strength is not None:
            raise ValueError("a tie has no strength")
        return self


class RubricScore(_Record):
    """One criterion's score for one candidate."""

    candidate: str
    criterion: str
    value: int


class Judgement(_Record):
    """One evaluator's verdict on a preference sample.

    ``presented`` is the order the candidates were shown in (randomised per evaluator,
    `presentation_order`). ``ranking`` lists tiers best first; candidates in one tier are
    tied; a partial ranking leaves some candidates out. ``rationale`` is the id of the
    text stream holding the evaluator's rationale.
    """

    id: Id
    author: Name | None = None
    presented: list[str] = Field(default_factory=list)
    pairs: list[PairVerdict] = Field(default_factory=list)
    ranking: list[list[str]] = Field(default_factory=list)
    scores: list[RubricScore] = Field(default_factory=list)
    rationale: str | None = None
    revision: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _no_repeats(self) -> "Judgement":
        ranked = [candidate for tier in self.ranking for candidate in tier]
        if len(set(ranked)) != len(ranked):
            raise ValueError("a candidate appears twice in the ranking")
        if any(not tier for tier in self.ranking):
            raise ValueError("a ranking tier is empty")
        if len(set(self.presented)) != len(self.presented):
            raise ValueError("a candidate appears twice in the presented order")
        scored = [(s.candidate, s.criterion) for s in self.scores]
        if len(set(scored)) != len(scored):
            raise ValueError("a candidate is scored twice on one criterion")
        return self


def presentation_order(
    project_id: str, sample_id: str, evaluator: str, candidates: Sequence[str]
) -> list[str]:
    """`candidates` shuffled for one evaluator of one sample: a BLAKE2b-seeded draw, so the
    same person always sees the same order and different people see different ones."""
    digest = hashlib.blake2b(
        f"{project_id}\x00{sample_id}\x00{evaluator}".encode(), digest_size=8
    ).digest()
    order = list(candidates)
    random.Random(int.from_bytes(digest, "big")).shuffle(order)
    return order


def rationale_stream_ids(sample: "Sample") -> set[str]:
    """The ids of the streams that hold judgements' rationales."""
    return {j.rationale for j in sample.judgements if j.rationale is not None}


def prompt_streams(sample: "Sample") -> list["Stream"]:
    """The streams that are neither part of a candidate nor a rationale, in sample order."""
    taken = {sid for c in sample.candidates for sid in c.streams} | rationale_stream_ids(sample)
    return [s for s in sample.streams if s.id not in taken]


@dataclass(frozen=True, slots=True)
class JudgedPair:
    """One pairwise outcome of a judgement: ``winner`` beat ``loser`` (or they tied).

    ``winner_shown_first`` says whether the winner came before the loser in the order the
    evaluator saw (``None`` when the order was not recorded); ``via`` says which part of
    the judgement it came from.
    """

    evaluator: str | None
    winner: str
    loser: str
    tie: bool
    strength: int | None
    winner_shown_first: bool | None
    via: Literal["pair", "ranking"]


def judged_pairs(judgement: Judgement) -> Iterator[JudgedPair]:
    """Every pairwise outcome of `judgement`: its explicit pairs, then each pair of ranked
    candidates (tiers apart: a win; one tier: a tie). A pair judged explicitly is not
    repeated from the ranking."""
    position = {candidate: index for index, candidate in enumerate(judgement.presented)}

    def shown_first(winner: str, loser: str) -> bool | None:
        if winner in position and loser in position:
            return position[winner] < position[loser]
        return None

    explicit: set[frozenset[str]] = set()
    for verdict in judgement.pairs:
        explicit.add(frozenset((verdict.a, verdict.b)))
        winner, loser = (verdict.b, verdict.a) if verdict.choice == "b" else (verdict.a, verdict.b)
        yield JudgedPair(
            judgement.author,
            winner,
            loser,
            verdict.choice == "tie",
            verdict.strength,
            shown_first(winner, loser),
            "pair",
        )
    for rank, tier in enumerate(judgement.ranking):
        for index, first in enumerate(tier):
            for second in tier[index + 1 :]:
                if frozenset((first, second)) not in explicit:
                    yield JudgedPair(
                        judgement.author,
                        first,
                        second,
                        True,
                        None,
                        shown_first(first, second),
                        "ranking",
                    )
        for lower in judgement.ranking[rank + 1 :]:
            for winner in tier:
                for loser in lower:
                    if frozenset((winner, loser)) not in explicit:
                        yield JudgedPair(
                            judgement.author,
                            winner,
                            loser,
                            False,
                            None,
                            shown_first(winner, loser),
                            "ranking",
                        )
