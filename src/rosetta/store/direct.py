"""Prebuilt statements run on the driver's cursor, for the statements of the hottest paths
(reading a whole sample, which every fetch and every submission does, and writing a
submission).

SQLAlchemy spends about 50 µs of interpreter time on each execution of even a prebuilt,
cached statement (its cache lookup, execution context, parameter construction, events and
result wrapping), where the driver takes about 15 µs; a submission runs about 25
statements, and under load that interpreter time is what clients queue for. A `Prepared`
select, or a `PreparedWrite` insert, update or delete, is compiled once for each dialect
(an insert: for each set of columns given) and run on the connection's own driver
connection, in the connection's transaction (begun as SQLAlchemy would begin it), with
SQLAlchemy's bind and result processing applied where a type has any, and its errors
wrapped in SQLAlchemy's exception classes. Where anything listens to statement execution
on the connection (a test counting statements, say), it runs through SQLAlchemy instead,
so that listener sees it.
"""

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import CompoundSelect, Delete, Insert, Select, Update
from sqlalchemy.sql.type_api import TypeEngine

Processor = Callable[[Any], Any]
T = TypeVar("T")


@dataclass
class _Compiled:
    sql: str
    #: each parameter's name, its default (a value bound in the statement itself) and
    #: whether it must be given
    names: tuple[tuple[str, Any, bool], ...]
    positional: bool
    bind_processors: dict[str, Processor]


@dataclass
class _Columns:
    """A select's columns: their types, the row they make, and their result processors
    once the driver has named the columns' types."""

    types: tuple[TypeEngine[Any], ...]
    row: Callable[[Any], Any]
    processors: tuple[Processor | None, ...] | None = None


class Prepared:
    """A select built once and run on the driver; rows come back as named tuples of its
    columns (by the same names SQLAlchemy's rows have)."""

    def __init__(self, statement: Select[Any] | CompoundSelect[Any]) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[_Compiled, _Columns]] = {}

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[Any]:
        """Every row the select finds."""
        if _watched(connection):
            return list(connection.execute(self.statement, params).all())
        compiled, columns = self._for(connection.dialect)
        bound = _bind(compiled, params)
        fetched, description = _on_driver(connection, compiled.sql, bound, _fetched)
        if columns.processors is None:
            columns.processors = tuple(
                kind.result_processor(connection.dialect, column[1])
                for kind, column in zip(columns.types, description, strict=True)
            )
        make, processors = columns.row, columns.processors
        if any(processors):
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

    def _for(self, dialect: Dialect) -> tuple[_Compiled, _Columns]:
        found = self._compiled.get(dialect.name)
        if found is None:
            selected = self.statement.selected_columns
            row = cast(Any, namedtuple)("row", [c.key for c in selected], rename=True)._make
            types = tuple(column.type.dialect_impl(dialect) for column in selected)
            found = (_compile(self.statement, dialect), _Columns(types, row))
            self._compiled[dialect.name] = found
        return found


class PreparedWrite:
    """An insert, update or delete built once and run on the driver, once for each set of
    parameters given (the driver's ``executemany``). An insert without values of its own
    inserts the columns the parameter sets name (each names the same ones)."""

    def __init__(self, statement: Insert | Update | Delete) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, tuple[str, ...]], _Compiled] = {}

    def run(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> int:
        """Run the statement for each of `rows`; for an update or a delete, the number of
        rows it changed in all (where ``Dialect.supports_sane_multi_rowcount`` says the
        driver counts them; an insert's count is the driver's, -1 perhaps)."""
        if not rows:
            return 0
        if _watched(connection):
            return int(connection.execute(self.statement, list(rows)).rowcount)
        keys = tuple(rows[0]) if isinstance(self.statement, Insert) else ()
        compiled = self._for(connection.dialect, keys)
        bound = [_bind(compiled, row) for row in rows]
        return _on_driver(connection, compiled.sql, bound, _rowcount, many=True)

    def _for(self, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
        compiled = self._compiled.get((dialect.name, keys))
        if compiled is None:
            compiled = self._compiled[(dialect.name, keys)] = _compile(
                self.statement, dialect, keys
            )
        return compiled


def _rowcount(cursor: Any) -> int:
    return int(cursor.rowcount)


def _fetched(cursor: Any) -> tuple[list[Any], Any]:
    """The rows found and the driver's description of their columns."""
    return cursor.fetchall(), cursor.description


def _on_driver(
    connection: Connection, sql: str, bound: Any, use: Callable[[Any], T], *, many: bool = False
) -> T:
    """`use` the driver's cursor after running `sql` with `bound` on it (each of `bound`
    with `many`), in the connection's transaction (begun as SQLAlchemy's autobegin would
    begin it), with the driver's errors raised as SQLAlchemy raises them."""
    if not connection.in_transaction():
        connection.begin()
    driver = connection.connection
    cursor = driver.cursor()
    try:
        if many:
            cursor.executemany(sql, bound)
        else:
            cursor.execute(sql, bound)
        return use(cursor)
    except connection.dialect.loaded_dbapi.Error as error:
        if connection.dialect.is_disconnect(error, driver.dbapi_connection, cursor):
            connection.invalidate(error)
        raise exc.DBAPIError.instance(
            sql, bound, error, connection.dialect.loaded_dbapi.Error, dialect=connection.dialect
        ) from error
    finally:
        cursor.close()


def _watched(connection: Connection) -> bool:
    """Whether anything listens to statement execution on `connection`."""
    dispatch = connection.dispatch
    return bool(
        dispatch.before_execute
        or dispatch.after_execute
        or dispatch.before_cursor_execute
        or dispatch.after_cursor_execute
    )


def _compile(
    statement: Select[Any] | CompoundSelect[Any] | Insert | Update | Delete,
    dialect: Dialect,
    keys: tuple[str, ...] = (),
) -> _Compiled:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys) or None)
    if compiled.literal_execute_params or compiled.post_compile_params:
        raise TypeError(f"{statement} has parameters rendered at execution: not preparable")
    if compiled.escaped_bind_names:
        raise TypeError(f"{statement} has parameters renamed in its SQL: not preparable")
    binds = compiled.binds
    if compiled.positiontup is not None:
        order: list[str] = list(compiled.positiontup)
    else:
        order = list(binds)
    names = tuple((name, binds[name].value, binds[name].required) for name in order)
    bind_processors: dict[str, Processor] = {}
    for name in order:
        bind_type = binds[name].type.dialect_impl(dialect)
        process = bind_type.bind_processor(dialect)
        if process is not None:
            bind_processors[name] = process
    positional = compiled.positiontup is not None
    return _Compiled(compiled.string, names, positional, bind_processors)


def _bind(compiled: _Compiled, params: Mapping[str, Any]) -> Any:
    values = []
    for name, default, required in compiled.names:
        if name in params:
            value = params[name]
        elif required:
            raise exc.InvalidRequestError(f"A value is required for bind parameter {name!r}")
        else:
            value = default
        process = compiled.bind_processors.get(name)
        values.append(value if process is None else process(value))
    if compiled.positional:
        return tuple(values)
    return {name: value for (name, _, _), value in zip(compiled.names, values, strict=True)}
