"""Wage months as integers (``year * 12 + month - 1``) and the dates around them, on arrays.

RULES.md, "Time": month M's pay deadline is day ``pay_day`` of M+1 (clamped to that month's
length); M is due once the scan date is after it, closed once it is after M's last day
plus the grace days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

EPOCH_MONTH = 1970 * 12


@dataclass(frozen=True)
class Timeline:
    """The scan date the data is made for and the wage months it covers."""

    as_of: date
    months: int  # wage months of data, ending with the month before ``as_of``'s

    @property
    def as_of_day(self) -> np.datetime64:
        return np.datetime64(self.as_of, "D")

    @property
    def current(self) -> int:
        """The month ``as_of`` falls in."""
        return self.as_of.year * 12 + self.as_of.month - 1

    @property
    def first(self) -> int:
        """The first month of data."""
        return self.current - self.months

    @property
    def last(self) -> int:
        """The last month of data: the month before ``as_of``'s."""
        return self.current - 1


def first_day(month: np.ndarray | int) -> np.ndarray:
    """The first day of each month."""
    return (np.asarray(month) - EPOCH_MONTH).astype("datetime64[M]").astype("datetime64[D]")


def month_length(month: np.ndarray | int) -> np.ndarray:
    """The number of days in each month."""
    return (first_day(np.asarray(month) + 1) - first_day(month)).astype(np.int64)


def day_in(month: np.ndarray | int, day: np.ndarray | int) -> np.ndarray:
    """Day ``day`` (1-based) of each month."""
    return first_day(month) + (np.asarray(day) - 1)


def month_of(days: np.ndarray) -> np.ndarray:
    """The month each date falls in."""
    return days.astype("datetime64[M]").astype(np.int64) + EPOCH_MONTH


def pay_deadline(month: np.ndarray | int, pay_day: np.ndarray | int) -> np.ndarray:
    """Day ``pay_day`` of the following month, clamped to its length."""
    following = np.asarray(month) + 1
    return day_in(following, np.minimum(pay_day, month_length(following)))


def month_text(month: np.ndarray) -> np.ndarray:
    """``YYYY-MM`` for each month."""
    return np.datetime_as_string((np.asarray(month) - EPOCH_MONTH).astype("datetime64[M]"))
