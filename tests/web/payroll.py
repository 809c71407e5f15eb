"""Payroll files for the pages' tests: one with an error in a known cell, and its fix."""

from __future__ import annotations

from pathlib import Path

from tests.scan.builders import worker_id

HEADER = "project_code,month,id_number,worker_name,wage_payable,wage_paid,paid_on\n"


def payroll_files(directory: Path) -> tuple[Path, Path]:
    """``payroll-bad.csv`` (row 3's wage_paid is not an amount) and ``payroll-fixed.csv``."""
    rows = [
        f"P1,2026-02,{worker_id(1)},张三,6000,6000,2026-03-10\n",
        f"P1,2026-02,{worker_id(2)},李四,6000,{{paid}},2026-03-10\n",
    ]
    bad = directory / "payroll-bad.csv"
    fixed = directory / "payroll-fixed.csv"
    bad.write_text(HEADER + rows[0] + rows[1].format(paid="六千"), encoding="utf-8")
    fixed.write_text(HEADER + rows[0] + rows[1].format(paid="6000"), encoding="utf-8")
    return bad, fixed
