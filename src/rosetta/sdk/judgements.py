"""Judging preference samples: the caller's own judgement (put, withdraw) and the
judgements they may see.

::

    sample = rosetta.sample("caption-ranking").sample  # candidates in the caller's order
    best, *rest = [c.id for c in sample.candidates]
    mine = rosetta.judge(
        "caption-ranking",
        ranking=[[best], rest],
        scores=[RubricScore(candidate=best, criterion="accuracy", value=5)],
        rationale="The only caption with the right colour.",
    )
    rosetta.judge("caption-ranking", ranking=[[best]], expected_revision=mine.revision)
"""

from collections.abc import Sequence

from pydantic import TypeAdapter

from rosetta.core.preference import Judgement, PairVerdict, RubricScore
from rosetta.sdk.transport import MethodGroup, segment

_JUDGEMENT = TypeAdapter(Judgement)
_JUDGEMENTS = TypeAdapter(list[Judgement])


def _path(sample_id: str, tail: str) -> str:
    return f"/api/samples/{segment(sample_id)}/{tail}"


class JudgementMethods(MethodGroup):
    """Preference judgements."""

    def judge(
        self,
        sample_id: str,
        *,
        pairs: Sequence[PairVerdict] = (),
        ranking: Sequence[Sequence[str]] = (),
        scores: Sequence[RubricScore] = (),
        rationale: str | None = None,
        expected_revision: int | None = None,
    ) -> Judgement:
        """Make the caller's judgement of the preference sample these pairwise verdicts,
        ranking (tiers best first), rubric scores and rationale text (``None``: none);
        the judgement, whose ``rationale`` is the id of the stream holding the text and
        ``presented`` the order the candidates were shown in. `expected_revision` (0:
        none yet) makes a stale judgement a `ConflictError`; a candidate, criterion or
        value the sample's project does not know is a `RuleViolation` naming the field."""
        body = {
            "pairs": [pair.model_dump(exclude_none=True) for pair in pairs],
            "ranking": [list(tier) for tier in ranking],
            "scores": [score.model_dump() for score in scores],
            "rationale": rationale,
            "expected_revision": expected_revision,
        }
        return self._http.parse(_JUDGEMENT, "PUT", _path(sample_id, "judgement"), json=body)

    def withdraw_judgement(self, sample_id: str) -> None:
        """Delete the caller's judgement of the sample with its rationale and the phrases
        on it; `NotFoundError` when they have none."""
        self._http.request("DELETE", _path(sample_id, "judgement"))

    def judgements(self, sample_id: str) -> list[Judgement]:
        """The judgements of the sample the caller sees (an annotator: their own),
        oldest first."""
        return self._http.parse(_JUDGEMENTS, "GET", _path(sample_id, "judgements"))
