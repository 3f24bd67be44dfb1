"""Whole-sample submission benchmark:
``python bench/bulk_submit.py [--clients 8] [--annotations 200] [--rounds 40] [--workers 2]
[--pg URL] [--json FILE]``.

Builds a fresh store (an SQLite file, or a schema of the PostgreSQL server at ``--pg``) with
the demo ontology and two samples per client (text, image and audio streams), assigned to
the client's own annotator, who has an API token. It serves the API with uvicorn (``--workers``
processes, as ``rosetta serve --workers``) and runs ``--clients`` clients at once, each in
its own process and on its own sample, in a closed loop: it reads the sample once (``GET``,
its ETag), then changes it and submits it whole (``PUT /api/samples/{id}/annotations``
with ``If-Match``), ``--rounds`` times, each round starting from the sample and ETag the
previous submission answered with (as an editor saving as it goes does). Before that, each
client does three rounds on its other sample, untimed, so that every server process has
served its first requests.

The first round creates the sample's work: ``--annotations`` annotations (boxes and
polygons on the image, caption spans, narration intervals), one link per 10 annotations
and one entity per 40. Every later round moves 5 annotations, adds 2 and deletes 2 (with
the link on one of them). Each ``PUT`` is timed as the client sees it (HTTP included);
p50/p95/p99 and the slowest are printed for the first round ("create") and the others
("resubmit"), with the server's CPU time per submission (all processes, user and system),
which depends less than the latencies on what else the machine runs. Every response must
be 200: a conflict or an error stops the run. The clients are lean (`lean_http`): they run
on the server's machine, and what they spend is taken from it.
"""

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
from sqlalchemy import Engine

from lean_http import LeanClient
from rosetta.core.modality import Modality
from rosetta.core.policies import Role
from rosetta.core.schema import MediaInfo, Sample, Stream
from rosetta.services.accounts import assign, create_token, create_user, set_role
from rosetta.services.importer import import_samples
from rosetta.services.projects import create_project, load_ontology_file
from rosetta.store.engine import open_store
from rosetta.store.events import Actor
from rosetta.store.schemas import scratch_schema

ONTOLOGY = Path(__file__).resolve().parents[1] / "src" / "rosetta" / "demo" / "ontology.yaml"
ACTOR = Actor("bench")
CAPTION = "An astronaut in an orange suit smiles beside a flag, and a cat watches the cup."


def streams(sample_id: str) -> list[Stream]:
    """Text, image and audio streams with ids ``<sample_id>-text`` and so on."""
    return [
        Stream(
            id=f"{sample_id}-text",
            name="caption",
            modality=Modality.TEXT,
            text=CAPTION,
            media=MediaInfo(length=len(CAPTION)),
        ),
        Stream(
            id=f"{sample_id}-image",
            name="photo",
            modality=Modality.IMAGE,
            uri="images/photo.png",
            media=MediaInfo(width=1920, height=1080, mime="image/png"),
        ),
        Stream(
            id=f"{sample_id}-audio",
            name="narration",
            modality=Modality.AUDIO,
            uri="audio/narration.wav",
            media=MediaInfo(duration=60.0, sample_rate=16000, channels=1),
        ),
    ]


def annotation(sample_id: str, index: int) -> dict[str, Any]:
    """Annotation `index` of a sample: a box, polygon, caption span or narration interval."""
    ident = f"{sample_id}-a{index}-{uuid.uuid4().hex[:6]}"
    x = float(10 + (index * 37) % 1700)
    kind = index % 4
    if kind == 0:
        geometry = {"type": "box", "x": x, "y": 100.0, "w": 80.0, "h": 120.0}
        return {"id": ident, "stream": f"{sample_id}-image", "label": "cup", "geometry": geometry}
    if kind == 1:
        points = [[x, 50.0], [x + 60, 50.0], [x + 60, 200.0], [x, 180.0]]
        geometry = {"type": "polygon", "points": points}
        return {"id": ident, "stream": f"{sample_id}-image", "label": "flag", "geometry": geometry}
    if kind == 2:
        start = index % (len(CAPTION) - 10)
        geometry = {"type": "span", "start": start, "end": start + 8}
        return {"id": ident, "stream": f"{sample_id}-text", "label": "person", "geometry": geometry}
    start_s = float(index % 55)
    geometry = {"type": "interval", "start": start_s, "end": start_s + 1.5}
    return {"id": ident, "stream": f"{sample_id}-audio", "label": "speech", "geometry": geometry}


def first_work(sample_id: str, count: int) -> dict[str, Any]:
    """The work of the first round: `count` annotations, links from spans to boxes and
    entities of single boxes."""
    made = [annotation(sample_id, index) for index in range(count)]
    boxes = [item["id"] for item in made if item["geometry"]["type"] == "box"]
    spans = [item["id"] for item in made if item["geometry"]["type"] == "span"]
    links = [
        {"id": f"{sample_id}-l{index}", "type": "refers-to", "source": span, "target": box}
        for index, (span, box) in enumerate(zip(spans, boxes, strict=False))
        if index < count // 10
    ]
    entities = [
        {"id": f"{sample_id}-e{index}", "members": [box]}
        for index, box in enumerate(boxes[-(count // 40) :])
    ]
    return {"annotations": made, "entities": entities, "links": links}


def next_work(sample_id: str, body: dict[str, Any], round_: int) -> dict[str, Any]:
    """A later round's work from the sample as read: 5 moved, 2 added, 2 deleted."""
    annotations = body["annotations"]
    linked = {end for link in body["links"] for end in (link["source"], link["target"])}
    held = {member for entity in body["entities"] for member in entity["members"]}
    for item in annotations[:5]:
        geometry = item["geometry"]
        if "x" in geometry:
            geometry["x"] = float(10 + (geometry["x"] + 7) % 1700)
        elif geometry["type"] == "interval":
            geometry["end"] = geometry["start"] + 1.0 + (round_ % 5) / 10
        else:
            item["attributes"] = {"occluded": bool(round_ % 2)} if item["label"] == "person" else {}
    free = [item for item in annotations[5:] if item["id"] not in held]
    first = free[0]["id"]  # with the link on it, if it has one
    gone = {first, next(item["id"] for item in free if item["id"] not in linked | {first})}
    kept = [item for item in annotations if item["id"] not in gone]
    added = [annotation(sample_id, 1000 + 2 * round_ + k) for k in range(2)]
    links = [link for link in body["links"] if not {link["source"], link["target"]} & gone]
    return {"annotations": kept + added, "entities": body["entities"], "links": links}


def build(engine: Engine, clients: int) -> list[tuple[str, str]]:
    """The project and, for each client, an annotator with two samples assigned: ``w<i>``
    to warm the server up on and ``s<i>`` to measure; (index, token) of each."""
    project = create_project(engine, "bulk-bench", load_ontology_file(ONTOLOGY), ACTOR)
    samples = [
        Sample(id=f"{prefix}{index}", streams=streams(f"{prefix}{index}"))
        for index in range(clients)
        for prefix in ("w", "s")
    ]
    import_samples(engine, project.id, samples, ACTOR)
    out = []
    for index in range(clients):
        user = create_user(engine, f"annotator-{index}")
        set_role(engine, ACTOR, project.id, user.id, Role.ANNOTATOR)
        for prefix in ("w", "s"):
            assign(engine, ACTOR, f"{prefix}{index}", user.id)
        secret, _ = create_token(engine, user.id, "bench")
        out.append((str(index), secret))
    return out


def serve(url: str, workers: int, port: int, data_dir: Path) -> subprocess.Popen[bytes]:
    """The API under uvicorn, answering /healthz."""
    env = {
        **os.environ,
        "ROSETTA_DATABASE_URL": url,
        "ROSETTA_JOB_WORKERS": "0",
        "ROSETTA_DATA_DIR": str(data_dir),
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "rosetta.api.app:app_from_environment"]
    command += ["--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    server = subprocess.Popen(command, env=env)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start")


def client_loop(
    base: str, sample_id: str, token: str, annotations: int, rounds: int
) -> dict[str, list[float]]:
    """One client: `rounds` rounds of change and submit on `sample_id`; the seconds of
    each submission."""
    out: dict[str, list[float]] = {"create": [], "resubmit": []}
    http = LeanClient(base, {"Authorization": f"Bearer {token}"}, timeout=60)
    read = http.request("GET", f"/api/samples/{sample_id}")
    body, etag = read.json(), read.headers["ETag"]
    for round_ in range(rounds):
        work = (
            first_work(sample_id, annotations)
            if round_ == 0
            else next_work(sample_id, body, round_)
        )
        content = orjson.dumps(work)
        started = time.perf_counter()
        response = http.request(
            "PUT",
            f"/api/samples/{sample_id}/annotations",
            body=content,
            headers={"If-Match": etag, "Content-Type": "application/json"},
        )
        seconds = time.perf_counter() - started
        if response.status != 200:
            raise SystemExit(f"{sample_id} round {round_}: {response.body[:500]!r}")
        body, etag = response.json()["sample"], response.headers["ETag"]
        out["create" if round_ == 0 else "resubmit"].append(seconds)
    http.close()
    return out


def summary(seconds: list[float]) -> dict[str, float]:
    """p50, p95, p99 and the slowest, in milliseconds."""
    ordered = sorted(seconds)

    def at(q: float) -> float:
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "n": len(ordered),
        "p50": 1000 * statistics.median(ordered),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": 1000 * ordered[-1],
    }


def main() -> None:
    """Build, serve, run the clients and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--annotations", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--pg", help="a PostgreSQL URL (a fresh schema is made there)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, ExitStack() as scratch:
        url = (
            scratch.enter_context(scratch_schema(args.pg, "bench"))
            if args.pg
            else f"sqlite:///{Path(folder) / 'bench.db'}"
        )
        engine = open_store(url)
        users = build(engine, args.clients)
        engine.dispose()
        server = serve(url, args.workers, args.port, Path(folder))
        base = f"http://127.0.0.1:{args.port}"
        try:
            with multiprocessing.Pool(args.clients) as pool:
                pool.starmap(  # warming up: each worker's first requests set up its caches
                    client_loop,
                    [(base, f"w{index}", token, args.annotations, 3) for index, token in users],
                )
                cpu = cpu_seconds(server)
                results = pool.starmap(
                    client_loop,
                    [
                        (base, f"s{index}", token, args.annotations, args.rounds)
                        for index, token in users
                    ],
                )
                cpu = cpu_seconds(server) - cpu
        finally:
            server.terminate()
            server.wait()
    out = {name: [s for result in results for s in result[name]] for name in ("create", "resubmit")}
    figures: dict[str, Any] = {name: summary(seconds) for name, seconds in out.items() if seconds}
    figures["server_cpu_ms_per_submission"] = 1000 * cpu / (args.clients * args.rounds)
    backend = "postgresql" if args.pg else "sqlite"
    print(
        f"{backend}, {args.clients} clients, {args.annotations} annotations, "
        f"{args.workers} worker(s); server CPU per submission: "
        f"{figures['server_cpu_ms_per_submission']:.1f} ms"
    )
    for name in ("create", "resubmit"):
        found = figures[name]
        print(
            f"  {name:9} n={found['n']:4.0f}  p50 {found['p50']:6.1f} ms  p95 {found['p95']:6.1f}"
            f"  p99 {found['p99']:6.1f}  max {found['max']:6.1f}"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


def cpu_seconds(server: subprocess.Popen[bytes]) -> float:
    """The CPU time the server's processes (uvicorn and its workers) have used so far."""
    parent = psutil.Process(server.pid)
    processes = [parent, *parent.children(recursive=True)]
    return float(sum(sum(process.cpu_times()[:2]) for process in processes))


if __name__ == "__main__":
    main()
