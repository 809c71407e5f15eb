"""Findings frames and database snapshots for the alert tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from wage_guard.alerts.orm import Alert, AlertEvent
from wage_guard.scan.model import FINDING_COLUMNS

RULE = "wages_unpaid"
T0 = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)


def finding(
    project_id: int,
    subject: str | None = "2025-01",
    *,
    level: str = "orange",
    arrears: int | None = 100_000,
    workers: int | None = 3,
) -> dict[str, Any]:
    """One finding; ``arrears`` in fen. Evidence and messages follow the numbers."""
    yuan = None if arrears is None else f"{arrears / 100:.2f}"
    return {
        "project_id": project_id,
        "subject": subject,
        "measure": 0.5,
        "arrears_cents": arrears,
        "workers": workers,
        "evidence": {"month": subject, "arrears": yuan, "workers_owed": workers},
        "message_zh": f"{subject}欠发{yuan}元，涉及{workers}人",
        "message_en": f"{subject}: {yuan} yuan owed to {workers} workers",
        "level": level,
    }


def findings(*rows: dict[str, Any]) -> pd.DataFrame:
    """A findings frame as ``LoadedRule.evaluate`` returns it."""
    return pd.DataFrame(list(rows), columns=[*FINDING_COLUMNS, "level"])


def table(session: Session, entity: type[Alert] | type[AlertEvent]) -> list[dict[str, Any]]:
    """Every row of a table, by id, as plain dicts read straight from the database."""
    columns = entity.__table__.c
    rows = session.execute(sa.select(*columns).order_by(columns["id"]))
    return [dict(row) for row in rows.mappings()]


def snapshot(session: Session) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The alert table without ``last_seen``, and the whole history."""
    alerts = [{k: v for k, v in row.items() if k != "last_seen"} for row in table(session, Alert)]
    return alerts, table(session, AlertEvent)
