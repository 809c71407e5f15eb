"""Imports into a real database: all or nothing, idempotent, exact (RELIABILITY.md 14-20)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wage_guard.config import ImportSettings
from wage_guard.db import utcnow
from wage_guard.imports.orm import ImportBatch, ImportReplacement
from wage_guard.imports.schemas import ImportReport
from wage_guard.imports.service import import_file
from wage_guard.models import (
    AccountTransaction,
    Enterprise,
    MinimumWage,
    PayrollLine,
    Project,
    RosterEntry,
    Worker,
)

from .files import (
    LIMITS,
    PAYROLL_HEADER,
    PROJECTS_HEADER,
    credit_code,
    import_projects,
    payroll_row,
    project_row,
    resident_id,
    row_counts,
    write_csv,
    write_xlsx,
)


def payroll_file(folder: Path, rows: list[list[object]], name: str = "payroll.csv") -> Path:
    return write_csv(folder / name, PAYROLL_HEADER, rows)


def lines(session: Session) -> list[PayrollLine]:
    return list(session.scalars(sa.select(PayrollLine).order_by(PayrollLine.id_number)))


# --- Projects ------------------------------------------------------------------------------------


def test_projects_bring_their_enterprises_account_and_guarantee(
    engine: sa.Engine, session: Session, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "projects.csv",
        PROJECTS_HEADER,
        [project_row("P001", 1, "1200001"), project_row("P002", 1, "1200002")],
    )
    report = import_file(engine, kind="projects", path=path, limits=LIMITS)
    assert (report.status, report.inserted, report.errors) == ("imported", 2, [])
    project = session.scalars(sa.select(Project).where(Project.code == "P001")).one()
    assert project.contractor.credit_code == credit_code(1)
    assert project.owner.name == "天津城投" and project.owner.credit_code is None
    assert project.contract_amount == Decimal("12000000.00")
    assert project.start_date == date(2025, 3, 1)
    assert (project.status, project.pay_day, project.rights_board) == ("in_progress", 15, True)
    assert project.wage_account is not None and project.wage_account.account_no == "1200001"
    assert project.guarantee is not None
    assert (project.guarantee.form, project.guarantee.amount) == (
        "bank_guarantee",
        Decimal("240000.00"),
    )
    assert session.scalar(sa.select(sa.func.count()).select_from(Enterprise)) == 2


def test_a_changed_project_is_replaced_and_the_old_values_kept(
    engine: sa.Engine, session: Session, tmp_path: Path
) -> None:
    import_projects(engine, tmp_path, ["P001", "P002"])
    changed = project_row("P002", 1)
    changed[1] = "二号楼改造工程"
    path = write_csv(tmp_path / "again.csv", PROJECTS_HEADER, [project_row("P001", 1), changed])
    report = import_file(engine, kind="projects", path=path, limits=LIMITS)
    assert (report.inserted, report.replaced, report.unchanged) == (0, 1, 1)
    replacement = session.scalars(sa.select(ImportReplacement)).one()
    assert replacement.batch_id == report.batch_id
    assert replacement.row_number == 3
    assert replacement.natural_key == {"project_code": "P002"}
    assert replacement.previous["project_name"] == "P002号楼工程"
    assert replacement.previous["contract_amount"] == "12000000.00"
    assert session.scalar(sa.select(Project.name).where(Project.code == "P002")) == "二号楼改造工程"
    assert session.scalar(sa.select(sa.func.count()).select_from(Enterprise)) == 2


def test_another_contractors_project_is_out_of_scope(engine: sa.Engine, tmp_path: Path) -> None:
    import_projects(engine, tmp_path, ["P001"], contractor=1)
    path = write_csv(
        tmp_path / "p.csv", PROJECTS_HEADER, [project_row("P001", 2), project_row("P009", 1)]
    )
    before = row_counts(engine)
    report = import_file(
        engine, kind="projects", path=path, limits=LIMITS, contractor_credit_codes={credit_code(2)}
    )
    assert report.status == "rejected"
    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (2, "project_code", "out_of_scope"),
        (3, "contractor_credit_code", "out_of_scope"),
    ]
    assert row_counts(engine) == {**before, "import_batches": before["import_batches"] + 1}


# --- Idempotency (RELIABILITY.md 14, 17) -------------------------------------------------------


def test_the_same_file_twice_creates_nothing_the_second_time(
    engine: sa.Engine, tmp_path: Path
) -> None:
    import_projects(engine, tmp_path)
    path = payroll_file(tmp_path, [payroll_row(1, 1), payroll_row(2, 2)])
    first = import_file(engine, kind="payroll", path=path, limits=LIMITS)
    assert (first.status, first.rows, first.inserted) == ("imported", 2, 2)
    assert first.warnings == ["columns not imported: 序号"]
    before = row_counts(engine)
    again = import_file(engine, kind="payroll", path=path, limits=LIMITS, file_name="copy.csv")
    assert (again.status, again.batch_id, again.inserted, again.errors) == (
        "duplicate",
        first.batch_id,
        0,
        [],
    )
    assert row_counts(engine) == before


def test_a_key_twice_in_a_file_is_an_error_naming_both_rows(
    engine: sa.Engine, tmp_path: Path
) -> None:
    import_projects(engine, tmp_path)
    rows = [payroll_row(n, n) for n in range(1, 151)]
    rows.append(payroll_row(151, 7, payable="1.00"))
    path = payroll_file(tmp_path, rows)
    before = row_counts(engine)
    limits = ImportSettings(chunk_rows=100)
    report = import_file(engine, kind="payroll", path=path, limits=limits)
    assert report.status == "rejected"
    assert [(e.row, e.column, e.code, e.value, e.message) for e in report.errors] == [
        (
            152,
            "id_number",
            "duplicate_key",
            f"{resident_id(7)[:6]}********{resident_id(7)[-4:]}",
            "the same project_code, month and id_number as row 8: a key may appear only once "
            "in a file",
        )
    ]
    assert row_counts(engine) == {**before, "import_batches": before["import_batches"] + 1}


# --- All or nothing, every error (RELIABILITY.md 15) -------------------------------------------


def test_a_file_with_bad_rows_imports_nothing_and_lists_every_error(
    engine: sa.Engine, session: Session, tmp_path: Path
) -> None:
    import_projects(engine, tmp_path)
    bad_id = resident_id(3)[:-1] + ("1" if resident_id(3)[-1] == "0" else "0")
    rows = [payroll_row(n, n) for n in range(1, 250)]
    rows[2][3] = bad_id  # row 4
    rows[5][6] = "12.345"  # row 7
    rows[5][8] = "2025-02-30"
    rows[200][1] = "P404"  # row 202, in the third chunk of 100
    rows[248][9] = "6.22202020001234e+18"  # row 250
    before = row_counts(engine)
    report = import_file(
        engine,
        kind="payroll",
        path=payroll_file(tmp_path, rows),
        limits=ImportSettings(chunk_rows=100),
    )
    assert report.status == "rejected"
    assert (report.rows, report.inserted) == (249, 0)
    assert [(e.row, e.column, e.code, e.value) for e in report.errors] == [
        (4, "id_number", "id_checksum", f"{bad_id[:6]}********{bad_id[-4:]}"),
        (7, "wage_payable", "money_decimals", "12.345"),
        (7, "paid_on", "date_invalid", "2025-02-30"),
        (202, "project_code", "unknown_project", "P404"),
        (250, "bank_card", "card_lost_digits", "6.22********e+18"),
    ]
    assert report.errors[0].message == "ID number check character does not match (GB 11643-1999)"
    assert row_counts(engine) == {**before, "import_batches": before["import_batches"] + 1}
    batch = session.get(ImportBatch, report.batch_id)
    assert batch is not None
    assert (batch.status, batch.error_count, batch.rows) == ("rejected", 5, 249)
    assert ImportReport.from_batch(batch) == report


def test_a_refused_file_is_one_error_on_its_header(engine: sa.Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", ["项目编号", "姓名"], [["P001", "张三"]])
    report = import_file(engine, kind="payroll", path=path, limits=LIMITS)
    assert report.status == "rejected"
    assert [(e.row, e.column, e.code) for e in report.errors] == [(1, "month", "missing_column")]
    assert report.batch_id is not None


def test_an_unknown_project_is_a_row_error(engine: sa.Engine, tmp_path: Path) -> None:
    import_projects(engine, tmp_path)
    path = payroll_file(tmp_path, [payroll_row(1, 1), payroll_row(2, 2, project="P404")])
    report = import_file(engine, kind="payroll", path=path, limits=LIMITS)
    assert [(e.row, e.column, e.code, e.value) for e in report.errors] == [
        (3, "project_code", "unknown_project", "P404")
    ]


def test_a_contractor_writes_only_its_own_projects(engine: sa.Engine, tmp_path: Path) -> None:
    import_projects(engine, tmp_path, ["P001"], contractor=1)
    import_projects(engine, tmp_path, ["P002"], contractor=2)
    path = payroll_file(tmp_path, [payroll_row(1, 1), payroll_row(2, 2, project="P002")])
    report = import_file(
        engine, kind="payroll", path=path, limits=LIMITS, contractor_credit_codes={credit_code(1)}
    )
    assert [(e.row, e.code) for e in report.errors] == [(3, "out_of_scope")]
    mine = payroll_file(tmp_path, [payroll_row(1, 1)], name="mine.csv")
    report = import_file(
        engine, kind="payroll", path=mine, limits=LIMITS, contractor_credit_codes={credit_code(1)}
    )
    assert report.status == "imported"


def test_an_xlsx_id_stored_as_a_number_is_a_row_error(engine: sa.Engine, tmp_path: Path) -> None:
    import_projects(engine, tmp_path)
    good = payroll_row(1, 1)
    number = payroll_row(2, 2)
    number[3] = int(next(resident_id(n) for n in range(2, 1000) if resident_id(n).isdigit()))
    path = write_xlsx(tmp_path / "payroll.xlsx", PAYROLL_HEADER, [good, number])
    report = import_file(engine, kind="payroll", path=path, limits=LIMITS)
    assert report.status == "rejected"
    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (3, "id_number", "id_lost_digits")
    ]


# --- Corrections and exact money (RELIABILITY.md 20) -------------------------------------------


def test_a_corrected_payroll_replaces_the_stored_rows_and_records_them(
    engine: sa.Engine, session: Session, tmp_path: Path
) -> None:
    import_projects(engine, tmp_path)
    first = import_file(
        engine,
        kind="payroll",
        path=payroll_file(tmp_path, [payroll_row(1, 1), payroll_row(2, 2, paid="0", paid_on=None)]),
        limits=LIMITS,
    )
    corrected = [
        payroll_row(1, 1),
        payroll_row(2, 2, paid="6,600.5", paid_on="2025/8/20"),
        payroll_row(3, 3),
    ]
    report = import_file(
        engine, kind="payroll", path=payroll_file(tmp_path, corrected, "fixed.csv"), limits=LIMITS
    )
    assert (report.status, report.inserted, report.replaced, report.unchanged) == (
        "imported",
        1,
        1,
        1,
    )
    stored = {line.id_number: line for line in lines(session)}
    assert len(stored) == 3
    assert stored[resident_id(1)].batch_id == first.batch_id
    assert stored[resident_id(2)].batch_id == report.batch_id
    assert stored[resident_id(2)].wage_paid == Decimal("6600.50")
    assert stored[resident_id(2)].paid_on == date(2025, 8, 20)
    replacement = session.scalars(sa.select(ImportReplacement)).one()
    assert (replacement.batch_id, replacement.row_number) == (report.batch_id, 3)
    assert replacement.natural_key == {
        "project_code": "P001",
        "month": "2025-07",
        "id_number": resident_id(2),
    }
    assert replacement.previous == {
        "worker_name": "工人2",
        "employer": None,
        "days_worked": "22.0",
        "wage_payable": "6600.50",
        "wage_paid": "0.00",
        "paid_on": None,
        "bank_card": f"62220202{2:011d}",
        "paid_via": "account",
    }
    batch = session.get(ImportBatch, report.batch_id)
    assert batch is not None
    assert (batch.rows, batch.inserted, batch.replaced, batch.unchanged) == (3, 1, 1, 1)


def test_money_is_exact_end_to_end(engine: sa.Engine, session: Session, tmp_path: Path) -> None:
    import_projects(engine, tmp_path)
    rows = [
        payroll_row(1, 1, payable="0.1"),
        payroll_row(2, 2, payable="0.20"),
        payroll_row(3, 3, payable="¥999,999,999,999.99"),
        payroll_row(4, 4, payable="2510", paid="2509.99"),
    ]
    report = import_file(engine, kind="payroll", path=payroll_file(tmp_path, rows), limits=LIMITS)
    assert report.status == "imported", report.errors
    payable = [line.wage_payable for line in lines(session)]
    assert payable == [
        Decimal("0.10"),
        Decimal("0.20"),
        Decimal("999999999999.99"),
        Decimal("2510.00"),
    ]
    assert all(isinstance(amount, Decimal) for amount in payable)
    assert payable[0] + payable[1] == Decimal("0.30")
    small = sa.select(sa.func.sum(PayrollLine.wage_payable)).where(PayrollLine.wage_payable < 1)
    assert session.scalar(small) == Decimal("0.30")
    paid = session.scalar(sa.select(PayrollLine.wage_paid).where(PayrollLine.wage_payable == 2510))
    assert paid == Decimal("2509.99")


def test_ids_keep_leading_zeros_and_their_x(
    engine: sa.Engine, session: Session, tmp_path: Path
) -> None:
    import_projects(engine, tmp_path)
    with_x = next(resident_id(n) for n in range(1000) if resident_id(n).endswith("X"))
    leading = resident_id(5, area="010101")
    rows = [payroll_row(1, 1), payroll_row(2, 1)]
    rows[0][3], rows[1][3] = with_x.lower(), leading
    rows[1][9] = "0012345678901"
    report = import_file(engine, kind="payroll", path=payroll_file(tmp_path, rows), limits=LIMITS)
    assert report.status == "imported", report.errors
    assert {line.id_number: line.bank_card for line in lines(session)} == {
        leading: "0012345678901",
        with_x: f"62220202{1:011d}",
    }
    assert set(session.scalars(sa.select(Worker.id_number))) == {leading, with_x}


# --- Dry run ------------------------------------------------------------------------------------


def test_a_dry_run_checks_everything_and_writes_nothing(engine: sa.Engine, tmp_path: Path) -> None:
    import_projects(engine, tmp_path)
    import_file(
        engine, kind="payroll", path=payroll_file(tmp_path, [payroll_row(1, 1)]), limits=LIMITS
    )
    before = row_counts(engine)
    rows = [payroll_row(1, 1), payroll_row(2, 2)]
    report = import_file(
        engine,
        kind="payroll",
        path=payroll_file(tmp_path, rows, "dry.csv"),
        limits=LIMITS,
        dry_run=True,
    )
    assert (report.status, report.batch_id, report.inserted, report.unchanged) == (
        "valid",
        None,
        1,
        1,
    )
    bad = [payroll_row(1, 1, project="P404")]
    report = import_file(
        engine,
        kind="payroll",
        path=payroll_file(tmp_path, bad, "bad.csv"),
        limits=LIMITS,
        dry_run=True,
    )
    assert (report.status, report.batch_id) == ("rejected", None)
    assert [e.code for e in report.errors] == ["unknown_project"]
    assert row_counts(engine) == before


# --- The other kinds --------------------------------------------------------------------------


def test_roster_rows_add_their_workers(engine: sa.Engine, session: Session, tmp_path: Path) -> None:
    import_projects(engine, tmp_path)
    header = ["项目编号", "考勤月份", "身份证号", "姓名", "班组", "出勤天数", "进场日期"]
    rows: list[list[object]] = [
        ["P001", "202507", resident_id(1), "张三", "木工班", "22", "2025年7月1日"],
        ["P001", "202507", resident_id(2), "李四", None, "0", None],
    ]
    report = import_file(
        engine, kind="roster", path=write_csv(tmp_path / "r.csv", header, rows), limits=LIMITS
    )
    assert (report.status, report.inserted) == ("imported", 2)
    entry = session.scalars(sa.select(RosterEntry).where(RosterEntry.days_present == 22)).one()
    assert (entry.month, entry.team, entry.entered_on) == ("2025-07", "木工班", date(2025, 7, 1))
    worker = session.get(Worker, resident_id(2))
    assert worker is not None and worker.name == "李四"
    assert worker.created_at.tzinfo is not None
    assert abs((utcnow() - worker.created_at).total_seconds()) < 60


def test_escrow_rows_find_their_account_by_number_or_project(
    engine: sa.Engine, session: Session, tmp_path: Path
) -> None:
    import_projects(engine, tmp_path, ["P001", "P002"])
    account = session.scalar(sa.select(Project).where(Project.code == "P001"))
    assert account is not None and account.wage_account is not None
    number = account.wage_account.account_no
    header = ["项目编号", "专户账号", "交易流水号", "交易日期", "交易类型", "金额", "身份证号"]
    rows = [
        [None, number, "T1", "2025-07-05", "人工费拨付", "500,000.00", None],
        ["P001", None, "T2", "2025-08-15", "代发工资", "6600.50", resident_id(1)],
        ["P002", number, "T3", "2025-08-15", "代发工资", "1", None],
        [None, "99999", "T4", "2025-08-15", "代发工资", "1", None],
        ["P001", number, "T1", "2025-08-16", "其他转出", "1", None],
    ]
    path = write_csv(tmp_path / "escrow.csv", header, rows)
    report = import_file(engine, kind="escrow", path=path, limits=LIMITS)
    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (4, "wage_account_no", "account_mismatch"),
        (5, "wage_account_no", "unknown_account"),
        (6, "txn_id", "duplicate_key"),
    ]
    report = import_file(
        engine, kind="escrow", path=write_csv(tmp_path / "ok.csv", header, rows[:2]), limits=LIMITS
    )
    assert (report.status, report.inserted) == ("imported", 2)
    amounts = session.scalars(
        sa.select(AccountTransaction.amount).order_by(AccountTransaction.txn_id)
    )
    assert list(amounts) == [Decimal("500000.00"), Decimal("6600.50")]


def test_escrow_rows_need_an_account_on_record_and_in_scope(
    engine: sa.Engine, tmp_path: Path
) -> None:
    import_projects(engine, tmp_path, ["P001"], contractor=1)
    bare = project_row("P003", 1)
    bare[11] = bare[12] = None  # no wage account
    path = write_csv(tmp_path / "p3.csv", PROJECTS_HEADER, [bare])
    assert import_file(engine, kind="projects", path=path, limits=LIMITS).status == "imported"
    header = ["项目编号", "交易流水号", "交易日期", "交易类型", "金额"]
    rows: list[list[object]] = [
        ["P003", "T1", "2025-07-05", "人工费拨付", "100"],
        ["P001", "T2", "2025-07-05", "人工费拨付", "100"],
    ]
    path = write_csv(tmp_path / "escrow.csv", header, rows)
    report = import_file(
        engine, kind="escrow", path=path, limits=LIMITS, contractor_credit_codes={credit_code(2)}
    )
    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (2, "project_code", "no_wage_account"),
        (2, "project_code", "out_of_scope"),
        (3, "project_code", "out_of_scope"),
    ]


def test_minimum_wages_update_the_shipped_table(
    engine: sa.Engine, session: Session, tmp_path: Path
) -> None:
    header = ["地区", "执行日期", "月最低工资", "小时最低工资"]
    rows: list[list[object]] = [
        ["*", "2025-09-01", "2510", "26.6"],
        ["和平区", "2026-01-01", "2600", None],
    ]
    path = write_csv(tmp_path / "mw.csv", header, rows)
    report = import_file(engine, kind="minimum-wages", path=path, limits=LIMITS)
    assert (report.status, report.inserted, report.unchanged) == ("imported", 1, 1)
    monthly = session.scalar(sa.select(MinimumWage.monthly).where(MinimumWage.region == "和平区"))
    assert monthly == Decimal("2600.00")
