"""``payroll_not_submitted``: a due month with attendance but no payroll sheet (工资支付表,
Regulations Art. 30, 56; Sichuan warns when the sheet is not uploaded by the pay day).

Fires for each due wage month in which the roster shows attendance (a worker with days
present > 0) and the project has no payroll line at all. Measure: days past the pay
deadline. The shipped ladder is yellow, red when more than 7 days past it (RULES.md
``red_after_days``, set on the ladder).

Does not fire for a month not yet due (the scan date on or before the pay deadline), a
month whose roster shows nobody present, or a month with any payroll line, paid or not
(what is unpaid is for ``wages_unpaid`` and ``attendance_unpaid``).
"""

from __future__ import annotations

import pandas as pd

from wage_guard.scan.context import ScanContext
from wage_guard.scan.model import CheckParams, empty_findings, register


class Params(CheckParams):
    """No parameters: the red threshold is the rule's ladder."""


@register("payroll_not_submitted", Params)
def payroll_not_submitted(context: ScanContext, params: Params) -> pd.DataFrame:
    """Due months with attendance and no payroll line."""
    roster = context.roster_months()
    months = context.project_months()
    submitted = context.payroll_months()[["project_id", "month"]]
    frame = roster[roster["attended"] > 0].merge(
        months[["project_id", "month", "due", "pay_deadline", "days_past_deadline"]],
        on=["project_id", "month"],
    )
    frame = frame[frame["due"]].merge(submitted, how="left", indicator=True)
    frame = frame[frame["_merge"] == "left_only"]
    if frame.empty:
        return empty_findings()
    result = pd.DataFrame(
        {
            "project_id": frame["project_id"],
            "subject": frame["month"],
            "measure": frame["days_past_deadline"].astype(float),
            "arrears_cents": None,
            "workers": frame["attended"],
        }
    )
    result["evidence"] = [
        {
            "month": row.month,
            "pay_deadline": row.pay_deadline.date().isoformat(),
            "days_past_deadline": int(row.days_past_deadline),
            "workers_attended": int(row.attended),
            "days_present": int(row.days),
            "payroll_lines": 0,
        }
        for row in frame.itertuples()
    ]
    result["message_zh"] = [
        f"{e['month']}有{e['workers_attended']}人出勤，工资支付表未报送，"
        f"已超过发薪日（{e['pay_deadline']}）{e['days_past_deadline']}天"
        for e in result["evidence"]
    ]
    result["message_en"] = [
        f"No payroll for {e['month']} though {e['workers_attended']} workers attended, "
        f"{e['days_past_deadline']} days past the pay deadline {e['pay_deadline']}"
        for e in result["evidence"]
    ]
    return result.reset_index(drop=True)
