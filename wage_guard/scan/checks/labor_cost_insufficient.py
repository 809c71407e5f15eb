"""``labor_cost_insufficient``: labor cost paid into the wage account falls short of the
wages payable (Regulations Art. 24, 29, 57).

Fires for a project whose labor-cost deposits, summed from the first up to the end of its
last closed month, cover less than ``min_coverage`` of the wages payable on the payroll of
all its due months. A month already due counts as closed (a pay day inside the grace
period makes a month due before it closes). Measure: the coverage, deposits over payable.
The shipped ladder is yellow from 80%, orange from 50%, red below 50%.

Does not fire while no due month has wages payable, nor for a coverage of exactly
``min_coverage``. Deposits dated after the end of the last closed month do not count yet,
nor do other credits to the account; a project with no account has no deposits, so its
coverage is 0.
"""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from wage_guard.scan.context import ScanContext
from wage_guard.scan.model import CheckParams, empty_findings, register, yuan


class Params(CheckParams):
    min_coverage: float = Field(1.0, gt=0)


@register("labor_cost_insufficient", Params)
def labor_cost_insufficient(context: ScanContext, params: Params) -> pd.DataFrame:
    """Projects whose labor-cost deposits cover too little of the wages payable."""
    months = context.project_months()
    payroll = context.payroll_months().merge(
        months.loc[months["due"], ["project_id", "month"]], on=["project_id", "month"]
    )
    # Sorted by month, so that the first and last are the earliest and latest.
    payable = (
        payroll.sort_values("month")
        .groupby("project_id")
        .agg(
            payable_cents=("payable_cents", "sum"),
            first_month=("month", "first"),
            last_month=("month", "last"),
            due_months=("month", "size"),
        )
    )
    payable = payable[payable["payable_cents"] > 0]
    cutoff = (
        months[months["closed"] | months["due"]]
        .groupby("project_id")["month_end"]
        .max()
        .rename("cutoff")
    )
    days = context.account_days()
    deposits = days[days["kind"] == "labor_cost"].merge(cutoff.reset_index(), on="project_id")
    deposited = (
        deposits.loc[deposits["txn_date"] <= deposits["cutoff"]]
        .groupby("project_id")["amount_cents"]
        .sum()
        .rename("deposit_cents")
    )
    frame = payable.join(cutoff).join(deposited)
    frame["deposit_cents"] = frame["deposit_cents"].fillna(0).astype("int64")
    frame["coverage"] = frame["deposit_cents"] / frame["payable_cents"]
    frame = frame[frame["coverage"] < params.min_coverage].reset_index()
    if frame.empty:
        return empty_findings()
    result = pd.DataFrame(
        {
            "project_id": frame["project_id"],
            "subject": None,
            "measure": frame["coverage"].astype(float),
            "arrears_cents": None,
            "workers": None,
        }
    )
    result["evidence"] = [
        {
            "deposits_until": row.cutoff.date().isoformat(),
            "labor_cost_deposited": yuan(row.deposit_cents),
            "wage_payable": yuan(row.payable_cents),
            "shortfall": yuan(row.payable_cents - row.deposit_cents),
            "coverage": round(float(row.coverage), 4),
            "due_months": int(row.due_months),
            "first_month": row.first_month,
            "last_month": row.last_month,
        }
        for row in frame.itertuples()
    ]
    result["message_zh"] = [
        f"截至{e['deposits_until']}人工费用拨付{e['labor_cost_deposited']}元，"
        f"仅为{e['first_month']}至{e['last_month']}应发工资{e['wage_payable']}元的"
        f"{e['coverage']:.1%}，缺口{e['shortfall']}元"
        for e in result["evidence"]
    ]
    result["message_en"] = [
        f"Labor cost deposited by {e['deposits_until']}: {e['labor_cost_deposited']} yuan, "
        f"{e['coverage']:.1%} of {e['wage_payable']} payable for {e['first_month']} to "
        f"{e['last_month']} ({e['shortfall']} short)"
        for e in result["evidence"]
    ]
    return result.reset_index(drop=True)
