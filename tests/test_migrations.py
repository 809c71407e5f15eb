"""One migration tree for SQLite and PostgreSQL: up, down, and in step with the models."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from wage_guard.db.migrate import current_revision, downgrade, head_revision, upgrade
from wage_guard.models import Base


def test_models_match_migrations(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_to_base_and_back(engine: sa.Engine) -> None:
    assert current_revision(engine) == head_revision()
    downgrade(engine, "base")
    assert current_revision(engine) is None
    tables = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert set(Base.metadata.tables) <= set(sa.inspect(engine).get_table_names())


def test_shipped_minimum_wage_is_seeded(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT monthly FROM minimum_wages WHERE region = '*' ORDER BY effective_from")
        ).scalars()
        assert [str(round(float(v), 2)) for v in rows] == ["2320.0", "2510.0"]


def test_sqlite_runs_with_foreign_keys_and_wal(engine: sa.Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
