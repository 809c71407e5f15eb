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


def test_queue_order_of_stored_alerts_matches_the_models(engine: sa.Engine) -> None:
    """Revision 0002 ranks the alerts already stored as ``queue_order`` ranks new ones."""
    from tests.scan.builders import load
    from wage_guard.alerts.orm import queue_order

    downgrade(engine, "0001")
    project_ids = load(engine, {"projects": [{"code": "P1"}]})
    cases = [
        ("red", "12345.67", 12),
        ("orange", None, None),
        ("yellow", "0.01", 200_000),
        ("red", "999999999999.99", 1),
    ]
    with engine.begin() as conn:
        for n, (level, arrears, workers) in enumerate(cases):
            conn.execute(
                sa.text(
                    "INSERT INTO alerts (rule_id, project_id, fingerprint, level, status, "
                    "first_seen, last_seen, arrears, workers_affected, evidence, message_zh, "
                    "message_en, version) VALUES ('r', :p, :f, :l, 'open', :t, :t, :a, :w, "
                    "'{}', '', '', 1)"
                ),
                {
                    "p": project_ids["P1"],
                    "f": f"fp{n}",
                    "l": level,
                    "t": "2026-01-01 00:00:00+00:00",
                    "a": arrears,
                    "w": workers,
                },
            )
    upgrade(engine)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT queue_order FROM alerts ORDER BY id")).scalars()
        assert list(stored) == [
            queue_order(level, arrears and float(arrears), workers)
            for level, arrears, workers in cases
        ]
