"""Import files written for the tests, byte for byte, and the projects they refer to."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import sqlalchemy as sa

from wage_guard.config import ImportSettings
from wage_guard.identity import credit_check_char, id_check_char
from wage_guard.imports.service import import_file
from wage_guard.models import (
    AccountTransaction,
    Enterprise,
    Guarantee,
    ImportBatch,
    ImportReplacement,
    MinimumWage,
    PayrollLine,
    Project,
    RosterEntry,
    WageAccount,
    Worker,
)

LIMITS = ImportSettings()

DATA_TABLES = (
    Enterprise,
    Project,
    WageAccount,
    Guarantee,
    Worker,
    RosterEntry,
    PayrollLine,
    AccountTransaction,
    MinimumWage,
    ImportReplacement,
)

PAYROLL_HEADER = [
    "序号", "项目编号", "工资月份", "身份证号", "姓名", "出勤天数",
    "应发工资", "实发工资", "发放日期", "工资卡号", "发放方式",
]  # fmt: skip


def resident_id(number: int, area: str = "120101", birth: str = "19900101") -> str:
    """A valid resident ID number (GB 11643-1999): area, birth date, sequence, check."""
    body = f"{area}{birth}{number % 1000:03d}"
    return body + id_check_char(body)


def credit_code(number: int) -> str:
    """A valid unified social credit code (GB 32100-2015)."""
    body = f"91120000{number:09d}"
    return body + credit_check_char(body)


def csv_text(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(["" if cell is None else cell for cell in row] for row in rows)
    return buffer.getvalue()


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    encoding: str = "utf-8",
) -> Path:
    path.write_bytes(csv_text(header, rows).encode(encoding))
    return path


def write_xlsx(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    """A workbook whose cells keep their Python types: a number stays a number cell."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def payroll_row(
    number: int,
    worker: int,
    *,
    project: str = "P001",
    month: str = "2025-07",
    payable: str = "6600.50",
    paid: str | None = None,
    paid_on: str | None = "2025-08-15",
) -> list[object]:
    """One payroll line as a contractor's sheet has it (序号 first)."""
    paid = payable if paid is None else paid
    card = f"62220202{worker:011d}"
    return [number, project, month, resident_id(worker), f"工人{worker}", 22, payable, paid,
            paid_on, card, "专户代发"]  # fmt: skip


PROJECTS_HEADER = [
    "项目编号", "项目名称", "所属区域", "建设单位", "建设单位统一社会信用代码",
    "施工总承包单位", "总承包单位统一社会信用代码", "合同金额", "开工日期", "项目状态",
    "工资发放日", "专户账号", "专户开户银行", "保证金形式", "保证金金额", "维权信息告示牌",
]  # fmt: skip


def project_row(code: str, contractor: int = 1, account: str | None = None) -> list[object]:
    account = account if account is not None else f"12001{code.encode().hex()}"
    return [code, f"{code}号楼工程", "和平区", "天津城投", None, f"总包{contractor}",
            credit_code(contractor), "12,000,000.00", "2025-03-01", "在建", 15, account,
            "工商银行和平支行", "银行保函", "240000", "是"]  # fmt: skip


def import_projects(
    engine: sa.Engine, folder: Path, codes: Sequence[str] = ("P001",), contractor: int = 1
) -> None:
    """The projects that the roster, payroll and escrow files of a test refer to."""
    path = write_csv(
        folder / f"projects-{'-'.join(codes)}-{contractor}.csv",
        PROJECTS_HEADER,
        [project_row(code, contractor) for code in codes],
    )
    report = import_file(engine, kind="projects", path=path, limits=LIMITS)
    assert report.status == "imported", report.errors


def row_counts(engine: sa.Engine) -> dict[str, int]:
    """Rows in every data table and in the batch table."""
    with engine.connect() as connection:
        return {
            model.__tablename__: connection.execute(
                sa.select(sa.func.count()).select_from(model)
            ).scalar_one()
            for model in (*DATA_TABLES, ImportBatch)
        }
