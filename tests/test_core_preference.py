"""The preference records and their pure helpers (`rosetta.core.preference`)."""

from collections import Counter
from itertools import permutations

import pytest
from pydantic import ValidationError

from rosetta.core.ontology import Ontology
from rosetta.core.preference import (
    Candidate,
    Judgement,
    PairVerdict,
    RubricCriterion,
    judged_pairs,
    presentation_order,
    prompt_streams,
)
from rosetta.core.schema import Sample, Stream


def _outcomes(judgement: Judgement) -> set[tuple[str, str, bool, bool | None]]:
    return {(p.winner, p.loser, p.tie, p.winner_shown_first) for p in judged_pairs(judgement)}


def test_ranking_expands_to_wins_across_tiers_and_ties_within() -> None:
    judgement = Judgement(id="j", presented=["c", "a", "b", "d"], ranking=[["a"], ["b", "c"]])
    assert _outcomes(judgement) == {
        ("a", "b", False, True),
        ("a", "c", False, False),
        ("b", "c", True, False),
    }


def test_explicit_pairs_come_first_and_are_not_repeated_from_the_ranking() -> None:
    judgement = Judgement(
        id="j",
        author="ann",
        pairs=[PairVerdict(a="a", b="b", choice="b", strength=3)],
        ranking=[["a"], ["b"], ["c"]],
    )
    pairs = list(judged_pairs(judgement))
    assert [(p.winner, p.loser, p.via, p.strength) for p in pairs] == [
        ("b", "a", "pair", 3),
        ("a", "c", "ranking", None),
        ("b", "c", "ranking", None),
    ]
    assert {p.evaluator for p in pairs} == {"ann"}
    assert all(p.winner_shown_first is None for p in pairs)


def test_presentation_order_is_stable_per_evaluator_and_varies_between_them() -> None:
    candidates = ["a", "b", "c"]
    first = presentation_order("p", "s", "ann", candidates)
    assert sorted(first) == candidates
    assert presentation_order("p", "s", "ann", candidates) == first
    orders = Counter(
        tuple(presentation_order("p", "s", f"evaluator-{n}", candidates)) for n in range(600)
    )
    assert set(orders) == set(permutations(candidates))
    assert min(orders.values()) > 60


def test_prompt_streams_leave_out_candidates_and_rationales() -> None:
    sample = Sample(
        id="s",
        streams=[
            Stream(id="img", name="image", modality="image", uri="a.jpg"),
            Stream(id="q", name="question", modality="text", text="Describe it."),
            Stream(id="c1", name="caption 1", modality="text", text="A dog."),
            Stream(id="c2", name="caption 2", modality="text", text="A cat."),
            Stream(id="why", name="rationale", modality="text", text="The first is right."),
        ],
        candidates=[
            Candidate(id="A", model="small", streams=["c1"]),
            Candidate(id="B", model="large", streams=["c2"]),
        ],
        judgements=[Judgement(id="j", ranking=[["A"], ["B"]], rationale="why")],
    )
    assert [s.id for s in prompt_streams(sample)] == ["img", "q"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ranking": [["a"], ["a", "b"]]}, "appears twice in the ranking"),
        ({"ranking": [["a"], []]}, "tier is empty"),
        ({"presented": ["a", "a"]}, "twice in the presented order"),
        (
            {"scores": [{"candidate": "a", "criterion": "tone", "value": 3}] * 2},
            "scored twice",
        ),
        ({"pairs": [{"a": "a", "b": "a", "choice": "a"}]}, "two different candidates"),
        ({"pairs": [{"a": "a", "b": "b", "choice": "tie", "strength": 2}]}, "tie has no"),
        ({"pairs": [{"a": "a", "b": "b", "choice": "a", "strength": 4}]}, "strength"),
    ],
)
def test_incoherent_judgements_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Judgement.model_validate({"id": "j", **fields})


def test_rubric_scales_and_names_are_checked() -> None:
    with pytest.raises(ValidationError, match="high must exceed low"):
        RubricCriterion(name="tone", low=3, high=3)
    with pytest.raises(ValidationError, match=r"labelled points \[7\]"):
        RubricCriterion(name="tone", labels={1: "bad", 7: "great"})
    tone = {"name": "tone"}
    with pytest.raises(ValidationError, match="criterion names must be unique"):
        Ontology.model_validate({"classes": [{"name": "thing"}], "rubric": [tone, tone]})
    ontology = Ontology.model_validate({"classes": [{"name": "thing"}], "rubric": [tone]})
    assert (ontology.rubric[0].low, ontology.rubric[0].high) == (1, 5)
