"""A list of ids bound as one parameter, so that a statement testing membership in it is
built and compiled once.

SQLAlchemy's ``column.in_(values)`` expands the list into one placeholder per value each
time the statement runs, re-rendering its SQL; in a whole-sample submission that cost
more than the deletions themselves. `among(column, name)` renders as
``column IN (SELECT value FROM json_each(:name))`` on SQLite (the list sent as JSON
text) and ``column = ANY(:name)`` on PostgreSQL (an array), whatever the list's length.
"""

from typing import Any

import orjson
from sqlalchemy import Boolean, String, TypeDecorator, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.type_api import TypeEngine
from sqlalchemy.sql.visitors import InternalTraversal


class IdList(TypeDecorator[list[str]]):
    """A list of ids as a bound value: JSON text on SQLite, a text array on PostgreSQL."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(String))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: list[str] | None, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return orjson.dumps(value).decode()


class among(ColumnElement[bool]):
    """Whether `column` is one of the ids bound to the parameter `name` (a list)."""

    inherit_cache = True
    type = Boolean()
    # a condition in itself: never rendered as ``(...) = 1`` where booleans are integers,
    # which would hide the index from SQLite's planner
    _is_implicitly_boolean = True
    # what the statement cache keys on (SQLAlchemy declares this attribute as a list)
    _traverse_internals = [  # noqa: RUF012
        ("column", InternalTraversal.dp_clauseelement),
        ("ids", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], name: str) -> None:
        self.column = column
        self.ids: BindParameter[list[str]] = bindparam(name, type_=IdList())


@compiles(among)
def _among_sqlite(element: among, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} IN (SELECT value FROM json_each({compiler.process(element.ids, **kw)}))"


@compiles(among, "postgresql")
def _among_postgresql(element: among, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY({compiler.process(element.ids, **kw)})"
