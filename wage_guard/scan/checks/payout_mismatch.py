"""``payout_mismatch``: the wage account's payouts disagree with the payroll (Regulations
Art. 31; "wage account funds abnormal", a sign of a payroll that was not really paid).

Fires for a project with a wage account when the wage payouts on its statement, summed up
to the scan date, and the wages the payroll shows paid through the account, summed over
payments dated up to the scan date, differ by more than ``tolerance`` of the larger of the
two. Measure: that relative difference (1 when one side is zero). The shipped ladder is
orange, red above 20%.

Does not fire when both are zero or the difference is exactly ``tolerance``. The payroll
side counts every payment dated by the scan date, whether or not its month is due yet: a
month paid before its pay day is already on the statement, and leaving it out would raise
a mismatch until the pay day passes. Payroll lines paid in cash or by another channel are
left out (they cannot be on the statement; ``paid_outside_account`` raises them). A
project with no account recorded does not fire (that is ``wage_account_missing``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from wage_guard.payroll.orm import PaidVia
from wage_guard.scan.context import ScanContext
from wage_guard.scan.model import CheckParams, empty_findings, register, yuan


class Params(CheckParams):
    tolerance: float = Field(0.05, ge=0)


@register("payout_mismatch", Params)
def payout_mismatch(context: ScanContext, params: Params) -> pd.DataFrame:
    """Projects whose statement payouts and payroll payments differ beyond the tolerance."""
    payroll = context.payroll_months()
    lines = context.payroll_exceptions()
    outside = lines[(lines["paid_via"] != PaidVia.ACCOUNT.value) & lines["paid_on"].notna()]
    payroll_paid = (
        payroll.groupby("project_id")["paid_cents"]
        .sum()
        .sub(outside.groupby("project_id")["paid_cents"].sum(), fill_value=0)
        .astype("int64")
        .rename("payroll_cents")
    )
    days = context.account_days()
    payouts = days[days["kind"] == "wage_payout"]
    statement = payouts.groupby("project_id").agg(
        statement_cents=("amount_cents", "sum"),
        payouts=("count", "sum"),
        last_payout_on=("txn_date", "max"),
    )
    projects = context.projects()
    frame = (
        projects.loc[projects["account_id"].notna(), ["project_id", "account_no"]]
        .set_index("project_id")
        .join(payroll_paid)
        .join(statement)
    )
    frame[["payroll_cents", "statement_cents", "payouts"]] = (
        frame[["payroll_cents", "statement_cents", "payouts"]].fillna(0).astype("int64")
    )
    larger = np.maximum(frame["payroll_cents"], frame["statement_cents"])
    frame["difference"] = (frame["statement_cents"] - frame["payroll_cents"]).abs() / larger
    frame = frame[(larger > 0) & (frame["difference"] > params.tolerance)].reset_index()
    if frame.empty:
        return empty_findings()
    result = pd.DataFrame(
        {
            "project_id": frame["project_id"],
            "subject": None,
            "measure": frame["difference"].astype(float),
            "arrears_cents": None,
            "workers": None,
        }
    )
    result["evidence"] = [
        {
            "account_no": str(row.account_no),
            "statement_payouts": yuan(row.statement_cents),
            "statement_payout_lines": int(row.payouts),
            "last_payout_on": (
                row.last_payout_on.date().isoformat() if pd.notna(row.last_payout_on) else None
            ),
            "payroll_paid_via_account": yuan(row.payroll_cents),
            "difference": yuan(row.statement_cents - row.payroll_cents),
            "relative_difference": round(float(row.difference), 4),
        }
        for row in frame.itertuples()
    ]
    result["message_zh"] = [
        f"工资专户代发{e['statement_payouts']}元，工资表专户实发{e['payroll_paid_via_account']}元，"
        f"相差{e['relative_difference']:.1%}"
        for e in result["evidence"]
    ]
    result["message_en"] = [
        f"Wage account paid out {e['statement_payouts']} yuan but the payroll shows "
        f"{e['payroll_paid_via_account']} paid through it ({e['relative_difference']:.1%} apart)"
        for e in result["evidence"]
    ]
    return result.reset_index(drop=True)
