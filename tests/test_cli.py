"""The command line's own behaviour: help, and the database commands."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from wage_guard.cli import app
from wage_guard.db import make_engine
from wage_guard.db.migrate import current_revision, head_revision


def test_help_lists_the_command_groups() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for group in ("db", "import", "demo"):
        assert group in result.output


def test_db_upgrade_creates_a_fresh_sqlite_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("WAGE_GUARD_DATABASE_URL", url)
    runner = CliRunner()
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"revision {head_revision()}" in result.output
    engine = make_engine(url)
    assert current_revision(engine) == head_revision()
    assert "payroll_lines" in sa.inspect(engine).get_table_names()
    engine.dispose()
    result = runner.invoke(app, ["db", "current"])
    assert "up to date" in result.output


def test_db_current_on_the_test_database(cli: CliRunner) -> None:
    result = cli.invoke(app, ["db", "current"])
    assert result.exit_code == 0
    assert "up to date" in result.output
