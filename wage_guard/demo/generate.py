"""A realistic synthetic region, written as the import files of FORMATS.md.

``generate`` writes, for a scale (``small``, ``district``, ``city``), a seed and a scan date
(``as_of``): the minimum-wage table, the bureau's project register, the contractors' monthly
roster and payroll, the banks' wage-account statements, and ``manifest.json`` listing the
files in import order, the planted problems and the clean projects. The same scale, seed
and date give the same bytes.

The data covers the ``months`` wage months before the month of ``as_of``, and every project
started inside that window, so that a scan as of ``as_of`` sees every month a project was
active in. Nothing is dated after ``as_of``. Pay days are 10, 15, 20 or 25, so a month is
closed by the time it is due.

A **clean** project triggers no rule with the default parameters of RULES.md: its wage
account was opened between signing and the start; a contract of 3,000,000 yuan or more has
a guarantee of 1-3% that is unexpired or has no end date; the rights board is up; every
month it was active has roster rows and a labor-cost deposit dated in it, at least the
month's payable; every due month's payroll pays every attended worker in full, by bank,
up to four days before the deadline, above the prorated minimum and far below the caps;
the statement pays out exactly the payroll's payments, after the deposits that fund them;
each worker has one card of their own and one project at a time.

A **planted** project carries one problem family (about a third of the projects; every
family at least once). With L its last due month:

- ``wage_account_missing``: in progress since the first day of ``as_of``'s month, signed
  40-89 days before ``as_of``, no account; no month of it is closed or due yet.
- ``guarantee_missing``: a contract of 8,000,000 yuan or more with, by turns, no guarantee,
  an expired bank guarantee, or one of 0.5% of the contract.
- ``rights_board_missing``: the register says no rights board (否).
- ``labor_cost_not_allocated`` (month M): M's deposit is made on day 1-4 of M+1, before
  M's payouts; M+1 is closed too, so cumulative deposits still cover the payroll.
- ``labor_cost_insufficient``: the owner deposits 45% of each month's labor cost and the
  contractor advances the rest (其他转入), so wages are still paid in full.
- ``escrow_shortfall``: every worker is paid half in L; on the account's last day an
  other-out transfer (其他转出) leaves 30% of the wages owed (``wages_unpaid`` fires too).
- ``payroll_not_submitted`` (L): roster rows but no payroll lines (``attendance_unpaid``
  fires too).
- ``wages_unpaid`` (L): a quarter of the workers are paid 40-80% of their wage.
- ``attendance_unpaid`` (L): 6% of the attended workers (at least one) have no payroll line.
- ``late_payment`` (M, at least three months before ``as_of``'s): the month is paid 3-20
  days after its deadline, still before ``as_of``.
- ``paid_outside_account`` (M): the month's two smallest lines are paid in cash, a sliver of
  the project's payroll (far below ``payout_mismatch``'s 5%).
- ``payout_mismatch``: the statement lacks the payouts of the month the payroll paid most.
- ``below_minimum_wage`` (M): two workers are paid 60 yuan a day (below the prorated
  minimum however many days they worked).
- ``abnormal_high_pay`` (M): one line pays 52,000-68,000 yuan.
- ``unregistered_payee`` (M): two new workers are paid for the month but are not on its
  roster.
- ``shared_bank_card`` (M): two workers' wages are paid to a third worker's card.
- ``multi_project_worker`` (M, three projects of one district, all listed): a core worker
  of one project also works 3-6 days on each of the other two; the days on their own
  project are cut so the month's days still fit in the month.
- ``consecutive_arrears`` (L): three core workers are paid 60-80% in L-1 and in L
  (``wages_unpaid`` fires for both months).
- ``completion_with_arrears``: a completed project whose last month (at least two months
  before ``as_of``'s) is paid 70% (``wages_unpaid`` fires for it).
- ``attendance_missing`` (M, closed): neither roster nor payroll for M; the owner still
  deposits.

Files: ``minimum-wages.csv``; the register ``projects.xlsx`` (``projects.csv`` in GB18030
when it is large); roster and payroll per contractor and month (``contractors/<credit
code>/roster-YYYY-MM``) at the small scale, per district and month (``districts/<division
code>/...``) at the larger ones, each sender in its own habit (GB18030 or UTF-8 CSV, or a
workbook for a contractor's small files; its date style and header aliases); statements
(UTF-8 CSV, Chinese or English headers) per bank and month, or per bank and district.

``manifest.json``: ``scale``, ``seed``, ``as_of``, ``months`` (the first and last wage month
of data), ``files`` (kind, path, rows; in import order), ``planted`` (rule, project_code and
month, the wage month the alert is about, null for a rule whose subject is the project),
``clean_projects``, and ``counts`` (projects, workers, roster_rows, payroll_rows,
transactions).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wage_guard.demo.files import Style, write_tables
from wage_guard.demo.identities import Registry
from wage_guard.demo.planting import (
    add_stints,
    choose_months,
    plant_lines,
    planted,
    share_worker_days,
)
from wage_guard.demo.region import FAMILIES, Region, build_region
from wage_guard.demo.statements import statements
from wage_guard.demo.timeline import Timeline, day_in, month_text
from wage_guard.demo.vocabulary import ACCOUNT_BANKS, DISTRICTS
from wage_guard.demo.workforce import TRADE_NAMES, attend, build_stints, hire, pay
from wage_guard.imports.kinds import ESCROW, MINIMUM_WAGES, PAYROLL, PROJECTS, ROSTER

KIND_ORDER = ("minimum-wages", "projects", "roster", "payroll", "escrow")
DATE_STYLES = ("iso", "slash", "zh")
# Contractors' file habits at the small scale: most send CSV, some a workbook.
SENDER_FORMATS = ("gb18030", "utf-8-sig", "gb18030", "utf-8-sig", "xlsx")
# English-speaking statement exports: the banks whose files carry English headers.
ENGLISH_BANKS = frozenset({"boc", "cbhb"})
# The region's minimum wages (Tianjin): effective date, monthly, hourly part-time, in fen.
MINIMUM_WAGE_TABLE = ((date(2021, 7, 1), 232_000, 2_440), (date(2025, 9, 1), 251_000, 2_660))
LARGE_REGISTER = 2_000  # projects beyond which the register is a CSV, not a workbook


@dataclass(frozen=True)
class Scale:
    """How big a region to make: districts, projects, the mean crew of a project."""

    name: str
    districts: tuple[str, ...]
    projects: int
    workforce: float
    by_district: bool  # generate and group files district by district
    planted_share: float = 0.34
    months: int = 12


SCALES: dict[str, Scale] = {
    "small": Scale("small", ("和平区", "河西区", "南开区", "滨海新区"), 64, 34, by_district=False),
    "district": Scale(
        "district",
        ("和平区", "河东区", "河西区", "南开区", "河北区", "红桥区", "西青区", "滨海新区"),
        1_000,
        170,
        by_district=True,
        planted_share=0.3,
    ),
    "city": Scale("city", tuple(DISTRICTS), 8_000, 170, by_district=True, planted_share=0.3),
}


@dataclass
class Unit:
    """What one part of the region generated: its projects, stints and workers, and its
    roster, payroll and statement rows (by number; rendered as text when written)."""

    projects: pd.DataFrame
    stints: pd.DataFrame
    workers: pd.DataFrame
    roster: pd.DataFrame
    payroll: pd.DataFrame
    transactions: pd.DataFrame

    def roster_table(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Roster rows as the roster kind's columns."""
        stint = rows["stint"].to_numpy()
        worker = rows["worker"].to_numpy()
        month = rows["month"].to_numpy()
        stints = self.stints
        exit_month = stints["exit_month"].to_numpy()[stint]
        exit_day = stints["exit_day"].to_numpy()[stint]
        left_on = day_in(exit_month, np.maximum(exit_day, 1))
        left_on[(month != exit_month) | (exit_day == 0)] = np.datetime64("NaT")
        return pd.DataFrame(
            {
                "project_code": self.projects["code"].to_numpy()[rows["project"].to_numpy()],
                "month": month,
                "id_number": self.workers["id_number"].to_numpy()[worker],
                "worker_name": self.workers["name"].to_numpy()[worker],
                "employer": stints["employer"].to_numpy()[stint],
                "team": stints["team"].to_numpy()[stint],
                "trade": TRADE_NAMES[stints["trade"].to_numpy()[stint]],
                "days_present": rows["days"].to_numpy(),
                "entered_on": day_in(
                    stints["entry_month"].to_numpy()[stint], stints["entry_day"].to_numpy()[stint]
                ),
                "left_on": left_on,
            }
        )

    def payroll_table(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Payroll lines as the payroll kind's columns."""
        worker = rows["worker"].to_numpy()
        return pd.DataFrame(
            {
                "project_code": self.projects["code"].to_numpy()[rows["project"].to_numpy()],
                "month": rows["month"].to_numpy(),
                "id_number": self.workers["id_number"].to_numpy()[worker],
                "worker_name": self.workers["name"].to_numpy()[worker],
                "employer": self.stints["employer"].to_numpy()[rows["stint"].to_numpy()],
                "days_worked": rows["days"].to_numpy(),
                "wage_payable": rows["payable"].to_numpy(),
                "wage_paid": rows["paid"].to_numpy(),
                "paid_on": rows["paid_on"].to_numpy(),
                "bank_card": self.workers["card"].to_numpy()[rows["card_of"].to_numpy()],
                "paid_via": rows["paid_via"].to_numpy(),
            }
        )

    def statement_table(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Transactions as the escrow kind's columns."""
        return pd.DataFrame(
            {
                "wage_account_no": self.projects["account_no"].to_numpy()[
                    rows["project"].to_numpy()
                ],
                "txn_id": rows["txn_id"].to_numpy(),
                "txn_date": rows["txn_date"].to_numpy(),
                "kind": rows["kind"].to_numpy(),
                "amount": rows["amount"].to_numpy(),
                "counterparty": rows["counterparty"].to_numpy(),
                "counterparty_account": rows["counterparty_account"].to_numpy(),
                "balance": rows["balance"].to_numpy(),
            }
        )


def generate(scale: Scale, *, seed: int, out: Path, as_of: date) -> dict[str, Any]:
    """Write the region's files under ``out`` and return the manifest (also written)."""
    timeline = Timeline(as_of, scale.months)
    stamp = datetime(as_of.year, as_of.month, as_of.day)
    region_seed, *unit_seeds = np.random.SeedSequence(seed).spawn(1 + len(scale.districts))
    registry = Registry()
    region = build_region(
        np.random.default_rng(region_seed),
        districts=scale.districts,
        count=scale.projects,
        workforce=scale.workforce,
        planted_share=scale.planted_share,
        timeline=timeline,
        registry=registry,
    )
    projects = region.projects
    out.mkdir(parents=True, exist_ok=True)
    files = [_write_minimum_wages(out, stamp), _write_register(out, projects, stamp)]

    parts = (
        [projects["district"] == d for d in scale.districts]
        if scale.by_district
        else [pd.Series(True, index=projects.index)]
    )
    serial = 1
    entries: list[dict[str, str | None]] = []
    counts = dict.fromkeys(("workers", "roster_rows", "payroll_rows", "transactions"), 0)
    for number, (part, seed_part) in enumerate(zip(parts, unit_seeds, strict=False)):
        members = projects[part.to_numpy()].reset_index(drop=True)
        if members.empty:
            continue
        rng = np.random.default_rng(seed_part)
        written = _write_unit(
            out,
            _generate_unit(rng, members, region, timeline, registry, serial),
            scale,
            number,
            stamp,
        )
        files += written.files
        entries += written.planted
        counts = {key: value + written.counts[key] for key, value in counts.items()}
        serial += written.counts["transactions"]

    rule_order = {f.rule: i for i, f in enumerate(FAMILIES)}
    entries.sort(
        key=lambda e: (rule_order[str(e["rule"])], str(e["project_code"]), e["month"] or "")
    )
    planted_codes = {e["project_code"] for e in entries}
    files.sort(key=lambda f: (KIND_ORDER.index(f["kind"]), f["path"]))
    manifest = {
        "scale": scale.name,
        "seed": seed,
        "as_of": as_of.isoformat(),
        "months": {"first": _month(timeline.first), "last": _month(timeline.last)},
        "files": files,
        "planted": entries,
        "clean_projects": sorted(set(projects["code"]) - planted_codes),
        "counts": {"projects": len(projects), **counts},
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    (out / "manifest.json").write_text(text, encoding="utf-8")
    return manifest


def _generate_unit(
    rng: np.random.Generator,
    projects: pd.DataFrame,
    region: Region,
    timeline: Timeline,
    registry: Registry,
    serial: int,
) -> Unit:
    """Stints, attendance, payroll and statements of some projects, with their problems."""
    projects["month"] = choose_months(rng, projects, timeline)
    stints = add_stints(rng, projects, build_stints(rng, projects, region.subcontractors))
    workers = hire(rng, stints, projects, registry)
    attendance = share_worker_days(projects, stints, attend(rng, stints, projects))
    earned = (
        (attendance["days"] * stints["rate"].to_numpy()[attendance["stint"].to_numpy()])
        .groupby([attendance["project"], attendance["month"]])
        .sum()
        .reset_index(name="earned")
    )
    payroll = pay(rng, attendance, stints, projects, timeline)
    roster = attendance[attendance["on_roster"]].drop(columns="on_roster")
    roster, payroll = plant_lines(rng, projects, stints, roster, payroll)
    transactions = statements(rng, projects, earned, payroll, serial)
    return Unit(projects, stints, workers, roster, payroll, transactions)


@dataclass(frozen=True)
class Written:
    """What a unit left behind once written: its files, planted problems and row counts."""

    files: list[dict[str, Any]]
    planted: list[dict[str, str | None]]
    counts: dict[str, int]


def _write_unit(out: Path, unit: Unit, scale: Scale, number: int, stamp: datetime) -> Written:
    """Roster and payroll per sender and month, statements per bank and month or district,
    rendered a month (or a sender) at a time."""
    projects = unit.projects
    files = []
    for kind, rows, render in (
        (ROSTER, unit.roster, unit.roster_table),
        (PAYROLL, unit.payroll, unit.payroll_table),
    ):
        if scale.by_district:
            area = str(projects["area"].iloc[0])
            style = Style(("gb18030", "utf-8-sig")[number % 2], DATE_STYLES[number % 3], number)
            for month, part in rows.groupby("month", sort=True):
                stems = np.full(len(part), f"districts/{area}/{kind.name}-{_month(int(month))}")
                files += write_tables(out, kind, render(part), stems, style, stamp)
            continue
        sender = projects["contractor"].to_numpy()[rows["project"].to_numpy()]
        for who in np.unique(sender):
            part = rows[sender == who]
            code = projects["contractor_code"].to_numpy()[part["project"].to_numpy()]
            month = month_text(part["month"].to_numpy()).astype(object)
            stems = "contractors/" + code + f"/{kind.name}-" + month
            style = Style(SENDER_FORMATS[who % len(SENDER_FORMATS)], DATE_STYLES[who % 3], who)
            files += write_tables(out, kind, render(part), stems, style, stamp)

    transactions = unit.transactions
    bank = projects["bank"].to_numpy()[transactions["project"].to_numpy()]
    if scale.by_district:
        part = np.full(len(transactions), str(projects["area"].iloc[0]), dtype=object)
    else:
        part = pd.to_datetime(transactions["txn_date"]).dt.strftime("%Y-%m").to_numpy(dtype=object)
    for which in np.unique(bank):
        account_bank = ACCOUNT_BANKS[which]
        mine = bank == which
        style = Style("utf-8", spelling=int(which), english=account_bank.code in ENGLISH_BANKS)
        stems = f"escrow/{account_bank.code}/" + part[mine]
        table = unit.statement_table(transactions[mine])
        files += write_tables(out, ESCROW, table, stems, style, stamp)
    counts = {
        "workers": len(np.union1d(unit.roster["worker"], unit.payroll["worker"])),
        "roster_rows": len(unit.roster),
        "payroll_rows": len(unit.payroll),
        "transactions": len(transactions),
    }
    return Written(files, planted(projects), counts)


def _month(month: int) -> str:
    return str(month_text(np.array([month]))[0])


def _write_register(out: Path, projects: pd.DataFrame, stamp: datetime) -> dict[str, Any]:
    """The bureau's register: a workbook, or a GB18030 CSV when it is large."""
    bank_names = np.array([b.name for b in ACCOUNT_BANKS] + [None], dtype=object)
    guarantee = pd.Series(projects["guarantee"], dtype="Int64").where(projects["guarantee"] > 0)
    table = pd.DataFrame(
        {
            "project_code": projects["code"],
            "project_name": projects["name"],
            "district": projects["district"],
            "owner_name": projects["owner_name"],
            "owner_credit_code": projects["owner_code"],
            "contractor_name": projects["contractor_name"],
            "contractor_credit_code": projects["contractor_code"],
            "contract_signed_on": projects["signed"],
            "contract_amount": projects["amount"],
            "start_date": projects["start"],
            "planned_end_date": projects["planned_end"],
            "status": projects["status"],
            "pay_day": projects["pay_day"],
            "wage_account_no": projects["account_no"],
            "wage_account_bank": bank_names[projects["bank"].to_numpy()],
            "wage_account_opened_on": projects["opened"],
            "guarantee_form": projects["guarantee_form"],
            "guarantee_amount": guarantee,
            "guarantee_valid_until": projects["guarantee_until"],
            "rights_board": projects["rights_board"],
            "labor_officer": projects["labor_officer"],
        }
    )
    style = Style("xlsx" if len(table) <= LARGE_REGISTER else "gb18030")
    return write_tables(
        out, PROJECTS, table, np.array(["projects"]).repeat(len(table)), style, stamp
    )[0]


def _write_minimum_wages(out: Path, stamp: datetime) -> dict[str, Any]:
    table = pd.DataFrame(
        {
            "region": "*",
            "effective_from": [np.datetime64(d, "D") for d, _, _ in MINIMUM_WAGE_TABLE],
            "monthly": [m for _, m, _ in MINIMUM_WAGE_TABLE],
            "hourly_part_time": [h for _, _, h in MINIMUM_WAGE_TABLE],
        }
    )
    stems = np.array(["minimum-wages"]).repeat(len(table))
    return write_tables(out, MINIMUM_WAGES, table, stems, Style("utf-8"), stamp)[0]
