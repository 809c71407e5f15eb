"""An independent reading of generated files and of RULES.md's conditions (default
parameters), to check that planted problems fire and clean projects stay silent.

It reads the files back the way FORMATS.md describes them (header aliases, encodings,
date styles, enum spellings) and evaluates each rule with plain pandas; it shares nothing
with the generator but ``kinds``.
"""

from __future__ import annotations

import calendar
import itertools
import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd

from wage_guard.imports.kinds import KINDS, ColumnType

GRACE_DAYS = 5
DAYS_PER_MONTH = Decimal("21.75")


def read_manifest(root: Path) -> dict[str, Any]:
    return json.loads((root / "manifest.json").read_text(encoding="utf-8"))


def decode(raw: bytes) -> str:
    """Strict UTF-8 (with or without BOM) first, then GB18030."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def read_file(path: Path, kind: str) -> pd.DataFrame:
    """A file as a frame of raw cells, columns renamed to the kind's English names."""
    if path.suffix == ".xlsx":
        workbook = openpyxl.load_workbook(path, read_only=True)
        rows = list(workbook.worksheets[0].iter_rows(values_only=True))
        workbook.close()
        # Rows end at their last non-empty cell: pad them to the header's width.
        width = len(rows[0])
        body = [list(row) + [None] * (width - len(row)) for row in rows[1:]]
        frame = pd.DataFrame(body, columns=list(rows[0]), dtype=object)
    else:
        from io import StringIO

        frame = pd.read_csv(StringIO(decode(path.read_bytes())), dtype=str, keep_default_na=False)
    lookup = KINDS[kind].header_lookup
    frame.columns = [lookup[str(c).strip().lower()] for c in frame.columns]
    return frame


def parse_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    text = str(value)
    match = re.fullmatch(r"(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})日?", text)
    if not match:
        raise ValueError(f"not a date: {text!r}")
    return date(int(match[1]), int(match[2]), int(match[3]))


def parse_month(value: Any) -> str:
    match = re.fullmatch(r"(\d{4})[-/年]?(\d{1,2})月?", str(value))
    if not match:
        raise ValueError(f"not a month: {value!r}")
    return f"{int(match[1]):04d}-{int(match[2]):02d}"


def parse_cents(value: Any) -> int | None:
    if value is None or value == "":
        return None
    amount = Decimal(str(value).replace(",", "").replace("¥", ""))
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"more than two decimals: {value!r}")
    return int(amount * 100)


def load(root: Path) -> dict[str, pd.DataFrame]:
    """Every file of the manifest, parsed, concatenated by kind."""
    manifest = read_manifest(root)
    frames: dict[str, list[pd.DataFrame]] = {}
    for entry in manifest["files"]:
        frames.setdefault(entry["kind"], []).append(read_file(root / entry["path"], entry["kind"]))
    tables = {kind: pd.concat(parts, ignore_index=True) for kind, parts in frames.items()}
    for kind, frame in tables.items():
        for column in KINDS[kind].columns:
            if column.name not in frame:
                continue
            values = frame[column.name]
            if column.type == ColumnType.DATE:
                frame[column.name] = values.map(parse_date)
            elif column.type == ColumnType.MONTH:
                frame[column.name] = values.map(parse_month)
            elif column.type == ColumnType.MONEY:
                frame[column.name] = values.map(parse_cents)
            elif column.type in (ColumnType.INTEGER, ColumnType.DECIMAL):
                frame[column.name] = values.map(lambda v: None if v in ("", None) else int(v))
            elif column.type == ColumnType.ENUM:
                frame[column.name] = values.map(
                    lambda v, c=column: None if v in ("", None) else c.choices[str(v).lower()]
                )
            elif column.type == ColumnType.BOOLEAN:
                frame[column.name] = values.map({"是": True, "否": False})
        tables[kind] = frame.astype(object).where(frame.notna() & (frame != ""), None)
    return tables


def month_end(month: str) -> date:
    year, number = int(month[:4]), int(month[5:])
    return date(year, number, calendar.monthrange(year, number)[1])


def add_month(month: str, count: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:]) - 1 + count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def deadline(month: str, pay_day: int) -> date:
    following = add_month(month, 1)
    last = month_end(following)
    return last.replace(day=min(pay_day, last.day))


def alerts(tables: dict[str, pd.DataFrame], as_of: date) -> set[tuple[str, str, str | None]]:
    """(rule, project code, month or None) of every alert a scan as of ``as_of`` raises."""
    found: set[tuple[str, str, str | None]] = set()
    projects = tables["projects"].set_index("project_code")
    current = f"{as_of.year:04d}-{as_of.month:02d}"
    roster = tables["roster"]
    roster = roster[roster["month"] <= current]
    payroll = tables["payroll"]
    payroll = payroll[payroll["month"] <= current].copy()
    escrow = tables["escrow"]
    escrow = escrow[escrow["txn_date"] <= as_of]
    account_of = projects["wage_account_no"].dropna()
    project_of_account = pd.Series(account_of.index, index=account_of.to_numpy())
    escrow = escrow.assign(project_code=escrow["wage_account_no"].map(project_of_account))
    pay_day = projects["pay_day"].fillna(15).astype(int).to_dict()
    deadlines: dict[tuple[str, str], date] = {}

    def deadline_of(code: str, month: str) -> date:
        if (code, month) not in deadlines:
            deadlines[code, month] = deadline(month, pay_day[code])
        return deadlines[code, month]

    payroll["paid_now"] = [
        paid if on is not None and on <= as_of else 0
        for paid, on in zip(payroll["wage_paid"], payroll["paid_on"], strict=True)
    ]
    payroll["due"] = [
        as_of > deadline_of(p, m)
        for p, m in zip(payroll["project_code"], payroll["month"], strict=True)
    ]
    closed_months = [
        m for m in _months("2000-01", current) if as_of > month_end(m) + timedelta(GRACE_DAYS)
    ]
    covered_until = month_end(closed_months[-1])
    payroll_of = dict(tuple(payroll.groupby("project_code")))
    escrow_of = dict(tuple(escrow.groupby("project_code")))
    roster_months = roster.groupby("project_code")["month"].agg(set).to_dict()
    nothing = payroll.iloc[:0]

    for code, p in projects.iterrows():
        status = p["status"]
        in_progress = status == "in_progress"
        reference = p["contract_signed_on"] or p["start_date"]
        account_overdue = in_progress and not p["wage_account_no"] and (as_of - reference).days > 30
        if account_overdue:
            found.add(("wage_account_missing", code, None))
        amount = p["contract_amount"]
        if in_progress and amount is not None and amount >= 300_000_000:
            required = -(-amount // 100)
            valid = p["guarantee_valid_until"]
            if (
                not p["guarantee_form"]
                or (valid is not None and valid < as_of)
                or (p["guarantee_amount"] is not None and p["guarantee_amount"] < required)
            ):
                found.add(("guarantee_missing", code, None))
        if in_progress and p["rights_board"] is not True:
            found.add(("rights_board_missing", code, None))

        active = []
        if status != "preparing":
            start = p["start_date"]
            for month in _months(f"{start.year:04d}-{start.month:02d}", current):
                first_day = date(int(month[:4]), int(month[5:]), 1)
                ended_later = (
                    status in ("completed", "suspended") and p["planned_end_date"] >= first_day
                )
                if in_progress or ended_later:
                    active.append(month)
        closed_active = [m for m in active if as_of > month_end(m) + timedelta(GRACE_DAYS)]
        account = escrow_of.get(code, escrow.iloc[:0])
        deposits = account[account["kind"] == "labor_cost"]
        deposit_months = {f"{d.year:04d}-{d.month:02d}" for d in deposits["txn_date"]}
        for month in closed_active:
            if month not in deposit_months and not account_overdue:
                found.add(("labor_cost_not_allocated", code, month))
            if month not in roster_months.get(code, set()):
                found.add(("attendance_missing", code, month))

        lines = payroll_of.get(code, nothing)
        due_lines = lines[lines["due"]]
        payable_due = int(due_lines["wage_payable"].sum())
        covered = int(deposits.loc[deposits["txn_date"] <= covered_until, "amount"].sum())
        if payable_due > 0 and covered < payable_due:
            found.add(("labor_cost_insufficient", code, None))
        by_month = due_lines.groupby("month")[["wage_payable", "paid_now"]].sum()
        unpaid = int((by_month["wage_payable"] - by_month["paid_now"]).clip(lower=0).sum())
        if unpaid > 0 and _balance(account) < unpaid:
            found.add(("escrow_shortfall", code, None))
        payouts = int(account.loc[account["kind"] == "wage_payout", "amount"].sum())
        paid_due = int(due_lines["paid_now"].sum())
        if abs(payouts - paid_due) > 0.05 * paid_due or (paid_due == 0 and payouts > 0):
            found.add(("payout_mismatch", code, None))
        owed_months = by_month.index[by_month["wage_payable"] > by_month["paid_now"]]
        near_end = (
            in_progress
            and p["planned_end_date"] is not None
            and as_of <= p["planned_end_date"] <= as_of + timedelta(60)
        )
        if len(owed_months) and (status in ("completed", "suspended") or near_end):
            found.add(("completion_with_arrears", code, None))
        found |= {("wages_unpaid", code, month) for month in owed_months}

    # Payroll and payment.
    due_payroll = payroll[payroll["due"]]
    attended = roster[roster["days_present"] > 0]
    attended = attended[
        [
            as_of > deadline_of(p, m)
            for p, m in zip(attended["project_code"], attended["month"], strict=True)
        ]
    ]
    submitted = set(zip(due_payroll["project_code"], due_payroll["month"], strict=True))
    keys = ["project_code", "month", "id_number"]
    paid_keys = set(due_payroll.loc[due_payroll["paid_now"] > 0, keys].itertuples(index=False))
    for code, month, worker in attended[keys].itertuples(index=False):
        if (code, month) not in submitted:
            found.add(("payroll_not_submitted", code, month))
        if (code, month, worker) not in paid_keys:
            found.add(("attendance_unpaid", code, month))
    paying = due_payroll[due_payroll["paid_now"] > 0]
    for code, month, on in paying[["project_code", "month", "paid_on"]].itertuples(index=False):
        if on > deadline_of(code, month):
            found.add(("late_payment", code, month))
    outside = payroll[(payroll["paid_via"] != "account") & (payroll["paid_now"] > 0)]
    found |= {
        ("paid_outside_account", c, m)
        for c, m in zip(outside["project_code"], outside["month"], strict=True)
    }

    # Workers: payable * 21.75 < monthly minimum * min(days, 21.75), in whole fen.
    minimum = tables["minimum-wages"].sort_values("effective_from")
    monthly = {
        month: int(
            minimum.loc[
                minimum["effective_from"] <= date(int(month[:4]), int(month[5:]), 1), "monthly"
            ].iloc[-1]
        )
        for month in set(payroll["month"])
    }
    days = payroll["days_worked"].astype(int) * 100
    below = payroll["wage_payable"].astype(int) * 2175 < payroll["month"].map(monthly) * days.clip(
        upper=2175
    )
    found |= {
        ("below_minimum_wage", c, m)
        for c, m in payroll.loc[below, ["project_code", "month"]].itertuples(index=False)
    }
    per_month = payroll.groupby(["id_number", "month"])["paid_now"].transform("sum")
    high = payroll[per_month > 5_000_000]
    found |= {
        ("abnormal_high_pay", c, m)
        for c, m in high[["project_code", "month"]].itertuples(index=False)
    }
    payroll["year"] = payroll["month"].str.slice(0, 4)
    if (payroll.groupby(["id_number", "year"])["paid_now"].sum() > 30_000_000).any():
        found.add(("abnormal_high_pay", "*yearly*", None))
    registered = set(roster[keys].itertuples(index=False))
    for code, month, worker in payroll[keys].itertuples(index=False):
        if (code, month, worker) not in registered:
            found.add(("unregistered_payee", code, month))
    cards = payroll[payroll["bank_card"].notna()]
    holders = cards.groupby(["bank_card", "month"])["id_number"].transform("nunique")
    shared = cards[holders >= 2]
    found |= {
        ("shared_bank_card", c, m)
        for c, m in shared[["project_code", "month"]].itertuples(index=False)
    }
    presence = pd.concat([payroll[keys], roster[keys]]).drop_duplicates()
    spread = presence.groupby(["id_number", "month"])["project_code"].transform("nunique")
    multi = presence[spread >= 3]
    found |= {
        ("multi_project_worker", c, m)
        for c, m in multi[["project_code", "month"]].itertuples(index=False)
    }
    owed = due_payroll[due_payroll["wage_payable"] > due_payroll["paid_now"]]
    for (code, _), months in owed.groupby(["project_code", "id_number"])["month"]:
        ordered = sorted(set(months))
        run = 1
        for previous, month in itertools.pairwise(ordered):
            run = run + 1 if add_month(previous, 1) == month else 1
            if run >= 2 and (month == ordered[-1] or add_month(month, 1) not in ordered):
                found.add(("consecutive_arrears", code, month))
    return found


def _months(first: str, last: str) -> list[str]:
    months = []
    while first <= last:
        months.append(first)
        first = add_month(first, 1)
    return months


def _balance(account: pd.DataFrame) -> int:
    """The last reported balance (the smallest of the last day's), else the sum of flows."""
    if account.empty:
        return 0
    reported = account.dropna(subset=["balance"])
    if not reported.empty:
        last_day = reported["txn_date"].max()
        return int(reported.loc[reported["txn_date"] == last_day, "balance"].min())
    sign = account["kind"].map({"labor_cost": 1, "other_in": 1, "wage_payout": -1, "other_out": -1})
    return int((account["amount"] * sign).sum())
