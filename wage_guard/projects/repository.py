"""The queries of one project: its register entry within a caller's scope, its months, its
closed alerts, and the workers on its roster or payroll.

Amounts are summed in the database and read as whole fen (exact on SQLite, whose sums are
floating point, as on PostgreSQL); every figure of a month comes from one GROUP BY query
per table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql import ColumnElement

from wage_guard.alerts.orm import Alert, AlertStatus
from wage_guard.escrow.orm import AccountTransaction, TransactionKind
from wage_guard.payroll.orm import PayrollLine
from wage_guard.projects.orm import Project, WageAccount, scope_conditions
from wage_guard.roster.orm import RosterEntry

_INFLOWS = (TransactionKind.LABOR_COST.value, TransactionKind.OTHER_IN.value)


def _cents(amount: Any) -> ColumnElement[int]:
    """A sum of yuan as whole fen."""
    return sa.cast(sa.func.round(sa.func.coalesce(amount, 0) * 100), sa.BigInteger)


def get_by_code(
    session: Session,
    *,
    code: str,
    districts_scope: Sequence[str] | None,
    credit_codes_scope: Sequence[str] | None,
) -> Project | None:
    """The project with ``code`` and its parties, account and guarantee, if the caller's
    scope includes it."""
    return session.execute(
        sa.select(Project)
        .options(
            joinedload(Project.owner),
            joinedload(Project.contractor),
            joinedload(Project.wage_account),
            joinedload(Project.guarantee),
        )
        .where(
            Project.code == code,
            *scope_conditions(
                districts_scope=districts_scope, credit_codes_scope=credit_codes_scope
            ),
        )
    ).scalar_one_or_none()


def roster_months(session: Session, *, project_id: int) -> list[sa.Row[Any]]:
    """Per wage month on the roster: the workers with at least one day present."""
    return list(
        session.execute(
            sa.select(
                RosterEntry.month,
                sa.func.sum(sa.case((RosterEntry.days_present > 0, 1), else_=0)).label("attended"),
            )
            .where(RosterEntry.project_id == project_id)
            .group_by(RosterEntry.month)
        )
    )


def payroll_months(session: Session, *, project_id: int) -> list[sa.Row[Any]]:
    """Per wage month on the payroll: the workers paid anything, wages payable and paid."""
    return list(
        session.execute(
            sa.select(
                PayrollLine.month,
                sa.func.sum(sa.case((PayrollLine.wage_paid > 0, 1), else_=0)).label("paid"),
                _cents(sa.func.sum(PayrollLine.wage_payable)).label("payable_cents"),
                _cents(sa.func.sum(PayrollLine.wage_paid)).label("paid_cents"),
            )
            .where(PayrollLine.project_id == project_id)
            .group_by(PayrollLine.month)
        )
    )


def account_months(session: Session, *, project_id: int) -> list[sa.Row[Any]]:
    """Per calendar month of the project's wage account: labor-cost deposits, wage payouts
    and the net of every deposit less every withdrawal."""
    year = sa.extract("year", AccountTransaction.txn_date)
    month = sa.extract("month", AccountTransaction.txn_date)
    amount = AccountTransaction.amount
    kind = AccountTransaction.kind
    signed = sa.case((kind.in_(_INFLOWS), amount), else_=-amount)
    return list(
        session.execute(
            sa.select(
                year.label("year"),
                month.label("month"),
                _cents(
                    sa.func.sum(
                        sa.case((kind == TransactionKind.LABOR_COST.value, amount), else_=0)
                    )
                ).label("labor_cost_cents"),
                _cents(
                    sa.func.sum(
                        sa.case((kind == TransactionKind.WAGE_PAYOUT.value, amount), else_=0)
                    )
                ).label("payout_cents"),
                _cents(sa.func.sum(signed)).label("net_cents"),
            )
            .join(WageAccount, WageAccount.id == AccountTransaction.wage_account_id)
            .where(WageAccount.project_id == project_id)
            .group_by(year, month)
        )
    )


def count_closed_alerts(session: Session, *, project_id: int) -> int:
    """How many of the project's alerts were resolved or dismissed."""
    return session.execute(
        sa.select(sa.func.count())
        .select_from(Alert)
        .where(
            Alert.project_id == project_id,
            Alert.status.in_([AlertStatus.RESOLVED.value, AlertStatus.DISMISSED.value]),
        )
    ).scalar_one()


def workers_matching(session: Session, *, project_id: int, id_pattern: str, name: str) -> list[str]:
    """The distinct ID numbers on the project's roster or payroll that match ``id_pattern``
    (a SQL ``LIKE`` pattern) under the name ``name``."""
    roster = sa.select(RosterEntry.id_number).where(
        RosterEntry.project_id == project_id,
        RosterEntry.id_number.like(id_pattern),
        RosterEntry.worker_name == name,
    )
    payroll = sa.select(PayrollLine.id_number).where(
        PayrollLine.project_id == project_id,
        PayrollLine.id_number.like(id_pattern),
        PayrollLine.worker_name == name,
    )
    return sorted(session.execute(sa.union(roster, payroll)).scalars())


def bank_cards_of(session: Session, *, project_id: int, id_number: str) -> list[str]:
    """The distinct bank cards the project's payroll names for the worker."""
    cards = session.execute(
        sa.select(PayrollLine.bank_card)
        .where(PayrollLine.project_id == project_id, PayrollLine.id_number == id_number)
        .distinct()
        .order_by(PayrollLine.bank_card)
    ).scalars()
    return [card for card in cards if card]
