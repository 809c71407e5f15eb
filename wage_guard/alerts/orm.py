"""Alerts and their append-only history (RULES.md, "Lifecycle of an alert")."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from wage_guard.db import Base, BigId, Money, UTCDateTime, utcnow


class AlertStatus(StrEnum):
    """open, acknowledged (核查中), snoozed, resolved (销号) or dismissed (false positive)."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class Level(StrEnum):
    """Warning levels (红色/橙色/黄色预警)."""

    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"


LEVEL_RANKS = {"red": 3, "orange": 2, "yellow": 1}
# The queue's order packed into one integer: level, then arrears in cents, then workers
# (each capped to its bits), so that one index serves "riskiest first".
_WORKER_BITS = 17
_CENT_BITS = 44


def queue_order(level: str, arrears: Any, workers: Any) -> int:
    """An alert's place in the risk-ordered queue, smallest first: red before orange before
    yellow, then the larger arrears, then the more workers (negative, so that the queue is
    one ascending index)."""
    cents = min(round(float(arrears or 0) * 100), (1 << _CENT_BITS) - 1)
    people = min(int(workers or 0), (1 << _WORKER_BITS) - 1)
    return -(
        (LEVEL_RANKS.get(level, 0) << (_CENT_BITS + _WORKER_BITS))
        + (max(cents, 0) << _WORKER_BITS)
        + max(people, 0)
    )


def _default_queue_order(context: Any) -> int:
    row = context.get_current_parameters()
    return queue_order(row.get("level", ""), row.get("arrears"), row.get("workers_affected"))


class Alert(Base):
    """A warning on one project about one subject (the project, a month).

    ``open_key`` equals ``fingerprint`` while the alert is not closed and is NULL once it is
    resolved or dismissed: its unique index keeps one open alert per fingerprint.
    ``version`` increases with every human change so that concurrent edits conflict; a scan
    that only refreshes ``last_seen`` leaves it alone.
    """

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    subject: Mapped[str | None] = mapped_column(sa.String(32))
    fingerprint: Mapped[str] = mapped_column(sa.String(200), index=True)
    open_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    level: Mapped[str] = mapped_column(sa.String(8))
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrears: Mapped[Decimal | None] = mapped_column(Money)
    workers_affected: Mapped[int | None]
    evidence: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    message_zh: Mapped[str] = mapped_column(sa.Text, default="")
    message_en: Mapped[str] = mapped_column(sa.Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    # ``queue_order`` of level, arrears and workers; set on insert and by every change of them.
    queue_order: Mapped[int] = mapped_column(
        sa.BigInteger, default=_default_queue_order, server_default="0"
    )

    __table_args__ = (
        sa.Index("ix_alerts_queue", "queue_order", "first_seen", "id"),
        sa.CheckConstraint("level IN ('red', 'orange', 'yellow')", name="level"),
        sa.CheckConstraint(
            "status IN ('open', 'acknowledged', 'snoozed', 'resolved', 'dismissed')",
            name="status",
        ),
    )


class AlertEvent(Base):
    """One change to an alert, never updated or deleted: who, when, what and why."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    alert_id: Mapped[int] = mapped_column(sa.ForeignKey("alerts.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(sa.String(100))
    action: Mapped[str] = mapped_column(sa.String(20))
    from_status: Mapped[str | None] = mapped_column(sa.String(16))
    to_status: Mapped[str | None] = mapped_column(sa.String(16))
    from_level: Mapped[str | None] = mapped_column(sa.String(8))
    to_level: Mapped[str | None] = mapped_column(sa.String(8))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    scan_run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("scan_runs.id"))
