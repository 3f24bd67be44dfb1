"""Prebuilt selects run on the driver's cursor, for the statements of the hottest paths
(reading a whole sample, which every fetch and every submission does).

SQLAlchemy spends about 50 µs of interpreter time on each execution of even a prebuilt,
cached statement (its cache lookup, execution context, parameter construction, events and
result wrapping), where the driver takes about 15 µs; a submission runs about 25
statements, and under load that interpreter time is what clients queue for. A `Prepared`
select is compiled once for each dialect and run on the connection's own driver
connection, in the connection's transaction (begun as SQLAlchemy would begin it), with
SQLAlchemy's bind and result processing applied where a type has any, and its errors
wrapped in SQLAlchemy's exception classes. Where anything listens to statement execution
on the connection (a test counting statements, say), it runs through SQLAlchemy instead,
so that listener sees it.
"""

from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import Select
from sqlalchemy.sql.type_api import TypeEngine

Processor = Callable[[Any], Any]


@dataclass
class _Compiled:
    sql: str
    #: each parameter's name and its default (a value bound in the statement itself)
    names: tuple[tuple[str, Any], ...]
    positional: bool
    bind_processors: dict[str, Processor]
    #: each column's type, and its processor once the driver has named the column's type
    types: tuple[TypeEngine[Any], ...]
    row: Callable[[Any], Any]
    result_processors: tuple[Processor | None, ...] | None = None


class Prepared:
    """A select built once and run on the driver; rows come back as named tuples of its
    columns (by the same names SQLAlchemy's rows have)."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[Any]:
        """Every row the select finds."""
        if _watched(connection):
            return list(connection.execute(self.statement, params).all())
        compiled = self._for(connection.dialect)
        if not connection.in_transaction():
            connection.begin()  # as SQLAlchemy's autobegin would
        bound = _bind(compiled, params)
        driver = connection.connection
        cursor = driver.cursor()
        try:
            cursor.execute(compiled.sql, bound)
            fetched = cursor.fetchall()
            if compiled.result_processors is None:
                compiled.result_processors = _result_processors(
                    compiled.types, connection.dialect, cursor.description
                )
        except connection.dialect.loaded_dbapi.Error as error:
            if connection.dialect.is_disconnect(error, driver.dbapi_connection, cursor):
                connection.invalidate(error)
            raise exc.DBAPIError.instance(
                compiled.sql,
                bound,
                error,
                connection.dialect.loaded_dbapi.Error,
                dialect=connection.dialect,
            ) from error
        finally:
            cursor.close()
        make, processors = compiled.row, compiled.result_processors
        if processors and any(processors):
            return [
                make(
                    value if process is None else process(value)
                    for process, value in zip(processors, row, strict=True)
                )
                for row in fetched
            ]
        return [make(row) for row in fetched]

    def first(self, connection: Connection, params: Mapping[str, Any]) -> Any | None:
        """The first row found, or ``None``."""
        found = self.rows(connection, params)
        return found[0] if found else None

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = _compile(self.statement, dialect)
        return compiled


def _watched(connection: Connection) -> bool:
    """Whether anything listens to statement execution on `connection`."""
    dispatch = connection.dispatch
    return bool(
        dispatch.before_execute
        or dispatch.after_execute
        or dispatch.before_cursor_execute
        or dispatch.after_cursor_execute
    )


def _compile(statement: Select[Any], dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    if compiled.literal_execute_params or compiled.post_compile_params:
        raise TypeError(f"{statement} has parameters rendered at execution: not preparable")
    if compiled.escaped_bind_names:
        raise TypeError(f"{statement} has parameters renamed in its SQL: not preparable")
    binds = compiled.binds
    if compiled.positiontup is not None:
        order: list[str] = list(compiled.positiontup)
    else:
        order = list(binds)
    names = tuple((name, binds[name].value) for name in order)
    bind_processors: dict[str, Processor] = {}
    for name in order:
        bind_type = binds[name].type.dialect_impl(dialect)
        process = bind_type.bind_processor(dialect)
        if process is not None:
            bind_processors[name] = process
    columns = statement.selected_columns
    types = tuple(column.type.dialect_impl(dialect) for column in columns)
    row = cast(Any, namedtuple)("row", [column.key for column in columns], rename=True)._make
    positional = compiled.positiontup is not None
    return _Compiled(compiled.string, names, positional, bind_processors, types, row)


def _result_processors(
    types: tuple[TypeEngine[Any], ...], dialect: Dialect, description: Any
) -> tuple[Processor | None, ...]:
    """Each column's result processor, given the column types the driver reported (some
    depend on them: a PostgreSQL numeric, say)."""
    return tuple(
        kind.result_processor(dialect, column[1])
        for kind, column in zip(types, description, strict=True)
    )


def _bind(compiled: _Compiled, params: Mapping[str, Any]) -> Any:
    values = []
    for name, default in compiled.names:
        value = params.get(name, default)
        process = compiled.bind_processors.get(name)
        values.append(value if process is None else process(value))
    if compiled.positional:
        return tuple(values)
    return {name: value for (name, _), value in zip(compiled.names, values, strict=True)}
