"""Preference aggregation against a published reference fit, synthetic biased evaluators,
and agreement values computed independently by the reference implementations."""

import math
from collections.abc import Callable

import krippendorff
import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa
from statsmodels.stats.proportion import proportion_confint

from rosetta.core.preference import (
    Judgement,
    PairVerdict,
    RubricCriterion,
    RubricScore,
    presentation_order,
)
from rosetta.core.preference_stats import (
    PRIOR_TIES,
    CandidateFacts,
    PreferenceTally,
    bradley_terry,
)

#: The 1987 American League East: home team, away team, home wins, away wins. Agresti,
#: "Categorical Data Analysis" (2nd ed., 2002), Table 10.10, as shipped in the R package
#: BradleyTerry2 (data/baseball.csv).
BASEBALL = """\
Milwaukee,Detroit,4,3;Milwaukee,Toronto,4,2;Milwaukee,New York,4,3;Milwaukee,Boston,6,1
Milwaukee,Cleveland,4,2;Milwaukee,Baltimore,6,0;Detroit,Milwaukee,3,3;Detroit,Toronto,4,2
Detroit,New York,4,3;Detroit,Boston,6,0;Detroit,Cleveland,6,1;Detroit,Baltimore,4,3
Toronto,Milwaukee,2,5;Toronto,Detroit,4,3;Toronto,New York,2,4;Toronto,Boston,4,3
Toronto,Cleveland,4,2;Toronto,Baltimore,6,0;New York,Milwaukee,3,3;New York,Detroit,5,1
New York,Toronto,2,5;New York,Boston,4,3;New York,Cleveland,4,2;New York,Baltimore,6,1
Boston,Milwaukee,5,1;Boston,Detroit,2,5;Boston,Toronto,3,3;Boston,New York,4,2
Boston,Cleveland,5,2;Boston,Baltimore,6,0;Cleveland,Milwaukee,2,5;Cleveland,Detroit,3,3
Cleveland,Toronto,3,4;Cleveland,New York,4,3;Cleveland,Boston,4,2;Cleveland,Baltimore,2,4
Baltimore,Milwaukee,2,5;Baltimore,Detroit,1,5;Baltimore,Toronto,1,6;Baltimore,New York,2,4
Baltimore,Boston,1,6;Baltimore,Cleveland,3,4"""

#: BradleyTerry2's fit of model 1 (no home advantage), Baltimore fixed at 0, as printed in
#: its tests/baseball.Rout.save: estimate and standard error. Agresti's Table 10.11 gives
#: the estimates to two decimals (1.58, 1.44, 1.29, 1.25, 1.11, 0.68) and "about 0.3".
BASEBALL_FIT = {
    "Boston": (1.1077, 0.3339),
    "Cleveland": (0.6839, 0.3319),
    "Detroit": (1.4364, 0.3396),
    "Milwaukee": (1.5814, 0.3433),
    "New York": (1.2476, 0.3359),
    "Toronto": (1.2945, 0.3367),
}


def baseball_wins() -> dict[tuple[str, str], float]:
    wins: dict[tuple[str, str], float] = {}
    for game in BASEBALL.replace("\n", ";").split(";"):
        home, away, home_wins, away_wins = game.split(",")
        wins[(home, away)] = wins.get((home, away), 0) + int(home_wins)
        wins[(away, home)] = wins.get((away, home), 0) + int(away_wins)
    return wins


def test_bradley_terry_equals_the_published_baseball_fit() -> None:
    fit = bradley_terry(baseball_wins(), reference="Baltimore")
    by_model = {s.model: s for s in fit.strengths}
    assert fit.reference == "Baltimore"
    assert fit.prior_ties == 0.0
    assert by_model["Baltimore"].strength == 0.0
    for team, (estimate, se) in BASEBALL_FIT.items():
        assert by_model[team].strength == pytest.approx(estimate, abs=5e-5), team
        assert by_model[team].se == pytest.approx(se, abs=5e-5), team
        assert by_model[team].low == pytest.approx(estimate - 1.959964 * se, abs=5e-4)
    assert [s.model for s in fit.strengths] == [
        "Milwaukee", "Detroit", "Toronto", "New York", "Boston", "Cleveland", "Baltimore",
    ]  # fmt: skip
    assert by_model["Milwaukee"].elo == pytest.approx(1000 + 400 * 1.5814 / math.log(10), 0.01)


def test_bradley_terry_is_invariant_to_the_reference_up_to_a_shift() -> None:
    by_detroit = {s.model: s for s in bradley_terry(baseball_wins(), reference="Detroit").strengths}
    shift = 1.4364
    assert by_detroit["Milwaukee"].strength == pytest.approx(1.5814 - shift, abs=5e-4)
    assert by_detroit["Baltimore"].strength == pytest.approx(-shift, abs=5e-4)
    assert by_detroit["Detroit"].se is None


def test_a_model_that_never_loses_gets_a_finite_regularised_strength() -> None:
    wins = {("best", "mid"): 5.0, ("best", "low"): 4.0, ("mid", "low"): 3.0, ("low", "mid"): 2.0}
    fit = bradley_terry(wins, reference="low")
    by_model = {s.model: s for s in fit.strengths}
    assert fit.prior_ties == PRIOR_TIES
    assert by_model["best"].strength is not None and math.isfinite(by_model["best"].strength)
    assert by_model["best"].strength > by_model["mid"].strength > 0  # type: ignore[operator]
    assert [s.model for s in fit.strengths] == ["best", "mid", "low"]


def test_models_not_connected_to_the_reference_get_no_strength() -> None:
    wins = {("a", "b"): 3.0, ("b", "a"): 2.0, ("c", "d"): 1.0, ("d", "c"): 1.0}
    fit = bradley_terry(wins, ties={("a", "b"): 2.0}, reference="a")
    assert fit.unconnected == ["c", "d"]
    by_model = {s.model: s for s in fit.strengths}
    # a tie is half a win each way: a 4 - 3 b
    assert by_model["b"].strength == pytest.approx(math.log(3 / 4), abs=1e-6)
    assert by_model["c"].strength is None
    assert fit.strengths[-1].strength is None


def test_an_unknown_reference_is_refused() -> None:
    with pytest.raises(ValueError, match="'zeta' has no comparisons"):
        bradley_terry({("a", "b"): 1.0, ("b", "a"): 1.0}, reference="zeta")


# ---- synthetic evaluators -----------------------------------------------------------

MODELS = {"c1": "alpha", "c2": "beta", "c3": "gamma"}


def synthetic(
    choose: Callable[[list[str], np.random.Generator], list[list[str]]],
    *,
    samples: int = 200,
    evaluator: str = "eve",
    lengths: dict[str, float] | None = None,
    seed: int = 7,
) -> PreferenceTally:
    """A tally of `samples` rankings by `evaluator`, each the `choose` of the presented order."""
    rng = np.random.default_rng(seed)
    tally = PreferenceTally()
    for index in range(samples):
        sample = f"s{index}"
        lengths_here = lengths or {}
        facts = {
            c: CandidateFacts(m, lengths_here.get(c), "characters" if lengths_here else None)
            for c, m in MODELS.items()
        }
        shown = presentation_order("p", sample, evaluator, list(MODELS))
        ranking = choose(shown, rng)
        tally.add(
            sample,
            facts,
            [Judgement(id=f"j{index}", author=evaluator, presented=shown, ranking=ranking)],
        )
    return tally


def prefers_first(share: float) -> Callable[[list[str], np.random.Generator], list[list[str]]]:
    """Puts the first-shown candidate on top with probability `share`, else at random."""

    def choose(shown: list[str], rng: np.random.Generator) -> list[list[str]]:
        order = list(shown) if rng.random() < share else list(rng.permutation(shown))
        return [[c] for c in order]

    return choose


def test_an_evaluator_who_picks_the_first_shown_is_detected() -> None:
    biased = synthetic(prefers_first(0.8)).result().position_bias
    assert biased.overall.p_value is not None and biased.overall.p_value < 0.01
    assert biased.overall.outcomes.share is not None and biased.overall.outcomes.share > 0.6
    assert biased.per_evaluator[0].evaluator == "eve"
    assert biased.per_evaluator[0].p_value == biased.overall.p_value
    assert biased.top_choice.rankings == 200
    assert biased.top_choice.expected == pytest.approx([200 / 3] * 3, abs=1e-3)
    assert biased.top_choice.observed[0] > 120
    assert biased.top_choice.p_value is not None and biased.top_choice.p_value < 0.01


def test_an_unbiased_evaluator_is_not_flagged() -> None:
    fair = synthetic(prefers_first(0.0)).result().position_bias
    assert fair.overall.p_value is not None and fair.overall.p_value > 0.05
    assert fair.top_choice.p_value is not None and fair.top_choice.p_value > 0.05


def test_position_bias_is_told_apart_per_evaluator() -> None:
    tally = PreferenceTally()
    rng = np.random.default_rng(3)
    for index in range(200):
        sample = f"s{index}"
        judgements = []
        for evaluator, share in (("biased", 0.8), ("fair", 0.0)):
            shown = presentation_order("p", sample, evaluator, ["c1", "c2"])
            first, second = shown
            choice = "a" if rng.random() < share or rng.random() < 0.5 else "b"
            judgements.append(
                Judgement(
                    id=f"{evaluator}{index}",
                    author=evaluator,
                    presented=shown,
                    pairs=[PairVerdict(a=first, b=second, choice=choice)],  # type: ignore[arg-type]
                )
            )
        tally.add(sample, {c: CandidateFacts(MODELS[c]) for c in ("c1", "c2")}, judgements)
    per = {b.evaluator: b for b in tally.result().position_bias.per_evaluator}
    assert per["biased"].p_value is not None and per["biased"].p_value < 0.01
    assert per["fair"].p_value is not None and per["fair"].p_value > 0.05


def prefers_longer(
    share: float, lengths: dict[str, float]
) -> Callable[[list[str], np.random.Generator], list[list[str]]]:
    """Ranks by length (longest first) with probability `share`, else at random."""

    def choose(shown: list[str], rng: np.random.Generator) -> list[list[str]]:
        if rng.random() < share:
            return [[c] for c in sorted(shown, key=lambda c: -lengths[c])]
        return [[c] for c in rng.permutation(shown)]

    return choose


def test_an_evaluator_who_prefers_longer_answers_is_detected() -> None:
    lengths = {"c1": 40.0, "c2": 80.0, "c3": 160.0}
    biased = synthetic(prefers_longer(0.8, lengths), lengths=lengths).result().length_bias
    assert biased.overall.longer_won.p_value is not None
    assert biased.overall.longer_won.p_value < 0.01
    assert biased.overall.slope is not None and biased.overall.slope > 0
    assert biased.overall.slope_p_value is not None and biased.overall.slope_p_value < 0.01
    fair = synthetic(prefers_longer(0.0, lengths), lengths=lengths).result().length_bias
    assert fair.overall.longer_won.p_value is not None and fair.overall.longer_won.p_value > 0.05
    assert fair.overall.slope_p_value is not None and fair.overall.slope_p_value > 0.05
    assert fair.per_evaluator[0].longer_won.outcomes.trials == 600


def test_lengths_in_different_units_are_not_compared() -> None:
    tally = PreferenceTally()
    facts = {"c1": CandidateFacts("a", 10, "characters"), "c2": CandidateFacts("b", 3.5, "seconds")}
    tally.add("s", facts, [Judgement(id="j", author="x", ranking=[["c1"], ["c2"]])])
    bias = tally.result().length_bias
    assert bias.overall.longer_won.outcomes.trials == 0
    assert bias.per_evaluator == []


# ---- win rates, agreement, rubric ----------------------------------------------------

JUDGEMENTS = {
    "s1": [
        Judgement(id="a1", author="ann", ranking=[["c1"], ["c2"], ["c3"]]),
        Judgement(id="b1", author="bob", ranking=[["c1"], ["c2", "c3"]]),
        Judgement(id="c1", author="cy", ranking=[["c2"], ["c1"], ["c3"]]),
    ],
    "s2": [
        Judgement(id="a2", author="ann", ranking=[["c3"], ["c1"]]),
        Judgement(id="b2", author="bob", ranking=[["c3"], ["c1"], ["c2"]]),
    ],
    "s3": [
        Judgement(
            id="a3", author="ann", pairs=[PairVerdict(a="c1", b="c2", choice="a", strength=2)]
        ),
        Judgement(id="b3", author="bob", pairs=[PairVerdict(a="c2", b="c1", choice="b")]),
    ],
}


def tally_of(judgements: dict[str, list[Judgement]]) -> PreferenceTally:
    tally = PreferenceTally()
    for sample, given in judgements.items():
        tally.add(sample, {c: CandidateFacts(m) for c, m in MODELS.items()}, given)
    return tally


def test_win_rates_count_every_outcome_with_wilson_intervals() -> None:
    result = tally_of(JUDGEMENTS).result()
    assert result.judged_pairs == 3 + 3 + 3 + 1 + 3 + 1 + 1
    alpha = next(r for r in result.models if r.model == "alpha")
    # alpha (c1): s1 ann 2-0, bob 2-0, cy 1-1; s2 ann 0-1, bob 1-1; s3 2-0
    assert (alpha.wins, alpha.losses, alpha.ties) == (8, 3, 0)
    low, high = proportion_confint(8, 11, method="wilson")
    assert alpha.win_rate.share == pytest.approx(8 / 11)
    assert (alpha.win_rate.low, alpha.win_rate.high) == pytest.approx((low, high))
    beta_gamma = next(r for r in result.matrix if (r.model, r.opponent) == ("beta", "gamma"))
    assert (beta_gamma.wins, beta_gamma.losses, beta_gamma.ties) == (2, 1, 1)
    gamma_beta = next(r for r in result.matrix if (r.model, r.opponent) == ("gamma", "beta"))
    assert (gamma_beta.wins, gamma_beta.losses, gamma_beta.ties) == (1, 2, 1)


def test_ranking_agreement_is_krippendorffs_ordinal_alpha_over_tiers() -> None:
    result = tally_of(JUDGEMENTS).result()
    nan = np.nan
    # raters x units (s1 c1, c2, c3; s2 c1, c2, c3); value: tier index, best 0
    tiers = [
        [0, 1, 2, 1, nan, 0],  # ann
        [0, 1, 1, 1, 2, 0],  # bob
        [1, 0, 2, nan, nan, nan],  # cy
    ]
    expected = krippendorff.alpha(reliability_data=tiers, level_of_measurement="ordinal")
    assert result.ranking_agreement.alpha == pytest.approx(expected)
    assert result.ranking_agreement.units == 5  # s2 c2: one judge
    assert result.ranking_agreement.evaluators == 3


def test_pairwise_agreement_is_alpha_and_kappa_over_unordered_pairs() -> None:
    two = {s: [j for j in given if j.author != "cy"] for s, given in JUDGEMENTS.items()}
    result = tally_of(two).result().pairwise_agreement
    # units: s1 (c1,c2) (c1,c3) (c2,c3); s2 (c1,c3); s3 (c1,c2); values: first/second/tie
    ann = ["first", "first", "first", "second", "first"]
    bob = ["first", "first", "tie", "second", "first"]
    assert result.cohen_kappa == pytest.approx(cohen_kappa_score(ann, bob))
    codes = {"first": 0, "second": 1, "tie": 2}
    expected = krippendorff.alpha(
        reliability_data=[[codes[v] for v in ann], [codes[v] for v in bob]],
        level_of_measurement="nominal",
    )
    assert result.alpha == pytest.approx(expected)
    table = np.array([[2, 0, 0], [2, 0, 0], [1, 0, 1], [0, 2, 0], [2, 0, 0]])
    assert result.fleiss_kappa == pytest.approx(fleiss_kappa(table))
    assert result.units == 5


def test_kappas_are_left_out_where_they_do_not_apply() -> None:
    result = tally_of(JUDGEMENTS).result().pairwise_agreement
    assert result.evaluators == 3
    assert result.cohen_kappa is None  # three evaluators
    assert result.fleiss_kappa is None  # s1's pairs have three judges, the rest two


def test_rubric_summaries_per_criterion_and_model() -> None:
    criterion = RubricCriterion(name="accuracy", low=1, high=5)
    given = {
        "s1": [
            Judgement(id="a", author="ann", scores=[RubricScore(candidate="c1", criterion="accuracy", value=4), RubricScore(candidate="c2", criterion="accuracy", value=2)]),
            Judgement(id="b", author="bob", scores=[RubricScore(candidate="c1", criterion="accuracy", value=5), RubricScore(candidate="c2", criterion="accuracy", value=2)]),
        ],
        "s2": [
            Judgement(id="c", author="ann", scores=[RubricScore(candidate="c1", criterion="accuracy", value=3), RubricScore(candidate="c2", criterion="tone", value=1)]),
        ],
    }  # fmt: skip
    summary = {c.criterion: c for c in tally_of(given).result([criterion]).rubric}
    accuracy = summary["accuracy"]
    alpha = next(m for m in accuracy.models if m.model == "alpha")
    values = np.array([4, 5, 3])
    assert (alpha.n, alpha.mean, alpha.sd) == (
        3,
        pytest.approx(4.0),
        pytest.approx(values.std(ddof=1)),
    )
    low, high = stats.t.interval(0.95, 2, loc=values.mean(), scale=stats.sem(values))
    assert (alpha.low, alpha.high) == pytest.approx((low, high))
    assert alpha.distribution == [0, 0, 1, 1, 1]
    expected = krippendorff.alpha(
        reliability_data=[[4, 2, 3], [5, 2, np.nan]], level_of_measurement="interval"
    )
    assert accuracy.agreement_interval.alpha == pytest.approx(expected)
    assert accuracy.agreement_interval.units == 2
    # a criterion outside the rubric: its scale is what was seen
    assert (summary["tone"].scale_low, summary["tone"].scale_high) == (1, 1)
    assert summary["tone"].agreement_interval.alpha is None
