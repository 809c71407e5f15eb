"""Fast bulk writes on a connection's own transaction, for imports of a million rows.

SQLite gets one DBAPI ``executemany`` of tuples; PostgreSQL gets ``COPY ... FROM STDIN``
through psycopg 3. Values go to the driver as they are, without SQLAlchemy's type
processing, and the database parses text into numbers and dates. Money stays exact:
PostgreSQL reads ``1234.50`` into ``numeric`` as written; SQLite, whose ``NUMERIC`` holds a
double, rounds it once to the nearest double, from which ``Money`` reads back the same
cents (an amount of ``Numeric(14, 2)`` has 14 significant digits, a double 15).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

# SQLite's page cache during a bulk load, in KiB: with the indexes of a large table in
# memory, inserting a million rows takes half the time of the 2 MB default.
SQLITE_BULK_CACHE_KIB = 65_536
SQLITE_IN_BATCH = 10_000  # values per IN list, within SQLite's 32,766 variables


def _driver_connection(connection: sa.Connection) -> Any:
    return connection.connection.driver_connection


def bulk_insert(
    connection: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``table`` in the current
    transaction of ``connection``."""
    preparer = connection.dialect.identifier_preparer
    target = preparer.format_table(table)
    names = ", ".join(preparer.quote(name) for name in columns)
    driver = _driver_connection(connection)
    dialect = connection.dialect.name
    if dialect == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    elif dialect == "sqlite":
        marks = ", ".join("?" for _ in columns)
        cursor = driver.cursor()
        try:
            cursor.executemany(f"INSERT INTO {target} ({names}) VALUES ({marks})", rows)
        finally:
            cursor.close()
    else:
        raise NotImplementedError(f"no bulk insert for {dialect}")


def stored_values(
    connection: sa.Connection, column: sa.Column[Any], values: Sequence[Any]
) -> set[Any]:
    """Which of ``values`` are already in ``column``: one query on PostgreSQL (``= ANY``),
    plain ``IN`` lists of ``SQLITE_IN_BATCH`` on SQLite, with no per-value work in Python."""
    preparer = connection.dialect.identifier_preparer
    target = preparer.format_table(column.table)
    name = preparer.quote(column.name)
    found: set[Any] = set()
    driver = _driver_connection(connection)
    cursor = driver.cursor()
    try:
        if connection.dialect.name == "postgresql":
            cursor.execute(f"SELECT {name} FROM {target} WHERE {name} = ANY(%s)", [list(values)])
            found.update(row[0] for row in cursor.fetchall())
            return found
        for start in range(0, len(values), SQLITE_IN_BATCH):
            batch = values[start : start + SQLITE_IN_BATCH]
            marks = ", ".join("?" for _ in batch)
            cursor.execute(f"SELECT {name} FROM {target} WHERE {name} IN ({marks})", batch)
            found.update(row[0] for row in cursor.fetchall())
    finally:
        cursor.close()
    return found


def driver_value(connection: sa.Connection, column: sa.Column[Any], value: Any) -> Any:
    """``value`` as SQLAlchemy would pass it to the driver for ``column`` (a timestamp as
    SQLite stores it, for instance), to repeat in every row of a bulk insert."""
    dialect = connection.dialect
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process(value) if process is not None else value


@contextmanager
def bulk_load(connection: sa.Connection) -> Iterator[None]:
    """Tune ``connection`` for a large write while the block runs, then restore it.

    On SQLite the page cache grows to ``SQLITE_BULK_CACHE_KIB`` so that index pages stay in
    memory; PostgreSQL needs nothing.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    # On the driver's connection, so that SQLAlchemy begins no transaction for it.
    driver = _driver_connection(connection)
    (previous,) = driver.execute("PRAGMA cache_size").fetchone()
    driver.execute(f"PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}")
    try:
        yield
    finally:
        driver.execute(f"PRAGMA cache_size = {int(previous)}")
