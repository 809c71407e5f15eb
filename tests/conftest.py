"""Test fixtures: a real database built by the migrations, on SQLite and on PostgreSQL.

Every test that asks for ``db_url`` runs on SQLite, and again on PostgreSQL when
``WAGE_GUARD_TEST_DATABASE_URL`` is set. Each test session gets a PostgreSQL database of
its own (created and dropped here), so concurrent runs never share data.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from wage_guard.config import Settings
from wage_guard.db import make_engine, make_session_factory, normalize_url
from wage_guard.db.changes import AREAS
from wage_guard.db.migrate import upgrade

PG_ENV = "WAGE_GUARD_TEST_DATABASE_URL"
SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(PG_ENV) else ["sqlite"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once; each test copies it."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this test session, migrated to head, dropped at the end."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set")
    base_url = make_url(normalize_url(base))
    name = f"wg_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = base_url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _empty_postgres(url: str) -> None:
    """Remove every row a test may have written; keep the schema and the shipped seed."""
    from wage_guard.models import Base

    engine = make_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        conn.execute(
            sa.text(
                "INSERT INTO minimum_wages (region, effective_from, monthly, hourly_part_time) "
                "VALUES ('*', '2021-07-01', 2320.00, 24.40), ('*', '2025-09-01', 2510.00, 26.60)"
            )
        )
        # New tokens, as a new database has: nothing remembered of the last test is valid.
        for area in AREAS:
            conn.execute(
                sa.text(
                    "INSERT INTO change_tokens (area, token) "
                    "VALUES (:area, md5(random()::text || clock_timestamp()::text))"
                ),
                {"area": area},
            )
    engine.dispose()


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database at the newest schema, on each configured backend."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "wage_guard.db"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: sa.Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as sess:
        yield sess


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url)


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner of the ``wage-guard`` command line against the test database."""
    monkeypatch.setenv("WAGE_GUARD_DATABASE_URL", db_url)
    monkeypatch.delenv("WAGE_GUARD_CONFIG", raising=False)
    return CliRunner()
