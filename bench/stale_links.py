"""Turning many links stale at once: ``python bench/stale_links.py [--links 10000]
[--repeat 3] [--pg URL]``.

Builds a fresh store (an SQLite file, or a schema of the PostgreSQL server at ``--pg``)
with one sample whose narration intervals each refer to a box of its photo, every link
confirmed, and times `rosetta.services.clocks.set_stream_clock` moving the
narration's clock: one write transaction that turns all ``--links`` links stale, each with
its event. Each repeat moves the clock again on a fresh copy of the sample (a new store),
so that every run stales the same number of links; the best run is printed.
"""

import argparse
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bulk_submit import ONTOLOGY, streams
from rosetta.core.clock import Clock
from rosetta.core.geometry import Box, Interval
from rosetta.core.schema import Annotation, Link, Sample
from rosetta.services.clocks import set_stream_clock
from rosetta.services.importer import import_samples
from rosetta.services.projects import create_project, load_ontology_file
from rosetta.store.engine import open_store
from rosetta.store.events import Actor
from rosetta.store.schemas import scratch_schema

ACTOR = Actor("bench")


def linked_sample(count: int) -> Sample:
    """Sample ``s`` with `count` narration intervals, each referring to a box of the
    photo (a confirmed link)."""
    boxes = [
        Annotation(
            id=f"b{index}",
            stream="s-image",
            label="cup",
            geometry=Box(x=float(index % 1800), y=10.0, w=50.0, h=50.0),
        )
        for index in range(count)
    ]
    intervals = [
        Annotation(
            id=f"a{index}",
            stream="s-audio",
            label="speech",
            geometry=Interval(start=float(index % 55), end=index % 55 + 1.5),
        )
        for index in range(count)
    ]
    links = [
        Link(
            id=f"l{index}",
            type="refers-to",
            source=f"a{index}",
            target=f"b{index}",
            status="confirmed",
        )
        for index in range(count)
    ]
    return Sample(id="s", streams=streams("s"), annotations=boxes + intervals, links=links)


def one_run(url: str, count: int) -> float:
    """Seconds to move the narration's clock in a store holding `linked_sample`."""
    engine = open_store(url)
    project = create_project(engine, "stale-bench", load_ontology_file(ONTOLOGY), ACTOR)
    import_samples(engine, project.id, [linked_sample(count)], ACTOR)
    started = time.perf_counter()
    set_stream_clock(engine, ACTOR, "s-audio", Clock(rate="16000", offset="0.25"))
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds


def main() -> None:
    """Run and print the best time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg", help="a PostgreSQL URL (a fresh schema is made there)")
    args = parser.parse_args()
    runs = []
    for run in range(args.repeat):
        with tempfile.TemporaryDirectory() as folder, ExitStack() as scratch:
            url = (
                scratch.enter_context(scratch_schema(args.pg, f"stale{run}"))
                if args.pg
                else f"sqlite:///{Path(folder) / 'bench.db'}"
            )
            runs.append(one_run(url, args.links))
    backend = "postgresql" if args.pg else "sqlite"
    best = min(runs)
    print(
        f"{backend}: {args.links} links turned stale by a clock change in {1000 * best:.0f} ms "
        f"(best of {args.repeat}; {1e6 * best / args.links:.1f} µs a link)"
    )


if __name__ == "__main__":
    main()
