"""Chance-corrected agreement of categorical and scaled judgements: Cohen's κ for two
raters, Fleiss' κ for a fixed number of raters per unit, Krippendorff's α for any number of
raters, missing judgements and every level of measurement. Pure functions over arrays
that call the reference implementations (scikit-learn, statsmodels, krippendorff) rather
than re-deriving them; this module shapes the data for them and names their conventions.
"""

from collections.abc import Hashable, Sequence
from typing import Literal

import krippendorff
import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as _fleiss_kappa

#: Krippendorff's levels of measurement: how far apart two values are.
Level = Literal["nominal", "ordinal", "interval", "ratio"]

#: Cohen's weights for ordered categories (none: every disagreement counts the same).
Weights = Literal["linear", "quadratic"]


def cohens_kappa(
    first: Sequence[Hashable], second: Sequence[Hashable], *, weights: Weights | None = None
) -> float:
    """Cohen's κ of two raters' labels of the same units, in order (scikit-learn's
    `cohen_kappa_score`); `weights` for ordered labels."""
    if len(first) != len(second):
        raise ValueError(f"the raters judged {len(first)} and {len(second)} units")
    return float(cohen_kappa_score(list(first), list(second), weights=weights))


def category_counts(labels: ArrayLike) -> NDArray[np.int64]:
    """The units × categories table of how many raters gave each unit each category, from
    `labels` (units × raters, one label each; statsmodels' `aggregate_raters`), the
    categories in sorted order."""
    table, _categories = aggregate_raters(np.asarray(labels))
    return np.asarray(table, dtype=np.int64)


def fleiss_kappa(counts: ArrayLike) -> float:
    """Fleiss' κ of a units × categories table of counts, every unit judged by the same
    number of raters (statsmodels' `fleiss_kappa`; see `category_counts`)."""
    table = np.asarray(counts)
    per_unit = table.sum(axis=1)
    if table.ndim != 2 or not np.all(per_unit == per_unit[0]):
        raise ValueError("Fleiss' kappa needs the same number of raters for every unit")
    return float(_fleiss_kappa(table, method="fleiss"))


def krippendorff_alpha(reliability_data: ArrayLike, level: Level = "nominal") -> float:
    """Krippendorff's α of `reliability_data` (raters × units, NaN where a rater did not
    judge a unit) at the level of measurement `level` (the `krippendorff` package)."""
    data = np.asarray(reliability_data, dtype=float)
    if data.ndim != 2:
        raise ValueError("reliability data is a raters x units table")
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement=level))


def coded(
    labels: Sequence[Sequence[Hashable | None]],
) -> tuple[NDArray[np.float64], list[Hashable]]:
    """Category labels (raters × units, ``None`` where a rater did not judge a unit) as
    numeric reliability data for `krippendorff_alpha` at the nominal level, NaN for
    ``None``, and the labels in the order of their codes (first seen first)."""
    if len({len(row) for row in labels}) > 1:
        raise ValueError("every rater's row needs one entry per unit (None: not judged)")
    codes: dict[Hashable, int] = {}
    rows = [
        [np.nan if label is None else codes.setdefault(label, len(codes)) for label in row]
        for row in labels
    ]
    return np.asarray(rows, dtype=float), list(codes)
