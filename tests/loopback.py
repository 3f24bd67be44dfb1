"""The real Rosetta app served by uvicorn on a free loopback port, in a thread of the test
process (its lifespan runs, so the app's job worker runs too), and API tokens of users for
the SDK to use."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from sqlalchemy import Engine

from api_clients import token_headers
from rosetta.api import create_app
from rosetta.core.policies import Role
from rosetta.services.settings import Settings

#: Seconds a server gets to start and to stop.
PATIENCE = 30.0


@contextmanager
def serve(engine: Engine, settings: Settings, *, public: bool = False) -> Iterator[str]:
    """Serve the app over `engine` with `settings` on ``127.0.0.1``; its base URL (which
    is the settings' ``public_url`` too when `public`)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    if public:
        settings = Settings(**{**settings.model_dump(), "public_url": f"http://127.0.0.1:{port}"})
    config = uvicorn.Config(
        create_app(engine, settings),
        http="h11",
        ws="none",
        lifespan="on",
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + PATIENCE
    while not server.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(PATIENCE)
        listener.close()
        assert not thread.is_alive(), "the server did not stop"


def api_token(
    engine: Engine,
    name: str,
    *,
    admin: bool = False,
    project_id: str | None = None,
    role: Role | None = None,
) -> str:
    """An API token of user `name` (created when missing, a site admin when `admin`, with
    `role` in `project_id` when both are given)."""
    header = token_headers(engine, name, admin=admin, project_id=project_id, role=role)
    return header["Authorization"].removeprefix("Bearer ")
