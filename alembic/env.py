"""Alembic environment: one migration tree for SQLite and PostgreSQL.

The connection comes from ``config.attributes["connection"]`` when wage_guard runs the
migrations itself, otherwise from the settings (never from alembic.ini).
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate.api import AutogenContext

from alembic import context
from wage_guard.config import load_settings
from wage_guard.db import make_engine
from wage_guard.db.base import Money, UTCDateTime
from wage_guard.models import Base

config = context.config
target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Render the portable types by their database type, so migrations never import the app."""
    if type_ == "type" and isinstance(obj, Money):
        return "sa.Numeric(precision=14, scale=2)"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(load_settings().database_url)
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("wage_guard migrations run online only: use `wage-guard db upgrade`")
run_migrations_online()
