"""The active-learning order of the queue: uncertainty from model confidences, disagreement
between models, greedy k-center diversity, and their combination into priorities."""

import itertools

import numpy as np
import pytest
from numpy.typing import NDArray
from pydantic import ValidationError
from scipy.spatial.distance import cdist

from rosetta.core.active_learning import (
    ActiveLearningSettings,
    Metric,
    UncertaintyMethod,
    disagreement,
    distribution_uncertainty,
    k_center,
    order_queue,
    rank_samples,
    sample_uncertainties,
    sample_uncertainty,
)
from rosetta.core.errors import RuleViolation
from rosetta.core.geometry import Box, Classification
from rosetta.core.schema import Annotation, Source
from rosetta.core.workflow import model_agreement

METHODS = ("least-confidence", "margin", "entropy")


def candidate(
    ident: str,
    label: str,
    confidence: float | None,
    model: str = "m1",
    *,
    x: float | None = None,
    kind: str = "model",
) -> Annotation:
    """A classification of the image (or, with `x`, a box) proposed by `model`."""
    geometry = Classification() if x is None else Box(x=x, y=0, w=100, h=100)
    return Annotation(
        id=ident,
        stream="image",
        label=label,
        geometry=geometry,
        source=Source.model_validate({"kind": kind, "name": model, "confidence": confidence}),
    )


# --- uncertainty ------------------------------------------------------------------------------


def test_distribution_uncertainty_of_known_distributions() -> None:
    rows = [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.7, 0.2, 0.1], [7.0, 2.0, 1.0]]
    least = distribution_uncertainty(rows, "least-confidence")
    margin = distribution_uncertainty(rows, "margin")
    entropy = distribution_uncertainty(rows, "entropy")
    assert least == pytest.approx([0.0, 1.0, 0.3 * 3 / 2, 0.3 * 3 / 2])
    assert margin == pytest.approx([0.0, 1.0, 0.5, 0.5])  # unscaled rows are scaled to sum 1
    h = -(0.7 * np.log(0.7) + 0.2 * np.log(0.2) + 0.1 * np.log(0.1)) / np.log(3)
    assert entropy == pytest.approx([0.0, 1.0, h, h])
    assert distribution_uncertainty([[1.0], [0.4]]).tolist() == [0.0, 0.0]  # one class


@pytest.mark.parametrize("method", METHODS)
def test_uncertainty_orders_binary_confidences_by_closeness_to_a_coin_flip(
    method: UncertaintyMethod,
) -> None:
    confidences = [0.99, 0.02, 0.8, 0.45, 0.5, 0.35]
    scores = distribution_uncertainty([[c, 1 - c] for c in confidences], method)
    assert np.argsort(-scores, kind="stable").tolist() == [4, 3, 5, 2, 1, 0]


def test_distribution_uncertainty_refuses_what_is_no_distribution() -> None:
    for rows in ([[0.5, -0.1]], [[0.0, 0.0]], [0.5, 0.5], [[np.nan, 1.0]]):
        with pytest.raises(RuleViolation, match="probabilities"):
            distribution_uncertainty(rows)


def test_a_samples_uncertainty_reads_its_model_candidates() -> None:
    sure = [candidate("a", "cat", 0.95)]
    # one label at 0.8: the rest, 0.2, is "none of these" → margin 1 - 0.6
    assert sample_uncertainty([candidate("a", "cat", 0.8)]) == pytest.approx(0.4)
    # one model's classifications of one stream are one distribution [0.6, 0.3, rest 0.1]
    split = [candidate("a", "cat", 0.6), candidate("b", "dog", 0.3)]
    assert sample_uncertainty(split) == pytest.approx(0.7)
    # a box at 0.5 is a coin flip; the sample takes its most uncertain question
    assert sample_uncertainty([*sure, candidate("c", "cat", 0.5, x=0)]) == pytest.approx(1.0)
    mean = ActiveLearningSettings(aggregate="mean")
    assert sample_uncertainty([*sure, candidate("c", "cat", 0.5, x=0)], mean) == pytest.approx(
        (0.1 + 1.0) / 2
    )
    # two models' classifications are two distributions
    assert sample_uncertainty([*sure, candidate("d", "dog", 0.55, "m2")]) == pytest.approx(0.9)
    # people's annotations and confidence-less candidates say nothing: no candidates at all
    people = [candidate("h", "cat", 0.99, kind="human"), candidate("n", "cat", None)]
    assert sample_uncertainty(people) == 1.0
    assert sample_uncertainty([]) == 1.0
    assert sample_uncertainty([], ActiveLearningSettings(no_candidates=0.25)) == 0.25
    # many samples at once: their distributions of 2 and 3 classes scored together
    together = sample_uncertainties([split, [], sure, [*sure, candidate("c", "cat", 0.5, x=0)]])
    assert together == pytest.approx([0.7, 1.0, 0.1, 1.0])


def test_disagreement_is_one_minus_the_models_agreement() -> None:
    assert disagreement([candidate("a", "cat", 0.9), candidate("b", "cat", 0.6, "m2")]) == 0.0
    assert disagreement([candidate("a", "cat", 0.9), candidate("b", "dog", 0.6, "m2")]) == 1.0
    boxes = [
        candidate("a", "car", 0.9, x=0),
        candidate("b", "car", 0.9, x=500),
        candidate("c", "car", 0.7, "m2", x=10),  # matches a; b has no partner
    ]
    found = model_agreement(boxes)
    assert found is not None and 0 < found < 1
    assert disagreement(boxes) == pytest.approx(1 - found)
    assert disagreement([candidate("a", "cat", 0.9), candidate("b", "dog", 0.6)]) == 0.0  # 1 model
    assert disagreement([]) == 0.0


# --- k-center ---------------------------------------------------------------------------------


def brute_k_center(
    points: NDArray[np.float64], k: int, centers: NDArray[np.float64] | None, metric: str
) -> list[int]:
    """Farthest-first from the full distance matrix (scipy's cdist)."""
    unit = points / np.linalg.norm(points, axis=1, keepdims=True)
    distances = cdist(unit, unit, metric="cosine" if metric == "cosine" else "euclidean")
    if centers is None:
        nearest = np.full(len(points), np.inf)
    else:
        unit_centers = centers / np.linalg.norm(centers, axis=1, keepdims=True)
        kind = "cosine" if metric == "cosine" else "euclidean"
        nearest = cdist(unit, unit_centers, metric=kind).min(axis=1)
    picks: list[int] = []
    for _ in range(k):
        gaps = nearest.copy()
        gaps[picks] = -1
        pick = int(np.argmax(gaps))
        picks.append(pick)
        nearest = np.minimum(nearest, distances[pick])
    return picks


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
@pytest.mark.parametrize("seed", range(5))
def test_k_center_matches_a_brute_force_reference(metric: Metric, seed: int) -> None:
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(60, 8))
    centers = rng.normal(size=(3, 8)) if seed % 2 else None
    found = k_center(points, 12, centers=centers, metric=metric)
    assert found.indices == brute_k_center(points, 12, centers, metric)
    assert len(set(found.indices)) == 12
    # each pick's distance never grows: the farthest point only gets nearer
    assert all(a >= b for a, b in itertools.pairwise(found.distances))
    # float32 embeddings stay float32 and pick the same
    assert k_center(points.astype(np.float32), 12, centers=centers, metric=metric).indices == (
        found.indices
    )


def test_k_center_covers_within_twice_the_best_radius() -> None:
    rng = np.random.default_rng(7)
    points = rng.normal(size=(14, 3))
    unit = points / np.linalg.norm(points, axis=1, keepdims=True)
    distances = cdist(unit, unit)
    best = min(
        distances[:, list(chosen)].min(axis=1).max()
        for chosen in itertools.combinations(range(len(points)), 3)
    )
    found = k_center(points, 3, metric="euclidean")
    assert found.radius == pytest.approx(distances[:, found.indices].min(axis=1).max())
    assert best <= found.radius <= 2 * best + 1e-9


def test_k_center_picks_one_point_of_each_spread_cluster() -> None:
    rng = np.random.default_rng(3)
    directions = np.eye(6)  # six orthogonal directions: clusters far apart in angle
    cloud = np.concatenate([d + rng.normal(scale=0.05, size=(40, 6)) for d in directions])
    cluster = np.repeat(np.arange(6), 40)
    found = k_center(cloud, 6)
    assert found.indices[0] == 0  # no centers: the first row starts
    assert sorted(cluster[found.indices].tolist()) == [0, 1, 2, 3, 4, 5]
    # with clusters 0 to 3 labelled already, the first two picks are the other two clusters
    labelled = directions[:4]
    found = k_center(cloud, 2, centers=labelled)
    assert sorted(cluster[found.indices].tolist()) == [4, 5]
    assert k_center(cloud, 0).indices == [] and k_center(cloud, 0).radius == float("inf")
    assert len(k_center(cloud[:3], 10).indices) == 3


# --- the combined order -----------------------------------------------------------------------


def test_without_embeddings_the_queue_is_sorted_by_score_with_ties_by_id() -> None:
    ids = ["s3", "s1", "s4", "s2", "s0"]
    order = order_queue(ids, [0.2, 0.9, 0.2, 0.5, 0.2], [0.0, 0.0, 0.0, 0.4, 0.0])
    assert order.ids == ["s1", "s2", "s0", "s3", "s4"]
    assert order.score.tolist() == pytest.approx([0.9, 0.9, 0.2, 0.2, 0.2])
    assert order.priorities() == {"s1": 5, "s2": 4, "s0": 3, "s3": 2, "s4": 1}
    only_disagreement = ActiveLearningSettings(uncertainty=0.0)
    weighted = order_queue(
        ids, [0.2, 0.9, 0.2, 0.5, 0.2], [0, 0, 0, 0.4, 0], settings=only_disagreement
    )
    assert weighted.ids == ["s2", "s0", "s1", "s3", "s4"]


def test_diversity_moves_a_near_duplicate_down_the_queue() -> None:
    ids = ["a", "b", "c", "d"]
    uncertainty = [0.9, 0.89, 0.6, 0.05]
    embeddings = np.array([[1.0, 0.0], [0.99, 0.01], [0.0, 1.0], [-1.0, 0.05]])
    plain = order_queue(
        ids, uncertainty, [0.0] * 4, embeddings, settings=ActiveLearningSettings(diversity=0)
    )
    assert plain.ids == ["a", "b", "c", "d"]
    equal = ActiveLearningSettings(diversity=1)
    mixed = order_queue(ids, uncertainty, [0.0] * 4, embeddings, settings=equal)
    # after a, b is next to it (distance ≈ 0) and c is far: c goes before b
    assert mixed.ids == ["a", "c", "b", "d"]
    assert mixed.diversity[0] == 1.0 and mixed.diversity[2] < 0.01
    # d's distance to c over the largest (d's to a): cos distance 0.95 over 2
    assert mixed.diversity[3] == pytest.approx(0.95 / 2, abs=2e-3)
    # a labelled sample near a pushes a and b both down
    labelled = order_queue(
        ids, uncertainty, [0.0] * 4, embeddings, labelled=[[1.0, 0.001]], settings=equal
    )
    assert labelled.ids[0] == "c"


def test_only_diversity_is_k_center_and_the_order_ignores_the_input_order() -> None:
    rng = np.random.default_rng(11)
    points = rng.normal(size=(50, 5)).astype(np.float32)
    ids = [f"s{i:02d}" for i in range(50)]
    labelled = rng.normal(size=(2, 5))
    only = ActiveLearningSettings(uncertainty=0, disagreement=0, diversity=1, diverse_head=20)
    order = order_queue(ids, np.zeros(50), np.zeros(50), points, labelled=labelled, settings=only)
    picks = k_center(points, 20, centers=labelled).indices
    assert order.ids[:20] == [ids[i] for i in picks]
    settings = ActiveLearningSettings(diverse_head=10)
    u, g = rng.random(50), rng.random(50)
    first = order_queue(ids, u, g, points, labelled=labelled, settings=settings)
    shuffled = rng.permutation(50)
    again = order_queue(
        [ids[i] for i in shuffled],
        u[shuffled],
        g[shuffled],
        points[shuffled],
        labelled=labelled,
        settings=settings,
    )
    assert again.ids == first.ids and sorted(first.ids) == ids
    assert np.array_equal(again.score, first.score)
    # past the head the queue is sorted by the score
    assert all(a >= b for a, b in itertools.pairwise(first.score[10:]))


def test_rank_samples_puts_uncertain_and_disputed_samples_first() -> None:
    candidates = {
        "sure": [candidate("a", "cat", 0.97), candidate("b", "cat", 0.95, "m2")],
        "unsure": [candidate("a", "cat", 0.55), candidate("b", "cat", 0.6, "m2")],
        "disputed": [candidate("a", "cat", 0.9), candidate("b", "dog", 0.9, "m2")],
        "unseen": [],
    }
    order = rank_samples(candidates, settings=ActiveLearningSettings(no_candidates=0.5))
    assert order.ids == ["disputed", "unsure", "unseen", "sure"]
    assert dict(zip(order.ids, order.disagreement.tolist(), strict=True))["disputed"] == 1.0
    assert order.priorities()["disputed"] == 4
    embeddings: dict[str, list[float]] = {
        "sure": [1, 0],
        "unsure": [0, 1],
        "disputed": [0, 1.1],
        "unseen": [-1, 0],
    }
    spread = rank_samples(candidates, embeddings, settings=ActiveLearningSettings(diversity=2))
    # after disputed, unsure lies next to it: unseen (far), sure (far from both), unsure
    assert spread.ids == ["disputed", "unseen", "sure", "unsure"]
    with pytest.raises(RuleViolation, match="'unseen': embeddings"):
        rank_samples(candidates, {"sure": [1, 0], "unsure": [0, 1], "disputed": [0, 1]})


def test_order_queue_refuses_mismatched_inputs() -> None:
    with pytest.raises(RuleViolation, match="ids"):
        order_queue(["a", "a"], [0, 0], [0, 0])
    with pytest.raises(RuleViolation, match="uncertainty"):
        order_queue(["a", "b"], [0], [0, 0])
    with pytest.raises(RuleViolation, match="embeddings"):
        order_queue(["a", "b"], [0, 0], [0, 0], np.ones((3, 2)))
    with pytest.raises(RuleViolation, match="labelled"):
        order_queue(["a", "b"], [0, 0], [0, 0], np.ones((2, 2)), labelled=np.ones((1, 3)))
    with pytest.raises(RuleViolation, match="centers"):
        k_center(np.ones((2, 2)), 1, centers=np.ones((1, 3)))
    with pytest.raises(ValidationError):
        ActiveLearningSettings(diversity=-1)
