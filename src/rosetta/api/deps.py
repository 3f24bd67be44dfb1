"""Request dependencies: the store (a read connection per request, or the engine for
services that write) and the acting person."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy import Connection, Engine

from rosetta.store.events import Actor


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _connection(request: Request) -> Iterator[Connection]:
    with _engine(request).connect() as connection:
        yield connection


def _actor(
    x_rosetta_actor: Annotated[str, Header(min_length=1, max_length=200)] = "api",
) -> Actor:
    # Accounts and roles arrive with the service issue (#4); until then a write names its
    # author in the X-Rosetta-Actor header.
    return Actor(x_rosetta_actor, tool="api")


#: A read connection for the duration of one request.
Db = Annotated[Connection, Depends(_connection)]

#: The engine, for services that open their own write transaction.
Store = Annotated[Engine, Depends(_engine)]

#: Who makes a write (the ``X-Rosetta-Actor`` header, default ``api``).
ActorDep = Annotated[Actor, Depends(_actor)]
