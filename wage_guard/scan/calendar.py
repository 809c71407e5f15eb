"""Wage months and their deadlines (RULES.md, "Time").

A wage month M is ``YYYY-MM``. Its pay deadline is day ``pay_day`` of M+1, clamped to that
month's length; M is *due* when the scan date D is after the deadline, and *closed* when D
is after M's last day plus ``grace_days``.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import numpy as np
import pandas as pd


def month_of(day: date) -> str:
    """The wage month ``YYYY-MM`` a date falls in."""
    return f"{day.year:04d}-{day.month:02d}"


def month_start(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 1)


def month_end(month: str) -> date:
    year, mon = int(month[:4]), int(month[5:7])
    return date(year, mon, calendar.monthrange(year, mon)[1])


def add_months(month: str, count: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_index(months: pd.Series) -> pd.Series:
    """Months as consecutive integers (``year * 12 + month - 1``), for runs and differences."""
    text = months.astype(str)
    return text.str.slice(0, 4).astype(int) * 12 + text.str.slice(5, 7).astype(int) - 1


def pay_deadline(month: str, pay_day: int) -> date:
    """Day ``pay_day`` of the month after ``month``, clamped to that month's length."""
    following = month_start(add_months(month, 1))
    last = calendar.monthrange(following.year, following.month)[1]
    return following.replace(day=min(pay_day, last))


def is_due(month: str, pay_day: int, as_of: date) -> bool:
    return as_of > pay_deadline(month, pay_day)


def is_closed(month: str, as_of: date, grace_days: int) -> bool:
    return as_of > month_end(month) + timedelta(days=grace_days)


def months_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive (empty when first > last)."""
    months = []
    current = first
    while current <= last:
        months.append(current)
        current = add_months(current, 1)
    return months


def pay_deadlines(months: pd.Series, pay_days: pd.Series) -> pd.Series:
    """``pay_deadline`` over aligned columns of months and pay days, vectorised."""
    following = pd.to_datetime(months.astype(str) + "-01") + pd.offsets.MonthBegin(1)
    days_in = following.dt.days_in_month
    day = np.minimum(pay_days.astype(int).to_numpy(), days_in.to_numpy())
    return following + pd.to_timedelta(day - 1, unit="D")


def month_ends(months: pd.Series) -> pd.Series:
    """The last day of each month, vectorised (as ``datetime64``)."""
    return pd.to_datetime(months.astype(str) + "-01") + pd.offsets.MonthEnd(0)
