"""Alerts as a spreadsheet an inspector can open: CSV (UTF-8 with BOM, for Excel) or XLSX.

Every cell is text from the alert store, which holds ID numbers and cards only masked;
a cell that a spreadsheet would run as a formula (starting with ``= + - @``, a tab or a
carriage return) is defanged with a leading apostrophe (RELIABILITY 26).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from wage_guard.alerts.schemas import AlertSummary
from wage_guard.masking import mask_ids_in_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "编号 id"),
    ("level", "级别 level"),
    ("status", "状态 status"),
    ("rule", "规则 rule"),
    ("project_code", "项目编号 project code"),
    ("project_name", "项目名称 project name"),
    ("district", "区域 district"),
    ("subject", "工资月份 month"),
    ("arrears", "欠薪金额 arrears (yuan)"),
    ("workers_affected", "涉及人数 workers"),
    ("first_seen", "首次发现 first seen"),
    ("last_seen", "最近发现 last seen"),
    ("closed_at", "销号时间 closed"),
    ("message_zh", "预警内容"),
    ("message_en", "message"),
)


def defang(text: str) -> str:
    """``text`` safe to open in a spreadsheet: never read as a formula, never an ID in full."""
    text = mask_ids_in_text(text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value: Any, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    return defang(str(value))


def rows(alerts: Iterable[AlertSummary], zone: ZoneInfo) -> Iterator[list[str]]:
    """The header, then one row of text cells per alert."""
    yield [title for _, title in COLUMNS]
    for alert in alerts:
        yield [_cell(getattr(alert, name), zone) for name, _ in COLUMNS]


def to_csv(table: Iterable[list[str]]) -> Iterator[bytes]:
    """CSV in UTF-8 with a byte-order mark, so that Excel opens the Chinese text right."""
    yield "\ufeff".encode()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in table:
        writer.writerow(row)
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def to_xlsx(table: Iterable[list[str]]) -> bytes:
    """One sheet of text cells (text, so that nothing is read as a number or a formula)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("预警 alerts")
    for row in table:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
