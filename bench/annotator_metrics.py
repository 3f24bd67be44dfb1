"""How long the annotator metrics take on a large project:
``python bench/annotator_metrics.py [--tasks 100000] [--people 50] [--pg URL]``.

Builds, straight into the tables of a fresh SQLite file (and of a fresh schema of the
PostgreSQL server at ``--pg`` when given, dropped after), a project whose annotate slots
number ``--tasks``: a fifth of the samples have two overlap slots, the rest one; every
slot is handed in by one of ``--people`` annotators with a lease and a submit event
(30 s to 5 min apart over a fortnight), a box of theirs on the sample and a model
candidate (a third of them edited, each with its update event); every sample is reviewed
(a tenth returned once first); one slot in fifty is a scored gold slot and a tenth of the
samples are a blind pass.

Printed per backend: the build time, then the median and slowest of ``--repeat`` runs of
`project_metrics` for everyone, for everyone over the last week, and for one person.
"""

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert

from api_latency import fresh_store
from rosetta.core.geometry import Box
from rosetta.core.schema import Annotation, Source
from rosetta.services.accounts import create_user
from rosetta.services.annotator_metrics import project_metrics
from rosetta.services.metric_scope import MetricScope
from rosetta.services.projects import create_project, load_ontology_file
from rosetta.store.engine import open_store
from rosetta.store.events import Actor, dumps
from rosetta.store.records import annotation_row
from rosetta.store.tables import annotations, events, samples, streams, tasks

ACTOR = Actor("bench")
ONTOLOGY = Path(__file__).resolve().parents[1] / "src" / "rosetta" / "demo" / "ontology.yaml"
BATCH = 2000
START = 1_700_000_000.0
FORTNIGHT = 14 * 86400.0
DETAIL = dumps(
    {
        "score": 0.8,
        "modalities": {"image": {"reference": 2, "submitted": 2, "matched": 1, "f1": 0.5}},
        "links": {"reference": 1, "submitted": 1, "matched": 1, "f1": 1.0},
        "feedback": [],
    }
)


class Builder:
    """Rows collected per table and written together once a table has `BATCH`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.rows: dict[Any, list[dict[str, Any]]] = {}

    def add(self, table: Any, row: dict[str, Any]) -> None:
        found = self.rows.setdefault(table, [])
        found.append(row)
        if len(found) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Write every table's rows, those referred to first."""
        with self.engine.begin() as connection:
            for table in (samples, streams, annotations, tasks, events):
                if self.rows.get(table):
                    connection.execute(insert(table), self.rows[table])
                    self.rows[table] = []


def _event(project: str, task: str, action: str, actor: str, at: float) -> dict[str, Any]:
    return {
        "project_id": project,
        "object_kind": "task",
        "object_id": task,
        "sample_id": None,
        "action": action,
        "actor": actor,
        "at": at,
        "before": "{}",
        "after": "{}",
    }


def build(engine: Engine, slots: int, people: int, seed: int = 11) -> tuple[str, list[str]]:
    """The project and its people's ids (see the module)."""
    rng = random.Random(seed)
    project = create_project(engine, "bench", load_ontology_file(ONTOLOGY), ACTOR).id
    users = [create_user(engine, f"ann{i:03d}") for i in range(people)]
    reviewer = create_user(engine, "rev")
    made = Builder(engine)
    box = annotation_row(
        Annotation(id="t", stream="t", label="person", geometry=Box(x=10, y=10, w=50, h=50)),
        project,
        "t",
    )
    candidate = box | {
        "source": dumps(Source(kind="model", name="detector").model_dump(exclude_none=True))
    }
    done = 0
    number = 0
    while done < slots:
        sid = f"s{number:07d}"
        number += 1
        made.add(samples, {"id": sid, "project_id": project, "status": "done", "metadata": "{}"})
        stream = f"{sid}.image"
        made.add(
            streams,
            {"id": stream, "sample_id": sid, "name": "image", "modality": "image", "media": "{}"},
        )
        count = 2 if rng.random() < 0.2 else 1
        hidden = rng.random() < 0.1
        returned = rng.random() < 0.1
        holders = rng.sample(users, count)
        at = START + rng.random() * FORTNIGHT
        for slot, holder in enumerate(holders):
            task = uuid.uuid4().hex
            gold = rng.random() < 0.02
            made.add(
                tasks,
                {
                    "id": task,
                    "project_id": project,
                    "sample_id": sid,
                    "stage": "annotate",
                    "slot": slot,
                    "status": "done",
                    "user_id": holder.id,
                    "created_at": at,
                    "updated_at": at + 600,
                    "kind": "gold" if gold else "work",
                    "candidates_hidden": hidden,
                    "score": 0.8 if gold else None,
                    "score_detail": DETAIL if gold else None,
                },
            )
            made.add(events, _event(project, task, "lease", holder.name, at))
            made.add(
                events, _event(project, task, "submit", holder.name, at + rng.uniform(30, 300))
            )
            if returned:
                made.add(events, _event(project, task, "return", "rev", at + 400))
                made.add(events, _event(project, task, "submit", holder.name, at + 500))
            shifted = {"x": 10 + rng.uniform(0, 20), "y": 10, "w": 50, "h": 50, "type": "box"}
            made.add(
                annotations,
                box
                | {
                    "id": f"{sid}.{slot}",
                    "sample_id": sid,
                    "stream_id": stream,
                    "author": holder.name,
                    "geometry": dumps(shifted),
                },
            )
            done += 1
        edited = rng.random() < 1 / 3
        made.add(
            annotations,
            candidate
            | {
                "id": f"{sid}.m",
                "sample_id": sid,
                "stream_id": stream,
                "author": "detector",
                "revision": 2 if edited else 1,
            },
        )
        if edited:
            made.add(
                events,
                {
                    "project_id": project,
                    "object_kind": "annotation",
                    "object_id": f"{sid}.m",
                    "sample_id": sid,
                    "action": "update",
                    "actor": holders[0].name,
                    "at": at + 200,
                    "before": dumps(
                        {"geometry": {"type": "box", "x": 0, "y": 10, "w": 50, "h": 50}}
                    ),
                    "after": "{}",
                },
            )
        review = uuid.uuid4().hex
        made.add(
            tasks,
            {
                "id": review,
                "project_id": project,
                "sample_id": sid,
                "stage": "review",
                "slot": 0,
                "status": "done",
                "user_id": reviewer.id,
                "created_at": at,
                "updated_at": at + 900,
                "kind": "work",
                "candidates_hidden": False,
                "score": None,
                "score_detail": None,
            },
        )
        made.add(events, _event(project, review, "lease", "rev", at + 700))
        made.add(events, _event(project, review, "review", "rev", at + 760))
    made.flush()
    return project, [user.id for user in users]


def _timed(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), max(seconds)


def run(label: str, pg: str | None, args: argparse.Namespace) -> None:
    """Build one backend's project and print the timings."""
    with tempfile.TemporaryDirectory() as name, fresh_store(pg, Path(name)) as url:
        engine = open_store(url)
        started = time.perf_counter()
        project, people = build(engine, args.tasks, args.people)
        print(
            f"{label}: built {args.tasks} annotate slots in {time.perf_counter() - started:.1f} s"
        )
        one = people[0]
        week = START + FORTNIGHT - 7 * 86400
        with engine.connect() as connection:
            name_of = f"ann{0:03d}"
            cases = {
                "everyone": MetricScope(project),
                "everyone, last week": MetricScope(project, since=week),
                "one person": MetricScope(project, user_id=one, user=name_of),
            }
            for case, scope in cases.items():
                median, slowest = _timed(partial(project_metrics, connection, scope), args.repeat)
                print(
                    f"  {case:<22} median {median * 1000:8.0f} ms   slowest {slowest * 1000:8.0f} ms"
                )
        engine.dispose()


def main() -> None:
    """Parse the arguments and run the benchmark on each backend."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000, help="annotate slots")
    parser.add_argument("--people", type=int, default=50, help="annotators")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case")
    parser.add_argument("--pg", help="a PostgreSQL URL to run against too")
    args = parser.parse_args()
    run("SQLite", None, args)
    if args.pg:
        run("PostgreSQL", args.pg, args)


if __name__ == "__main__":
    main()
