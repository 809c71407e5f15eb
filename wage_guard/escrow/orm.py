"""Transactions on a project's dedicated wage account (Art. 24, 27, 29)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from wage_guard.db import Base, BigId, Money


class TransactionKind(StrEnum):
    """Labor cost in from the owner (人工费拨付), wages out to a worker (工资代发), or other."""

    LABOR_COST = "labor_cost"
    WAGE_PAYOUT = "wage_payout"
    OTHER_IN = "other_in"
    OTHER_OUT = "other_out"


class AccountTransaction(Base):
    """One line of a wage account's statement, keyed by the bank's transaction id."""

    __tablename__ = "account_transactions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    wage_account_id: Mapped[int] = mapped_column(sa.ForeignKey("wage_accounts.id"))
    txn_id: Mapped[str] = mapped_column(sa.String(64))
    txn_date: Mapped[date] = mapped_column(sa.Date)
    kind: Mapped[str] = mapped_column(sa.String(16))
    amount: Mapped[Decimal] = mapped_column(Money)
    counterparty: Mapped[str | None] = mapped_column(sa.String(200))
    counterparty_account: Mapped[str | None] = mapped_column(sa.String(40))
    id_number: Mapped[str | None] = mapped_column(sa.String(18))
    balance: Mapped[Decimal | None] = mapped_column(Money)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("import_batches.id"))

    __table_args__ = (
        sa.UniqueConstraint("wage_account_id", "txn_id"),
        sa.Index("ix_account_transactions_account_date", "wage_account_id", "txn_date"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint(
            "kind IN ('labor_cost', 'wage_payout', 'other_in', 'other_out')", name="kind"
        ),
    )
