"""What a command or job needs to reach the database: the settings, an engine, sessions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

import wage_guard.models  # noqa: F401  (every mapper is known before the first query)
from wage_guard.config import Settings
from wage_guard.db import make_engine, make_session_factory
from wage_guard.db.changes import TokenReader


@dataclass
class AppContext:
    """The settings and, made on first use, the engine and session factory built from them."""

    settings: Settings
    _engine: sa.Engine | None = field(default=None, repr=False)
    _token_reader: TokenReader | None = field(default=None, repr=False)

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = make_engine(
                self.settings.database_url, pool_size=self.settings.database_pool_size
            )
        return self._engine

    @property
    def token_reader(self) -> TokenReader:
        """The change tokens as the server's event loop reads them (``db.changes``)."""
        if self._token_reader is None:
            self._token_reader = TokenReader(self.engine)
        return self._token_reader

    @cached_property
    def session_factory(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed when the block ends, rolled back if it raises."""
        with self.session_factory() as session, session.begin():
            yield session

    def close_token_reader(self) -> None:
        """Close what the token reader opened on an event loop that is ending."""
        if self._token_reader is not None:
            self._token_reader.close()
            self._token_reader = None

    def close(self) -> None:
        self.close_token_reader()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
