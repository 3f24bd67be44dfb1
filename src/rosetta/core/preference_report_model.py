"""The preference report as data: what `rosetta.core.preference_stats` aggregates from
a project's judgements (Bradley–Terry strengths, win rates, position and length bias,
agreement, rubric summaries) and the body of
``GET /api/projects/{project}/preferences/report``. Here in the core so the SDK returns the
same model. Every interval is 95%; proportions carry Wilson intervals, means t intervals.
"""

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Proportion(_Model):
    """``successes`` of ``trials`` with its share and Wilson 95% interval (``None``
    without trials)."""

    successes: int
    trials: int
    share: float | None
    low: float | None
    high: float | None


class ModelStrength(_Model):
    """A model's Bradley–Terry strength (log-odds against the reference), its standard
    error, 95% interval and Elo rating; ``None`` where it is not connected to the
    reference by comparisons (and the reference's own standard error)."""

    model: str
    comparisons: int
    strength: float | None
    se: float | None
    low: float | None
    high: float | None
    elo: float | None


class BradleyTerry(_Model):
    """The Bradley–Terry fit: strengths best first, the reference model (fixed at 0), the
    virtual ties per compared pair added to make the estimate exist (0: plain maximum
    likelihood) and the models not connected to the reference."""

    reference: str | None
    prior_ties: float
    strengths: list[ModelStrength]
    unconnected: list[str]


class WinRecord(_Model):
    """How one model fared (against ``opponent``, or everyone when ``None``): wins,
    losses, ties and its win rate among decisive outcomes."""

    model: str
    opponent: str | None = None
    wins: int
    losses: int
    ties: int
    win_rate: Proportion


class BinomialBias(_Model):
    """How often the favoured side (shown first, or longer) won the decisive outcomes of
    ``evaluator`` (``None``: everyone), and the two-sided binomial test against ½."""

    evaluator: str | None
    outcomes: Proportion
    p_value: float | None


class TopChoice(_Model):
    """Where the lone top choice of rankings was shown: ``observed[i]`` rankings put the
    candidate shown at position ``i`` (0: first) on top, ``expected[i]`` under no position
    effect, and the χ² test against that."""

    evaluator: str | None
    rankings: int
    observed: list[int]
    expected: list[float]
    chi2: float | None
    p_value: float | None


class PositionBias(_Model):
    """Position bias overall and per evaluator: pairwise outcomes and top choices."""

    overall: BinomialBias
    per_evaluator: list[BinomialBias]
    top_choice: TopChoice
    top_choice_per_evaluator: list[TopChoice]


class LengthEffect(_Model):
    """Length bias of ``evaluator`` (``None``: everyone): the longer candidate's wins
    with its binomial test, and the slope of the logistic regression of "first shown won"
    on log(length first / length second) with its standard error and p-value."""

    evaluator: str | None
    longer_won: BinomialBias
    slope: float | None
    slope_se: float | None
    slope_p_value: float | None


class LengthBias(_Model):
    """Length bias overall and per evaluator."""

    overall: LengthEffect
    per_evaluator: list[LengthEffect]


class EvaluatorAgreement(_Model):
    """Agreement among evaluators over ``units`` judged by two or more of them."""

    units: int
    evaluators: int
    alpha: float | None = Field(description="Krippendorff's α")
    alpha_level: str
    cohen_kappa: float | None = None
    fleiss_kappa: float | None = None


class ModelScores(_Model):
    """One model's scores on one criterion: count, mean, standard deviation, t-based 95%
    interval of the mean, and ``distribution[i]``: scores of ``low + i``."""

    model: str
    n: int
    mean: float | None
    sd: float | None
    low: float | None
    high: float | None
    distribution: list[int]


class CriterionSummary(_Model):
    """One rubric criterion: its scale, scores per model, and agreement on it."""

    criterion: str
    scale_low: int
    scale_high: int
    models: list[ModelScores]
    agreement_interval: EvaluatorAgreement
    agreement_ordinal: EvaluatorAgreement


class PreferenceStats(_Model):
    """Everything aggregated over a project's preference judgements."""

    samples: int
    judgements: int
    evaluators: list[str]
    judged_pairs: int
    pairs_left_out: int = Field(description="same-model pairs and pairs of unknown models")
    bradley_terry: BradleyTerry
    models: list[WinRecord]
    matrix: list[WinRecord]
    position_bias: PositionBias
    length_bias: LengthBias
    ranking_agreement: EvaluatorAgreement
    pairwise_agreement: EvaluatorAgreement
    rubric: list[CriterionSummary]


class PreferenceReport(_Model):
    """A project's preference report: the body of
    ``GET /api/projects/{project}/preferences/report``."""

    project: str
    name: str
    generated_at: str
    stats: PreferenceStats
