"""Engines and sessions for SQLite (foreign keys on, WAL) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import ctypes
import importlib
import logging
import sqlite3
import sys
import threading
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from wage_guard.db.changes import forget_tokens_on_write

log = logging.getLogger(__name__)


def normalize_url(url: str) -> str:
    """Pick the psycopg 3 driver for a bare ``postgresql://`` or ``postgres://`` URL."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


# SQLITE_CONFIG_MEMSTATUS, sqlite3_config's option for the memory statistics.
_SQLITE_CONFIG_MEMSTATUS = 9
_memory_statistics = threading.Lock()
_memory_statistics_off = False


def sqlite_memory_statistics_off() -> bool:
    """Turn off the SQLite library's memory statistics for this process, as SQLite advises
    for speed (``SQLITE_CONFIG_MEMSTATUS``; wage_guard reads none of them). While they are on,
    every allocation of every connection passes one lock of the process: a big ``GROUP BY``
    allocating for each of its groups runs a third slower alone, and two of them side by side
    (a scan's connections) several times slower.

    The setting takes effect only while the library is shut down, which is safe when no
    connection holds any of its memory: so it is done before the process's first connection
    (``make_engine`` calls this), and left alone otherwise. True when the statistics are off
    (already, or now); False when they stay on (a connection was open, or, off Linux, the
    library's C functions are not reached from here).
    """
    global _memory_statistics_off
    with _memory_statistics:
        if _memory_statistics_off:
            return True
        if sys.platform != "linux":
            return False
        try:
            # The library the sqlite3 module's C part is linked with, found through its handle.
            library = ctypes.CDLL(importlib.import_module("_sqlite3").__file__)
            memory_used = library.sqlite3_memory_used
        except (ImportError, OSError, AttributeError):
            return False
        memory_used.restype = ctypes.c_int64
        probe = sqlite3.connect(":memory:")
        counted = memory_used() > 0
        probe.close()
        if counted and memory_used() != 0:
            log.info("an SQLite connection is open: its memory statistics stay on")
            return False
        if counted:  # else nothing is counted: they are off already
            library.sqlite3_shutdown()
            status = library.sqlite3_config(_SQLITE_CONFIG_MEMSTATUS, ctypes.c_int(0))
            library.sqlite3_initialize()
            if status != 0:
                return False
        _memory_statistics_off = True
        return True


# A pooled connection idle longer than this is pinged before use (seconds).
PING_AFTER_IDLE = 5.0
_RETURNED_AT = "wage_guard.returned_at"


def _ping_when_idle(engine: sa.Engine) -> None:
    """Ping a pooled connection before use when it has been idle a while, and replace it if
    the server is gone (restarted, or the connection timed out): a busy server reuses its
    connections within milliseconds and so pays no round trip for it on each request."""

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED_AT)
        if returned is not None and time.monotonic() - returned < PING_AFTER_IDLE:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise sa.exc.DisconnectionError(str(exc)) from exc
        if not alive:
            raise sa.exc.DisconnectionError("the database did not answer a ping")

    def checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    sa.event.listen(engine.pool, "checkout", checkout)
    sa.event.listen(engine.pool, "checkin", checkin)


def make_engine(url: str, *, pool_size: int = 40, **kwargs: Any) -> sa.Engine:
    """An engine for ``url``; SQLite connections get foreign keys, WAL and a busy timeout (and
    the library its memory statistics off, ``sqlite_memory_statistics_off``).

    The pool opens up to ``pool_size`` connections as they are needed and keeps them (ten
    more are opened for a burst, and closed after): a busy server that closed and reopened
    connections beyond a smaller pool (a new PostgreSQL backend each time) spent more on
    that than on its requests.
    """
    url = normalize_url(url)
    if url.startswith("sqlite"):
        sqlite_memory_statistics_off()
        engine = sa.create_engine(url, pool_size=pool_size, **kwargs)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = sa.create_engine(url, pool_size=pool_size, **kwargs)
        _ping_when_idle(engine)
    forget_tokens_on_write(engine)
    return engine


def make_session_factory(engine: sa.Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; the caller (command, request, job) owns the commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)
