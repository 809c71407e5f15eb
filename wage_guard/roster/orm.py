"""Monthly roster rows: who worked on a project in a month, and how many days."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from wage_guard.db import Base, BigId


class RosterEntry(Base):
    """One worker's attendance on one project in one wage month (实名制考勤, Art. 28)."""

    __tablename__ = "roster_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"))
    month: Mapped[str] = mapped_column(sa.String(7))
    id_number: Mapped[str] = mapped_column(sa.ForeignKey("workers.id_number"))
    worker_name: Mapped[str] = mapped_column(sa.String(64))
    employer: Mapped[str | None] = mapped_column(sa.String(200))
    team: Mapped[str | None] = mapped_column(sa.String(100))
    trade: Mapped[str | None] = mapped_column(sa.String(50))
    days_present: Mapped[int] = mapped_column(sa.SmallInteger)
    entered_on: Mapped[date | None] = mapped_column(sa.Date)
    left_on: Mapped[date | None] = mapped_column(sa.Date)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("import_batches.id"))

    __table_args__ = (
        sa.UniqueConstraint("project_id", "month", "id_number"),
        sa.Index("ix_roster_entries_id_number_month", "id_number", "month"),
        sa.CheckConstraint("days_present BETWEEN 0 AND 31", name="days_present_range"),
    )
