"""Load and soak test of ``rosetta serve``:
``python bench/soak.py [--store sqlite|postgresql] [--pg URL] [--duration 600]
[--annotators 50] [--reviewers 2] [--window 30] [--json FILE]``.

Builds a fresh store (an SQLite file, or a fresh schema of the PostgreSQL server at
``--pg``, dropped after) with the demo ontology, a workflow (annotate, then review) and
enough queued samples (a caption and a photo each), starts ``rosetta serve`` on a loopback
port and runs, as threads of this process, ``--annotators`` annotators and ``--reviewers``
reviewers through the SDK's HTTP client for ``--duration`` seconds, then stops by itself.

An annotator takes its next task (``POST /api/projects/{p}/tasks/next``), reads the sample,
adds annotations one by one (a caption span, boxes on the photo), links a span to a box,
moves a box and adds one more in a whole-sample submit (``PUT .../annotations`` with
``If-Match``), and hands the task in; a reviewer takes a review task, reads the sample and
accepts it (one in ten: rejects it, back to its annotator). Each pauses ``--think``
seconds (exponential, mean) between requests, as people do.

Recorded: each request's latency per operation and per ``--window`` seconds (p50, p95,
p99), the server's resident memory every 5 s (psutil), and every answer that is not the
one expected (5xx counted apart). At the end the store is read directly: every
acknowledged annotation must be there with the content last acknowledged (else *lost*),
and nothing more (an annotation or a ``create`` event nobody was answered for:
*duplicated*). Printed: a table per window and the checks; exit status 1 when a check
fails:

- no 5xx and no other unexpected answer; 0 lost, 0 duplicated;
- per operation, p95 of the last window at most ``--p95-growth`` times (default 2) that
  of the baseline window plus 25 ms (the baseline is the second window when there are four
  or more, the first being the warm-up; operations with fewer than 20 requests in either
  window are not judged);
- the server's RSS at the end at most ``--rss-growth`` MiB (default 100) above its RSS at
  the end of the baseline window.

``--no-trends`` leaves the last two out (they are printed, not judged): a run of a few
windows shows noise, not a trend, which is why the quick test in `make test` passes it.
"""

import argparse
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
from sqlalchemy import func, select

from api_latency import fresh_store
from rosetta.core.modality import Modality
from rosetta.core.policies import Role
from rosetta.core.schema import MediaInfo, Sample, Stream
from rosetta.core.workflow import AnnotateStage, ReviewStage, Workflow
from rosetta.sdk import Client
from rosetta.services.accounts import create_token, create_user, set_role
from rosetta.services.importer import import_samples
from rosetta.services.projects import create_project, load_ontology_file
from rosetta.services.workflow import enqueue, set_workflow
from rosetta.store.engine import make_engine, open_store
from rosetta.store.events import Actor
from rosetta.store.tables import annotations, events

ONTOLOGY = Path(__file__).resolve().parents[1] / "src" / "rosetta" / "demo" / "ontology.yaml"
ROSETTA = str(Path(sys.executable).parent / "rosetta")
ACTOR = Actor("soak")
CAPTION = "An astronaut in an orange suit smiles beside a flag and a red cup."
DEFAULT_PG = os.environ.get("ROSETTA_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
#: Seconds between two readings of the server's memory.
RSS_EVERY = 5.0
#: Fewer requests than this in a window: its p95 is not judged.
MIN_JUDGED = 20
#: Added to the allowed p95 (ms), so that tiny latencies' noise is no growth.
P95_SLACK_MS = 25.0


@dataclass
class Record:
    """Everything the clients saw, shared by their threads (under `lock`)."""

    started: float
    window: float
    #: the last window (an answer that comes after the deadline is filed in it)
    last_window: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: (window index, operation) → latencies in ms
    latencies: dict[tuple[int, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    server_errors: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    #: annotation id → content last acknowledged (canonical JSON)
    acknowledged: dict[str, str] = field(default_factory=dict)
    creates: int = 0

    def timed(
        self,
        http: httpx.Client,
        operation: str,
        method: str,
        path: str,
        ok: tuple[int, ...],
        **kw: Any,
    ) -> httpx.Response | None:
        """One request, timed and filed; the response when its status is one of `ok`."""
        began = time.perf_counter()
        try:
            response = http.request(method, path, **kw)
        except httpx.TransportError as exc:
            with self.lock:
                self.unexpected.append(f"{operation}: {type(exc).__name__}: {exc}")
            return None
        elapsed = 1000 * (time.perf_counter() - began)
        index = min(int((time.monotonic() - self.started) // self.window), self.last_window)
        with self.lock:
            self.latencies[(index, operation)].append(elapsed)
            if response.status_code >= 500:
                self.server_errors.append(
                    f"{operation} {path}: {response.status_code} {response.text[:300]}"
                )
            elif response.status_code not in ok:
                self.unexpected.append(
                    f"{operation} {path}: {response.status_code} {response.text[:300]}"
                )
        return response if response.status_code in ok else None

    def ack(self, annotation: dict[str, Any], created: bool = False) -> None:
        """An annotation the server answered for, as it answered."""
        with self.lock:
            self.acknowledged[annotation["id"]] = content(annotation)
            self.creates += created


def content(annotation: dict[str, Any]) -> str:
    """An annotation's stream, label, geometry and attributes as canonical JSON."""
    keys = ("stream", "label", "geometry", "attributes")
    return orjson.dumps(
        {key: annotation.get(key) for key in keys}, option=orjson.OPT_SORT_KEYS
    ).decode()


def streams(sample_id: str) -> list[Stream]:
    """A caption and a photo (its size given: nothing is probed)."""
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
            media=MediaInfo(width=640, height=480, mime="image/png"),
        ),
    ]


def build(
    url: str, samples: int, annotators: int, reviewers: int
) -> tuple[str, list[str], list[str]]:
    """The project with its workflow and `samples` queued; its id and the tokens of the
    annotators and of the reviewers."""
    engine = open_store(url)
    try:
        project = create_project(engine, "soak", load_ontology_file(ONTOLOGY), ACTOR)
        set_workflow(engine, ACTOR, project.id, Workflow(stages=(AnnotateStage(), ReviewStage())))
        batch = 1000
        for first in range(0, samples, batch):
            chunk = range(first, min(samples, first + batch))
            import_samples(
                engine,
                project.id,
                (Sample(id=f"s{i}", streams=streams(f"s{i}")) for i in chunk),
                ACTOR,
            )
        enqueue(engine, ACTOR, project.id)
        tokens: dict[Role, list[str]] = {Role.ANNOTATOR: [], Role.REVIEWER: []}
        for role, count in ((Role.ANNOTATOR, annotators), (Role.REVIEWER, reviewers)):
            for number in range(count):
                user = create_user(engine, f"{role.value}{number:02d}")
                set_role(engine, ACTOR, project.id, user.id, role)
                tokens[role].append(create_token(engine, user.id, "soak")[0])
        return project.id, tokens[Role.ANNOTATOR], tokens[Role.REVIEWER]
    finally:
        engine.dispose()


class Person(threading.Thread):
    """One simulated person working the queue until `deadline`."""

    def __init__(
        self,
        *,
        name: str,
        base: str,
        token: str,
        project: str,
        record: Record,
        deadline: float,
        think: float,
        seed: int,
    ) -> None:
        super().__init__(name=name, daemon=True)
        self.client = Client(base, token, timeout=120)
        self.project = project
        self.record = record
        self.deadline = deadline
        self.think = think
        self.rng = random.Random(seed)
        self.count = 0

    def pause(self) -> bool:
        """Think for a while; False when the run is over."""
        time.sleep(min(self.rng.expovariate(1 / self.think) if self.think else 0, 5 * self.think))
        return time.monotonic() < self.deadline

    def call(
        self, operation: str, method: str, path: str, ok: tuple[int, ...] = (200, 201), **kw: Any
    ) -> httpx.Response | None:
        return self.record.timed(self.client.http, operation, method, path, ok, **kw)

    def run(self) -> None:
        """Work until the deadline."""
        try:
            while self.pause():
                self.work()
        finally:
            self.client.close()

    def work(self) -> None:
        """One task (overridden)."""


class Annotator(Person):
    """Leases annotate tasks, annotates, links, submits the sample whole, hands them in."""

    def new_id(self) -> str:
        self.count += 1
        return f"{self.name}-{self.count}"

    def box(self, sample: str) -> dict[str, Any]:
        geometry = {
            "type": "box",
            "x": round(self.rng.uniform(0, 500), 1),
            "y": round(self.rng.uniform(0, 380), 1),
            "w": 60.0,
            "h": 90.0,
        }
        return {
            "id": self.new_id(),
            "stream": f"{sample}-image",
            "label": "cup",
            "geometry": geometry,
            "attributes": {"colour": "red"},
        }

    def span(self, sample: str) -> dict[str, Any]:
        start = self.rng.randrange(len(CAPTION) - 12)
        geometry = {"type": "span", "start": start, "end": start + self.rng.randrange(2, 12)}
        return {
            "id": self.new_id(),
            "stream": f"{sample}-text",
            "label": "person",
            "geometry": geometry,
            "attributes": {},
        }

    def work(self) -> None:
        leased = self.call(
            "next-task", "POST", f"/api/projects/{self.project}/tasks/next", ok=(200, 204)
        )
        if leased is None or leased.status_code == 204:
            return
        task = leased.json()
        sample = task["sample"]
        made = []
        for draft in (self.span(sample), self.box(sample), self.box(sample)):
            if not self.pause():
                return
            answer = self.call("annotate", "POST", f"/api/samples/{sample}/annotations", json=draft)
            if answer is not None:
                self.record.ack(answer.json(), created=True)
                made.append(answer.json())
        spans = [a for a in made if a["geometry"]["type"] == "span"]
        boxes = [a for a in made if a["geometry"]["type"] == "box"]
        if spans and boxes and self.pause():
            link = {
                "id": self.new_id(),
                "type": "refers-to",
                "source": spans[0]["id"],
                "target": boxes[0]["id"],
            }
            self.call("link", "POST", f"/api/samples/{sample}/links", json=link)
        if not self.pause():
            return
        read = self.call("read", "GET", f"/api/samples/{sample}")
        if read is None:
            return
        body = read.json()
        work = body["annotations"]
        for item in work[:1]:
            if item["geometry"]["type"] == "box":
                item["geometry"]["x"] = round(self.rng.uniform(0, 500), 1)
        added = self.box(sample)
        if not self.pause():
            return
        answer = self.call(
            "submit-sample",
            "PUT",
            f"/api/samples/{sample}/annotations",
            json={
                "annotations": [*work, added],
                "entities": body["entities"],
                "links": body["links"],
            },
            headers={"If-Match": read.headers["ETag"]},
        )
        if answer is not None:
            for item in answer.json()["sample"]["annotations"]:
                self.record.ack(item, created=item["id"] == added["id"])
        if self.pause():
            self.call("hand-in", "POST", f"/api/tasks/{task['id']}/submit")


class Reviewer(Person):
    """Leases review tasks, reads the sample, accepts (or one in ten, rejects) it."""

    def work(self) -> None:
        leased = self.call(
            "review-next",
            "POST",
            f"/api/projects/{self.project}/tasks/next",
            ok=(200, 204),
            params={"stage": "review"},
        )
        if leased is None or leased.status_code == 204:
            return
        task = leased.json()
        if (
            not self.pause()
            or self.call("review-read", "GET", f"/api/samples/{task['sample']}") is None
        ):
            return
        if self.pause():
            rejected = self.rng.random() < 0.1
            decision = (
                {"decision": "rejected", "comment": "one more box"}
                if rejected
                else {"decision": "accepted"}
            )
            self.call("review", "POST", f"/api/tasks/{task['id']}/review", json=decision)


def watch_memory(pid: int, record: Record, stop: threading.Event) -> list[tuple[float, float]]:
    """The server's RSS (MiB) every `RSS_EVERY` seconds until `stop`: (seconds, MiB)."""
    samples: list[tuple[float, float]] = []
    process = psutil.Process(pid)

    def loop() -> None:
        while True:
            samples.append((time.monotonic() - record.started, process.memory_info().rss / 2**20))
            if stop.wait(RSS_EVERY):
                return

    threading.Thread(target=loop, daemon=True).start()
    return samples


def serve(url: str, folder: Path) -> tuple["subprocess.Popen[bytes]", str]:
    """``rosetta serve`` on a free loopback port; the process and its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "ROSETTA_DATA_DIR": str(folder / "data"), "ROSETTA_JOB_WORKERS": "1"}
    with (folder / "server.log").open("ab") as log:
        server = subprocess.Popen(
            [ROSETTA, "--db", url, "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    for _ in range(1200):
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return server, base
        except httpx.TransportError:
            pass
        if server.poll() is not None:
            break
        time.sleep(0.1)
    server.kill()
    raise SystemExit(f"rosetta serve did not start; see {folder / 'server.log'}")


def verify(url: str, project: str, record: Record) -> tuple[int, int]:
    """(lost, duplicated): acknowledged annotations missing or different in the store, and
    annotations or create events beyond those acknowledged."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            stored = {
                row.id: content(
                    {
                        "stream": row.stream_id,
                        "label": row.label,
                        "geometry": orjson.loads(row.geometry),
                        "attributes": orjson.loads(row.attributes),
                    }
                )
                for row in connection.execute(
                    select(
                        annotations.c.id,
                        annotations.c.stream_id,
                        annotations.c.label,
                        annotations.c.geometry,
                        annotations.c.attributes,
                    ).where(annotations.c.project_id == project)
                )
            }
            created = connection.execute(
                select(func.count()).where(
                    events.c.project_id == project,
                    events.c.object_kind == "annotation",
                    events.c.action == "create",
                )
            ).scalar_one()
    finally:
        engine.dispose()
    lost = sum(stored.get(ident) != value for ident, value in record.acknowledged.items())
    duplicated = len(stored.keys() - record.acknowledged.keys()) + max(0, created - record.creates)
    return lost, duplicated


def percentile(values: list[float], q: float) -> float:
    """The `q` quantile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def p95_trend(record: Record, op: str, windows: int) -> tuple[float, float] | None:
    """The median of the per-window p95s of `op` over the early windows (after the first,
    the warm-up, when there are four or more) and over as many late ones: a quarter of the
    windows judged, at least one. None when either side has no window of `MIN_JUDGED`
    requests, or they overlap."""
    warm = 1 if windows >= 4 else 0
    span = max(1, (windows - warm) // 4)
    if windows - span < warm + span:
        return None

    def median_p95(indices: range) -> float | None:
        found = [record.latencies.get((index, op), []) for index in indices]
        judged = [percentile(values, 0.95) for values in found if len(values) >= MIN_JUDGED]
        return statistics.median(judged) if judged else None

    early = median_p95(range(warm, warm + span))
    late = median_p95(range(windows - span, windows))
    return None if early is None or late is None else (early, late)


def report(
    record: Record,
    rss: list[tuple[float, float]],
    args: argparse.Namespace,
    lost: int,
    duplicated: int,
) -> tuple[list[str], dict[str, Any]]:
    """Print the tables; the failed checks and the figures."""
    windows = 1 + max(index for index, _ in record.latencies) if record.latencies else 0
    operations = sorted({op for _, op in record.latencies})
    print(f"\n{'window':>8} {'operation':14} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    figures: dict[str, Any] = {"windows": [], "rss_mib": rss}
    for index in range(windows):
        for op in operations:
            values = record.latencies.get((index, op), [])
            if values:
                row = {
                    "window": index,
                    "operation": op,
                    "n": len(values),
                    "p50": statistics.median(values),
                    "p95": percentile(values, 0.95),
                    "p99": percentile(values, 0.99),
                }
                figures["windows"].append(row)
                print(
                    f"{index * args.window:>6.0f} s {op:14} {len(values):6} {row['p50']:8.1f} {row['p95']:8.1f} {row['p99']:8.1f}"
                )
    failures = []
    base = 1 if windows >= 4 else 0  # the RSS baseline: the end of the warm-up window
    if record.server_errors:
        failures.append(
            f"{len(record.server_errors)} server errors (5xx), first: {record.server_errors[0]}"
        )
    if record.unexpected:
        failures.append(
            f"{len(record.unexpected)} unexpected answers, first: {record.unexpected[0]}"
        )
    if lost or duplicated:
        failures.append(f"{lost} lost and {duplicated} duplicated writes")
    for op in operations if args.trends else ():
        trend = p95_trend(record, op, windows)
        if trend is not None and trend[1] > args.p95_growth * trend[0] + P95_SLACK_MS:
            failures.append(
                f"{op}: p95 grew from {trend[0]:.1f} to {trend[1]:.1f} ms (early and late "
                f"windows' median; allowed {args.p95_growth * trend[0] + P95_SLACK_MS:.1f})"
            )
    baseline_rss = next((mib for at, mib in rss if at >= (base + 1) * args.window), rss[0][1])
    growth = rss[-1][1] - baseline_rss
    if args.trends and growth > args.rss_growth:
        failures.append(f"server RSS grew by {growth:.0f} MiB (allowed {args.rss_growth:.0f})")
    total = sum(len(v) for v in record.latencies.values())
    figures.update(
        requests=total,
        server_errors=len(record.server_errors),
        unexpected=len(record.unexpected),
        acknowledged_annotations=len(record.acknowledged),
        lost=lost,
        duplicated=duplicated,
        rss_start_mib=rss[0][1],
        rss_baseline_mib=baseline_rss,
        rss_end_mib=rss[-1][1],
        rss_max_mib=max(m for _, m in rss),
    )
    print(
        f"\n{args.store}: {args.annotators} annotators, {args.reviewers} reviewers, {args.duration:g} s: "
        f"{total} requests ({total / args.duration:.1f}/s), {len(record.server_errors)} server errors, "
        f"{len(record.unexpected)} unexpected answers, {len(record.acknowledged)} annotations acknowledged, "
        f"{lost} lost, {duplicated} duplicated; server RSS {rss[0][1]:.0f} → {baseline_rss:.0f} (baseline) → "
        f"{rss[-1][1]:.0f} MiB (max {figures['rss_max_mib']:.0f})"
    )
    return failures, figures


def main() -> None:
    """Build, serve, run the people for the duration, verify and report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--pg", default=DEFAULT_PG, help="the PostgreSQL server (--store postgresql)"
    )
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of load")
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--reviewers", type=int, default=2)
    parser.add_argument("--think", type=float, default=0.5, help="mean pause between requests (s)")
    parser.add_argument("--window", type=float, default=30.0, help="seconds per latency window")
    parser.add_argument("--p95-growth", type=float, default=2.0)
    parser.add_argument("--rss-growth", type=float, default=100.0, help="MiB")
    parser.add_argument(
        "--no-trends",
        dest="trends",
        action="store_false",
        help="do not judge latency and memory growth (a short run has no trend)",
    )
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    # a task takes an annotator about 7 pauses; queue enough that the queue never runs dry
    samples = max(50, int(1.5 * args.annotators * args.duration / (7 * max(args.think, 0.1))))
    with (
        tempfile.TemporaryDirectory() as name,
        fresh_store(args.pg if args.store == "postgresql" else None, Path(name)) as url,
    ):
        folder = Path(name)
        started = time.perf_counter()
        project, annotator_tokens, reviewer_tokens = build(
            url, samples, args.annotators, args.reviewers
        )
        print(
            f"{args.store}: {samples} samples queued in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        server, base = serve(url, folder)
        try:
            last_window = max(0, math.ceil(args.duration / args.window) - 1)
            record = Record(time.monotonic(), args.window, last_window)
            deadline = record.started + args.duration
            people: list[Person] = [
                kind(
                    name=f"{kind.__name__.lower()}{n:02d}",
                    base=base,
                    token=token,
                    project=project,
                    record=record,
                    deadline=deadline,
                    think=args.think,
                    seed=args.seed * 1000 + i,
                )
                for i, (kind, n, token) in enumerate(
                    [(Annotator, n, t) for n, t in enumerate(annotator_tokens)]
                    + [(Reviewer, n, t) for n, t in enumerate(reviewer_tokens)]
                )
            ]
            stop = threading.Event()
            rss = watch_memory(server.pid, record, stop)
            for person in people:
                person.start()
            for person in people:
                person.join()
            stop.set()
            rss.append(
                (
                    time.monotonic() - record.started,
                    psutil.Process(server.pid).memory_info().rss / 2**20,
                )
            )
        finally:
            server.terminate()
            server.wait(60)
        lost, duplicated = verify(url, project, record)
    failures, figures = report(record, rss, args, lost, duplicated)
    if args.json:
        args.json.write_text(
            orjson.dumps({**figures, "failures": failures}, option=orjson.OPT_INDENT_2).decode()
        )
    for failure in failures:
        print(f"FAILED: {failure}")
    print("all checks passed" if not failures else f"{len(failures)} check(s) failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
