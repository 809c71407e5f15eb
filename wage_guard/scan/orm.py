"""Scan runs and the claims that keep one scheduled scan per date."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from wage_guard.db import Base, UTCDateTime, utcnow


class ScanRun(Base):
    """One scan as of a date: when it ran, how it ended and each rule's duration and counts.

    ``rule_stats`` maps a rule id to its ``RuleStats`` (``scan/schemas.py``): mode, seconds,
    found (and per level), new, updated, unchanged, resolved, held, and error with a traceback
    summary when the rule failed.
    """

    __tablename__ = "scan_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date] = mapped_column(sa.Date, index=True)
    trigger: Mapped[str] = mapped_column(sa.String(20), default="manual")
    status: Mapped[str] = mapped_column(sa.String(12), default="running")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rules: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    rule_stats: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    error: Mapped[str | None] = mapped_column(sa.Text)
    requested_by: Mapped[str | None] = mapped_column(sa.String(100))

    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'partial', 'failed')", name="status"
        ),
    )


class JobClaim(Base):
    """The claim of a scheduled job for a date: unique, leased, and fenced by its owner."""

    __tablename__ = "job_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(50))
    as_of: Mapped[date] = mapped_column(sa.Date)
    owner: Mapped[str] = mapped_column(sa.String(100))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(12), default="running")
    scan_run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("scan_runs.id"))

    __table_args__ = (sa.UniqueConstraint("job", "as_of"),)
