"""Import files written the way their senders write them (FORMATS.md): Chinese headers from
the kinds' aliases, CSV in GB18030 or UTF-8, small workbooks as XLSX with text cells for
ID and card numbers, and each sender's own habit for dates and months.

A table to write holds raw values by column name (amounts in fen, dates as datetime64,
months as month numbers, enums by their stored value); the column's type in ``kinds``
decides how each is written. Workbooks carry fixed timestamps so that the same data
gives the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.writer.excel import ExcelWriter

from wage_guard.imports.kinds import ColumnType, Kind

# Each stored value, and the spellings senders use for it (one picked by the style).
ENUM_LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "status": {
        "in_progress": ("在建",),
        "completed": ("竣工", "完工"),
        "suspended": ("停工",),
        "preparing": ("筹备", "立项"),
    },
    "guarantee_form": {
        "cash": ("现金",),
        "bank_guarantee": ("银行保函", "保函"),
        "insurance": ("保证保险",),
    },
    "paid_via": {"account": ("专户代发", "银行代发"), "cash": ("现金",), "other": ("其他",)},
    "kind": {
        "labor_cost": ("人工费拨付", "人工费用拨付"),
        "wage_payout": ("代发工资", "工资代发"),
        "other_in": ("其他转入",),
        "other_out": ("其他转出",),
    },
}
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Style:
    """How one sender writes: file format, date style, which alias of each header and value,
    and whether headers are the English column names."""

    format: str  # "xlsx", "gb18030", "utf-8-sig" or "utf-8"
    dates: str = "iso"  # "iso" 2025-03-15, "slash" 2025/03/15, "zh" 2025年3月15日
    spelling: int = 0
    english: bool = False

    @property
    def suffix(self) -> str:
        return ".xlsx" if self.format == "xlsx" else ".csv"


def header(kind: Kind, columns: list[str], style: Style) -> list[str]:
    """The header row: each column's English name, or one of its Chinese aliases."""
    names = []
    for name in columns:
        aliases = kind.column(name).aliases
        names.append(
            name if style.english or not aliases else aliases[style.spelling % len(aliases)]
        )
    return names


def format_money(cents: np.ndarray) -> np.ndarray:
    """Fen as yuan with two decimals: 123456 -> "1234.56"."""
    values = pd.Series(cents, dtype="int64")
    return (
        (values // 100)
        .astype(str)
        .str.cat((values % 100).astype(str).str.zfill(2), sep=".")
        .to_numpy()
    )


def format_dates(days: np.ndarray, style: str) -> np.ndarray:
    """Dates in the sender's style; missing dates as empty text."""
    stamps = pd.to_datetime(pd.Series(days))
    if style == "zh":
        text = (
            stamps.dt.year.astype("Int64").astype(str)
            + "年"
            + stamps.dt.month.astype("Int64").astype(str)
            + "月"
            + stamps.dt.day.astype("Int64").astype(str)
            + "日"
        )
    else:
        text = stamps.dt.strftime("%Y/%m/%d" if style == "slash" else "%Y-%m-%d")
    return text.where(stamps.notna(), "").to_numpy(dtype=object)


def format_months(months: np.ndarray, style: str) -> np.ndarray:
    """Wage months in the sender's style: 2025-03, 2025/03 or 2025年3月."""
    values = pd.Series(months, dtype="int64")
    year = (values // 12).astype(str)
    number = values % 12 + 1
    if style == "zh":
        return (year + "年" + number.astype(str) + "月").to_numpy(dtype=object)
    separator = "/" if style == "slash" else "-"
    return (year + separator + number.astype(str).str.zfill(2)).to_numpy(dtype=object)


def _labels(name: str, values: np.ndarray, style: Style) -> np.ndarray:
    if style.english or name not in ENUM_LABELS:
        return values
    table = {k: v[style.spelling % len(v)] for k, v in ENUM_LABELS[name].items()}
    return pd.Series(values).map(table).to_numpy(dtype=object)


def _csv_column(kind: Kind, name: str, values: pd.Series, style: Style) -> np.ndarray:
    column_type = kind.column(name).type
    if column_type == ColumnType.MONEY:
        return np.where(values.isna(), "", format_money(values.fillna(0).to_numpy()))
    if column_type == ColumnType.DATE:
        return format_dates(values.to_numpy(), style.dates)
    if column_type == ColumnType.MONTH:
        return format_months(values.to_numpy(), style.dates)
    if column_type == ColumnType.BOOLEAN:
        return values.map({True: "是", False: "否"}).to_numpy(dtype=object)
    if column_type == ColumnType.ENUM:
        return _labels(name, values.to_numpy(dtype=object), style)
    return values.to_numpy(dtype=object)


def _cell_column(kind: Kind, name: str, values: pd.Series, style: Style) -> list[Any]:
    """Values as workbook cells: numbers for money and counts, dates as date cells."""
    column_type = kind.column(name).type
    if column_type == ColumnType.MONEY:
        return [None if pd.isna(v) else int(v) / 100 for v in values]
    if column_type == ColumnType.DATE:
        return [None if pd.isna(v) else v.date() for v in pd.to_datetime(values)]
    if column_type in (ColumnType.INTEGER, ColumnType.DECIMAL):
        return [int(v) for v in values]
    return [None if pd.isna(v) or v == "" else v for v in _csv_column(kind, name, values, style)]


def write_tables(
    root: Path, kind: Kind, table: pd.DataFrame, stems: np.ndarray, style: Style, stamp: datetime
) -> list[dict[str, Any]]:
    """Write the rows of ``table`` to one file per stem (the path under ``root`` without the
    style's suffix), formatting each column once; the manifest entries, by stem."""
    columns = list(table.columns)
    names = header(kind, columns, style)
    files = []
    groups = pd.Series(stems).groupby(stems, sort=True).indices
    if style.format == "xlsx":
        cells = [np.array(_cell_column(kind, c, table[c], style), dtype=object) for c in columns]
        text_only = [kind.column(c).text_only for c in columns]
    else:
        frame = pd.DataFrame(
            {n: _csv_column(kind, c, table[c], style) for n, c in zip(names, columns, strict=True)},
            dtype=object,
        )
    for stem, rows in groups.items():
        relative = f"{stem}{style.suffix}"
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if style.format == "xlsx":
            _write_xlsx(path, kind.title_zh, names, [c[rows] for c in cells], text_only, stamp)
        else:
            frame.iloc[rows].to_csv(path, index=False, encoding=style.format, lineterminator="\r\n")
        files.append({"kind": kind.name, "path": relative, "rows": len(rows)})
    return files


def _write_xlsx(
    path: Path,
    title: str,
    names: list[str],
    cells: list[np.ndarray],
    text_only: list[bool],
    stamp: datetime,
) -> None:
    """A one-sheet workbook; ID, card and account cells are text cells formatted as text."""
    workbook = Workbook(write_only=True)
    workbook.properties.creator = "wage_guard demo"
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    sheet = workbook.create_sheet(title)
    sheet.append(names)
    for row in zip(*cells, strict=True):
        sheet.append(
            [_text_cell(sheet, v) if t else v for v, t in zip(row, text_only, strict=True)]
        )
    buffer = io.BytesIO()
    ExcelWriter(workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    # Rewrite the archive with fixed member timestamps: the same cells, the same bytes.
    with (
        zipfile.ZipFile(buffer) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(member.filename))


def _text_cell(sheet: Any, value: Any) -> WriteOnlyCell | None:
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value=str(value))
    cell.number_format = "@"
    return cell
