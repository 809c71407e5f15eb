"""Change tokens: one per area of the database, replaced by a new random token in the same
transaction as every write to the area's tables, so that what was read from them can be
remembered for as long as the token stays the same.

The database keeps them, with triggers (migration 0004), so that no write can forget:

- ``alert_store``: ``alerts``, ``alert_events``, ``projects`` and ``enterprises`` (what the
  warning queue shows and whose projects each caller sees);
- ``access``: ``users`` and ``api_tokens`` (who a bearer token is, its role and scope), except
  a token's ``last_used_at``.

A reader takes the token before the data, so that what it reads is at least as new as the
token says; a token is random, so a transaction that wrote and rolled back leaves no token
anyone else will see. A transaction that has written neither uses nor keeps remembered
values: what it reads is not yet anyone else's, and on PostgreSQL the token is renewed once
per transaction. There the triggers run before each statement, so that a writer takes the
token's row lock before any row of the area and writers cannot deadlock on it.

A request answered from remembered values alone (the warning queue, asked again) takes the
tokens from the event loop's ``TokenReader``, one read shared by the requests that came
before it started, and needs neither a worker thread nor a pooled connection.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

import psycopg
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from wage_guard.db.base import Base

V = TypeVar("V")
log = logging.getLogger(__name__)

ALERT_STORE = "alert_store"
ACCESS = "access"
# Each area and the tables whose writes change its token (migration 0004 installs them).
AREAS: dict[str, tuple[str, ...]] = {
    ALERT_STORE: ("alerts", "alert_events", "projects", "enterprises"),
    ACCESS: ("users", "api_tokens"),
}


class ChangeToken(Base):
    """The current token of one area of the database."""

    __tablename__ = "change_tokens"

    area: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(32))


_TOKENS = "SELECT area, token FROM change_tokens"
# Where a connection keeps the tokens it read, until its next write, commit or rollback,
# and whether its transaction has written.
_READ = "wage_guard.change_tokens"
_WROTE = "wage_guard.wrote"


def change_token(session: Session, area: str) -> str:
    """The area's token as the session's transaction last saw it: every area's token is read
    in one query, once per transaction until it writes (``forget_tokens_on_write``)."""
    connection = session.connection()
    tokens: dict[str, str] | None = connection.info.get(_READ)
    if tokens is None:
        # Read on nearly every request: straight through the driver's cursor, a plain
        # statement without parameters, at a fraction of the cost of an executed statement.
        cursor = connection.connection.cursor()
        try:
            cursor.execute(_TOKENS)
            tokens = {str(area): str(token) for area, token in cursor.fetchall()}
        finally:
            cursor.close()
        connection.info[_READ] = tokens
    return tokens[area]


def forget_tokens_on_write(engine: sa.Engine) -> None:
    """Make ``engine``'s connections forget the tokens they read at every statement other
    than a read (it may renew one), at every commit and rollback, and when going back to the
    pool: a token is never used past a write of its own transaction, nor past that
    transaction's end."""

    def forget(connection: sa.Connection, *_: object) -> None:
        connection.info.pop(_READ, None)
        connection.info.pop(_WROTE, None)

    def before_statement(
        connection: sa.Connection, _cursor: object, statement: str, *_: object
    ) -> None:
        if statement.lstrip()[:6].upper() != "SELECT":
            connection.info.pop(_READ, None)
            # A write in autocommit is committed at once: nothing unshared follows it.
            if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
                connection.info[_WROTE] = True

    def returned(_dbapi_connection: object, record: Any) -> None:
        record.info.pop(_READ, None)
        record.info.pop(_WROTE, None)

    sa.event.listen(engine, "before_cursor_execute", before_statement)
    sa.event.listen(engine, "commit", forget)
    sa.event.listen(engine, "rollback", forget)
    sa.event.listen(engine.pool, "checkin", returned)


def _engine_url(session: Session) -> str:
    bind = session.get_bind()
    engine = bind if isinstance(bind, sa.Engine) else bind.engine
    return database_key(engine)


def database_key(engine: sa.Engine) -> str:
    """How remembered values name the database they were read from."""
    return str(engine.url)


class Remembered(Generic[V]):
    """Values computed from one area, each kept while the area's token is unchanged.

    Keys are the database, the token and the caller's key; the least recently used values
    are forgotten first once their weights (by default 1 each) pass ``capacity``. None is
    never remembered (an unknown key must not push out known ones).
    """

    def __init__(self, area: str, *, capacity: int, weigh: Callable[[V], int] = lambda _: 1):
        self.area = area
        self.capacity = capacity
        self._weigh = weigh
        self._values: OrderedDict[tuple[Hashable, ...], tuple[V, int]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, session: Session, key: Hashable, compute: Callable[[], V]) -> V:
        """The value remembered under ``key`` for the area's current token, or ``compute()``
        remembered under it; always ``compute()`` in a transaction that has written."""
        if session.connection().info.get(_WROTE):
            return compute()
        full_key = (_engine_url(session), change_token(session, self.area), key)
        remembered = self._find(full_key)
        if remembered is not None:
            return remembered
        value = compute()
        if value is None:
            return value
        weight = self._weigh(value)
        if weight > self.capacity:
            return value
        with self._lock:
            previous = self._values.pop(full_key, None)
            if previous is not None:
                self._weight -= previous[1]
            self._values[full_key] = (value, weight)
            self._weight += weight
            while self._weight > self.capacity:
                _, (_, dropped) = self._values.popitem(last=False)
                self._weight -= dropped
        return value

    def peek(self, database: str, tokens: dict[str, str], key: Hashable) -> V | None:
        """The value remembered under ``key`` for the area's token in ``tokens`` (read by a
        ``TokenReader`` of ``database``), or None: nothing is computed."""
        return self._find((database, tokens[self.area], key))

    def _find(self, full_key: tuple[Hashable, ...]) -> V | None:
        with self._lock:
            found = self._values.get(full_key)
            if found is None:
                return None
            self._values.move_to_end(full_key)
            return found[0]

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._weight = 0


class TokenReader:
    """The tokens, read on the event loop for requests that can be answered from remembered
    values without a worker thread or a pooled connection.

    One read serves every request that arrived before it started, so that a busy server
    sends one statement where it would send one per request; a request that arrives while
    a read is under way waits for the next one, since the read under way may have missed a
    write committed just before the request came. Each read is a statement of its own
    (autocommit), so it sees every transaction committed before it started.

    PostgreSQL is read through one asynchronous psycopg connection of the worker's event
    loop, opened on first use and reopened after an error; SQLite, which has no asynchronous
    driver, in a worker thread, once for all the requests waiting. ``read`` returns None
    when the database cannot be reached: the caller then takes its usual path, which
    reports the error.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.database = database_key(engine)
        self._reads_started = 0
        self._under_way: tuple[int, asyncio.Future[dict[str, str]]] | None = None
        self._connection: psycopg.AsyncConnection[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def read(self) -> dict[str, str] | None:
        """Every area's token, as read by a statement that started after this call."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # A new event loop (a test client's) cannot use what the old one opened.
            self._forget_connection()
            self._under_way = None
            self._loop = loop
        needed = self._reads_started + 1
        while True:
            if self._under_way is None:
                self._reads_started += 1
                self._under_way = (self._reads_started, loop.create_task(self._read_once()))
            number, read = self._under_way
            try:
                # Shielded: a client that goes away does not cancel the others' read.
                tokens = await asyncio.shield(read)
            except Exception:
                log.warning("change tokens could not be read", exc_info=True)
                return None
            if number >= needed:
                return tokens

    async def _read_once(self) -> dict[str, str]:
        try:
            return {str(area): str(token) for area, token in await self._fetch()}
        finally:
            if self._under_way is not None and self._under_way[1] is asyncio.current_task():
                self._under_way = None

    async def _fetch(self) -> list[tuple[Any, ...]]:
        if self.engine.dialect.name == "postgresql":
            return await self._read_postgresql()
        return await asyncio.to_thread(self._read_in_thread)

    async def _read_postgresql(self) -> list[tuple[Any, ...]]:
        if self._connection is None or self._connection.closed:
            url = self.engine.url.set(drivername="postgresql")
            self._connection = await psycopg.AsyncConnection.connect(
                url.render_as_string(hide_password=False), autocommit=True, connect_timeout=10
            )
        try:
            cursor = await self._connection.execute(_TOKENS)
            return await cursor.fetchall()
        except Exception:
            self._forget_connection()
            raise

    def _read_in_thread(self) -> list[tuple[Any, ...]]:
        with self.engine.connect() as connection:
            return [tuple(row) for row in connection.exec_driver_sql(_TOKENS)]

    def _forget_connection(self) -> None:
        if self._connection is not None:
            # Closed at once, without the event loop it was opened on.
            self._connection.pgconn.finish()
            self._connection = None

    def close(self) -> None:
        """Close the connection, if one is open."""
        self._forget_connection()
