"""Many concurrent writes against a server whose connection pool is small: every request
is answered (none waits for a connection that never comes), because admission control
keeps the requests in flight at half the pool."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import Engine

from builders import insert_sample, streams_of
from conftest import DEMO_ONTOLOGY, TESTER
from loopback import api_token, serve
from rosetta.api.admission import in_flight_limit
from rosetta.core.schema import Sample
from rosetta.services.projects import create_project, load_ontology_file
from rosetta.services.settings import Settings
from rosetta.store.engine import make_engine, upgrade

WRITERS = 16


def _small_pool(tmp_path: Path) -> Engine:
    engine = make_engine(
        f"sqlite:///{tmp_path / 'small.db'}", pool_size=2, max_overflow=2, pool_timeout=5
    )
    upgrade(engine)
    return engine


def test_concurrent_writes_never_starve_the_connection_pool(tmp_path: Path) -> None:
    engine = _small_pool(tmp_path)
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
    engine.dispose()
    assert codes == [201] * (3 * WRITERS)
