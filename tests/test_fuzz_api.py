"""Schemathesis against the OpenAPI document of the real app: requests generated from every
operation's schema, as a site administrator, must never meet a server error.

The store holds the demo project, so generated ids sometimes hit real objects. The number
of examples per operation is bounded here (``ROSETTA_FUZZ_EXAMPLES``, default 12);
``make fuzz`` runs many more.
"""

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.transport import Response
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput
from schemathesis.schemas import BaseSchema

from api_clients import token_headers
from rosetta.api import create_app
from rosetta.demo.build import MEDIA_DIR, build_demo
from rosetta.services.settings import Settings
from rosetta.store.backups import backup, restore
from rosetta.store.engine import open_store

# the body of an import upload is native JSONL: any bytes, one sample a line
schemathesis.serializer.alias("application/x-ndjson", "application/octet-stream")

EXAMPLES = int(os.environ.get("ROSETTA_FUZZ_EXAMPLES", "12"))
HEADERS: dict[str, str] = {}
#: The app's store ("live", its URL) and a backup of it as built ("built", a file).
STORE: dict[str, Any] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaseSchema]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    STORE.update(live=f"sqlite:///{folder / 'fuzz.db'}", built=folder / "built.backup")
    engine = open_store(STORE["live"])
    build_demo(engine)
    HEADERS.update(token_headers(engine, "fuzzer", admin=True))
    backup(STORE["live"], STORE["built"])
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


#: Scenarios (sequences of calls) in the stateful run; ``make fuzz`` runs more.
SCENARIOS = int(os.environ.get("ROSETTA_FUZZ_SCENARIOS", "15"))


def test_sequences_of_calls_never_meet_a_server_error(api_schema: BaseSchema) -> None:
    """Stateful: schemathesis chains operations by the links it infers from the document
    (an id a response returns fed to the operations that take it: a user created then
    changed, an annotation read then patched or deleted, a job's logs and files), so some
    calls reach objects made earlier in the scenario instead of 404s."""
    machine = api_schema.as_state_machine()
    assert len(machine.bundles) > 20  # links were inferred from the document
    linked: Counter[int] = Counter()  # status class of each call made through a link

    class Scenarios(machine):  # type: ignore[misc,valid-type]
        def setup(self) -> None:
            # every scenario starts from the demo store as built: hypothesis replays and
            # shrinks scenarios, which must find the server as they found it before
            restore(STORE["built"], STORE["live"], force=True)

        def step(self, input: StepInput) -> StepOutput:
            output: StepOutput = super().step(input)
            if input.transition is not None:
                linked[output.response.status_code // 100] += 1
            return output

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": HEADERS}

        def validate_response(
            self,
            response: Response,
            case: schemathesis.Case,
            additional_checks: Any = None,
            **kwargs: Any,
        ) -> None:
            case.validate_response(response, checks=[not_a_server_error])

    Scenarios.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
    )
    assert linked[2] >= 1, f"no call through a link succeeded: {dict(linked)}"
