"""The scan's extracts: aggregated in the database, as of a date, exact to the fen."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.scan.builders import load, worker_id
from wage_guard.scan import context as context_module
from wage_guard.scan.context import ScanContext


def test_payroll_months_count_only_payments_dated_by_the_scan(engine: sa.Engine) -> None:
    load(
        engine,
        {
            "projects": [{"code": "P1"}],
            "payroll": [
                {"project": "P1", "month": "2026-01", "worker": 1, "payable": "0.10",
                 "paid": "0.10", "paid_on": "2026-02-10"},
                {"project": "P1", "month": "2026-01", "worker": 2, "payable": "0.20",
                 "paid": "0.20", "paid_on": "2026-02-20"},
                {"project": "P1", "month": "2026-02", "worker": 1, "payable": "100"},
            ],
        },
    )  # fmt: skip
    with engine.connect() as conn:
        context = ScanContext(conn, date(2026, 2, 15))
        frame = context.payroll_months()
        lines = context.payroll_exceptions()
    row = frame.set_index("month").loc["2026-01"]
    assert row["payable_cents"] == 30
    assert row["paid_cents"] == 10
    assert row["unpaid_cents"] == 20
    # Both lines are off the (empty) roster; worker 2's payment comes after the scan date.
    paid = lines[lines["month"] == "2026-01"].set_index("id_number")["paid_cents"]
    assert paid.to_dict() == {worker_id(1): 10, worker_id(2): 0}
    assert "2026-02" in set(frame["month"])


def test_project_months_follow_the_calendar(engine: sa.Engine) -> None:
    load(
        engine,
        {
            "projects": [
                {"code": "P1", "start_date": "2025-11-20", "pay_day": 31},
                {"code": "P2", "status": "preparing"},
                {"code": "P3", "status": "completed", "start_date": "2025-10-01",
                 "planned_end_date": "2025-12-10"},
            ]
        },
    )  # fmt: skip
    with engine.connect() as conn:
        frame = ScanContext(conn, date(2026, 3, 1)).project_months()
    p1 = frame[frame["project_id"] == 1].set_index("month")
    assert list(p1.index) == ["2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    assert bool(p1.loc["2026-01", "due"])  # deadline 2026-02-28
    assert not bool(p1.loc["2026-02", "due"])
    assert bool(p1.loc["2026-01", "closed"]) and not bool(p1.loc["2026-02", "closed"])
    assert not frame[frame["project_id"] == 2]["active"].any()
    p3 = frame[frame["project_id"] == 3].set_index("month")["active"]
    assert p3.to_dict() == {
        "2025-10": True, "2025-11": True, "2025-12": True,
        "2026-01": False, "2026-02": False, "2026-03": False,
    }  # fmt: skip


def test_account_balance_prefers_the_bank_figure(engine: sa.Engine) -> None:
    load(
        engine,
        {
            "projects": [{"code": "P1"}, {"code": "P2"}],
            "transactions": [
                {"project": "P1", "date": "2026-01-05", "kind": "labor_cost", "amount": "1000",
                 "balance": "1500"},
                {"project": "P1", "date": "2026-01-20", "kind": "wage_payout", "amount": "300",
                 "balance": "1200"},
                {"project": "P1", "date": "2026-03-01", "kind": "wage_payout", "amount": "900",
                 "balance": "300"},
                {"project": "P2", "date": "2026-01-05", "kind": "labor_cost", "amount": "800.55"},
                {"project": "P2", "date": "2026-01-06", "kind": "other_out", "amount": "0.55"},
            ],
        },
    )  # fmt: skip
    with engine.connect() as conn:
        balances = ScanContext(conn, date(2026, 2, 1)).account_balances()
    by_project = balances.set_index("project_id")["balance_cents"].to_dict()
    assert by_project == {1: 120000, 2: 80000}


def test_minimum_wage_by_district_and_month(engine: sa.Engine) -> None:
    load(
        engine,
        {"minimum_wages": [{"region": "滨海新区", "effective_from": "2026-01-01",
                            "monthly": "2600"}]},
    )  # fmt: skip
    with engine.connect() as conn:
        context = ScanContext(conn, date(2026, 6, 1))
        values = context.minimum_wage_for(
            pd.Series(["和平区", "和平区", "滨海新区", "滨海新区"]),
            pd.Series(["2025-08", "2025-09", "2025-12", "2026-02"]),
        )
    assert values.tolist() == [232000, 251000, 251000, 260000]


def test_payroll_exceptions_carry_the_roster_days(engine: sa.Engine) -> None:
    load(
        engine,
        {
            "projects": [{"code": "P1"}],
            "roster": [
                {"project": "P1", "month": "2026-01", "worker": 1, "days": 12},
                {"project": "P1", "month": "2026-01", "worker": 2},
                {"project": "P1", "month": "2026-01", "worker": 3},
            ],
            "payroll": [
                {"project": "P1", "month": "2026-01", "worker": 1, "paid": "5000",
                 "paid_on": "2026-02-10"},
                {"project": "P1", "month": "2026-01", "worker": 2, "paid_on": "2026-02-10"},
                {"project": "P1", "month": "2026-01", "worker": 3, "paid_on": "2026-02-10",
                 "via": "cash"},
                {"project": "P1", "month": "2026-01", "worker": 4, "paid_on": "2026-02-10"},
            ],
        },
    )  # fmt: skip
    with engine.connect() as conn:
        context = ScanContext(conn, date(2026, 3, 1))
        lines = context.payroll_exceptions()
        mismatches = context.roster_mismatches()
    # Owed (1), paid in cash (3), off the roster (4); worker 2, paid in full, is not read.
    days = dict(zip(lines["id_number"].str.slice(-4, -1), lines["days_present"], strict=True))
    assert set(days) == {"001", "003", "004"}
    assert days["001"] == 12 and days["003"] == 20 and days["004"] is pd.NA
    assert mismatches["id_number"].str.slice(-4, -1).tolist() == ["004"]


def test_roster_mismatches_count_attended_workers_off_the_payroll(engine: sa.Engine) -> None:
    load(
        engine,
        {
            "projects": [{"code": "P1"}],
            "roster": [
                {"project": "P1", "month": "2026-01", "worker": 1},
                {"project": "P1", "month": "2026-01", "worker": 2},
                {"project": "P1", "month": "2026-01", "worker": 3, "days": 0},
                {"project": "P1", "month": "2026-01", "worker": 4},
            ],
            "payroll": [
                {"project": "P1", "month": "2026-01", "worker": 1, "paid_on": "2026-02-10"},
                {"project": "P1", "month": "2026-01", "worker": 2, "paid": "0"},
                {"project": "P1", "month": "2026-01", "worker": 3, "paid_on": "2026-02-10"},
                {"project": "P1", "month": "2026-01", "worker": 5, "paid_on": "2026-02-10"},
            ],
        },
    )
    with engine.connect() as conn:
        context = ScanContext(conn, date(2026, 3, 1))
        rows = context.roster_mismatches()
        lines = int(context.payroll_months()["lines"].iloc[0])
        attended = int(context.roster_months()["attended"].iloc[0])
    days = dict(zip(rows["id_number"].str.slice(-4, -1), rows["days_present"], strict=True))
    assert set(days) == {"002", "003", "005"}
    assert days["002"] == 20 and days["003"] == 0 and days["005"] is pd.NA
    no_row = int(rows["days_present"].isna().sum())
    absent = int((rows["days_present"] == 0).sum())
    assert attended - (lines - no_row - absent) == 1  # worker 4


@pytest.mark.parametrize("share", [1.0, 0.0], ids=["months_read_whole", "joined"])
def test_roster_mismatches_in_a_month_of_as_many_lines_as_attended_workers(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, share: float
) -> None:
    """Lines off the roster are found where the payroll's workers and the attended ones are
    as many but not the same, and none where they are the same; on PostgreSQL both by
    reading whole the months that differ and by joining the whole payroll to the roster."""
    monkeypatch.setattr(context_module, "OFF_ROSTER_SHARE", share)
    load(
        engine,
        {
            "projects": [{"code": "P1"}],
            "roster": [
                *({"project": "P1", "month": "2026-01", "worker": w} for w in (1, 2)),
                {"project": "P1", "month": "2026-01", "worker": 3, "days": 0},
                *({"project": "P1", "month": "2026-02", "worker": w} for w in (1, 3)),
                {"project": "P1", "month": "2026-02", "worker": 2, "days": 0},
                *({"project": "P1", "month": "2026-03", "worker": w} for w in (1, 4)),
            ],
            "payroll": [
                {"project": "P1", "month": month, "worker": worker, "paid_on": "2026-04-10"}
                for month in ("2026-01", "2026-02", "2026-03")
                for worker in (1, 2)
            ],
        },
    )
    with engine.connect() as conn:
        rows = ScanContext(conn, date(2026, 5, 1)).roster_mismatches()
    found = dict(
        zip(zip(rows["month"], rows["id_number"], strict=True), rows["days_present"], strict=True)
    )
    # January: the same workers (3 has no day). February: 2 has no day, 3 no line. March:
    # 2 has no row, 4 no line.
    assert found == {("2026-02", worker_id(2)): 0, ("2026-03", worker_id(2)): pd.NA}


def test_id_hashes_are_seeded_anew_for_each_scan(engine: sa.Engine) -> None:
    """The hashes of ID numbers that tell the months off the roster agree between payroll
    and roster inside one scan, and change from one scan to the next, so that no one can
    choose ID numbers to match them."""
    if engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL hashes the ID numbers")
    load(
        engine,
        {
            "projects": [{"code": "P1"}],
            "roster": [{"project": "P1", "month": "2026-01", "worker": w} for w in (1, 2)],
            "payroll": [{"project": "P1", "month": "2026-01", "worker": w} for w in (1, 2)],
        },
    )
    hashes = []
    with engine.connect() as conn:
        for _ in range(2):
            context = ScanContext(conn, date(2026, 3, 1))
            payroll = context.payroll_months()["ids_hash"].item()
            roster = context.roster_months()["ids_hash"].item()
            assert payroll == roster
            hashes.append(payroll)
    assert hashes[0] != hashes[1]


def test_query_keys_reads_every_chunk(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    load(
        engine,
        {
            "projects": [{"code": "P1"}],
            "payroll": [
                {"project": "P1", "month": month, "worker": worker}
                for month in ("2026-01", "2026-02", "2026-03")
                for worker in (1, 2, 3)
            ],
        },
    )
    monkeypatch.setattr(context_module, "KEYS_PER_STATEMENT", 2)
    keys = pd.DataFrame(
        {
            "value": [worker_id(1), worker_id(2), worker_id(3)],
            "first": ["2026-01", "2026-03", "2026-03"],
            "last": ["2026-01", "2026-03", "2026-03"],
        }
    )
    sql = (
        "SELECT month, id_number FROM payroll_lines"
        " WHERE id_number IN :values AND month BETWEEN :first AND :last"
    )
    with engine.connect() as conn:
        context = ScanContext(conn, date(2026, 6, 1))
        rows = context.query_keys(sql, keys)
        none = context.query_keys(sql, keys.iloc[:0])
    found = set(zip(rows["id_number"], rows["month"], strict=True))
    # The first chunk crosses workers 1 and 2 with 2026-01 to 2026-03; the second holds 3.
    assert {
        (worker_id(1), "2026-01"),
        (worker_id(2), "2026-03"),
        (worker_id(3), "2026-03"),
    } <= found
    assert len(rows) == len(found) == 7
    assert none.empty


def test_workers_on_several_projects(engine: sa.Engine) -> None:
    """Workers on two or more projects of a month, and cards on two or more lines of one,
    up to the scan's month."""
    load(
        engine,
        {
            "projects": [{"code": "P1"}, {"code": "P2"}, {"code": "P3"}],
            "roster": [
                {"project": "P1", "month": "2026-01", "worker": 1},
                {"project": "P2", "month": "2026-01", "worker": 1},
                {"project": "P3", "month": "2026-01", "worker": 1},
                {"project": "P1", "month": "2026-01", "worker": 2},
                {"project": "P1", "month": "2026-02", "worker": 2},
                # After the scan's month: not seen.
                {"project": "P1", "month": "2026-04", "worker": 3},
                {"project": "P2", "month": "2026-04", "worker": 3},
            ],
            "payroll": [
                {"project": "P1", "month": "2026-02", "worker": 4, "card": "6222000000000000001"},
                {"project": "P2", "month": "2026-02", "worker": 5, "card": "6222000000000000001"},
                {"project": "P3", "month": "2026-02", "worker": 6, "card": "6222000000000000001"},
                {"project": "P1", "month": "2026-04", "worker": 7, "card": "6222000000000000002"},
                {"project": "P2", "month": "2026-04", "worker": 8, "card": "6222000000000000002"},
            ],
        },
    )  # fmt: skip
    with engine.connect() as conn:
        context = ScanContext(conn, date(2026, 3, 1))
        roster = context.workers_on_several_projects("roster_entries")
        payroll = context.workers_on_several_projects("payroll_lines")
        cards = context.shared_cards()
        with pytest.raises(ValueError):
            context.workers_on_several_projects("projects")
    assert roster[["id_number", "month", "projects"]].values.tolist() == [
        [worker_id(1), "2026-01", 3]
    ]
    assert payroll.empty
    assert cards.values.tolist() == [["6222000000000000001", "2026-02"]]
