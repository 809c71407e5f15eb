"""Engines and sessions for SQLite (foreign keys on, WAL) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from wage_guard.db.changes import forget_tokens_on_write


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
    """An engine for ``url``; SQLite connections get foreign keys, WAL and a busy timeout.

    The pool opens up to ``pool_size`` connections as they are needed and keeps them (ten
    more are opened for a burst, and closed after): a busy server that closed and reopened
    connections beyond a smaller pool (a new PostgreSQL backend each time) spent more on
    that than on its requests.
    """
    url = normalize_url(url)
    if url.startswith("sqlite"):
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
