"""API latency under concurrent clients:
``python bench/api_latency.py [--n 100000] [--clients 1 8 32] [--seconds 10]
[--annotations 200] [--workers N ...] [--pg URL]``.

Builds a project of ``--n`` samples straight into the tables (`list_samples.populate`) in a
fresh SQLite file, and in a fresh schema of the PostgreSQL server at ``--pg`` when given
(dropped after), serves it with uvicorn on loopback (`bulk_submit.serve`; ``--workers``
processes, by default 1 on SQLite and 1 then 2 on PostgreSQL) and times three operations
as clients see them (HTTP included), each client its own process with its own
keep-alive connection (`lean_http.LeanClient`) in a closed loop for ``--seconds``, at each count of ``--clients``:

- ``fetch``: ``GET /api/samples/{id}``, a sample with all its work (streams, annotations,
  entities, links), round robin over the client's own samples;
- ``submit``: ``PUT /api/samples/{id}/annotations`` of the whole work with ``If-Match``,
  each round moving 5 annotations, adding 2 and deleting 2 (`bulk_submit.next_work`)
  starting from the sample and ETag the previous response answered with;
- ``list``: ``GET /api/projects/{id}/samples?limit=50`` after a random cursor with one of
  the filters of `LIST_FILTERS` (or none), as the reviewer ``rev``.

Each client is an annotator of its own (``client00`` …) with `SAMPLES_PER_CLIENT` samples
of the project assigned to it (text, image and audio streams, `bulk_submit.streams`),
whose work of ``--annotations`` annotations (with links and entities,
`bulk_submit.first_work`) is submitted once before timing; so submissions never conflict.
Each client warms up with `WARMUP` requests, then all start together. Printed per backend
and server processes: p50/p95/p99 in milliseconds, requests per second (all clients), the
server's CPU time per request (all its processes, user and system) and how many answers
were not 200 (counted in the percentiles too; a submission after one starts from the
sample read again), then the list's p95 per filter. The clients share the machine with
the server, which matters where cores are few.
"""

import argparse
import http.client
import multiprocessing
import random
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.synchronize import Event
from pathlib import Path
from queue import Empty
from typing import Any, TypeVar

import orjson
from sqlalchemy import Engine, func, select, text

from bulk_submit import cpu_seconds, first_work, next_work, serve, streams
from lean_http import LeanClient, Reply
from list_samples import populate
from rosetta.core.policies import Role
from rosetta.core.schema import Sample
from rosetta.services.accounts import assign, create_token, create_user, set_role
from rosetta.services.catalog import encode_cursor
from rosetta.services.importer import import_samples
from rosetta.store.engine import open_store
from rosetta.store.events import Actor
from rosetta.store.schemas import scratch_schema
from rosetta.store.tables import samples

ACTOR = Actor("bench")
#: A message a client process sends back.
M = TypeVar("M")
#: In the order run (submissions last: they are what may leave the server busy).
OPERATIONS = ("fetch", "list", "submit")
SAMPLES_PER_CLIENT = 4
WARMUP = 5
PAGE = 50
#: The list filters, one a request at random (name, query parameters).
LIST_FILTERS: list[tuple[str, dict[str, str]]] = [
    ("none", {}),
    ("label=person", {"label": "person"}),
    ("label=flag", {"label": "flag"}),
    ("status=review", {"status": "review"}),
    ("modality=video", {"modality": "video"}),
    ("stale=true", {"stale": "true"}),
]


#: A request's tag (the operation, or the list's filter), seconds and whether it was a 200.
Timing = tuple[str, float, bool]
Result = list[Timing]


class Fetch:
    """``GET /api/samples/{id}`` of the client's samples in turn."""

    def __init__(self, http: LeanClient, own: list[str]) -> None:
        self.http = http
        self.own = own
        self.count = 0

    def __call__(self) -> Timing:
        sample_id = self.own[self.count % len(self.own)]
        self.count += 1
        response, seconds = _timed(self.http, "GET", f"/api/samples/{sample_id}")
        return "fetch", seconds, response is not None


class Submit:
    """A whole submission of one of the client's samples in turn, a few annotations moved,
    from the sample and ETag the previous response answered with (after a failure, from
    the sample read again: a failed read counts as a failed submission)."""

    def __init__(self, http: LeanClient, own: list[str]) -> None:
        self.http = http
        self.own = own
        self.count = 0
        self.read: dict[str, tuple[dict[str, Any], str]] = {}

    def __call__(self) -> Timing:
        sample_id = self.own[self.count % len(self.own)]
        self.count += 1
        if sample_id not in self.read:
            response, seconds = _timed(self.http, "GET", f"/api/samples/{sample_id}")
            if response is None:
                return "submit", seconds, False
            self.read[sample_id] = response.json(), response.headers["ETag"]
        body, etag = self.read.pop(sample_id)
        content = orjson.dumps(next_work(sample_id, body, self.count))
        response, seconds = _timed(
            self.http,
            "PUT",
            f"/api/samples/{sample_id}/annotations",
            body=content,
            headers={"If-Match": etag, "Content-Type": "application/json"},
        )
        if response is None:
            return "submit", seconds, False
        self.read[sample_id] = response.json()["sample"], response.headers["ETag"]
        return "submit", seconds, True


class List:
    """A page of the project's samples after a random cursor, with a random filter."""

    def __init__(self, http: LeanClient, path: str, last_pk: int, seed: int) -> None:
        self.http = http
        self.path = path
        self.last_pk = last_pk
        self.rng = random.Random(seed)

    def __call__(self) -> Timing:
        name, params = self.rng.choice(LIST_FILTERS)
        cursor = encode_cursor("samples", self.rng.randrange(self.last_pk))
        query = {**params, "cursor": cursor, "limit": str(PAGE)}
        response, seconds = _timed(self.http, "GET", self.path, params=query)
        return name, seconds, response is not None


def _timed(lean: LeanClient, method: str, url: str, **options: Any) -> tuple[Reply | None, float]:
    """The response to a request (None unless a 200: an error status, or no answer) and
    the seconds it took."""
    started = time.perf_counter()
    try:
        response: Reply | None = lean.request(method, url, **options)
    except (OSError, http.client.HTTPException):
        response = None
    seconds = time.perf_counter() - started
    return (response if response is not None and response.status == 200 else None), seconds


def _ok(response: Reply, what: str) -> Reply:
    """`response` to the request `what`, which must be a 200."""
    if response.status != 200:
        raise SystemExit(f"{what}: {response.status} {response.body[:500]!r}")
    return response


def client(
    *,
    operation: str,
    base: str,
    token: str,
    own: list[str],
    listing: tuple[str, int],
    seconds: float,
    seed: int,
    start: Event,
    queue: "multiprocessing.Queue[tuple[Result, float] | None]",
) -> None:
    """One client process: warm up, put None on `queue` and wait for `start`, then
    `operation` in a closed loop for `seconds`; puts (tag and seconds of each request,
    seconds run) on `queue`.
    Fetches and submissions go to the client's `own` samples; `listing` is the list's path
    and the last sample pk."""
    http = LeanClient(base, {"Authorization": f"Bearer {token}"})
    step: Fetch | Submit | List
    if operation == "list":
        step = List(http, *listing, seed)
    else:
        step = Fetch(http, own) if operation == "fetch" else Submit(http, own)
    for _ in range(WARMUP):
        step()
    queue.put(None)
    start.wait()
    times: Result = []
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        times.append(step())
    queue.put((times, time.perf_counter() - started))
    http.close()


def build_clients(engine: Engine, project_id: str, count: int) -> list[tuple[str, list[str]]]:
    """`count` annotators ``client00`` …, each with `SAMPLES_PER_CLIENT` new samples of the
    project assigned to it; (API token, sample ids) of each."""
    out = []
    for index in range(count):
        own = [f"api-c{index:02d}-{k}" for k in range(SAMPLES_PER_CLIENT)]
        import_samples(engine, project_id, [Sample(id=s, streams=streams(s)) for s in own], ACTOR)
        user = create_user(engine, f"client{index:02d}")
        set_role(engine, ACTOR, project_id, user.id, Role.ANNOTATOR)
        for sample_id in own:
            assign(engine, ACTOR, sample_id, user.id)
        out.append((create_token(engine, user.id, "bench")[0], own))
    return out


def seed_work(base: str, users: list[tuple[str, list[str]]], annotations: int) -> None:
    """Submit each client's work on its samples once, where they have none yet."""
    for token, own in users:
        http = LeanClient(base, {"Authorization": f"Bearer {token}"})
        for sample_id in own:
            path = f"/api/samples/{sample_id}"
            read = _ok(http.request("GET", path), f"GET {path}")
            if read.json()["annotations"]:
                continue
            _ok(
                http.request(
                    "PUT",
                    f"{path}/annotations",
                    body=orjson.dumps(first_work(sample_id, annotations)),
                    headers={"If-Match": read.headers["ETag"], "Content-Type": "application/json"},
                ),
                f"PUT {path}/annotations",
            )
        http.close()


def run_cell(
    server: "subprocess.Popen[bytes]",
    operation: str,
    clients: int,
    *,
    base: str,
    users: list[tuple[str, list[str]]],
    listing: tuple[str, str, int],
    seconds: float,
) -> tuple[Result, float, float]:
    """`clients` client processes doing `operation` at once, as the first of `users` (token,
    own samples) or, listing, as the reviewer of `listing` (token, path, last sample pk);
    (tag and seconds of every request, requests per second, server CPU seconds a
    request)."""
    token, path, last_pk = listing
    targets = [(token, [])] * clients if operation == "list" else users[:clients]
    context = multiprocessing.get_context("fork")
    start = context.Event()
    queue: multiprocessing.Queue[tuple[Result, float] | None] = context.Queue()
    processes = [
        context.Process(
            target=client,
            kwargs={
                "operation": operation,
                "base": base,
                "token": user,
                "own": own,
                "listing": (path, last_pk),
                "seconds": seconds,
                "seed": index,
                "start": start,
                "queue": queue,
            },
        )
        for index, (user, own) in enumerate(targets)
    ]
    for process in processes:
        process.start()
    gather(queue, processes)  # all warmed up
    cpu = cpu_seconds(server)
    start.set()
    finished = [item for item in gather(queue, processes) if item is not None]
    cpu = cpu_seconds(server) - cpu
    for process in processes:
        process.join()
    times = [item for result, _ in finished for item in result]
    rate = sum(len(result) / elapsed for result, elapsed in finished)
    return times, rate, cpu / len(times)


def gather(
    queue: "multiprocessing.Queue[M | None]",
    processes: Sequence[multiprocessing.process.BaseProcess],
) -> list[M | None]:
    """One message from each process (stopping them all if one fails)."""
    out: list[M | None] = []
    while len(out) < len(processes):
        try:
            out.append(queue.get(timeout=1))
        except Empty:
            if any(process.exitcode for process in processes):
                for process in processes:
                    process.kill()
                raise SystemExit("a client process failed") from None
    return out


def percentiles(seconds: list[float]) -> tuple[float, float, float]:
    """p50, p95 and p99 in milliseconds."""
    cuts = statistics.quantiles([1000 * s for s in seconds], n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def fresh_store(pg: str | None, folder: Path) -> Iterator[str]:
    """The URL of a fresh store: an SQLite file in `folder`, or a new schema at `pg`
    (dropped after)."""
    if pg is None:
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    with scratch_schema(pg, "bench") as url:
        yield url


def run(label: str, pg: str | None, workers: list[int], args: argparse.Namespace) -> None:
    """Build one backend's store, serve it with each count of `workers` and print the
    tables."""
    with tempfile.TemporaryDirectory() as name, fresh_store(pg, Path(name)) as url:
        started = time.perf_counter()
        engine = open_store(url)
        project_id, headers = populate(engine, args.n)
        users = build_clients(engine, project_id, max(args.clients))
        if pg:
            with engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        with engine.connect() as connection:
            last_pk = connection.execute(select(func.max(samples.c.pk))).scalar_one()
        engine.dispose()
        built = time.perf_counter() - started
        listing = (
            headers["rev"].removeprefix("Bearer "),
            f"/api/projects/{project_id}/samples",
            last_pk,
        )
        for count in workers:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            server = serve(url, count, port, Path(name))
            print(
                f"\n{label}: {args.n:,} samples (built in {built:.0f} s), {count} server "
                f"process(es), {args.annotations} annotations a fetched/submitted sample, "
                f"{args.seconds:g} s a row\n{'operation':10} {'clients':>7} {'p50 ms':>8} "
                f"{'p95 ms':>8} {'p99 ms':>8} {'req/s':>7} {'server CPU ms/req':>18} "
                f"{'errors':>6}",
                flush=True,
            )
            lists: dict[int, Result] = {}
            try:
                seed_work(base, users, args.annotations)
                for operation in OPERATIONS:
                    for clients in args.clients:
                        times, rate, cpu = run_cell(
                            server,
                            operation,
                            clients,
                            base=base,
                            users=users,
                            listing=listing,
                            seconds=args.seconds,
                        )
                        _print_row(operation, clients, times, rate, cpu)
                        if operation == "list":
                            lists[clients] = times
            finally:
                server.terminate()
                server.wait()
            _print_filters(lists)


def _print_row(operation: str, clients: int, times: Result, rate: float, cpu: float) -> None:
    p50, p95, p99 = percentiles([seconds for _, seconds, _ in times])
    errors = sum(not ok for _, _, ok in times)
    print(
        f"{operation:10} {clients:7} {p50:8.1f} {p95:8.1f} {p99:8.1f} {rate:7.1f} "
        f"{1000 * cpu:18.1f} {errors:6}",
        flush=True,
    )


def _print_filters(lists: dict[int, Result]) -> None:
    print("list p95 ms by filter: " + " ".join(f"{c:>5} clients" for c in lists))
    for name, _ in LIST_FILTERS:
        cells = []
        for times in lists.values():
            seconds = [s for tag, s, _ in times if tag == name]
            cells.append(f"{percentiles(seconds)[1]:13.1f}" if len(seconds) > 1 else " " * 13)
        print(f"  {name:20} " + " ".join(cells))


def main() -> None:
    """Parse the arguments and run the benchmark on each backend."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="samples in the project")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=10.0, help="per operation and clients")
    parser.add_argument("--annotations", type=int, default=200, help="a fetched/submitted sample")
    parser.add_argument(
        "--workers", type=int, nargs="+", help="server processes (default: 1; 1 2 on PostgreSQL)"
    )
    parser.add_argument("--pg", help="also on this PostgreSQL server (postgresql://...)")
    args = parser.parse_args()
    run("SQLite", None, args.workers or [1], args)
    if args.pg:
        run("PostgreSQL", args.pg, args.workers or [1, 2], args)


if __name__ == "__main__":
    main()
