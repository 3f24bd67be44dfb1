"""Aggregation of preference judgements: Bradley–Terry strengths per model, win rates,
position and length bias, agreement among evaluators and rubric summaries.

Pure: no I/O. `PreferenceTally` takes one preference sample at a time (its candidates'
models and lengths, its judgements) and keeps only counts and a few numbers per judged
pair, so a project streams through it; `PreferenceTally.result` fits and tests. The
statistics are the reference implementations' (statsmodels, scipy, scikit-learn,
krippendorff); this module shapes the data for them and names their conventions:

- Bradley–Terry: a binomial GLM (logit link, no intercept) on the ±1 design of model
  pairs, one reference model fixed at 0; a tie counts as half a win for each side; the
  strength of a pairwise verdict is not used. Where the maximum-likelihood estimate does
  not exist (a model never loses or never wins within its group: the "beat" graph is not
  strongly connected) every compared pair gets `PRIOR_TIES` virtual ties and the result
  says so (``prior_ties``). Models not connected to the reference by any comparison get no
  strength. Strengths are log-odds; ``elo`` puts them on the Elo scale (400 per factor
  of ten in odds, the reference at 1000).
- Win rates: wins among decisive outcomes (ties counted apart), Wilson 95% intervals.
- Position bias: the share of decisive outcomes the candidate shown first won, binomial
  test against ½; for rankings, the presented position of a lone top choice, χ² against
  uniform (expected counts summed over rankings of different lengths). The outcomes one
  ranking yields are not independent, so for rankings the binomial p-value is optimistic;
  the χ² counts each ranking once.
- Length bias: the share of decisive outcomes between candidates of unequal length (code
  points of text, seconds of audio/video; only like units compared) the longer won,
  binomial test against ½, and a logistic regression of "the first-shown won" on the log
  length ratio first/second (its intercept absorbs position bias; the slope is the
  length effect in log-odds per e-fold length).
- Agreement: Krippendorff's α ordinal over rankings (units: sample × candidate, values:
  tier index, best 0), α nominal over pairwise outcomes (units: sample × unordered
  candidate pair, values: first-by-id wins / second wins / tie), Cohen's κ when exactly
  two evaluators judged pairs, Fleiss' κ when every unit has the same number of judges;
  per rubric criterion α interval and ordinal (units: sample × candidate).
"""

import math
import warnings
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import krippendorff
import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components
from scipy.stats import binomtest, chisquare
from sklearn.metrics import cohen_kappa_score
from statsmodels.discrete.discrete_model import Logit
from statsmodels.genmod.families import Binomial
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.stats.inter_rater import fleiss_kappa
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from rosetta.core.preference import Judgement, RubricCriterion, judged_pairs
from rosetta.core.preference_report_model import (
    BinomialBias,
    BradleyTerry,
    CriterionSummary,
    EvaluatorAgreement,
    LengthBias,
    LengthEffect,
    ModelScores,
    ModelStrength,
    PositionBias,
    PreferenceStats,
    Proportion,
    TopChoice,
    WinRecord,
)
from rosetta.core.reliability import Level

#: Virtual ties added to every compared pair of models when the Bradley–Terry estimate
#: would not exist otherwise (half a win each way: a weak prior towards equal strength).
PRIOR_TIES = 1.0
#: The Elo rating of the reference model, and Elo points per factor of ten in odds.
ELO_BASE = 1000.0
ELO_SCALE = 400.0
#: Two-sided confidence level of every interval.
CONFIDENCE = 0.95

LengthUnit = Literal["characters", "seconds"]
PairLabel = Literal["first", "second", "tie"]


@dataclass(frozen=True, slots=True)
class CandidateFacts:
    """What aggregation needs of a candidate: its model (``None``: unknown, left out of
    the model statistics) and its length in `unit` (``None``: no length, e.g. an image)."""

    model: str | None
    length: float | None = None
    unit: LengthUnit | None = None


def wilson(successes: int, trials: int) -> Proportion:
    """`successes` of `trials` with the Wilson interval (statsmodels' `proportion_confint`)."""
    if trials == 0:
        return Proportion(successes=0, trials=0, share=None, low=None, high=None)
    low, high = proportion_confint(successes, trials, alpha=1 - CONFIDENCE, method="wilson")
    return Proportion(
        successes=successes,
        trials=trials,
        share=successes / trials,
        low=float(low),
        high=float(high),
    )


def binomial_bias(evaluator: str | None, successes: int, trials: int) -> BinomialBias:
    """`successes` of `trials` tested against ½ (scipy's two-sided `binomtest`)."""
    p_value = binomtest(successes, trials, 0.5).pvalue if trials else None
    return BinomialBias(
        evaluator=evaluator,
        outcomes=wilson(successes, trials),
        p_value=None if p_value is None else float(p_value),
    )


def bradley_terry(
    wins: Mapping[tuple[str, str], float],
    ties: Mapping[tuple[str, str], float] | None = None,
    *,
    reference: str | None = None,
) -> BradleyTerry:
    """The Bradley–Terry fit of ``wins[(a, b)]`` (times `a` beat `b`) and ``ties[(a, b)]``
    (ties of `a` and `b`, either order): a statsmodels binomial GLM, `reference` fixed at
    0 (default: the model with most comparisons, then the first by name)."""
    success: dict[tuple[str, str], float] = defaultdict(float)
    for (winner, loser), count in wins.items():
        success[(winner, loser)] += count
    for (a, b), count in (ties or {}).items():
        success[(a, b)] += count / 2
        success[(b, a)] += count / 2
    models = sorted({name for pair, count in success.items() if count > 0 for name in pair})
    if not models:
        return BradleyTerry(reference=None, prior_ties=0.0, strengths=[], unconnected=[])
    index = {name: i for i, name in enumerate(models)}
    comparisons: dict[str, float] = defaultdict(float)
    for (a, b), count in success.items():
        comparisons[a] += count
        comparisons[b] += count
    if reference is None:
        reference = min(models, key=lambda name: (-comparisons[name], name))
    elif reference not in index:
        raise ValueError(f"reference model {reference!r} has no comparisons")
    beat = np.zeros((len(models), len(models)))
    for (a, b), count in success.items():
        beat[index[a], index[b]] += count
    _, component = connected_components(csr_array(beat), directed=True, connection="weak")
    group = [m for m in models if component[index[m]] == component[index[reference]]]
    inside = [index[m] for m in group]
    beaten = beat[np.ix_(inside, inside)]
    strong, _ = connected_components(csr_array(beaten), directed=True, connection="strong")
    prior = 0.0 if strong == 1 else PRIOR_TIES
    fitted = _fit(group, beaten, reference, prior)
    strengths = [
        _strength(name, comparisons[name], fitted.get(name, (None, None, None, None)))
        for name in models
    ]
    strengths.sort(key=lambda s: (s.strength is None, -(s.strength or 0.0), s.model))
    return BradleyTerry(
        reference=reference,
        prior_ties=prior,
        strengths=strengths,
        unconnected=[m for m in models if m not in fitted],
    )


_Fit = tuple[float | None, float | None, float | None, float | None]


def _fit(group: list[str], beaten: np.ndarray, reference: str, prior: float) -> dict[str, _Fit]:
    """Strength, standard error and 95% interval per model of one connected group."""
    fitted: dict[str, _Fit] = {reference: (0.0, None, 0.0, 0.0)}
    if len(group) == 1:
        return fitted
    columns = [m for m in group if m != reference]
    rows, outcomes = [], []
    for i, first in enumerate(group):
        for j in range(i + 1, len(group)):
            won, lost = beaten[i, j], beaten[j, i]
            if won + lost == 0:
                continue
            design = np.zeros(len(columns))
            if first != reference:
                design[columns.index(first)] = 1.0
            if group[j] != reference:
                design[columns.index(group[j])] = -1.0
            rows.append(design)
            outcomes.append((won + prior / 2, lost + prior / 2))
    # the estimate exists (checked by the caller): "perfect prediction" is an exact fit, and
    # a saturated one leaves IRLS's inner least squares no residual degrees of freedom for
    # a scale the binomial family never uses (it is 1)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        result = GLM(np.asarray(outcomes), np.asarray(rows), family=Binomial()).fit()
    intervals = np.asarray(result.conf_int(alpha=1 - CONFIDENCE))
    for k, name in enumerate(columns):
        fitted[name] = (
            float(result.params[k]),
            float(result.bse[k]),
            float(intervals[k, 0]),
            float(intervals[k, 1]),
        )
    return fitted


def _strength(model: str, comparisons: float, fit: _Fit) -> ModelStrength:
    strength, se, low, high = fit
    return ModelStrength(
        model=model,
        comparisons=round(comparisons),
        strength=strength,
        se=se,
        low=low,
        high=high,
        elo=None if strength is None else ELO_BASE + ELO_SCALE * strength / math.log(10),
    )


def top_choice_test(
    evaluator: str | None, observed: Sequence[int], expected: Sequence[float]
) -> TopChoice:
    """χ² of the top choices' presented positions against the expected counts (scipy's
    `chisquare`), positions nobody could pick left out."""
    rankings = int(sum(observed))
    kept = [(o, e) for o, e in zip(observed, expected, strict=True) if e > 0]
    chi2 = p_value = None
    if rankings and len(kept) > 1:
        test = chisquare([o for o, _ in kept], [e for _, e in kept])
        chi2, p_value = float(test.statistic), float(test.pvalue)
    return TopChoice(
        evaluator=evaluator,
        rankings=rankings,
        observed=list(observed),
        expected=[round(e, 6) for e in expected],
        chi2=chi2,
        p_value=p_value,
    )


def length_effect(
    evaluator: str | None,
    longer_won: int,
    unequal: int,
    log_ratios: Sequence[float],
    first_won: Sequence[bool],
) -> LengthEffect:
    """Length bias: the binomial test of the longer candidate's wins, and statsmodels'
    `Logit` of `first_won` on `log_ratios` (no slope where the data cannot fit one:
    fewer than two outcomes of either kind, no spread, or separation)."""
    slope = se = p_value = None
    x = np.asarray(log_ratios, dtype=float)
    y = np.asarray(first_won, dtype=float)
    if len(x) > 2 and 0 < y.sum() < len(y) and np.ptp(x) > 0:
        design = np.column_stack([np.ones_like(x), x])
        with warnings.catch_warnings():
            warnings.simplefilter("error", PerfectSeparationWarning)
            warnings.simplefilter("error", ConvergenceWarning)
            try:
                fit = Logit(y, design).fit(disp=0)
                slope, se, p_value = (
                    float(fit.params[1]),
                    float(fit.bse[1]),
                    float(fit.pvalues[1]),
                )
            except (PerfectSeparationWarning, ConvergenceWarning, np.linalg.LinAlgError):
                slope = se = p_value = None
    if slope is not None and not math.isfinite(se or math.nan):
        slope = se = p_value = None
    return LengthEffect(
        evaluator=evaluator,
        longer_won=binomial_bias(evaluator, longer_won, unequal),
        slope=slope,
        slope_se=se,
        slope_p_value=p_value,
    )


#: Units of agreement by the values their judges gave: sorted values -> how many units.
Units = Mapping[tuple[int, ...], int]


def value_counts(units: Units, domain: Sequence[int]) -> np.ndarray:
    """The units × values table of how many judges gave each unit each value of `domain`
    (units judged once left out): the `krippendorff` package's ``value_counts``."""
    pairable = [(values, n) for values, n in units.items() if len(values) > 1]
    rows = [[values.count(value) for value in domain] for values, _ in pairable]
    return np.repeat(
        np.asarray(rows, dtype=float).reshape(len(rows), len(domain)),
        [n for _, n in pairable],
        axis=0,
    )


def alpha_of_counts(units: Units, domain: Sequence[int], level: Level) -> float | None:
    """Krippendorff's α at `level` of `units` (`value_counts`); ``None`` when it is
    undefined (no unit with two judges, or a single value observed)."""
    counts = value_counts(units, domain)
    if not len(counts) or len(domain) < 2 or np.count_nonzero(counts.sum(axis=0)) < 2:
        return None
    return float(
        krippendorff.alpha(
            value_counts=counts, value_domain=list(domain), level_of_measurement=level
        )
    )


_PAIR_LABELS: tuple[PairLabel, ...] = ("first", "second", "tie")


def evaluator_of(judgement: Judgement) -> str:
    """Who gave `judgement`: its author, or the judgement itself when it has none."""
    return judgement.author if judgement.author is not None else f"judgement {judgement.id}"


@dataclass(slots=True)
class _Evaluator:
    """One evaluator's running counts."""

    shown_first_won: int = 0
    ordered: int = 0
    longer_won: int = 0
    unequal: int = 0
    top_observed: list[int] = field(default_factory=list)
    top_expected: list[float] = field(default_factory=list)
    log_ratios: list[float] = field(default_factory=list)
    first_won: list[bool] = field(default_factory=list)


class PreferenceTally:
    """Aggregation of preference samples fed one at a time (`add`), then `result`.

    Keeps counts per model pair and evaluator, the units two or more evaluators judged,
    and one log length ratio per decisive outcome between candidates of known length."""

    def __init__(self) -> None:
        self._samples = 0
        self._judgements = 0
        self._pairs = 0
        self._left_out = 0
        self._wins: Counter[tuple[str, str]] = Counter()
        self._ties: Counter[tuple[str, str]] = Counter()
        self._evaluators: dict[str, _Evaluator] = {}
        self._ranking_units: Counter[tuple[int, ...]] = Counter()
        self._ranking_judges: set[str] = set()
        self._pair_units: Counter[tuple[int, ...]] = Counter()
        self._pair_judges: set[str] = set()
        self._rater_pairs: Counter[tuple[str, str, PairLabel, PairLabel]] = Counter()
        self._scores: dict[tuple[str, str], Counter[int]] = defaultdict(Counter)
        self._score_units: dict[str, Counter[tuple[int, ...]]] = defaultdict(Counter)
        self._score_judges: dict[str, set[str]] = defaultdict(set)

    def add(
        self,
        sample_id: str,
        candidates: Mapping[str, CandidateFacts],
        judgements: Sequence[Judgement],
    ) -> None:
        """Count the `judgements` of one sample whose candidates are `candidates` (by id)."""
        del sample_id  # units are per sample: nothing is kept across samples by id
        if not judgements:
            return
        self._samples += 1
        self._judgements += len(judgements)
        rankings: dict[str, dict[str, int]] = defaultdict(dict)
        verdicts: dict[frozenset[str], dict[str, PairLabel]] = defaultdict(dict)
        scores: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
        for judgement in judgements:
            evaluator = evaluator_of(judgement)
            counts = self._evaluators.setdefault(evaluator, _Evaluator())
            self._count_pairs(judgement, evaluator, counts, candidates, verdicts)
            self._count_top_choice(judgement, counts)
            for tier_index, tier in enumerate(judgement.ranking):
                for candidate in tier:
                    rankings[candidate][evaluator] = tier_index
            for score in judgement.scores:
                scores[(score.criterion, score.candidate)][evaluator] = score.value
                model = candidates.get(score.candidate, CandidateFacts(None)).model
                if model is not None:
                    self._scores[(score.criterion, model)][score.value] += 1
        for tiers in rankings.values():
            if len(tiers) > 1:
                self._ranking_units[tuple(sorted(tiers.values()))] += 1
                self._ranking_judges.update(tiers)
        for labels in verdicts.values():
            if len(labels) > 1:
                self._pair_units[tuple(sorted(_PAIR_LABELS.index(v) for v in labels.values()))] += 1
                self._pair_judges.update(labels)
                judges = sorted(labels)
                for i, first in enumerate(judges):
                    for second in judges[i + 1 :]:
                        self._rater_pairs[(first, second, labels[first], labels[second])] += 1
        for (criterion, _candidate), values in scores.items():
            if len(values) > 1:
                self._score_units[criterion][tuple(sorted(values.values()))] += 1
                self._score_judges[criterion].update(values)

    def _count_pairs(
        self,
        judgement: Judgement,
        evaluator: str,
        counts: _Evaluator,
        candidates: Mapping[str, CandidateFacts],
        verdicts: dict[frozenset[str], dict[str, PairLabel]],
    ) -> None:
        unknown = CandidateFacts(None)
        for pair in judged_pairs(judgement):
            self._pairs += 1
            first, _second = sorted((pair.winner, pair.loser))
            label: PairLabel = "tie" if pair.tie else "first" if pair.winner == first else "second"
            verdicts[frozenset((pair.winner, pair.loser))][evaluator] = label
            winner = candidates.get(pair.winner, unknown)
            loser = candidates.get(pair.loser, unknown)
            if winner.model is None or loser.model is None or winner.model == loser.model:
                self._left_out += 1
            elif pair.tie:
                self._ties[(min(winner.model, loser.model), max(winner.model, loser.model))] += 1
            else:
                self._wins[(winner.model, loser.model)] += 1
            if pair.tie:
                continue
            if pair.winner_shown_first is not None:
                counts.ordered += 1
                counts.shown_first_won += pair.winner_shown_first
            if (
                winner.unit is not None
                and winner.unit == loser.unit
                and winner.length
                and loser.length
                and winner.length > 0
                and loser.length > 0
            ):
                if winner.length != loser.length:
                    counts.unequal += 1
                    counts.longer_won += winner.length > loser.length
                winner_first = (
                    pair.winner_shown_first
                    if pair.winner_shown_first is not None
                    else pair.winner == first
                )
                ratio = math.log(winner.length / loser.length)
                counts.log_ratios.append(ratio if winner_first else -ratio)
                counts.first_won.append(winner_first)

    @staticmethod
    def _count_top_choice(judgement: Judgement, counts: _Evaluator) -> None:
        if not judgement.ranking or len(judgement.ranking[0]) != 1:
            return
        top = judgement.ranking[0][0]
        if top not in judgement.presented:
            return
        shown = len(judgement.presented)
        for series in (counts.top_observed, counts.top_expected):
            series.extend([0] * (shown - len(series)))
        counts.top_observed[judgement.presented.index(top)] += 1
        for position in range(shown):
            counts.top_expected[position] += 1 / shown

    def result(
        self, rubric: Sequence[RubricCriterion] = (), *, reference: str | None = None
    ) -> PreferenceStats:
        """The statistics of everything added, rubric criteria scaled as in `rubric`."""
        evaluators = sorted(self._evaluators)
        return PreferenceStats(
            samples=self._samples,
            judgements=self._judgements,
            evaluators=evaluators,
            judged_pairs=self._pairs,
            pairs_left_out=self._left_out,
            bradley_terry=bradley_terry(self._wins, self._ties, reference=reference),
            models=self._win_records(),
            matrix=self._matrix(),
            position_bias=self._position_bias(evaluators),
            length_bias=self._length_bias(evaluators),
            ranking_agreement=_agreement(
                self._ranking_units, len(self._ranking_judges), "ordinal", None
            ),
            pairwise_agreement=self._pairwise_agreement(),
            rubric=self._rubric(rubric),
        )

    def _win_records(self) -> list[WinRecord]:
        wins: Counter[str] = Counter()
        losses: Counter[str] = Counter()
        ties: Counter[str] = Counter()
        for (winner, loser), count in self._wins.items():
            wins[winner] += count
            losses[loser] += count
        for (a, b), count in self._ties.items():
            ties[a] += count
            ties[b] += count
        models = sorted(set(wins) | set(losses) | set(ties))
        return [_record(m, None, wins[m], losses[m], ties[m]) for m in models]

    def _matrix(self) -> list[WinRecord]:
        pairs = (
            {p for p in self._wins}
            | {p for p in self._ties}
            | {(b, a) for a, b in [*self._wins, *self._ties]}
        )
        return [
            _record(
                model,
                opponent,
                self._wins[(model, opponent)],
                self._wins[(opponent, model)],
                self._ties[(min(model, opponent), max(model, opponent))],
            )
            for model, opponent in sorted(pairs)
        ]

    def _position_bias(self, evaluators: list[str]) -> PositionBias:
        counts = [self._evaluators[e] for e in evaluators]
        width = max((len(c.top_observed) for c in counts), default=0)
        observed = [
            sum(c.top_observed[i] for c in counts if i < len(c.top_observed)) for i in range(width)
        ]
        expected = [
            sum(c.top_expected[i] for c in counts if i < len(c.top_expected)) for i in range(width)
        ]
        return PositionBias(
            overall=binomial_bias(
                None, sum(c.shown_first_won for c in counts), sum(c.ordered for c in counts)
            ),
            per_evaluator=[
                binomial_bias(e, c.shown_first_won, c.ordered)
                for e, c in zip(evaluators, counts, strict=True)
                if c.ordered
            ],
            top_choice=top_choice_test(None, observed, expected),
            top_choice_per_evaluator=[
                top_choice_test(e, c.top_observed, c.top_expected)
                for e, c in zip(evaluators, counts, strict=True)
                if c.top_observed
            ],
        )

    def _length_bias(self, evaluators: list[str]) -> LengthBias:
        counts = [self._evaluators[e] for e in evaluators]
        return LengthBias(
            overall=length_effect(
                None,
                sum(c.longer_won for c in counts),
                sum(c.unequal for c in counts),
                [r for c in counts for r in c.log_ratios],
                [w for c in counts for w in c.first_won],
            ),
            per_evaluator=[
                length_effect(e, c.longer_won, c.unequal, c.log_ratios, c.first_won)
                for e, c in zip(evaluators, counts, strict=True)
                if c.log_ratios
            ],
        )

    def _pairwise_agreement(self) -> EvaluatorAgreement:
        cohen = None
        if len(self._pair_judges) == 2:
            cohen = _cohen(self._rater_pairs)
        fleiss = None
        if len({len(values) for values in self._pair_units}) == 1:
            table = value_counts(self._pair_units, range(len(_PAIR_LABELS)))
            if np.count_nonzero(table.sum(axis=0)) > 1:
                fleiss = float(fleiss_kappa(table, method="fleiss"))
        return _agreement(self._pair_units, len(self._pair_judges), "nominal", None).model_copy(
            update={"cohen_kappa": cohen, "fleiss_kappa": fleiss}
        )

    def _rubric(self, rubric: Sequence[RubricCriterion]) -> list[CriterionSummary]:
        scales = {c.name: (c.low, c.high) for c in rubric}
        observed: dict[str, set[int]] = defaultdict(set)
        for (criterion, _model), counted in self._scores.items():
            observed[criterion].update(counted)
        for criterion, units in self._score_units.items():
            for given in units:
                observed[criterion].update(given)
        summaries = []
        for criterion in [*scales, *sorted(set(observed) - set(scales))]:
            values = observed.get(criterion, set())
            low, high = scales.get(criterion, (min(values, default=0), max(values, default=0)))
            low, high = min(low, *values, low), max(high, *values, high)
            models = sorted(m for c, m in self._scores if c == criterion)
            units = self._score_units.get(criterion, Counter())
            judges = len(self._score_judges.get(criterion, set()))
            summaries.append(
                CriterionSummary(
                    criterion=criterion,
                    scale_low=low,
                    scale_high=high,
                    models=[
                        _model_scores(m, self._scores[(criterion, m)], low, high) for m in models
                    ],
                    agreement_interval=_agreement(units, judges, "interval", range(low, high + 1)),
                    agreement_ordinal=_agreement(units, judges, "ordinal", range(low, high + 1)),
                )
            )
        return summaries


def _record(model: str, opponent: str | None, wins: int, losses: int, ties: int) -> WinRecord:
    return WinRecord(
        model=model,
        opponent=opponent,
        wins=wins,
        losses=losses,
        ties=ties,
        win_rate=wilson(wins, wins + losses),
    )


def _agreement(
    units: Units, judges: int, level: Level, domain: Sequence[int] | None
) -> EvaluatorAgreement:
    values = domain if domain is not None else sorted({v for given in units for v in given})
    return EvaluatorAgreement(
        units=sum(units.values()),
        evaluators=judges,
        alpha=alpha_of_counts(units, list(values), level),
        alpha_level=level,
    )


def _cohen(rater_pairs: Mapping[tuple[str, str, PairLabel, PairLabel], int]) -> float | None:
    """Cohen's κ of the two evaluators' labels of the units both judged (scikit-learn's
    `cohen_kappa_score`, each distinct pair of labels weighted by how often it occurs)."""
    firsts, seconds, weights = [], [], []
    for (_a, _b, first, second), count in rater_pairs.items():
        firsts.append(first)
        seconds.append(second)
        weights.append(count)
    if len(set(firsts) | set(seconds)) < 2:
        return None
    return float(
        cohen_kappa_score(firsts, seconds, labels=list(_PAIR_LABELS), sample_weight=weights)
    )


def _model_scores(model: str, values: Counter[int], low: int, high: int) -> ModelScores:
    n = sum(values.values())
    distribution = [values.get(point, 0) for point in range(low, high + 1)]
    if n == 0:
        return ModelScores(
            model=model, n=0, mean=None, sd=None, low=None, high=None, distribution=distribution
        )
    points = sorted(values)
    stats = DescrStatsW(
        np.asarray(points, dtype=float), weights=[values[p] for p in points], ddof=1
    )
    sd = ci_low = ci_high = None
    if n > 1:
        sd = float(stats.std)
        if sd > 0:
            interval = stats.tconfint_mean(alpha=1 - CONFIDENCE)
            ci_low, ci_high = float(interval[0]), float(interval[1])
        else:
            ci_low = ci_high = float(stats.mean)
    return ModelScores(
        model=model,
        n=n,
        mean=float(stats.mean),
        sd=sd,
        low=ci_low,
        high=ci_high,
        distribution=distribution,
    )
