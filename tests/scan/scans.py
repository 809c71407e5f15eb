"""What the scan's service and command-line tests share: a small dataset, test-only checks
and rules, the alerts as plain tuples, and data changes between scans."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from wage_guard.models import PayrollLine, Project
from wage_guard.scan.context import ScanContext
from wage_guard.scan.model import CHECKS, Check, CheckParams
from wage_guard.scan.rules import SHIPPED_RULES, LoadedRule, load_rule_file

AS_OF = date(2026, 3, 1)

# P1 paid nothing for January (red), P2 paid all but 200 of 6000 (yellow).
DATA: dict[str, Any] = {
    "projects": [{"code": "P1"}, {"code": "P2"}],
    "payroll": [
        {"project": "P1", "month": "2026-01", "worker": 1, "payable": "6000", "paid": "0"},
        {
            "project": "P2",
            "month": "2026-01",
            "worker": 2,
            "payable": "6000",
            "paid": "5800",
            "paid_on": "2026-02-10",
        },
    ],
}


def clock() -> Callable[[], datetime]:
    """A clock moving one second per reading, so every scan has its own times."""
    ticks = itertools.count()
    start = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    return lambda: start + timedelta(seconds=next(ticks))


def wages_unpaid() -> LoadedRule:
    return load_rule_file(SHIPPED_RULES / "wages_unpaid.toml")


def variant(rule: LoadedRule, **changes: Any) -> LoadedRule:
    """``rule`` with some of its settings changed (``id``, ``mode`` ...)."""
    return dataclasses.replace(rule, rule=rule.rule.model_copy(update=changes))


def rule_file(folder: Path, rule_id: str, check: str) -> LoadedRule:
    """A rule of ``check`` written to ``folder`` and loaded from there."""
    path = folder / f"{rule_id}.toml"
    path.write_text(
        f'id = "{rule_id}"\ncheck = "{check}"\ntitle_zh = "测试"\ntitle_en = "Test"\n'
        '[[ladder]]\nlevel = "yellow"\n',
        encoding="utf-8",
    )
    return load_rule_file(path)


def use_check(
    monkeypatch: pytest.MonkeyPatch, name: str, evaluate: Callable[[ScanContext, Any], Any]
) -> None:
    """Register ``evaluate`` as check ``name`` for this test only."""
    monkeypatch.setitem(CHECKS, name, Check(name, CheckParams, evaluate, ""))


def explode(context: ScanContext, params: CheckParams) -> pd.DataFrame:
    raise RuntimeError("check exploded")


def bad_query(context: ScanContext, params: CheckParams) -> pd.DataFrame:
    return context.query("SELECT no_such_column FROM projects")


def rows(engine: sa.Engine, table: sa.Table, *, without: tuple[str, ...] = ()) -> list[dict]:
    with engine.connect() as conn:
        result = conn.execute(sa.select(table).order_by(table.c.id)).mappings()
        return [{k: v for k, v in row.items() if k not in without} for row in result]


def alerts(engine: sa.Engine) -> list[tuple[str, str, str, str, str]]:
    """(rule, project code, subject or "", level, status) of every alert, sorted."""
    with engine.connect() as conn:
        result = conn.execute(
            sa.text(
                "SELECT a.rule_id, p.code, COALESCE(a.subject, ''), a.level, a.status "
                "FROM alerts a JOIN projects p ON p.id = a.project_id"
            )
        )
        return sorted(tuple(row) for row in result)


def pay(engine: sa.Engine, code: str, *, paid_on: date | None = date(2026, 2, 10)) -> None:
    """Pay ``code``'s payroll in full on ``paid_on``, or (None) take every payment back."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(PayrollLine)
            .where(
                PayrollLine.project_id
                == sa.select(Project.id).where(Project.code == code).scalar_subquery()
            )
            .values(
                wage_paid=PayrollLine.wage_payable if paid_on else 0,
                paid_on=paid_on,
            )
        )
