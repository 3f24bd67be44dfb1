"""Preference report benchmark: ``python bench/preference_report.py --n 10000``.

Builds (once, then reuses) a synthetic preference project of N samples in an SQLite store
under ``--workdir``: each sample a prompt and three caption candidates drawn from five
models of known Bradley–Terry strength (`TRUE_STRENGTHS`), ranked by three evaluators
(Plackett–Luce draws: ``fair``; ``first``, who also puts the first-shown candidate on top
in 30% of rankings; ``long``, who prefers longer captions) who score each candidate's
accuracy on 1..5. Then times the report (`rosetta.services.preference_report`): reading
the judgements and lengths in batches, and fitting and testing. Prints the timings, peak
RSS and how close the fitted strengths came to the true ones.

`synthetic_samples` is what ``scripts/leaderboard_plot.py`` draws the docs figure from.
"""

import argparse
import resource
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from sqlalchemy import Engine

from cached_store import cached_store
from rosetta.core.modality import Modality
from rosetta.core.preference import Candidate, Judgement, RubricScore, presentation_order
from rosetta.core.preference_stats import PreferenceTally
from rosetta.core.schema import MediaInfo, Sample, Stream
from rosetta.services.importer import import_samples
from rosetta.services.preference_report import judged_samples, preference_report
from rosetta.services.projects import find_project
from rosetta.store.engine import open_store
from rosetta.store.events import Actor

PROJECT = "bench-preferences"
_ACTOR = Actor("bench")

#: The models and their true strengths (log-odds; differences are what a fit recovers).
TRUE_STRENGTHS = {
    "baseline": -1.0,
    "captioner-small": -0.4,
    "captioner-large": 0.3,
    "vlm-chat-mini": 0.0,
    "vlm-chat": 0.8,
}
EVALUATORS = ("fair", "first", "long")
_WORDS = [
    "an",
    "astronaut",
    "in",
    "a",
    "white",
    "suit",
    "stands",
    "beside",
    "a",
    "flag",
    "on",
    "the",
    "grey",
    "lunar",
    "surface",
]


def _text(ident: str, name: str, text: str) -> Stream:
    return Stream(
        id=ident, name=name, modality=Modality.TEXT, text=text, media=MediaInfo(length=len(text))
    )


def synthetic_samples(project_id: str, n: int, seed: int = 1) -> Iterator[Sample]:
    """`n` judged preference samples of the project (see the module), reproducible by `seed`."""
    rng = np.random.default_rng(seed)
    models = list(TRUE_STRENGTHS)
    for index in range(n):
        sid = f"pref-{index:07d}"
        picked = [models[i] for i in rng.choice(len(models), size=3, replace=False)]
        words = rng.integers(3, len(_WORDS) + 1, size=3)
        captions = [" ".join(_WORDS[: int(k)]) + "." for k in words]
        ids = [f"{sid}.c{k}" for k in range(3)]
        judgements = []
        for evaluator in EVALUATORS:
            shown = presentation_order(project_id, sid, evaluator, ids)
            weight = {
                ids[k]: TRUE_STRENGTHS[picked[k]]
                + (0.08 * (words[k] - 8) if evaluator == "long" else 0.0)
                for k in range(3)
            }
            if evaluator == "first" and rng.random() < 0.3:
                rest = list(shown[1:])
                rng.shuffle(rest)
                order = [shown[0], *rest]
            else:  # Plackett–Luce: the next best drawn by softmax of the strengths left
                left, order = list(ids), []
                while left:
                    p = np.exp([weight[c] for c in left])
                    order.append(left.pop(int(rng.choice(len(left), p=p / p.sum()))))
            scores = [
                RubricScore(
                    candidate=ids[k],
                    criterion="accuracy",
                    value=int(
                        np.clip(
                            round(3 + 1.5 * TRUE_STRENGTHS[picked[k]] + rng.normal(0, 0.7)), 1, 5
                        )
                    ),
                )
                for k in range(3)
            ]
            judgements.append(
                Judgement(
                    id=f"{sid}.{evaluator}",
                    author=evaluator,
                    presented=shown,
                    ranking=[[c] for c in order],
                    scores=scores,
                )
            )
        yield Sample(
            id=sid,
            external_id=sid,
            streams=[
                _text(f"{sid}-prompt", "prompt", "Describe the image in one sentence."),
                *(_text(f"{sid}-c{k}", f"caption {k}", captions[k]) for k in range(3)),
            ],
            candidates=[
                Candidate(id=ids[k], model=picked[k], streams=[f"{sid}-c{k}"]) for k in range(3)
            ],
            judgements=judgements,
        )


def build(workdir: Path, n: int) -> Path:
    """The store holding the synthetic project of `n` samples (built when missing)."""

    def fill(engine: Engine, project_id: str) -> None:
        samples = synthetic_samples(project_id, n)
        import_samples(engine, project_id, samples, _ACTOR, batch_size=1000)

    return cached_store(workdir / f"preferences-{n}.db", PROJECT, fill)


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="preference samples")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/rosetta-bench-preferences"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    engine = open_store(f"sqlite:///{build(args.workdir, args.n)}")
    with engine.connect() as connection:
        project = find_project(connection, PROJECT)
        started = time.perf_counter()
        tally = PreferenceTally()
        for sample_id, facts, given in judged_samples(connection, project.id):
            tally.add(sample_id, facts, given)
        read = time.perf_counter() - started
        started = time.perf_counter()
        tally.result()
        fitted = time.perf_counter() - started
        started = time.perf_counter()
        report = preference_report(connection, project.id, reference="baseline")
        whole = time.perf_counter() - started
    engine.dispose()
    stats = report.stats
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        "| samples | judgements | judged pairs | read + tally s | fit + tests s | report s | peak RSS MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {stats.samples:,} | {stats.judgements:,} | {stats.judged_pairs:,} | {read:.2f} "
        f"| {fitted:.2f} | **{whole:.2f}** | {rss:.0f} |"
    )
    print()
    print("| model | true | fitted | 95% CI |")
    print("|---|---:|---:|---|")
    base = TRUE_STRENGTHS["baseline"]
    for s in stats.bradley_terry.strengths:
        print(
            f"| {s.model} | {TRUE_STRENGTHS[s.model] - base:.2f} | {s.strength:.2f} "
            f"| {s.low:.2f} – {s.high:.2f} |"
        )
    position = {b.evaluator: b.p_value for b in stats.position_bias.per_evaluator}
    length = {b.evaluator: b.slope_p_value for b in stats.length_bias.per_evaluator}
    print()
    print(
        "position-bias p per evaluator:",
        {k: f"{v:.2g}" for k, v in position.items() if v is not None},
    )
    print(
        "length-bias slope p per evaluator:",
        {k: f"{v:.2g}" for k, v in length.items() if v is not None},
    )
    print(f"ranking agreement α (ordinal): {stats.ranking_agreement.alpha:.3f}")


if __name__ == "__main__":
    main()
