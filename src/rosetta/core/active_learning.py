"""Active learning: the order in which the annotation queue asks people for labels, most
useful first. Pure: no I/O.

Three signals per sample, each 0 to 1:

``uncertainty``   how unsure the models are (`sample_uncertainty`). Each model's
                  classifications of one stream (or of the whole sample) are read as one
                  class distribution (label → confidence; the rest of the mass up to 1 is
                  one more class, "none of these"; a sum above 1 is scaled down to 1); any
                  other candidate (a box, a span, ...) is one yes/no question with
                  probability ``confidence``. Each is scored by `distribution_uncertainty`
                  (least confidence, margin or entropy, scaled to 0 to 1), and the sample
                  takes the largest (or the mean). Only model candidates with a confidence
                  count. **A sample with none is maximally uncertain** (1.0, setting
                  `ActiveLearningSettings.no_candidates`): no model has said anything about
                  it, so a person's label tells the most; a project whose models leave
                  confident negatives without candidates sets it lower.
``disagreement``  1 − `rosetta.core.workflow.model_agreement` of its candidates (the
                  agreement the workflow routes on); 0 with fewer than two models.
``diversity``     how far the sample's embedding lies from everything labelled or picked
                  before it: greedy k-center (farthest-first, `k_center`) on L2-normalised
                  embeddings, cosine or euclidean distance; one matrix-vector product per
                  pick, O(n·k) time and O(n) memory besides a normalised copy of the
                  embeddings, never an n×n matrix.

`order_queue` combines them: the first `ActiveLearningSettings.diverse_head` samples are
picked one at a time, each the best of ``uncertainty·u + disagreement·g + diversity·d``
where ``d`` is its distance to the nearest labelled or already-picked sample divided by the
largest such distance when the first center existed (the labelled samples, else the first
pick), so ``d`` is 1 for the most novel sample and only shrinks as picks cover the space
(a pick makes its neighbours less attractive); the rest follow by the same score with
their distances after the head. With no embeddings, or a diversity weight of 0, it is a
sort by the score. Ties go to the smaller sample id. `rank_samples` does the whole thing
from model candidates, and `QueueOrder.priorities` gives the integer priorities
`rosetta.services.workflow.set_priorities` takes. The weights are an
`ActiveLearningSettings` (a plain pydantic model: core reads no environment; a service
may carry one in its settings).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict, Field

from rosetta.core.errors import RuleViolation
from rosetta.core.schema import Annotation
from rosetta.core.workflow import model_agreement

#: How a class distribution's uncertainty is measured (`distribution_uncertainty`).
UncertaintyMethod = Literal["least-confidence", "margin", "entropy"]
#: How embeddings are compared: both on L2-normalised vectors.
Metric = Literal["cosine", "euclidean"]

#: Signals and scores.
Floats = NDArray[np.float64]
#: Embeddings and what is computed from them: float32 stays float32, else float64.
Vectors = NDArray[Any]


class ActiveLearningSettings(BaseModel):
    """How the queue is ordered: the signals' weights and how each is measured."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    uncertainty: float = Field(default=1.0, ge=0, description="Weight of uncertainty.")
    disagreement: float = Field(default=1.0, ge=0, description="Weight of model disagreement.")
    diversity: float = Field(default=0.5, ge=0, description="Weight of embedding diversity.")
    method: UncertaintyMethod = "margin"
    aggregate: Literal["max", "mean"] = Field(
        default="max", description="How a sample's uncertainties of its questions combine."
    )
    no_candidates: float = Field(
        default=1.0, ge=0, le=1, description="The uncertainty of a sample with no candidates."
    )
    metric: Metric = "cosine"
    diverse_head: int = Field(
        default=1000,
        ge=0,
        description="How many samples at the head of the queue are picked one at a time "
        "with diversity (O(n) each); the rest are sorted.",
    )


# --- uncertainty ------------------------------------------------------------------------------


def distribution_uncertainty(
    probabilities: ArrayLike, method: UncertaintyMethod = "margin"
) -> Floats:
    """The uncertainty, 0 (sure) to 1 (uniform), of each row of `probabilities` (n × K,
    non-negative; rows are scaled to sum 1):

    ``least-confidence``  (1 − p₁)·K/(K − 1)
    ``margin``            1 − (p₁ − p₂)
    ``entropy``           −Σ p log p / log K

    with p₁ ≥ p₂ the two largest. One class (K = 1) is certain: 0."""
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or not np.isfinite(p).all() or (p < 0).any():
        raise RuleViolation(
            "class probabilities",
            "probabilities",
            "shape",
            f"expected an n × K array of finite non-negative numbers, got shape {p.shape}",
        )
    n, classes = p.shape
    if classes < 2:
        return np.zeros(n)
    totals = p.sum(axis=1, keepdims=True)
    if (totals <= 0).any():
        row = int(np.argmax(totals[:, 0] <= 0))
        raise RuleViolation(
            "class probabilities", f"probabilities[{row}]", "sum", "a row sums to 0"
        )
    p = p / totals
    if method == "least-confidence":
        scores = (1.0 - p.max(axis=1)) * classes / (classes - 1)
    elif method == "margin":
        top = np.partition(p, classes - 2, axis=1)[:, -2:]
        scores = 1.0 - (top[:, 1] - top[:, 0])
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(p > 0, p * np.log(p), 0.0)
        scores = -terms.sum(axis=1) / np.log(classes)
    return np.asarray(np.clip(scores, 0.0, 1.0), dtype=np.float64)


def _questions(candidates: Sequence[Annotation]) -> list[list[float]]:
    """The class distributions the model candidates with a confidence stand for."""
    classifications: dict[tuple[str, str | None], dict[str, float]] = {}
    questions: list[list[float]] = []
    for candidate in candidates:
        confidence = candidate.source.confidence
        if candidate.source.kind != "model" or confidence is None:
            continue
        if candidate.geometry.type == "classification":
            key = (candidate.source.name or "", candidate.stream)
            labels = classifications.setdefault(key, {})
            labels[candidate.label] = max(confidence, labels.get(candidate.label, 0.0))
        else:
            questions.append([confidence, 1.0 - confidence])
    for labels in classifications.values():
        mass = list(labels.values())
        rest = 1.0 - sum(mass)
        questions.append([*mass, rest] if rest > 1e-9 else mass)
    return questions


def sample_uncertainty(
    candidates: Sequence[Annotation], settings: ActiveLearningSettings | None = None
) -> float:
    """How unsure the models are about a sample, 0 to 1, from its candidates (see the
    module's docstring); `ActiveLearningSettings.no_candidates` when no model candidate
    has a confidence."""
    return sample_uncertainties([candidates], settings)[0]


def sample_uncertainties(
    candidates: Sequence[Sequence[Annotation]], settings: ActiveLearningSettings | None = None
) -> list[float]:
    """`sample_uncertainty` of each sample's candidates, the distributions of all samples
    scored together (one `distribution_uncertainty` call per number of classes)."""
    settings = settings or ActiveLearningSettings()
    rows: dict[int, list[list[float]]] = {}
    owners: dict[int, list[int]] = {}
    for sample, found in enumerate(candidates):
        for question in _questions(found):
            rows.setdefault(len(question), []).append(question)
            owners.setdefault(len(question), []).append(sample)
    scores: list[list[float]] = [[] for _ in candidates]
    for size, questions in rows.items():
        measured = distribution_uncertainty(questions, settings.method).tolist()
        for sample, score in zip(owners[size], measured, strict=True):
            scores[sample].append(score)
    return [
        settings.no_candidates
        if not found
        else max(found)
        if settings.aggregate == "max"
        else sum(found) / len(found)
        for found in scores
    ]


def disagreement(candidates: Sequence[Annotation]) -> float:
    """How much the models that proposed `candidates` disagree: 1 − `model_agreement`;
    0 with fewer than two models."""
    agreed = model_agreement(candidates)
    return 0.0 if agreed is None else 1.0 - agreed


# --- diversity --------------------------------------------------------------------------------


def normalised(embeddings: ArrayLike, what: str = "embeddings") -> Vectors:
    """`embeddings` (n × d) as L2-normalised rows, float32 kept as float32 (else float64);
    a zero row stays zero."""
    array = np.asarray(embeddings)
    if array.dtype != np.float32:
        array = array.astype(np.float64)
    if array.ndim != 2 or not np.isfinite(array).all():
        raise RuleViolation(
            "active learning", what, "shape", f"expected an n × d finite array, got {array.shape}"
        )
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return np.asarray(np.divide(array, norms, out=np.zeros_like(array), where=norms > 0))


def _distance(similarity: Vectors, metric: Metric) -> Vectors:
    """Distances of unit vectors from their cosine similarity."""
    if metric == "cosine":
        return np.asarray(np.maximum(1.0 - similarity, 0.0))
    return np.asarray(np.sqrt(np.maximum(2.0 - 2.0 * similarity, 0.0)))


def _as_centers(centers: ArrayLike | None, points: Vectors, what: str) -> Vectors:
    """`centers` normalised like `points` (none: an empty set), checked to be as long."""
    if centers is None:
        return points[:0]
    found = normalised(centers, what).astype(points.dtype, copy=False)
    if found.shape[1] != points.shape[1]:
        raise RuleViolation(
            "active learning",
            what,
            "shape",
            f"expected {points.shape[1]}-d rows like the embeddings, got {found.shape[1]}-d",
        )
    return found


def _nearest_similarity(points: Vectors, centers: Vectors, block: int = 64) -> Vectors:
    """Each point's largest similarity to `centers`, `block` centers at a time (an n ×
    `block` product at most); −inf with none."""
    nearest = np.full(len(points), -np.inf, dtype=points.dtype)
    for start in range(0, len(centers), block):
        chunk = points @ centers[start : start + block].T
        np.maximum(nearest, chunk.max(axis=1), out=nearest)
    return nearest


@dataclass(frozen=True)
class KCenter:
    """The picks of greedy k-center: `indices` in the order picked, and each pick's
    distance to the nearest center before it (`inf` for a first pick with no centers);
    `radius` is the largest distance of any point to its nearest center afterwards (`inf`
    with neither centers nor picks)."""

    indices: list[int]
    distances: list[float]
    radius: float


def k_center(
    embeddings: ArrayLike,
    k: int,
    *,
    centers: ArrayLike | None = None,
    metric: Metric = "cosine",
) -> KCenter:
    """Greedy k-center (farthest-first) on the L2-normalised rows of `embeddings`: `k`
    picks, each the point farthest from the `centers` given and the picks before it (the
    first, with no centers, is row 0; ties go to the lower row). The covering radius is
    at most twice the best possible of k centers (Gonzalez 1985). O(n·d) a pick."""
    points = normalised(embeddings)
    count = min(k, len(points))
    nearest = _nearest_similarity(points, _as_centers(centers, points, "centers"))
    picked = np.zeros(len(points), dtype=bool)
    indices: list[int] = []
    distances: list[float] = []
    for _ in range(count):
        # with no center yet every distance is inf and row 0 comes first
        gaps = _distance(nearest, metric)
        gaps[picked] = -1.0
        index = int(np.argmax(gaps))
        indices.append(index)
        distances.append(float(gaps[index]))
        picked[index] = True
        np.maximum(nearest, points @ points[index], out=nearest)
    radius = float(_distance(nearest, metric).max()) if len(points) else 0.0
    return KCenter(indices=indices, distances=distances, radius=radius)


# --- ordering ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueOrder:
    """Samples in the order they should be labelled, with their signals and scores
    (aligned with `ids`). `diversity` is each sample's scaled distance when it was placed
    (1 before any center exists; all 0 without embeddings)."""

    ids: list[str]
    score: Floats
    uncertainty: Floats
    disagreement: Floats
    diversity: Floats

    def priorities(self) -> dict[str, int]:
        """Sample id → priority for `set_priorities` (higher first): n for the first, down
        to 1 for the last, so every ranked sample goes before those left at the default
        priority 0."""
        total = len(self.ids)
        return {ident: total - position for position, ident in enumerate(self.ids)}


def _signal(values: ArrayLike, count: int, what: str) -> Floats:
    array = np.asarray(values, dtype=np.float64)
    if array.shape != (count,) or not np.isfinite(array).all():
        raise RuleViolation(
            "active learning", what, "shape", f"expected {count} finite numbers, got {array.shape}"
        )
    return array


def order_queue(
    ids: Sequence[str],
    uncertainty: ArrayLike,
    disagreement: ArrayLike,
    embeddings: ArrayLike | None = None,
    *,
    labelled: ArrayLike | None = None,
    settings: ActiveLearningSettings | None = None,
) -> QueueOrder:
    """The order of the samples `ids`, given their signals (arrays aligned with `ids`),
    their `embeddings` (rows aligned with `ids`; none: no diversity) and those of the
    samples labelled already (`labelled`, the first centers). See the module's docstring."""
    settings = settings or ActiveLearningSettings()
    count = len(ids)
    if len(set(ids)) != count:
        raise RuleViolation("active learning", "ids", "unique", "a sample id appears twice")
    by_id = np.argsort(np.asarray(ids, dtype=object), kind="stable")
    names = [ids[i] for i in by_id]
    u = _signal(uncertainty, count, "uncertainty")[by_id]
    g = _signal(disagreement, count, "disagreement")[by_id]
    base = settings.uncertainty * u + settings.disagreement * g
    diversity = np.zeros(count)
    order: list[int] = []
    if embeddings is not None and settings.diversity > 0 and count:
        points = normalised(embeddings)
        if len(points) != count:
            raise RuleViolation(
                "active learning",
                "embeddings",
                "shape",
                f"expected one row per sample id ({count}), got {len(points)}",
            )
        points = points[by_id]
        nearest = _nearest_similarity(points, _as_centers(labelled, points, "labelled"))
        scale = _largest_gap(nearest, settings.metric)
        left = np.ones(count, dtype=bool)
        for _ in range(min(settings.diverse_head, count)):
            scaled = _scaled_gaps(nearest, scale, settings.metric)
            score = np.where(left, base + settings.diversity * scaled, -np.inf)
            index = int(np.argmax(score))
            order.append(index)
            diversity[index] = scaled[index]
            left[index] = False
            np.maximum(nearest, points @ points[index], out=nearest)
            if scale is None:
                scale = _largest_gap(nearest, settings.metric)
        rest = np.flatnonzero(left)
        diversity[rest] = _scaled_gaps(nearest, scale, settings.metric)[rest]
    else:
        rest = np.arange(count)
    score = base + settings.diversity * diversity
    # lexsort: the last key is the primary one; rows are in id order, so the row breaks ties
    order.extend(rest[np.lexsort((rest, -score[rest]))].tolist())
    return QueueOrder(
        ids=[names[i] for i in order],
        score=score[order],
        uncertainty=u[order],
        disagreement=g[order],
        diversity=diversity[order],
    )


def _largest_gap(nearest: Vectors, metric: Metric) -> float | None:
    """The largest distance of a point to its nearest center; ``None`` before any center
    exists."""
    if not np.isfinite(nearest).all():
        return None
    return float(_distance(nearest, metric).max())


def _scaled_gaps(nearest: Vectors, scale: float | None, metric: Metric) -> Floats:
    """Each point's distance to its nearest center over `scale` (the largest when the
    first center came); all 1 before any center exists."""
    if scale is None:
        return np.ones(len(nearest))
    if scale <= 0:
        return np.zeros(len(nearest))
    return _distance(nearest, metric).astype(np.float64) / scale


def rank_samples(
    candidates: Mapping[str, Sequence[Annotation]],
    embeddings: Mapping[str, ArrayLike] | None = None,
    *,
    labelled: ArrayLike | None = None,
    settings: ActiveLearningSettings | None = None,
) -> QueueOrder:
    """The queue order of the samples of `candidates` (sample id → its annotations; a
    sample with none is in it with an empty list): their uncertainty and model
    disagreement from the candidates, their diversity from `embeddings` (sample id → a
    vector; every sample needs one when given) against the `labelled` samples'. Its
    `QueueOrder.priorities` go to `rosetta.services.workflow.set_priorities`."""
    settings = settings or ActiveLearningSettings()
    ids = list(candidates)
    uncertainty = sample_uncertainties([candidates[ident] for ident in ids], settings)
    disagreements = [disagreement(candidates[ident]) for ident in ids]
    matrix = None
    if embeddings is not None:
        missing = next((ident for ident in ids if ident not in embeddings), None)
        if missing is not None:
            raise RuleViolation(
                f"sample {missing!r}", "embeddings", "missing", "the sample has no embedding"
            )
        matrix = np.stack([np.asarray(embeddings[ident]) for ident in ids]) if ids else None
    return order_queue(
        ids, uncertainty, disagreements, matrix, labelled=labelled, settings=settings
    )
