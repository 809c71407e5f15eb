"""``late_payment``: wages of a due month paid after its pay deadline (Regulations Art. 12:
wages are paid in full on the agreed pay day).

Fires for each due wage month with payroll lines paid (wages paid > 0) after the month's
pay deadline and on or before the scan date. Measure: the most days any of them was paid
late. The shipped ladder is yellow, orange when more than 30 days late (RULES.md
``orange_after_days``, set on the ladder). The evidence lists the late payments by pay date
(a payroll is paid in batches, a date at a time) with their lines and amounts.

Does not fire for lines paid on or before the deadline, lines not paid yet (that is
``wages_unpaid``) or payments dated after the scan date. Payment dates do not change, so
the alert stays until an inspector closes it: a fact to review, not a state that clears.
"""

from __future__ import annotations

import pandas as pd

from wage_guard.scan.context import ScanContext, cents
from wage_guard.scan.model import CheckParams, empty_findings, register, yuan


class Params(CheckParams):
    """No parameters: the orange threshold is the rule's ladder."""


@register("late_payment", Params)
def late_payment(context: ScanContext, params: Params) -> pd.DataFrame:
    """Due months with lines paid after the pay deadline."""
    months = context.project_months()[["project_id", "month", "pay_deadline"]]
    payroll = context.payroll_months()[["project_id", "month", "last_paid_on"]]
    # Only a month whose last payment came after its deadline has late lines: its payments
    # are then read by pay date.
    late_months = payroll.merge(months, on=["project_id", "month"])
    late_months = late_months[late_months["last_paid_on"] > late_months["pay_deadline"]]
    if late_months.empty:
        return empty_findings()
    payments = context.query_keys(
        f"""
        SELECT project_id, month, paid_on, COUNT(*) AS lines,
               {cents("SUM(wage_paid)")} AS paid_cents
        FROM payroll_lines
        WHERE project_id IN :values AND month BETWEEN :first AND :last
          AND wage_paid > 0 AND paid_on <= :as_of
        GROUP BY project_id, month, paid_on
        """,
        pd.DataFrame(
            {
                "value": late_months["project_id"],
                "first": late_months["month"],
                "last": late_months["month"],
            }
        ),
    )
    late = payments.assign(paid_on=pd.to_datetime(payments["paid_on"])).merge(
        late_months[["project_id", "month", "pay_deadline"]], on=["project_id", "month"]
    )
    late = late[late["paid_on"] > late["pay_deadline"]]
    late["days_late"] = (late["paid_on"] - late["pay_deadline"]).dt.days
    by_month: dict[tuple[int, str], list[dict[str, object]]] = {}
    for row in late.itertuples():
        by_month.setdefault((row.project_id, row.month), []).append(
            {
                "paid_on": row.paid_on.date().isoformat(),
                "days_late": int(row.days_late),
                "lines": int(row.lines),
                "wage_paid": yuan(row.paid_cents),
            }
        )
    frame = (
        late.groupby(["project_id", "month"])
        .agg(
            pay_deadline=("pay_deadline", "first"),
            days_late=("days_late", "max"),
            lines=("lines", "sum"),
            paid_cents=("paid_cents", "sum"),
        )
        .reset_index()
    )
    result = pd.DataFrame(
        {
            "project_id": frame["project_id"],
            "subject": frame["month"],
            "measure": frame["days_late"].astype(float),
            "arrears_cents": None,
            "workers": frame["lines"],
        }
    )
    result["evidence"] = [
        {
            "month": row.month,
            "pay_deadline": row.pay_deadline.date().isoformat(),
            "max_days_late": int(row.days_late),
            "lines_paid_late": int(row.lines),
            "wage_paid_late": yuan(row.paid_cents),
            "payments": by_month[(row.project_id, row.month)],
        }
        for row in frame.itertuples()
    ]
    result["message_zh"] = [
        f"{e['month']}工资有{e['lines_paid_late']}人次逾期发放，共{e['wage_paid_late']}元，"
        f"最长逾期{e['max_days_late']}天（发薪日{e['pay_deadline']}）"
        for e in result["evidence"]
    ]
    result["message_en"] = [
        f"Wages for {e['month']} paid late on {e['lines_paid_late']} lines "
        f"({e['wage_paid_late']} yuan), up to {e['max_days_late']} days after the pay "
        f"deadline {e['pay_deadline']}"
        for e in result["evidence"]
    ]
    return result.reset_index(drop=True)
