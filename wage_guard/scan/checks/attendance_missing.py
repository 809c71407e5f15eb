"""``attendance_missing``: a month in which an active project reported no real-name
attendance (实名制考勤; Regulations Art. 28, 55).

Fires for each closed month (the scan date more than the context's grace days after the
month's last day) in which the project was active and has no roster row at all. Measure:
days from the month's last day to the scan date. The shipped ladder is a single yellow
step.

Does not fire for a month not yet closed, a month in which the project was not active (a
preparing project has none; a completed or suspended one none after its end), or a month
with any roster row, even one with no days present (who worked is for the payroll rules).
"""

from __future__ import annotations

import pandas as pd

from wage_guard.scan.context import ScanContext
from wage_guard.scan.model import CheckParams, empty_findings, register


class Params(CheckParams):
    """No parameters: a month is closed by the scan's grace days."""


@register("attendance_missing", Params)
def attendance_missing(context: ScanContext, params: Params) -> pd.DataFrame:
    """Closed active months with no roster rows."""
    months = context.project_months()
    reported = context.roster_months()[["project_id", "month"]]
    frame = months[months["closed"] & months["active"]].merge(reported, how="left", indicator=True)
    frame = frame[frame["_merge"] == "left_only"]
    if frame.empty:
        return empty_findings()
    frame = frame.merge(context.payroll_months()[["project_id", "month", "lines"]], how="left")
    frame["lines"] = frame["lines"].fillna(0).astype("int64")
    days = (context.as_of_ts - frame["month_end"]).dt.days
    result = pd.DataFrame(
        {
            "project_id": frame["project_id"],
            "subject": frame["month"],
            "measure": days.astype(float),
            "arrears_cents": None,
            "workers": None,
        }
    )
    result["evidence"] = [
        {
            "month": row.month,
            "month_end": row.month_end.date().isoformat(),
            "days_since_month_end": int(n),
            "roster_rows": 0,
            "payroll_lines": int(row.lines),
        }
        for row, n in zip(frame.itertuples(), days, strict=True)
    ]
    result["message_zh"] = [
        f"{e['month']}未报送实名制考勤"
        + (f"，但工资表有{e['payroll_lines']}人" if e["payroll_lines"] else "")
        for e in result["evidence"]
    ]
    result["message_en"] = [
        f"No attendance roster reported for {e['month']}"
        + (f", though the payroll has {e['payroll_lines']} lines" if e["payroll_lines"] else "")
        for e in result["evidence"]
    ]
    return result.reset_index(drop=True)
