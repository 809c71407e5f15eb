"""``escrow_shortfall``: the wage account holds less than the wages still owed for due
months (Regulations Art. 27, 29; "wage account funds abnormal").

Fires for a project with a wage account whose balance at the scan date (the bank's last
reported balance, else deposits minus withdrawals) is below the wages unpaid for its due
months, each month's payable minus paid. Measure: the balance as a share of the unpaid
wages. The shipped ladder is orange, red below half.

Does not fire when no due month has wages unpaid, when the balance equals them, or for a
project with no account recorded (that is ``wage_account_missing``). A month overpaid does
not offset another's arrears; wages of months not yet due are not counted.
"""

from __future__ import annotations

import pandas as pd

from wage_guard.scan.context import ScanContext
from wage_guard.scan.model import CheckParams, empty_findings, register, yuan


class Params(CheckParams):
    """No parameters: the shortfall is measured against all wages unpaid."""


@register("escrow_shortfall", Params)
def escrow_shortfall(context: ScanContext, params: Params) -> pd.DataFrame:
    """Projects whose account balance is below the wages unpaid for due months."""
    months = context.project_months()
    payroll = context.payroll_months().merge(
        months.loc[months["due"], ["project_id", "month"]], on=["project_id", "month"]
    )
    owed = payroll[payroll["unpaid_cents"] > 0]
    unpaid = owed.groupby("project_id").agg(
        unpaid_cents=("unpaid_cents", "sum"), months=("month", sorted)
    )
    projects = context.projects()
    with_account = projects.loc[projects["account_id"].notna(), ["project_id", "account_no"]]
    balances = context.account_balances()[["project_id", "balance_cents", "reported"]]
    frame = with_account.merge(unpaid.reset_index(), on="project_id").merge(
        balances.astype({"project_id": "int64"}), on="project_id", how="left"
    )
    frame["balance_cents"] = frame["balance_cents"].fillna(0).astype("int64")
    frame["reported"] = frame["reported"].fillna(False).astype(bool)
    frame = frame[frame["balance_cents"] < frame["unpaid_cents"]]
    if frame.empty:
        return empty_findings()
    result = pd.DataFrame(
        {
            "project_id": frame["project_id"],
            "subject": None,
            "measure": frame["balance_cents"] / frame["unpaid_cents"],
            "arrears_cents": frame["unpaid_cents"].astype("int64"),
            "workers": None,
        }
    )
    result["evidence"] = [
        {
            "account_no": str(row.account_no),
            "balance": yuan(row.balance_cents),
            "balance_source": "bank" if row.reported else "computed",
            "wages_unpaid": yuan(row.unpaid_cents),
            "shortfall": yuan(row.unpaid_cents - row.balance_cents),
            "months_unpaid": list(row.months),
        }
        for row in frame.itertuples()
    ]
    result["message_zh"] = [
        f"工资专户余额{e['balance']}元，不足以支付已到期欠发工资{e['wages_unpaid']}元"
        f"（{'、'.join(e['months_unpaid'])}），缺口{e['shortfall']}元"
        for e in result["evidence"]
    ]
    result["message_en"] = [
        f"Wage account balance {e['balance']} yuan is below the {e['wages_unpaid']} owed for "
        f"{', '.join(e['months_unpaid'])} ({e['shortfall']} short)"
        for e in result["evidence"]
    ]
    return result.reset_index(drop=True)
