"""The agreement coefficients against published worked examples, each cited, and against
their reference implementations computed independently here."""

import math

import numpy as np
import pytest

from rosetta.core.reliability import (
    category_counts,
    coded,
    cohens_kappa,
    fleiss_kappa,
    krippendorff_alpha,
)

NAN = math.nan

#: Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four
#: observers, twelve units, values 1-5, with missing data.
KRIPPENDORFF_C = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]

#: Fleiss' kappa, worked example of Wikipedia's "Fleiss' kappa" article: 14 raters put 10
#: subjects into 5 categories; P-bar = 0.378, P-bar-e = 0.213, kappa = 0.210.
FLEISS_WORKED = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorffs_own_example_with_missing_data(level: str, published: float) -> None:
    assert krippendorff_alpha(KRIPPENDORFF_C, level) == pytest.approx(published, abs=5e-4)  # type: ignore[arg-type]


def test_nominal_alpha_from_first_principles() -> None:
    # coincidence matrix of the nominal example, computed here without the library
    data = np.asarray(KRIPPENDORFF_C)
    values = sorted({v for v in data.flatten() if not math.isnan(v)})
    coincidence = np.zeros((len(values), len(values)))
    for unit in data.T:
        judged = [v for v in unit if not math.isnan(v)]
        if len(judged) < 2:
            continue
        for i, a in enumerate(judged):
            for j, b in enumerate(judged):
                if i != j:
                    coincidence[values.index(a), values.index(b)] += 1 / (len(judged) - 1)
    n = coincidence.sum()
    marginals = coincidence.sum(axis=1)
    observed = n - np.trace(coincidence)
    expected = (n * n - (marginals**2).sum()) / (n - 1)
    assert krippendorff_alpha(KRIPPENDORFF_C) == pytest.approx(1 - observed / expected, abs=1e-9)


def test_fleiss_worked_example() -> None:
    kappa = fleiss_kappa(FLEISS_WORKED)
    assert kappa == pytest.approx(0.210, abs=5e-4)
    table = np.asarray(FLEISS_WORKED, dtype=float)
    raters = table.sum(axis=1)[0]
    p_j = table.sum(axis=0) / table.sum()
    p_i = ((table**2).sum(axis=1) - raters) / (raters * (raters - 1))
    by_hand = (p_i.mean() - (p_j**2).sum()) / (1 - (p_j**2).sum())
    assert kappa == pytest.approx(by_hand, abs=1e-9)


def test_fleiss_needs_the_same_number_of_raters_per_unit() -> None:
    with pytest.raises(ValueError, match="same number of raters"):
        fleiss_kappa([[1, 2], [3, 1]])


def test_category_counts_tables_each_units_labels() -> None:
    labels = [["car", "car", "person"], ["person", "person", "person"]]
    assert category_counts(labels).tolist() == [[2, 1], [0, 3]]
    assert fleiss_kappa(category_counts(labels)) == pytest.approx(
        fleiss_kappa([[2, 1], [0, 3]]), abs=1e-12
    )


def test_cohens_kappa_worked_example() -> None:
    # Wikipedia's "Cohen's kappa" example: 50 proposals, both yes 20, A yes B no 5,
    # A no B yes 10, both no 15: p_o = 0.7, p_e = 0.5, kappa = 0.4
    first = ["yes"] * 25 + ["no"] * 25
    second = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohens_kappa(first, second) == pytest.approx(0.4, abs=1e-12)
    with pytest.raises(ValueError, match="25 and 24 units"):
        cohens_kappa(first[:25], second[:24])


def test_weighted_cohens_kappa_counts_near_misses_less() -> None:
    first, second = [1, 2, 3, 4, 5, 1], [1, 3, 3, 5, 5, 2]
    plain = cohens_kappa(first, second)
    assert cohens_kappa(first, second, weights="linear") > plain
    assert cohens_kappa(first, second, weights="quadratic") > cohens_kappa(
        first, second, weights="linear"
    )


def test_labels_coded_for_nominal_alpha_with_missing_judgements() -> None:
    data, labels = coded([["car", "person", None], ["car", "person", "car"]])
    assert labels == ["car", "person"]
    assert np.isnan(data[0, 2]) and data[1].tolist() == [0.0, 1.0, 0.0]
    assert krippendorff_alpha(data) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="one entry per unit"):
        coded([["car"], ["car", "person"]])
