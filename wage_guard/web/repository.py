"""The queries only the pages need: the queue's counts, and pages of imports and scans."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from wage_guard.alerts.service import NOT_CLOSED
from wage_guard.imports.orm import ImportBatch
from wage_guard.models import (
    AccountTransaction,
    Alert,
    PayrollLine,
    Project,
    RosterEntry,
    WageAccount,
)
from wage_guard.projects.orm import scope_conditions


def _in_scope(
    statement: Select[*tuple[Any, ...]],
    *,
    districts_scope: Sequence[str] | None,
    credit_codes_scope: Sequence[str] | None,
) -> Select[*tuple[Any, ...]]:
    """Only the projects of the caller's districts and contractors (None: no limit)."""
    return statement.where(
        *scope_conditions(districts_scope=districts_scope, credit_codes_scope=credit_codes_scope)
    )


def active_counts(
    session: Session,
    *,
    districts_scope: Sequence[str] | None,
    credit_codes_scope: Sequence[str] | None,
) -> list[tuple[str, str, int]]:
    """How many alerts are not closed, per district and level, within the scope."""
    statement = _in_scope(
        sa.select(Project.district, Alert.level, sa.func.count())
        .join(Project, Project.id == Alert.project_id)
        .where(Alert.status.in_([str(status) for status in NOT_CLOSED]))
        .group_by(Project.district, Alert.level)
        .order_by(Project.district),
        districts_scope=districts_scope,
        credit_codes_scope=credit_codes_scope,
    )
    return [(district, level, int(count)) for district, level, count in session.execute(statement)]


def project_batches(
    session: Session, *, project_id: int, submitted_by: str | None, limit: int
) -> list[ImportBatch]:
    """The newest imports that wrote rows of the project (its register row, roster, payroll
    or wage account statement); only ``submitted_by``'s when given."""
    wrote = sa.union(
        sa.select(Project.batch_id).where(Project.id == project_id),
        sa.select(RosterEntry.batch_id).where(RosterEntry.project_id == project_id),
        sa.select(PayrollLine.batch_id).where(PayrollLine.project_id == project_id),
        sa.select(AccountTransaction.batch_id)
        .join(WageAccount, WageAccount.id == AccountTransaction.wage_account_id)
        .where(WageAccount.project_id == project_id),
    ).subquery()
    statement = sa.select(ImportBatch).where(ImportBatch.id.in_(sa.select(wrote.c[0])))
    if submitted_by is not None:
        statement = statement.where(ImportBatch.submitted_by == submitted_by)
    return list(session.execute(statement.order_by(ImportBatch.id.desc()).limit(limit)).scalars())
