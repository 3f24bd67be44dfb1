"""`core.matching.optimal_pairs` against brute force: the maximum-weight one-to-one
matching over the allowed pairs (scipy's `linear_sum_assignment` does the work)."""

import itertools

import numpy as np
import pytest

from rosetta.core.matching import optimal_pairs, similarity_matrix


def _best_by_brute_force(scores: np.ndarray, least: float) -> tuple[int, float]:
    """The most pairs, then the highest total, over every one-to-one pairing."""
    rows, columns = scores.shape
    best = (0, 0.0)
    for size in range(min(rows, columns) + 1):
        for chosen_rows in itertools.combinations(range(rows), size):
            for chosen_columns in itertools.permutations(range(columns), size):
                values = [scores[r, c] for r, c in zip(chosen_rows, chosen_columns, strict=True)]
                if all(not np.isnan(v) and v >= least for v in values):
                    best = max(best, (size, float(sum(values))))
    return best


@pytest.mark.parametrize("seed", range(30))
def test_optimal_pairs_take_the_most_pairs_with_the_highest_total(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows, columns = rng.integers(1, 5, size=2)
    scores = rng.random((rows, columns))
    scores[rng.random((rows, columns)) < 0.3] = np.nan
    pairs = optimal_pairs(scores, least=0.2)
    assert len({r for r, _ in pairs}) == len(pairs) == len({c for _, c in pairs})
    total = sum(float(scores[r, c]) for r, c in pairs)
    size, best_total = _best_by_brute_force(scores, 0.2)
    assert len(pairs) == size
    assert total == pytest.approx(best_total, abs=1e-9)
    assert pairs == sorted(pairs)


def test_a_pair_below_the_least_score_or_forbidden_is_never_taken() -> None:
    assert optimal_pairs([[0.9, 0.8], [0.85, np.nan]]) == [(0, 1), (1, 0)]
    assert optimal_pairs([[0.6, 0.4], [0.5, 0.1]], least=0.55) == [(0, 0)]
    assert optimal_pairs(np.full((2, 2), np.nan)) == []
    assert optimal_pairs(np.zeros((0, 3))) == []
    with pytest.raises(ValueError, match="rows x columns"):
        optimal_pairs([1.0, 2.0])


def test_similarity_matrix_marks_what_may_not_match() -> None:
    matrix = similarity_matrix([1, 2], [2, 3, 4], lambda a, b: None if a == b else a / b)
    assert np.isnan(matrix[1, 0])
    assert matrix[0, 2] == 0.25
    assert matrix.shape == (2, 3)
