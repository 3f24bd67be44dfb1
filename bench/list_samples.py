"""Sample listing benchmark: ``python bench/list_samples.py [--n 100000] [--pg URL]``.

Builds a project of N samples straight into the tables (SQLAlchemy Core bulk inserts in
batches, not through the API) in a fresh SQLite file, and in a fresh schema of the
PostgreSQL server at ``--pg`` when given, then times ``GET /api/projects/{id}/samples``
through the real app in process (token authentication included) for a page of 50 with
each single filter, starting at random depths of the listing, and prints p50/p95/p99 in
milliseconds.

Every sample has a text stream and one other (image 50 %, video 25 %, audio 24 %,
point cloud 1 %, no time series), three annotations (labels from common ``person`` to
rare ``animal``; authors ``user00`` … ``user49``), one link between the first two (stale
2 %, confirmed 49 %), a status (new 70 %, in progress 20 %, review 9 %, done 1 %). One
annotator ``ann`` is assigned 1,000 samples (a third blind); ``rev`` is a reviewer.
SQLite runs without ``ANALYZE`` statistics (a store as it is in use) unless ``--analyze``;
PostgreSQL is analysed, as autovacuum does after a bulk load.
"""

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, text

from rosetta.api import create_app
from rosetta.core.geometry import Box
from rosetta.core.policies import Role
from rosetta.core.schema import Annotation, Link
from rosetta.services.accounts import assign, create_token, create_user, set_role
from rosetta.services.catalog import encode_cursor
from rosetta.services.projects import create_project, load_ontology_file
from rosetta.services.settings import Settings
from rosetta.store.engine import make_engine, upgrade
from rosetta.store.events import Actor, dumps
from rosetta.store.records import annotation_row, link_row
from rosetta.store.schemas import scratch_schema
from rosetta.store.tables import annotations, links, samples, streams

REPO = Path(__file__).resolve().parents[1]
ONTOLOGY = REPO / "src" / "rosetta" / "demo" / "ontology.yaml"
ACTOR = Actor("bench")
BATCH = 5000
PAGE = 50
ASSIGNED = 1000

MODALITIES = {"image": 50, "video": 25, "audio": 24, "pointcloud": 1}
LABELS = {
    "person": 300,
    "cat": 200,
    "car": 150,
    "cup": 100,
    "scene": 100,
    "speech": 100,
    "spacecraft": 40,
    "flag": 9,
    "animal": 1,
}
STATUSES = {"new": 70, "in_progress": 20, "review": 9, "done": 1}
LINK_STATUSES = {"stale": 2, "confirmed": 49, "proposed": 49}
AUTHORS = [f"user{i:02d}" for i in range(50)]

#: The filters timed, one at a time (common and rare values).
CASES: list[tuple[str, dict[str, str]]] = [
    ("no filter", {}),
    ("status=review (9 %)", {"status": "review"}),
    ("status=done (1 %)", {"status": "done"}),
    ("modality=video (25 %)", {"modality": "video"}),
    ("modality=pointcloud (1 %)", {"modality": "pointcloud"}),
    ("modality=timeseries (0 %)", {"modality": "timeseries"}),
    ("label=person (65 %)", {"label": "person"}),
    ("label=flag (2.7 %)", {"label": "flag"}),
    ("label=animal (0.3 %)", {"label": "animal"}),
    ("label=unknown (0 %)", {"label": "unknown"}),
    ("annotator=user07 (6 %)", {"annotator": "user07"}),
    ("annotator=nobody (0 %)", {"annotator": "nobody"}),
    ("stale=true (2 %)", {"stale": "true"}),
    ("stale=false (98 %)", {"stale": "false"}),
]


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def populate(engine: Engine, n: int, seed: int = 7) -> tuple[str, dict[str, str]]:
    """Build the project; its id and an Authorization header for ``rev`` and ``ann``."""
    rng = random.Random(seed)
    project = create_project(engine, "bench", load_ontology_file(ONTOLOGY), ACTOR)
    template = annotation_row(
        Annotation(id="t", stream="t", label="person", geometry=Box(x=1, y=2, w=30, h=40)),
        project.id,
        "t",
    )
    link_template = link_row(Link(id="t", type="same-as", source="a", target="b"), project.id, "t")
    for first in range(0, n, BATCH):
        sample_rows, stream_rows, annotation_rows, link_rows = [], [], [], []
        for i in range(first, min(first + BATCH, n)):
            sid = f"s{i:07d}"
            sample_rows.append(
                {
                    "id": sid,
                    "project_id": project.id,
                    "external_id": sid,
                    "status": _pick(rng, STATUSES),
                    "metadata": dumps({"i": i}),
                }
            )
            other = _pick(rng, MODALITIES)
            for name, modality in (("caption", "text"), ("main", other)):
                stream_rows.append(
                    {
                        "id": f"{sid}.{name}",
                        "sample_id": sid,
                        "name": name,
                        "modality": modality,
                        "text": "a caption" if modality == "text" else None,
                        "uri": None if modality == "text" else f"media/{sid}.{modality}",
                        "media": "{}",
                    }
                )
            for k in range(3):
                annotation_rows.append(
                    template
                    | {
                        "id": f"{sid}.a{k}",
                        "sample_id": sid,
                        "stream_id": f"{sid}.main",
                        "label": _pick(rng, LABELS),
                        "author": rng.choice(AUTHORS),
                    }
                )
            link_rows.append(
                link_template
                | {
                    "id": f"{sid}.l",
                    "sample_id": sid,
                    "source_id": f"{sid}.a0",
                    "target_id": f"{sid}.a1",
                    "status": _pick(rng, LINK_STATUSES),
                }
            )
        with engine.begin() as connection:
            connection.execute(insert(samples), sample_rows)
            connection.execute(insert(streams), stream_rows)
            connection.execute(insert(annotations), annotation_rows)
            connection.execute(insert(links), link_rows)
    headers = {}
    for name, role in (("rev", Role.REVIEWER), ("ann", Role.ANNOTATOR)):
        user = create_user(engine, name)
        set_role(engine, ACTOR, project.id, user.id, role)
        headers[name] = f"Bearer {create_token(engine, user.id, 'bench')[0]}"
        if role is Role.ANNOTATOR:
            for i in rng.sample(range(n), min(ASSIGNED, n)):
                assign(engine, ACTOR, f"s{i:07d}", user.id, blind=i % 3 == 0)
    return project.id, headers


def _percentiles(times: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def measure(
    engine: Engine, project_id: str, headers: dict[str, str], n: int, repeat: int
) -> list[tuple[str, float, float, float, float]]:
    """(case, mean items a page, p50, p95, p99 in ms) per case."""
    rng = random.Random(11)
    results = []
    with TestClient(create_app(engine, Settings())) as client:
        path = f"/api/projects/{project_id}/samples"
        cases = [(name, params, "rev") for name, params in CASES]
        cases.append(("annotator view (1,000 assigned)", {}, "ann"))
        for name, params, who in cases:
            client.headers["Authorization"] = headers[who]
            times = []
            items = []
            for attempt in range(repeat + 5):
                # random depths: a cursor after a random sample (the first page half the time)
                after = (
                    {} if attempt % 2 else {"cursor": encode_cursor("samples", rng.randrange(n))}
                )
                started = time.perf_counter()
                response = client.get(path, params={**params, **after, "limit": PAGE})
                elapsed = (time.perf_counter() - started) * 1000
                response.raise_for_status()
                if attempt >= 5:  # warm-up
                    times.append(elapsed)
                    items.append(len(response.json()["items"]))
            results.append((name, statistics.fmean(items), *_percentiles(times)))
    return results


@contextmanager
def _sqlite() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade(engine)
        yield engine
        engine.dispose()


@contextmanager
def _postgres(url: str) -> Iterator[Engine]:
    with scratch_schema(url, "bench") as schema_url:
        engine = make_engine(schema_url)
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()


def run(label: str, engine: Engine, args: argparse.Namespace) -> None:
    """Populate, measure and print one backend's table."""
    started = time.perf_counter()
    project_id, headers = populate(engine, args.n)
    if engine.dialect.name == "postgresql" or args.analyze:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    print(f"\n{label}: {args.n:,} samples built in {time.perf_counter() - started:.1f} s")
    print(f"{'filter':36} {'items':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, items, p50, p95, p99 in measure(engine, project_id, headers, args.n, args.repeat):
        print(f"{name:36} {items:5.1f} {p50:8.1f} {p95:8.1f} {p99:8.1f}")


def main() -> None:
    """Parse the arguments and run the benchmark on each backend."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="samples in the project")
    parser.add_argument("--repeat", type=int, default=200, help="requests per filter")
    parser.add_argument("--pg", help="also on this PostgreSQL server (postgresql://...)")
    parser.add_argument("--analyze", action="store_true", help="ANALYZE the SQLite store")
    args = parser.parse_args()
    with _sqlite() as engine:
        run("SQLite", engine, args)
    if args.pg:
        with _postgres(args.pg) as engine:
            run("PostgreSQL", engine, args)


if __name__ == "__main__":
    main()
