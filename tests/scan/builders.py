"""Compact test data for the scan: projects, roster, payroll and account lines from dicts.

Workers are numbers (1, 2, ...) turned into valid resident IDs; every omitted field takes a
sensible default, so a case states only what matters to it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from wage_guard.identity import credit_check_char, id_check_char
from wage_guard.models import (
    AccountTransaction,
    Enterprise,
    Guarantee,
    ImportBatch,
    MinimumWage,
    PayrollLine,
    Project,
    RosterEntry,
    WageAccount,
    Worker,
)


def worker_id(number: int) -> str:
    """A valid resident ID for test worker ``number`` (born 1980-01-01 plus a serial)."""
    body = f"12010119800101{number:03d}"[:17]
    if number >= 1000:
        body = f"1201011980{(number // 1000) % 100:02d}01{number % 1000:03d}"[:17]
    return body + id_check_char(body)


def credit_code(number: int) -> str:
    body = f"91120000{number:09d}"
    return body + credit_check_char(body)


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _money(value: Any) -> Decimal | None:
    """A decimal from a case; an empty string is a blank cell, as in an imported file."""
    return None if value is None or value == "" else Decimal(str(value))


PROJECT_DEFAULTS: dict[str, Any] = {
    "district": "和平区",
    "status": "in_progress",
    "start_date": "2025-01-01",
    "planned_end_date": "2027-12-31",
    "contract_signed_on": None,
    "contract_amount": "1000000",
    "pay_day": 15,
    "rights_board": True,
    "account": True,
    "account_opened_on": None,
    "guarantee": None,
    "contractor": 1,
}


def load(engine: sa.Engine, data: dict[str, Any]) -> dict[str, int]:
    """Insert a case's data; returns project code -> project id."""
    with engine.begin() as conn:
        batch_id = conn.execute(
            sa.insert(ImportBatch).values(
                kind="test", file_name="case", file_sha256="0" * 64, status="imported"
            )
        ).inserted_primary_key[0]
        for row in data.get("minimum_wages", []):
            conn.execute(
                sa.insert(MinimumWage).values(
                    region=row.get("region", "*"),
                    effective_from=_date(row["effective_from"]),
                    monthly=_money(row["monthly"]),
                )
            )
        enterprises: dict[int, int] = {}
        owner_id = conn.execute(
            sa.insert(Enterprise).values(name="建设单位", credit_code=credit_code(999))
        ).inserted_primary_key[0]
        project_ids: dict[str, int] = {}
        accounts: dict[str, int] = {}
        for raw in data.get("projects", []):
            row = {**PROJECT_DEFAULTS, **raw}
            contractor = int(row["contractor"])
            if contractor not in enterprises:
                enterprises[contractor] = conn.execute(
                    sa.insert(Enterprise).values(
                        name=f"总承包{contractor}", credit_code=credit_code(contractor)
                    )
                ).inserted_primary_key[0]
            project_id = conn.execute(
                sa.insert(Project).values(
                    code=row["code"],
                    name=row.get("name", f"项目{row['code']}"),
                    district=row["district"],
                    owner_id=owner_id,
                    contractor_id=enterprises[contractor],
                    contract_signed_on=_date(row["contract_signed_on"]),
                    contract_amount=_money(row["contract_amount"]),
                    start_date=_date(row["start_date"]),
                    planned_end_date=_date(row["planned_end_date"]),
                    status=row["status"],
                    pay_day=row["pay_day"],
                    rights_board=row["rights_board"],
                )
            ).inserted_primary_key[0]
            project_ids[row["code"]] = project_id
            if row["account"]:
                accounts[row["code"]] = conn.execute(
                    sa.insert(WageAccount).values(
                        project_id=project_id,
                        account_no=f"ACC{row['code']}",
                        bank="测试银行",
                        opened_on=_date(row["account_opened_on"] or row["start_date"]),
                    )
                ).inserted_primary_key[0]
            if row["guarantee"]:
                guarantee = row["guarantee"]
                conn.execute(
                    sa.insert(Guarantee).values(
                        project_id=project_id,
                        form=guarantee.get("form", "cash"),
                        amount=_money(guarantee.get("amount")),
                        valid_until=_date(guarantee.get("valid_until")),
                    )
                )
        workers = {int(r["worker"]) for r in [*data.get("roster", []), *data.get("payroll", [])]}
        if workers:
            conn.execute(
                sa.insert(Worker),
                [{"id_number": worker_id(n), "name": f"工人{n}"} for n in sorted(workers)],
            )
        for row in data.get("roster", []):
            conn.execute(
                sa.insert(RosterEntry).values(
                    project_id=project_ids[row["project"]],
                    month=row["month"],
                    id_number=worker_id(int(row["worker"])),
                    worker_name=f"工人{row['worker']}",
                    days_present=row.get("days", 20),
                    batch_id=batch_id,
                )
            )
        for row in data.get("payroll", []):
            payable = _money(row.get("payable", "6000"))
            paid = _money(row.get("paid", payable))
            conn.execute(
                sa.insert(PayrollLine).values(
                    project_id=project_ids[row["project"]],
                    month=row["month"],
                    id_number=worker_id(int(row["worker"])),
                    worker_name=f"工人{row['worker']}",
                    days_worked=_money(row.get("days", 20)),
                    wage_payable=payable,
                    wage_paid=paid,
                    paid_on=_date(row.get("paid_on")) if paid else None,
                    bank_card=row.get("card", f"6222{int(row['worker']):015d}"),
                    paid_via=row.get("via", "account"),
                    batch_id=batch_id,
                )
            )
        for index, row in enumerate(data.get("transactions", []), start=1):
            conn.execute(
                sa.insert(AccountTransaction).values(
                    wage_account_id=accounts[row["project"]],
                    txn_id=row.get("txn_id", f"T{index:06d}"),
                    txn_date=_date(row["date"]),
                    kind=row["kind"],
                    amount=_money(row["amount"]),
                    balance=_money(row.get("balance")),
                    id_number=worker_id(int(row["worker"])) if "worker" in row else None,
                    batch_id=batch_id,
                )
            )
    return project_ids
