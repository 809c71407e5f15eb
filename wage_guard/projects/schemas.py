"""What callers see of projects: the ranked list and one project's detail.

Amounts are exact yuan (``Decimal``); a wage month is ``YYYY-MM``. Nothing here carries an
ID number or a bank card: the wage account's number is an enterprise account, not personal
data.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from wage_guard.alerts.schemas import AlertSummary, ProjectRiskRead


class ProjectList(BaseModel):
    """One page of projects, riskiest first by default, and how many match in all."""

    items: list[ProjectRiskRead]
    total: int
    limit: int
    offset: int


class PartyRead(BaseModel):
    """An owner (建设单位) or general contractor (施工总承包单位) of a project."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    credit_code: str | None


class WageAccountRead(BaseModel):
    """The project's dedicated wage account (农民工工资专用账户, Art. 26)."""

    model_config = ConfigDict(from_attributes=True)

    account_no: str
    bank: str | None
    opened_on: date | None


class GuaranteeRead(BaseModel):
    """The project's wage guarantee (工资保证金, Art. 32): cash, a bank letter or insurance."""

    model_config = ConfigDict(from_attributes=True)

    form: str
    amount: Decimal | None
    valid_until: date | None


class MonthFigures(BaseModel):
    """One wage month of a project: attendance, payroll and the wage account.

    ``workers_attended``: roster rows with a day present; ``workers_paid``: payroll lines
    paying more than nothing; ``labor_cost_in`` and ``payouts``: the account's labor-cost
    deposits (人工费拨付) and wage payouts (工资代发) dated in that calendar month;
    ``balance``: deposits minus withdrawals up to the month's end, None without an account.
    """

    month: str
    workers_attended: int
    workers_paid: int
    wages_payable: Decimal
    wages_paid: Decimal
    labor_cost_in: Decimal
    payouts: Decimal
    balance: Decimal | None


class ProjectDetail(BaseModel):
    """A project as the register describes it, its parties, wage account and guarantee, its
    months, and its alerts: the open ones (riskiest first, at most a page) and the count of
    closed ones."""

    id: int
    code: str
    name: str
    district: str
    status: str
    contract_signed_on: date | None
    contract_amount: Decimal | None
    start_date: date
    planned_end_date: date | None
    pay_day: int
    rights_board: bool | None
    labor_officer: str | None
    risk_grade: str
    risk_score: float
    owner: PartyRead
    contractor: PartyRead
    wage_account: WageAccountRead | None
    guarantee: GuaranteeRead | None
    months: list[MonthFigures]
    open_alerts: list[AlertSummary]
    open_alert_count: int
    closed_alert_count: int
