"""``wages_unpaid``: a due month whose payroll shows less paid than payable (Art. 12, 30).

Fires for each due wage month in which the payments dated by the scan date fall short of
the wages payable; the arrears are payable minus paid. Measure: the unpaid share of
payable. The shipped ladder is yellow below 10%, orange below 30%, red from 30%, and red
whenever a worker with pay due got nothing (``red_when_worker_unpaid``).

Does not fire for a month not yet due (the scan date is on or before the pay deadline) or a
month paid in full; a payment dated after the scan date does not count as paid.
"""

from __future__ import annotations

import pandas as pd

from wage_guard.scan.context import ScanContext
from wage_guard.scan.model import CheckParams, empty_findings, register, yuan


class Params(CheckParams):
    red_when_worker_unpaid: bool = True


@register("wages_unpaid", Params)
def wages_unpaid(context: ScanContext, params: Params) -> pd.DataFrame:
    """Due months with paid < payable."""
    months = context.project_months()
    payroll = context.payroll_months()
    frame = payroll.merge(
        months[["project_id", "month", "due", "pay_deadline"]], on=["project_id", "month"]
    )
    frame = frame[frame["due"] & (frame["unpaid_cents"] > 0)]
    if frame.empty:
        return empty_findings()
    # A due month is before the scan's: its lines owed or paid nothing are all exceptions.
    lines = context.payroll_exceptions()
    workers = (
        lines.assign(
            workers_owed=lines["payable_cents"] > lines["paid_cents"],
            workers_paid_nothing=(lines["payable_cents"] > 0) & (lines["paid_cents"] == 0),
        )
        .groupby(["project_id", "month"])[["workers_owed", "workers_paid_nothing"]]
        .sum()
        .reset_index()
    )
    frame = frame.merge(workers, on=["project_id", "month"], how="left")
    frame[["workers_owed", "workers_paid_nothing"]] = (
        frame[["workers_owed", "workers_paid_nothing"]].fillna(0).astype("int64")
    )
    share = frame["unpaid_cents"] / frame["payable_cents"]
    nobody_paid = frame["workers_paid_nothing"] > 0
    measure = share.where(~(nobody_paid & params.red_when_worker_unpaid), 1.0)
    result = pd.DataFrame(
        {
            "project_id": frame["project_id"],
            "subject": frame["month"],
            "measure": measure,
            "arrears_cents": frame["unpaid_cents"],
            "workers": frame["workers_owed"],
        }
    )
    result["evidence"] = [
        {
            "month": row.month,
            "pay_deadline": row.pay_deadline.date().isoformat(),
            "wage_payable": yuan(row.payable_cents),
            "wage_paid": yuan(row.paid_cents),
            "arrears": yuan(row.unpaid_cents),
            "unpaid_share": round(float(row.unpaid_cents) / float(row.payable_cents), 4),
            "workers_owed": int(row.workers_owed),
            "workers_paid_nothing": int(row.workers_paid_nothing),
        }
        for row in frame.itertuples()
    ]
    result["message_zh"] = [
        f"{e['month']}工资应发{e['wage_payable']}元，实发{e['wage_paid']}元，"
        f"欠发{e['arrears']}元，涉及{e['workers_owed']}人"
        for e in result["evidence"]
    ]
    result["message_en"] = [
        f"Wages for {e['month']}: {e['wage_payable']} yuan payable, {e['wage_paid']} paid, "
        f"{e['arrears']} owed to {e['workers_owed']} workers"
        for e in result["evidence"]
    ]
    return result.reset_index(drop=True)
