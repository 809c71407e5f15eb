"""A process killed in the middle of an import leaves nothing (RELIABILITY.md item 16)."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from wage_guard.db import make_engine
from wage_guard.identity import id_check_char
from wage_guard.imports.service import import_file
from wage_guard.models import PayrollLine

from .files import LIMITS, import_projects, row_counts

WORKERS = 10_000
MONTHS = 8
CHUNK_ROWS = 5_000


def large_payroll(path: Path) -> Path:
    """``WORKERS`` workers paid for ``MONTHS`` months on project P001."""
    ids = []
    for n in range(WORKERS):
        body = f"120101{date(1970, 1, 1) + timedelta(days=n // 1000):%Y%m%d}{n % 1000:03d}"
        ids.append(body + id_check_char(body))
    lines = ["项目编号,工资月份,身份证号,姓名,应发工资,实发工资,发放日期"]
    for month in range(1, MONTHS + 1):
        lines.extend(
            f"P001,2025-{month:02d},{id_number},工人,{5000 + n % 700}.50,{5000 + n % 700}.50,"
            f"2025-{month:02d}-28"
            for n, id_number in enumerate(ids)
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rows_reported(output: str) -> int:
    """The largest row count the progress bar has shown so far."""
    counts = [int(c.replace(",", "")) for c in re.findall(r"([\d,]+) rows", output)]
    return max(counts, default=0)


@pytest.mark.slow
def test_a_killed_import_leaves_nothing_and_a_new_one_gives_one_copy(
    db_url: str, tmp_path: Path
) -> None:
    engine = make_engine(db_url)
    import_projects(engine, tmp_path)
    path = large_payroll(tmp_path / "payroll.csv")
    before = row_counts(engine)
    env = {
        **os.environ,
        "WAGE_GUARD_DATABASE_URL": db_url,
        "WAGE_GUARD_IMPORTS__CHUNK_ROWS": str(CHUNK_ROWS),
        "TERM": "xterm",
        "COLUMNS": "100",
    }
    env.pop("WAGE_GUARD_CONFIG", None)
    # Standard error on a terminal, so that the progress bar tells when rows are written.
    terminal, child_end = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", "from wage_guard.cli import main; main()",
         "import", "payroll", str(path)],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=child_end,
    )  # fmt: skip
    os.close(child_end)
    output = ""
    deadline = time.monotonic() + 60
    try:
        while rows_reported(output) < CHUNK_ROWS and process.poll() is None:
            assert time.monotonic() < deadline, output
            if select.select([terminal], [], [], 0.05)[0]:
                output += os.read(terminal, 65536).decode(errors="replace")
        assert process.poll() is None, f"the import ended before it could be killed: {output}"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(terminal)
    assert process.returncode == -signal.SIGKILL
    assert rows_reported(output) < WORKERS * MONTHS
    assert row_counts(engine) == before

    report = import_file(engine, kind="payroll", path=path, limits=LIMITS)
    assert (report.status, report.inserted) == ("imported", WORKERS * MONTHS)
    with engine.connect() as connection:
        stored = connection.execute(sa.select(sa.func.count()).select_from(PayrollLine)).scalar()
        keys = connection.execute(
            sa.select(sa.func.count()).select_from(
                sa.select(PayrollLine.month, PayrollLine.id_number).distinct().subquery()
            )
        ).scalar()
    assert stored == keys == WORKERS * MONTHS
    engine.dispose()
