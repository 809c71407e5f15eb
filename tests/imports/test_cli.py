"""``wage-guard import``: exit codes, the summary, every error, ``--dry-run`` and ``--json``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from wage_guard.cli import app
from wage_guard.db import make_engine

from .files import PAYROLL_HEADER, import_projects, payroll_row, resident_id, row_counts, write_csv


@pytest.fixture
def database(db_url: str, tmp_path: Path) -> Iterator[sa.Engine]:
    """The test database with project P001 in it."""
    engine = make_engine(db_url)
    import_projects(engine, tmp_path)
    yield engine
    engine.dispose()


def data_counts(engine: sa.Engine) -> dict[str, int]:
    counts = row_counts(engine)
    del counts["import_batches"]
    return counts


def test_a_gb18030_payroll_with_a_bad_id_on_row_7_imports_nothing(
    cli: CliRunner, database: sa.Engine, tmp_path: Path
) -> None:
    rows = [payroll_row(n, n) for n in range(1, 10)]
    valid = resident_id(6)
    bad = valid[:-1] + ("1" if valid[-1] == "0" else "0")
    rows[5][3] = bad  # the header is row 1, so this is row 7
    path = write_csv(tmp_path / "工资表.csv", PAYROLL_HEADER, rows, encoding="gb18030")
    before = data_counts(database)
    result = cli.invoke(app, ["import", "payroll", str(path)])
    assert result.exit_code == 1
    masked = f"{bad[:6]}********{bad[-4:]}"
    assert (
        f"row 7, id_number, id_checksum, {masked}: ID number check character does not match "
        "(GB 11643-1999)"
    ) in result.stdout
    assert "rejected payroll file 工资表.csv" in result.stdout
    assert bad not in result.output
    assert data_counts(database) == before


def test_an_imported_file_is_summarised_and_a_second_time_is_a_duplicate(
    cli: CliRunner, database: sa.Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "p.csv", PAYROLL_HEADER, [payroll_row(1, 1), payroll_row(2, 2)])
    result = cli.invoke(app, ["import", "payroll", str(path)])
    assert result.exit_code == 0, result.output
    batch = database.connect().execute(sa.text("SELECT max(id) FROM import_batches")).scalar()
    assert result.stdout.splitlines() == [
        f"imported payroll file p.csv as batch {batch}: 2 rows; 2 inserted, 0 replaced, "
        "0 unchanged",
        "warning: columns not imported: 序号",
    ]
    again = cli.invoke(app, ["import", "payroll", str(path)])
    assert again.exit_code == 0
    assert again.stdout.startswith(f"p.csv was already imported as batch {batch}; nothing")


def test_a_dry_run_writes_nothing(cli: CliRunner, database: sa.Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", PAYROLL_HEADER, [payroll_row(1, 1)])
    before = row_counts(database)
    result = cli.invoke(app, ["import", "payroll", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("dry run: payroll file p.csv is valid: 1 row; would insert 1")
    assert row_counts(database) == before


def test_json_prints_only_the_report(cli: CliRunner, database: sa.Engine, tmp_path: Path) -> None:
    rows = [payroll_row(1, 1), payroll_row(2, 2, payable="-1", paid="0", paid_on=None)]
    path = write_csv(tmp_path / "p.csv", PAYROLL_HEADER, rows)
    result = cli.invoke(app, ["import", "payroll", str(path), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert list(report) == [
        "batch_id",
        "status",
        "kind",
        "file",
        "rows",
        "inserted",
        "replaced",
        "unchanged",
        "errors",
        "warnings",
    ]
    assert report["status"] == "rejected"
    assert isinstance(report["batch_id"], int)
    assert (report["kind"], report["file"], report["rows"], report["inserted"]) == (
        "payroll",
        "p.csv",
        2,
        0,
    )
    assert report["errors"] == [
        {
            "row": 3,
            "column": "wage_payable",
            "code": "money_negative",
            "value": "-1",
            "message": "wage_payable (应发工资) is negative; amounts are 0 or more",
        }
    ]
    assert report["warnings"] == ["columns not imported: 序号"]


def test_a_refused_file_exits_non_zero(cli: CliRunner, database: sa.Engine, tmp_path: Path) -> None:
    path = tmp_path / "p.txt"
    path.write_text("x")
    result = cli.invoke(app, ["import", "roster", str(path)])
    assert result.exit_code == 1
    assert "file, file_type: p.txt: only .csv and .xlsx files are accepted" in result.stdout
