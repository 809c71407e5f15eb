"""Projects as inspectors triage them: by risk grade and score (RULES.md, "Project risk grade"),
and one project with its parties, wage account, guarantee, months and alerts.

The grade and score themselves are computed from the alerts by
``wage_guard.alerts.service.refresh_project_risk`` after every scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.orm import Session

from wage_guard.alerts import repository as alert_queries
from wage_guard.alerts.schemas import ProjectRiskRead
from wage_guard.alerts.service import list_alerts, validate_page
from wage_guard.errors import InvalidInput, NotFound
from wage_guard.projects import repository
from wage_guard.projects.schemas import (
    GuaranteeRead,
    MonthFigures,
    PartyRead,
    ProjectDetail,
    WageAccountRead,
)

GRADES = ("red", "orange", "yellow", "green")
# The most open alerts a project's detail lists (the riskiest first).
DETAIL_ALERTS = 500


def list_projects(
    session: Session,
    *,
    sort: str = "risk",
    district: str | None = None,
    grade: str | None = None,
    text: str | None = None,
    limit: int = 100,
    offset: int = 0,
    districts_scope: Sequence[str] | None = None,
    credit_codes_scope: Sequence[str] | None = None,
) -> tuple[list[ProjectRiskRead], int]:
    """A page of projects with grade, score and open alerts by level, and how many match;
    ``text`` keeps the projects whose code or name contains it.

    ``sort="risk"`` puts red first, then the highest score; ``sort="code"`` orders by code.
    A scope of None does not limit; a list keeps only those districts or contractors.
    """
    if sort not in alert_queries.PROJECT_SORTS:
        raise InvalidInput(
            f"unknown sort {sort!r}; one of {', '.join(alert_queries.PROJECT_SORTS)}"
        )
    if grade is not None and grade not in GRADES:
        raise InvalidInput(f"unknown grade {grade!r}; one of {', '.join(GRADES)}")
    validate_page(limit=limit, offset=offset)
    rows, total = alert_queries.list_project_risk(
        session,
        district=district,
        grade=grade,
        text=text,
        sort=sort,
        limit=limit,
        offset=offset,
        districts_scope=districts_scope,
        credit_codes_scope=credit_codes_scope,
    )
    return [ProjectRiskRead.model_validate(dict(row)) for row in rows], total


def _yuan(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _months(session: Session, *, project_id: int, has_account: bool) -> list[MonthFigures]:
    """One entry per wage month present in the roster, payroll or account, oldest first; the
    balance is the running sum of the account's monthly nets up to each month's end."""
    roster = {
        row.month: int(row.attended)
        for row in repository.roster_months(session, project_id=project_id)
    }
    payroll = {row.month: row for row in repository.payroll_months(session, project_id=project_id)}
    account = {
        f"{int(row.year):04d}-{int(row.month):02d}": row
        for row in repository.account_months(session, project_id=project_id)
    }
    figures = []
    balance_cents = 0
    for month in sorted(roster.keys() | payroll.keys() | account.keys()):
        pay, money = payroll.get(month), account.get(month)
        if money is not None:
            balance_cents += int(money.net_cents)
        figures.append(
            MonthFigures(
                month=month,
                workers_attended=roster.get(month, 0),
                workers_paid=int(pay.paid) if pay is not None else 0,
                wages_payable=_yuan(int(pay.payable_cents) if pay is not None else 0),
                wages_paid=_yuan(int(pay.paid_cents) if pay is not None else 0),
                labor_cost_in=_yuan(int(money.labor_cost_cents) if money is not None else 0),
                payouts=_yuan(int(money.payout_cents) if money is not None else 0),
                balance=_yuan(balance_cents) if has_account else None,
            )
        )
    return figures


def get_project(
    session: Session,
    *,
    code: str,
    districts_scope: Sequence[str] | None,
    credit_codes_scope: Sequence[str] | None,
) -> ProjectDetail:
    """One project with its parties, wage account (Art. 26), guarantee (Art. 32), a summary
    per wage month, its open alerts and how many are closed; ``NotFound`` when it does not
    exist or lies outside the caller's scope (RELIABILITY 22)."""
    project = repository.get_by_code(
        session, code=code, districts_scope=districts_scope, credit_codes_scope=credit_codes_scope
    )
    if project is None:
        raise NotFound(f"project {code!r} not found")
    open_alerts, open_count = list_alerts(
        session,
        project=code,
        status="active",
        with_evidence=False,
        limit=DETAIL_ALERTS,
        districts_scope=districts_scope,
        credit_codes_scope=credit_codes_scope,
    )
    account, guarantee = project.wage_account, project.guarantee
    return ProjectDetail(
        id=project.id,
        code=project.code,
        name=project.name,
        district=project.district,
        status=project.status,
        contract_signed_on=project.contract_signed_on,
        contract_amount=project.contract_amount,
        start_date=project.start_date,
        planned_end_date=project.planned_end_date,
        pay_day=project.pay_day,
        rights_board=project.rights_board,
        labor_officer=project.labor_officer,
        risk_grade=project.risk_grade,
        risk_score=project.risk_score,
        owner=PartyRead.model_validate(project.owner),
        contractor=PartyRead.model_validate(project.contractor),
        wage_account=WageAccountRead.model_validate(account) if account is not None else None,
        guarantee=GuaranteeRead.model_validate(guarantee) if guarantee is not None else None,
        months=_months(session, project_id=project.id, has_account=account is not None),
        open_alerts=open_alerts,
        open_alert_count=open_count,
        closed_alert_count=repository.count_closed_alerts(session, project_id=project.id),
    )
