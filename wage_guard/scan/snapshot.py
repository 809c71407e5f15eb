"""One read snapshot for a whole scan, on several connections at once (RELIABILITY.md 2:
every rule of a run sees the data as the scan began).

A scan reads on its main connection and on ``helpers`` more, so that the database computes
the passes over the big tables side by side while the checks work in Python. Every connection
sees the same committed state:

- PostgreSQL: the main connection's REPEATABLE READ transaction exports its snapshot
  (``pg_export_snapshot``), and each helper's transaction begins with ``SET TRANSACTION
  SNAPSHOT`` of it.
- SQLite (WAL): readers see the last commit as of their first read, so the read transactions
  are all begun while another connection holds the write lock (``BEGIN IMMEDIATE``), which no
  commit can pass; the lock is let go as soon as they have begun. When the lock is taken (an
  import is writing) or the database lives in memory (each connection its own database), the
  scan reads on its main connection alone.

Nothing is written on these connections: leaving the block rolls every transaction back.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa

log = logging.getLogger(__name__)

# What pg_export_snapshot() returns, e.g. 00000003-0000001B-1.
_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")


@dataclass
class Snapshot:
    """The main connection and the helpers that read the same committed state."""

    connection: sa.Connection
    helpers: list[sa.Connection] = field(default_factory=list)


@contextmanager
def read_snapshot(engine: sa.Engine, *, helpers: int = 0) -> Iterator[Snapshot]:
    """A read-only snapshot on a main connection and up to ``helpers`` more."""
    with ExitStack() as stack:
        main = stack.enter_context(engine.connect())
        if engine.dialect.name == "postgresql":
            yield _postgresql(engine, stack, main, helpers)
        else:
            yield _sqlite(engine, stack, main, helpers)


def _postgresql(engine: sa.Engine, stack: ExitStack, main: sa.Connection, helpers: int) -> Snapshot:
    main.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    snapshot = Snapshot(main)
    if helpers <= 0:
        return snapshot
    exported = main.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
    if not _SNAPSHOT_ID.fullmatch(exported):
        raise RuntimeError(f"unexpected snapshot id {exported!r}")
    for _ in range(helpers):
        helper = stack.enter_context(engine.connect())
        helper.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        # A utility statement: it takes no bound parameter, hence the checked literal.
        helper.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{exported}'")
        snapshot.helpers.append(helper)
    return snapshot


def _begin_read(connection: sa.Connection) -> None:
    """Begin a read transaction and take its snapshot (pysqlite begins none for reads)."""
    connection.exec_driver_sql("BEGIN")
    connection.exec_driver_sql("SELECT COUNT(*) FROM sqlite_master").scalar_one()


def _sqlite(engine: sa.Engine, stack: ExitStack, main: sa.Connection, helpers: int) -> Snapshot:
    snapshot = Snapshot(main)
    if helpers <= 0 or engine.url.database in (None, "", ":memory:"):
        _begin_read(main)
        return snapshot
    with engine.connect() as lock:
        timeout = lock.exec_driver_sql("PRAGMA busy_timeout").scalar_one()
        lock.exec_driver_sql("PRAGMA busy_timeout = 0")
        try:
            lock.exec_driver_sql("BEGIN IMMEDIATE")
            held = True
        except sa.exc.OperationalError:
            log.info("the database is being written: the scan reads on one connection")
            held = False
        try:
            _begin_read(main)
            if held:
                for _ in range(helpers):
                    helper = stack.enter_context(engine.connect())
                    _begin_read(helper)
                    snapshot.helpers.append(helper)
        finally:
            if held:
                lock.exec_driver_sql("ROLLBACK")
            lock.exec_driver_sql(f"PRAGMA busy_timeout = {int(timeout)}")
    return snapshot
