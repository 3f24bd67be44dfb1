"""Request dependencies: a store connection per request."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _connection(request: Request) -> Iterator[Connection]:
    with _engine(request).connect() as connection:
        yield connection


#: A read connection for the duration of one request.
Db = Annotated[Connection, Depends(_connection)]
