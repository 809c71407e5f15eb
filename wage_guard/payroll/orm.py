"""Payroll lines: what each worker was owed and paid for a wage month (Art. 15, 30, 31)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from wage_guard.db import Base, BigId, Money


class PaidVia(StrEnum):
    """How a wage was paid: through the wage account (专户代发), in cash, or otherwise."""

    ACCOUNT = "account"
    CASH = "cash"
    OTHER = "other"


class PayrollLine(Base):
    """One worker's line on a project's payroll sheet for one wage month."""

    __tablename__ = "payroll_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"))
    month: Mapped[str] = mapped_column(sa.String(7))
    id_number: Mapped[str] = mapped_column(sa.ForeignKey("workers.id_number"))
    worker_name: Mapped[str] = mapped_column(sa.String(64))
    employer: Mapped[str | None] = mapped_column(sa.String(200))
    days_worked: Mapped[Decimal | None] = mapped_column(sa.Numeric(4, 1))
    wage_payable: Mapped[Decimal] = mapped_column(Money)
    wage_paid: Mapped[Decimal] = mapped_column(Money)
    paid_on: Mapped[date | None] = mapped_column(sa.Date)
    bank_card: Mapped[str | None] = mapped_column(sa.String(19))
    paid_via: Mapped[str] = mapped_column(sa.String(10), default=PaidVia.ACCOUNT.value)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("import_batches.id"))

    __table_args__ = (
        sa.UniqueConstraint("project_id", "month", "id_number"),
        sa.Index("ix_payroll_lines_id_number_month", "id_number", "month"),
        sa.Index("ix_payroll_lines_bank_card_month", "bank_card", "month"),
        # The few lines paid above a cap, found without reading the whole payroll.
        sa.Index("ix_payroll_lines_wage_paid", "wage_paid"),
        sa.CheckConstraint("wage_payable >= 0 AND wage_paid >= 0", name="amounts_not_negative"),
        sa.CheckConstraint("paid_via IN ('account', 'cash', 'other')", name="paid_via"),
    )
