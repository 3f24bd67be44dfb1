"""Schemathesis against the OpenAPI document of the real app: requests generated from every
operation's schema, as a site administrator, must never meet a server error.

The store holds the demo project, so generated ids sometimes hit real objects. The number
of examples per operation is bounded here (``ROSETTA_FUZZ_EXAMPLES``, default 12);
``make fuzz`` runs many more.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import BaseSchema

from api_clients import token_headers
from rosetta.api import create_app
from rosetta.demo.build import MEDIA_DIR, build_demo
from rosetta.services.settings import Settings
from rosetta.store.engine import open_store

# the body of an import upload is native JSONL: any bytes, one sample a line
schemathesis.serializer.alias("application/x-ndjson", "application/octet-stream")

EXAMPLES = int(os.environ.get("ROSETTA_FUZZ_EXAMPLES", "12"))
HEADERS: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaseSchema]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    engine = open_store(f"sqlite:///{folder / 'fuzz.db'}")
    build_demo(engine)
    HEADERS.update(token_headers(engine, "fuzzer", admin=True))
    app = create_app(
        engine, Settings(media_roots=(MEDIA_DIR,), data_dir=folder / "data", job_workers=0)
    )
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    engine.dispose()


def _fuzz(operation: Any) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=HEADERS, checks=[not_a_server_error])

    run()


def test_no_operation_answers_with_a_server_error(api_schema: BaseSchema) -> None:
    failures = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 50
    for operation in operations:
        try:
            _fuzz(operation)
        except Exception as exc:  # noqa: BLE001 - every failing operation is reported
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
