"""Minimum wages: a table by region and effective date, since they change every few years."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from wage_guard.db import Base, Money

DEFAULT_REGION = "*"


class MinimumWage(Base):
    """A region's monthly (and part-time hourly) minimum wage from a date on.

    ``region`` is a district name, or ``*`` for the default that applies elsewhere.
    """

    __tablename__ = "minimum_wages"

    id: Mapped[int] = mapped_column(primary_key=True)
    region: Mapped[str] = mapped_column(sa.String(64))
    effective_from: Mapped[date] = mapped_column(sa.Date)
    monthly: Mapped[Decimal] = mapped_column(Money)
    hourly_part_time: Mapped[Decimal | None] = mapped_column(Money)
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_batches.id"))

    __table_args__ = (sa.UniqueConstraint("region", "effective_from"),)
