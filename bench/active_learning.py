"""How many labels the active-learning order of the queue needs to reach a target accuracy,
against random order: ``python bench/active_learning.py [--seeds 10] [--batch 10]
[--initial 20] [--budget 800] [--targets 0.90 0.95] [--diversity 0.5] [--disagreement 1]
[--orders ...] [--n 100000] [--dim 384] [--heads 100 1000] [--repeat 1] [--json]``.

**The experiment** (pool-based, on scikit-learn's bundled handwritten digits, 1,797 8×8
images, 10 classes; no download). Per seed: a stratified 70/30 split into a pool (1,257)
and a test set (540); `--initial` pool samples drawn at random are labelled; a logistic
regression (on the standardised pixels) is trained on the labelled set, scored on the test
set, and the next `--batch` pool samples of the queue are labelled, until `--budget`
labels or every target is reached. The queue is ordered by:

- **random**: a random permutation of the pool;
- **uncertainty**: `order_queue` on the margin uncertainty of the model's class
  probabilities (`distribution_uncertainty`), no diversity;
- **uncertainty+diversity**: the same with diversity weight `--diversity`: greedy
  k-center on the standardised pixels (cosine), the labelled samples as the first centers;
- **committee (rank_samples)**: the whole path from model candidates: the logistic
  regression and a 5-nearest-neighbour classifier each propose, per pool sample, every
  class with probability ≥ 0.1 as a classification candidate with that confidence;
  `rank_samples` takes their uncertainty, their disagreement (1 − `model_agreement`,
  weight `--disagreement`) and the diversity as above.

Printed: per order and target, the labels needed (mean ± standard deviation over the
seeds, min–max, and how many seeds reached it within the budget), and the accuracy with
the whole pool labelled (the ceiling). Then the time of `order_queue` on `--n` samples of
`--dim`-d embeddings (random unit vectors, float32) with 1,000 labelled, for several head
lengths (`ActiveLearningSettings.diverse_head`), and of `rank_samples` on `--n` samples
with two models' candidates each, without embeddings.
"""

import argparse
import json
import statistics
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rich.console import Console
from rich.table import Table
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

from rosetta.core.active_learning import (
    ActiveLearningSettings,
    distribution_uncertainty,
    order_queue,
    rank_samples,
)
from rosetta.core.geometry import Classification
from rosetta.core.schema import Annotation, Source

ORDERS = ("random", "uncertainty", "uncertainty+diversity", "committee (rank_samples)")
#: The least probability a committee model proposes a class with.
PROPOSE_AT = 0.1


@dataclass(frozen=True)
class Split:
    """One seed's pool and test set (standardised pixels)."""

    pool: NDArray[np.float64]
    pool_labels: NDArray[np.int64]
    test: NDArray[np.float64]
    test_labels: NDArray[np.int64]


def split(seed: int) -> Split:
    """The digits split 70/30 by class, for `seed`."""
    features, labels = load_digits(return_X_y=True)
    scaled = StandardScaler().fit_transform(features)
    pool, test, pool_labels, test_labels = train_test_split(
        scaled, labels, test_size=0.3, stratify=labels, random_state=seed
    )
    return Split(pool, pool_labels, test, test_labels)


def model() -> LogisticRegression:
    """The learner."""
    return LogisticRegression(max_iter=5000)


Chooser = Callable[[Split, list[int], list[int], LogisticRegression, int], list[int]]


def by_random(rng: np.random.Generator) -> Chooser:
    """A chooser that takes the next pool samples of one random permutation."""
    permutation: list[int] = []

    def choose(
        data: Split, labelled: list[int], left: list[int], fitted: LogisticRegression, batch: int
    ) -> list[int]:
        if not permutation:
            permutation.extend(rng.permutation(len(data.pool)).tolist())
        remaining = set(left)
        return [i for i in permutation if i in remaining][:batch]

    return choose


def _ids(left: Sequence[int]) -> list[str]:
    return [f"d{i:04d}" for i in left]


def by_order(settings: ActiveLearningSettings, diverse: bool) -> Chooser:
    """A chooser that takes the head of `order_queue` on the margin uncertainty."""

    def choose(
        data: Split, labelled: list[int], left: list[int], fitted: LogisticRegression, batch: int
    ) -> list[int]:
        uncertainty = distribution_uncertainty(fitted.predict_proba(data.pool[left]), "margin")
        order = order_queue(
            _ids(left),
            uncertainty,
            np.zeros(len(left)),
            data.pool[left] if diverse else None,
            labelled=data.pool[labelled] if diverse else None,
            settings=settings,
        )
        return [int(ident[1:]) for ident in order.ids[:batch]]

    return choose


def by_committee(settings: ActiveLearningSettings) -> Chooser:
    """A chooser that ranks the candidates of two models with `rank_samples`."""

    def choose(
        data: Split, labelled: list[int], left: list[int], fitted: LogisticRegression, batch: int
    ) -> list[int]:
        neighbours = KNeighborsClassifier(n_neighbors=5).fit(
            data.pool[labelled], data.pool_labels[labelled]
        )
        ids = _ids(left)
        candidates: dict[str, list[Annotation]] = {ident: [] for ident in ids}
        for name, committee_model in (("logistic", fitted), ("knn", neighbours)):
            probabilities = committee_model.predict_proba(data.pool[left])
            classes = committee_model.classes_
            for row, ident in enumerate(ids):
                for column in np.flatnonzero(probabilities[row] >= PROPOSE_AT):
                    candidates[ident].append(
                        Annotation(
                            id=f"{ident}-{name}-{column}",
                            stream=None,
                            label=f"digit-{classes[column]}",
                            geometry=Classification(),
                            source=Source(
                                kind="model",
                                name=name,
                                confidence=float(probabilities[row, column]),
                            ),
                        )
                    )
        embeddings = {ident: data.pool[i] for ident, i in zip(ids, left, strict=True)}
        order = rank_samples(
            candidates, embeddings, labelled=data.pool[labelled], settings=settings
        )
        return [int(ident[1:]) for ident in order.ids[:batch]]

    return choose


def labels_needed(
    data: Split,
    choose: Chooser,
    *,
    initial: Sequence[int],
    batch: int,
    budget: int,
    targets: Sequence[float],
) -> dict[float, int | None]:
    """The labels each target accuracy first needed (``None``: not within `budget`)."""
    labelled = list(initial)
    needed: dict[float, int | None] = dict.fromkeys(targets)
    while True:
        fitted = model().fit(data.pool[labelled], data.pool_labels[labelled])
        accuracy = fitted.score(data.test, data.test_labels)
        for target in targets:
            if needed[target] is None and accuracy >= target:
                needed[target] = len(labelled)
        if all(value is not None for value in needed.values()) or len(labelled) >= budget:
            return needed
        taken = set(labelled)
        left = [i for i in range(len(data.pool)) if i not in taken]
        if not left:
            return needed
        labelled.extend(choose(data, labelled, left, fitted, min(batch, budget - len(labelled))))


def experiment(args: argparse.Namespace) -> dict[str, Any]:
    """The labels needed per order, target and seed, and the ceiling."""
    settings = ActiveLearningSettings(
        disagreement=0.0, diversity=args.diversity, diverse_head=args.batch
    )
    uncertain = ActiveLearningSettings(disagreement=0.0, diversity=0.0)
    committee = ActiveLearningSettings(
        disagreement=args.disagreement, diversity=args.diversity, diverse_head=args.batch
    )
    results: dict[str, dict[float, list[int | None]]] = {
        name: {target: [] for target in args.targets} for name in ORDERS
    }
    ceiling: list[float] = []
    seconds: dict[str, float] = dict.fromkeys(ORDERS, 0.0)
    for seed in range(args.seeds):
        data = split(seed)
        rng = np.random.default_rng(seed)
        initial = rng.choice(len(data.pool), size=args.initial, replace=False).tolist()
        choosers: dict[str, Chooser] = {
            "random": by_random(np.random.default_rng(1000 + seed)),
            "uncertainty": by_order(uncertain, False),
            "uncertainty+diversity": by_order(settings, True),
            "committee (rank_samples)": by_committee(committee),
        }
        for name in args.orders:
            start = time.perf_counter()
            needed = labels_needed(
                data,
                choosers[name],
                initial=initial,
                batch=args.batch,
                budget=args.budget,
                targets=args.targets,
            )
            seconds[name] += time.perf_counter() - start
            for target, value in needed.items():
                results[name][target].append(value)
        ceiling.append(model().fit(data.pool, data.pool_labels).score(data.test, data.test_labels))
    return {"needed": results, "ceiling": ceiling, "seconds": seconds}


def summary(values: Sequence[int | None], budget: int) -> dict[str, Any]:
    """Mean, standard deviation, min and max of the labels needed by the seeds that reached
    the target, and how many did."""
    reached = [value for value in values if value is not None]
    return {
        "reached": len(reached),
        "seeds": len(values),
        "mean": statistics.fmean(reached) if reached else None,
        "sd": statistics.stdev(reached) if len(reached) > 1 else 0.0,
        "min": min(reached, default=None),
        "max": max(reached, default=None),
        "budget": budget,
    }


def time_ordering(n: int, dim: int, heads: Sequence[int], repeat: int) -> list[dict[str, Any]]:
    """Seconds `order_queue` takes on `n` random `dim`-d embeddings with 1,000 labelled."""
    rng = np.random.default_rng(0)
    embeddings = rng.normal(size=(n, dim)).astype(np.float32)
    labelled = rng.normal(size=(1000, dim)).astype(np.float32)
    ids = [f"s{i:07d}" for i in range(n)]
    uncertainty, disagreement = rng.random(n), rng.random(n)
    rows = []
    for head in heads:
        settings = ActiveLearningSettings(diverse_head=head)
        run = partial(
            order_queue,
            ids,
            uncertainty,
            disagreement,
            embeddings,
            labelled=labelled,
            settings=settings,
        )
        best = min(_seconds(run) for _ in range(repeat))
        rows.append({"n": n, "dim": dim, "labelled": 1000, "head": head, "seconds": best})
    sort_only = partial(order_queue, ids, uncertainty, disagreement)
    no_embeddings = min(_seconds(sort_only) for _ in range(repeat))
    rows.append({"n": n, "dim": 0, "labelled": 0, "head": 0, "seconds": no_embeddings})
    return rows


def time_candidates(n: int) -> dict[str, Any]:
    """Seconds `rank_samples` takes on `n` samples with two models' classifications each
    (three candidates a sample), without embeddings; the candidates' build not counted."""
    rng = np.random.default_rng(1)
    candidates: dict[str, list[Annotation]] = {}
    for i in range(n):
        first, second = (int(v) for v in rng.integers(0, 10, 2))
        confidence = float(rng.random())
        candidates[f"s{i:07d}"] = [
            Annotation(
                id=f"{i}-{model_name}-{label}",
                stream="image",
                label=f"digit-{label}",
                geometry=Classification(),
                source=Source(kind="model", name=model_name, confidence=value),
            )
            for model_name, label, value in (
                ("a", first, confidence),
                ("a", (first + 1) % 10, (1 - confidence) / 2),
                ("b", second, 0.9),
            )
        ]
    seconds = _seconds(lambda: rank_samples(candidates))
    return {"n": n, "candidates": 3 * n, "seconds": seconds}


def _seconds(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def print_experiment(args: argparse.Namespace, figures: dict[str, Any], console: Console) -> None:
    """The labels each order needed."""
    console.print(
        f"digits: seeds {args.seeds}, initial {args.initial}, batch {args.batch}, budget "
        f"{args.budget}, targets {args.targets}, diversity weight {args.diversity}, "
        f"committee's disagreement weight {args.disagreement}"
    )
    ceiling = figures["ceiling"]
    console.print(
        f"accuracy with the whole pool labelled: {statistics.fmean(ceiling):.3f} "
        f"(min {min(ceiling):.3f}, max {max(ceiling):.3f})"
    )
    table = Table("order", *(f"labels to {t:.2f}" for t in args.targets), "run s")
    for name in args.orders:
        cells = []
        for target in args.targets:
            s = figures["summary"][name][str(target)]
            if s["mean"] is None:
                cells.append(f"none of {s['seeds']} within {s['budget']}")
                continue
            reached = "" if s["reached"] == s["seeds"] else f" ({s['reached']}/{s['seeds']})"
            cells.append(f"{s['mean']:.0f} ± {s['sd']:.0f} [{s['min']}–{s['max']}]{reached}")
        table.add_row(name, *cells, f"{figures['seconds'][name]:.0f}")
    console.print(table)


def print_tables(args: argparse.Namespace, figures: dict[str, Any], console: Console) -> None:
    """The experiment's and the timings' tables."""
    if args.seeds:
        print_experiment(args, figures, console)
    timing = Table("n", "dim", "labelled", "diverse head", "order_queue s")
    for row in figures["timing"]:
        timing.add_row(
            str(row["n"]),
            str(row["dim"]) if row["dim"] else "none",
            str(row["labelled"]),
            str(row["head"]),
            f"{row['seconds']:.2f}",
        )
    console.print(timing)
    found = figures["candidates"]
    console.print(
        f"rank_samples from {found['candidates']} candidates of {found['n']} samples, no "
        f"embeddings: {found['seconds']:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="0: only the timings")
    parser.add_argument("--initial", type=int, default=20)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--budget", type=int, default=800)
    parser.add_argument("--targets", type=float, nargs="+", default=[0.90, 0.95])
    parser.add_argument("--diversity", type=float, default=0.5)
    parser.add_argument("--disagreement", type=float, default=1.0, help="committee's weight")
    parser.add_argument("--orders", nargs="+", choices=ORDERS, default=list(ORDERS))
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--heads", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a convergence warning would make the figures doubtful
        figures = experiment(args)
    figures["summary"] = {
        name: {
            str(target): summary(values, args.budget)
            for target, values in figures["needed"][name].items()
        }
        for name in args.orders
    }
    figures["timing"] = time_ordering(args.n, args.dim, args.heads, args.repeat)
    figures["candidates"] = time_candidates(args.n)
    if args.json:
        figures["needed"] = {
            name: {str(t): v for t, v in by_target.items()}
            for name, by_target in figures["needed"].items()
        }
        print(json.dumps({"parameters": vars(args), **figures}, indent=2))
    else:
        print_tables(args, figures, Console())


if __name__ == "__main__":
    main()
