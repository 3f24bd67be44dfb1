"""Many concurrent writes against a server whose connection pool is small: every request
is answered (none waits for a connection that never comes), because admission control
keeps the requests in flight at half the pool; on SQLite, at most two. A worker process
sharing its port sends the clients it made wait on (``Connection: close``)."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anyio
import httpx
import pytest
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from builders import insert_sample, streams_of
from conftest import DEMO_ONTOLOGY, TESTER, fresh_postgres
from loopback import api_token, serve
from rosetta.api.admission import SQLITE_LIMIT, AdmissionControl, in_flight_limit
from rosetta.core.schema import Sample
from rosetta.services.projects import create_project, load_ontology_file
from rosetta.services.settings import Settings
from rosetta.store.engine import make_engine, upgrade

#: A pool of 2 connections and 2 more when busy: 2 requests in flight.
SMALL_POOL = {"pool_size": 2, "max_overflow": 2, "pool_timeout": 5}

WRITERS = 16


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def small_pool(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated store whose engine has `SMALL_POOL`."""
    if request.param == "postgresql":
        yield from fresh_postgres(request.getfixturevalue("postgres_url"), **SMALL_POOL)
        return
    engine = make_engine(f"sqlite:///{tmp_path / 'small.db'}", **SMALL_POOL)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_the_limit_is_half_the_pool_and_two_on_sqlite(tmp_path: Path, postgres_url: str) -> None:
    sqlite = make_engine(f"sqlite:///{tmp_path / 'default.db'}")
    tiny = make_engine(f"sqlite:///{tmp_path / 'tiny.db'}", pool_size=1, max_overflow=0)
    postgres = make_engine(postgres_url)  # the default pool: 5, and 10 more when busy
    assert (in_flight_limit(sqlite), in_flight_limit(tiny), in_flight_limit(postgres)) == (
        SQLITE_LIMIT,
        1,
        7,
    )
    for engine in (sqlite, tiny, postgres):
        engine.dispose()


def test_concurrent_writes_never_starve_the_connection_pool(small_pool: Engine) -> None:
    engine = small_pool
    assert in_flight_limit(engine) == 2
    project = create_project(engine, "p", load_ontology_file(DEMO_ONTOLOGY), TESTER)
    for n in range(WRITERS):
        insert_sample(engine, project.id, Sample(id=f"s{n}", streams=streams_of(f"s{n}")))
    token = api_token(engine, "root", admin=True)

    def write(n: int) -> list[int]:
        codes = []
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
            for k in range(3):
                created = client.post(
                    f"/api/samples/s{n}/annotations",
                    json={
                        "stream": f"s{n}-image",
                        "label": "person",
                        "geometry": {"type": "box", "x": k, "y": 1, "w": 5, "h": 5},
                    },
                    timeout=60,
                )
                codes.append(created.status_code)
        return codes

    with serve(engine, Settings(job_workers=0)) as url, ThreadPoolExecutor(WRITERS) as pool:
        codes = [code for codes in pool.map(write, range(WRITERS)) for code in codes]
    assert codes == [201] * (3 * WRITERS)


def _held_app(release: anyio.Event) -> Starlette:
    """An app whose ``/slow`` answers once `release` is set and ``/fast`` at once."""

    async def slow(_: Request) -> PlainTextResponse:
        await release.wait()
        return PlainTextResponse("slow")

    async def fast(_: Request) -> PlainTextResponse:
        return PlainTextResponse("fast")

    return Starlette(routes=[Route("/slow", slow), Route("/fast", fast)])


async def _requests(rebalance: bool) -> list[httpx.Response]:
    """``/slow`` holding the only slot and two ``/fast`` waiting for it, then ``/fast``
    alone: the first admitted of the two waiters is admitted while the other waits."""
    release = anyio.Event()
    app = AdmissionControl(_held_app(release), limit=1, rebalance=rebalance)
    transport = httpx.ASGITransport(app=app)
    answers: list[httpx.Response] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://worker") as client:

        async def get(path: str) -> None:
            answers.append(await client.get(path))

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(get, "/slow")
            await anyio.wait_all_tasks_blocked()  # /slow holds the only slot
            for _ in range(2):
                tasks.start_soon(get, "/fast")
            await anyio.wait_all_tasks_blocked()  # both wait for it
            release.set()
        answers.append(await client.get("/fast"))  # the slot is free again
    return answers


@pytest.mark.parametrize("rebalance", [True, False])
def test_a_saturated_worker_sends_a_waiting_client_on(rebalance: bool) -> None:
    # in a thread of its own: the browser tests leave an event loop in this one
    with ThreadPoolExecutor(1) as thread:
        answers = thread.submit(anyio.run, _requests, rebalance).result()
    assert [answer.text for answer in answers] == ["slow", "fast", "fast", "fast"]
    expected = [None, "close" if rebalance else None, None, None]
    assert [answer.headers.get("connection") for answer in answers] == expected
