"""Set-based writes for big batches: one driver ``executemany`` (PostgreSQL: one COPY) per statement.

SQLAlchemy Core processes every value of every row (a date-time becomes a string on SQLite)
and builds a parameter set per row; for tens of thousands of rows that costs more than the
database itself. Here each distinct value goes through its column's type once, and the rows
go to the driver as they are. On PostgreSQL an executemany is still one statement per row on
the server, so rows are inserted with COPY instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from tidings.store.schema import UTCDateTime

# Converted values by (column type, value), shared by the statements of one batch.
Memo = dict[tuple[type, Any], Any]


def sqlite_utc(value: datetime) -> str:
    """An aware date-time as UTCDateTime stores it on SQLite (SQLAlchemy's format), written directly."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store")
    v = value.astimezone(UTC)
    return (f"{v.year:04d}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d}:{v.second:02d}"
            f".{v.microsecond:06d}")


def _processor(column: sa.Column[Any], dialect: sa.Dialect, memo: Memo) -> Callable[[Any], Any] | None:
    process: Callable[[Any], Any] | None = column.type.dialect_impl(dialect).bind_processor(dialect)
    if isinstance(column.type, UTCDateTime) and dialect.name == "sqlite":
        process = sqlite_utc  # a quarter of the cost of the type's two processing steps
    if process is None:
        return None
    kind = type(column.type)

    def cached(value: Any) -> Any:
        # Rows share times (the import's, a consent time in two tables): convert each one once.
        if value is None:
            return None
        try:
            return memo[kind, value]
        except KeyError:
            memo[kind, value] = result = process(value)
            return result

    return cached


def execute_many(connection: sa.Connection, statement: sa.Insert | sa.Update, keys: Sequence[str],
                 rows: Sequence[tuple[Any, ...]], types: sa.Table, memo: Memo | None = None) -> None:
    """Run ``statement`` once per row on the driver; ``types`` converts the values (by column name).

    Each row holds the values of ``keys`` in that order. A key named ``_x`` is converted as column
    ``x`` (bind parameters of an UPDATE cannot share a column's name). Calls given the same
    ``memo`` share conversions.
    """
    if not rows:
        return
    dialect = connection.dialect
    compiled = statement.compile(dialect=dialect, column_keys=list(keys) if isinstance(statement, sa.Insert)
                                 else None)
    order = list(compiled.positiontup or keys)
    if order != list(keys):  # the statement wants its parameters in another order
        rows = [tuple(row[keys.index(k)] for k in order) for row in rows]
    memo = {} if memo is None else memo
    changed = [(i, fn) for i, k in enumerate(order)
               if (fn := _processor(types.c[k.removeprefix("_")], dialect, memo)) is not None]
    params: list[Any] = list(rows)
    if changed:
        params = []
        for row in rows:
            values = list(row)
            for i, fn in changed:
                values[i] = fn(values[i])
            params.append(tuple(values))
    if isinstance(statement, sa.Insert) and dialect.name == "postgresql":
        _copy(connection, statement.table, order, params)
        return
    if not compiled.positiontup:  # named drivers (psycopg) take dictionaries
        params = [dict(zip(order, values, strict=True)) for values in params]
    connection.exec_driver_sql(compiled.string, params)


def _copy(connection: sa.Connection, table: Any, columns: list[str], rows: list[Any]) -> None:
    """PostgreSQL: ``COPY … FROM STDIN`` (one round trip, not one statement per row)."""
    quote = connection.dialect.identifier_preparer
    names = ", ".join(quote.quote(c) for c in columns)
    cursor: Any = connection.connection.cursor()  # the psycopg cursor, in this transaction
    try:
        with cursor.copy(f"COPY {quote.format_table(table)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()
