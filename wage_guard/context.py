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


@dataclass
class AppContext:
    """The settings and, made on first use, the engine and session factory built from them."""

    settings: Settings
    _engine: sa.Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = make_engine(
                self.settings.database_url, pool_size=self.settings.database_pool_size
            )
        return self._engine

    @cached_property
    def session_factory(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed when the block ends, rolled back if it raises."""
        with self.session_factory() as session, session.begin():
            yield session

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
