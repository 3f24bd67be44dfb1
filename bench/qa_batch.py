"""Batch QA benchmark: ``python bench/qa_batch.py --n 100000``.

Builds (once, then reuses) a synthetic project of N samples in an SQLite store under
``--workdir`` (`generate.py`: 10 annotations and 4 links a sample, so N = 100,000 is 1M
annotations and 400k links), then times one full batch pass of every installed QA check
(`rosetta.services.qa_runs.check_project`: read every sample, run the checks, record the
findings) and a second pass over the same data (every finding already stored), with
``--workers`` checking processes (default: one per core, at most 4) beside the one that
reads and records. Prints samples/s, annotations/s, links/s, findings and peak RSS (of the
recording process) per pass.
"""

import argparse
import resource
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from cached_store import cached_store
from generate import generate
from rosetta.services.importer import import_jsonl
from rosetta.services.projects import find_project
from rosetta.services.qa_runs import check_project
from rosetta.services.sample_checks import default_workers
from rosetta.store.engine import open_store
from rosetta.store.events import Actor
from rosetta.store.tables import annotations, findings, links

PROJECT = "bench-qa"
_ACTOR = Actor("bench")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(workdir: Path, n: int) -> Path:
    """The store holding the synthetic project of `n` samples (built when missing)."""
    db = workdir / f"qa-{n}.db"
    if db.exists():
        return db
    source = workdir / f"qa-{n}.jsonl"
    generate(n, source)

    def fill(engine: Engine, project_id: str) -> None:
        import_jsonl(engine, project_id, source, _ACTOR, batch_size=1000)

    cached_store(db, PROJECT, fill)
    source.unlink()
    return db


def one_pass(db: Path, workers: int) -> dict[str, Any]:
    """Time one batch pass of every installed check over the project."""
    engine = open_store(f"sqlite:///{db}")
    with engine.connect() as connection:
        project = find_project(connection, PROJECT)
        counts = {
            "annotations": connection.execute(
                select(func.count()).select_from(annotations)
            ).scalar_one(),
            "links": connection.execute(select(func.count()).select_from(links)).scalar_one(),
        }
    started = time.perf_counter()
    position = check_project(engine, project.id, workers=workers)
    seconds = time.perf_counter() - started
    with engine.connect() as connection:
        stored = connection.execute(select(func.count()).select_from(findings)).scalar_one()
    engine.dispose()
    return {
        "seconds": seconds,
        "samples": position.samples,
        **counts,
        "found": sum(n for by in position.counts.values() for n in by.values()),
        "stored": stored,
        "peak_rss_mb": _peak_rss_mb(),
    }


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="samples (10 annotations each)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/rosetta-bench-qa"))
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument(
        "--workers", type=int, default=default_workers(), help="checking processes (1: this one)"
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    db = build(args.workdir, args.n)
    print(
        "| pass | samples | annotations | links | seconds | samples/s | annotations/s "
        "| links/s | findings found | findings stored | peak RSS MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for number in range(1, args.passes + 1):
        r = one_pass(db, args.workers)
        s = r["seconds"]
        print(
            f"| {number} | {r['samples']:,} | {r['annotations']:,} | {r['links']:,} | {s:.1f} "
            f"| {r['samples'] / s:,.0f} | {r['annotations'] / s:,.0f} | {r['links'] / s:,.0f} "
            f"| {r['found']:,} | {r['stored']:,} | {r['peak_rss_mb']:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
