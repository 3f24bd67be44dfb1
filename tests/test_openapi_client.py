"""The web UI's API client is current: ``web/openapi.json`` is the app's OpenAPI document
as it is now, and, where the web dependencies are installed (``npm ci`` in ``web/``),
``web/src/api/schema.d.ts`` is what openapi-typescript generates from it and the client
type-checks against it."""

import importlib.util
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from conftest import REPO

WEB = REPO / "web"
BIN = WEB / "node_modules" / ".bin"
SCHEMA = WEB / "src" / "api" / "schema.d.ts"
REGENERATE = "run `.venv/bin/python scripts/openapi.py` and `npm run gen:api` in web/"

needs_node = pytest.mark.skipif(
    not BIN.is_dir(), reason="the web dependencies are not installed (npm ci in web/)"
)


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("openapi_script", REPO / "scripts" / "openapi.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(*command: str | Path) -> None:
    done = subprocess.run(
        command, check=False, cwd=WEB, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_checked_in_openapi_document_is_current() -> None:
    current = _script().openapi_text()
    assert (WEB / "openapi.json").read_text(encoding="utf-8") == current, REGENERATE


@needs_node
def test_the_generated_types_are_current(tmp_path: Path) -> None:
    generated = tmp_path / "schema.d.ts"
    _run(BIN / "openapi-typescript", "openapi.json", "--output", generated)
    assert SCHEMA.read_text(encoding="utf-8") == generated.read_text(encoding="utf-8"), REGENERATE


@needs_node
def test_the_client_type_checks() -> None:
    _run(BIN / "tsc", "--noEmit", "--project", "tsconfig.json")
