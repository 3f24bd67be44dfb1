"""Write the HTTP API's OpenAPI document to ``web/openapi.json``, from which
``npm run gen:api`` (in ``web/``) generates the TypeScript types of the web client.

Run it after changing a route: ``.venv/bin/python scripts/openapi.py``. No server and no
database are needed; the app is built over an in-memory SQLite store it never touches.
``tests/test_openapi_client.py`` fails when the checked-in document is not current.
"""

import json
import sys
from pathlib import Path
from typing import Any

from rosetta.api import create_app
from rosetta.services.settings import Settings
from rosetta.store.engine import make_engine

#: Where the document is checked in.
TARGET = Path(__file__).resolve().parents[1] / "web" / "openapi.json"


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of the app."""
    engine = make_engine("sqlite://")
    try:
        spec: dict[str, Any] = create_app(engine, Settings(job_workers=0)).openapi()
    finally:
        engine.dispose()
    return spec


def openapi_text() -> str:
    """The document as it is checked in: indented JSON with a final newline."""
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    """Write the document to `TARGET` (or to the path given as the only argument)."""
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else TARGET
    target.write_text(openapi_text(), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
