"""``below_minimum_wage``: a worker's wages payable for a month below the local minimum wage
(最低工资, Regulations Art. 34 puts it on the rights board; platforms warn red).

Fires for each due wage month in which a payroll line's wages payable are below the monthly
minimum in force in that month (on its first day) for the project's district (the
district's own row of the minimum-wage table, else the default region ``*``), prorated by
``min(days worked / 21.75, 1)`` (21.75 working days a month, 劳社部发〔2008〕3号). Days
worked come from the payroll line; when it has none, from the worker's days present on the
project's roster that month; when neither is known, the full month's minimum applies. The
prorated minimum is rounded half up to the fen and compared exactly, in fen. Measure: the
number of workers paid below it; the shipped ladder is red. The workers are listed in the
evidence with their days, the prorated minimum and the shortfall; the alert's arrears are
the total shortfall.

Does not fire for a month not yet due, a district and month with no minimum in force, or
wages payable equal to the prorated minimum.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from wage_guard.scan.context import ScanContext
from wage_guard.scan.model import CheckParams, empty_findings, listed_workers, register, yuan

# Days come in tenths, so the prorated minimum monthly * (tenths / 10) / 21.75 is
# monthly * tenths * 2 / 435, a ratio of integers: rounded half up as
# (4 * monthly * tenths + 435) // 870, and the full month once 2 * tenths reaches 435.
_TWICE_MONTH_TENTHS = 435


class Params(CheckParams):
    """No parameters: the minimums are the minimum-wage table's."""


@register("below_minimum_wage", Params)
def below_minimum_wage(context: ScanContext, params: Params) -> pd.DataFrame:
    """Due months with workers whose wages payable are below the prorated minimum."""
    table = context.minimum_wages()
    if table.empty:
        return empty_findings()
    # Candidates: the lines payable below the highest minimum of the table.
    lines = context.payroll_exceptions()
    lines = lines[lines["payable_cents"] < table["monthly_cents"].max()]
    months = context.project_months()[["project_id", "month", "due"]]
    lines = lines.merge(months, on=["project_id", "month"])
    lines = lines[lines["due"]].merge(
        context.projects()[["project_id", "district"]], on="project_id"
    )
    if lines.empty:
        return empty_findings()

    monthly = context.minimum_wage_for(lines["district"], lines["month"])
    worked = lines["worked_tenths"]
    present = lines["days_present"] * 10
    tenths = worked.fillna(present)
    partial = tenths.notna() & (2 * tenths < _TWICE_MONTH_TENTHS)
    prorated = monthly.where(
        ~partial, (4 * monthly * tenths + _TWICE_MONTH_TENTHS) // (2 * _TWICE_MONTH_TENTHS)
    )
    days_from = (
        pd.Series(None, index=lines.index, dtype=object)
        .mask(present.notna(), "roster")
        .mask(worked.notna(), "payroll")
    )
    lines = lines.assign(
        monthly_cents=monthly, minimum_cents=prorated, tenths=tenths, days_from=days_from
    )
    lines = lines[(lines["payable_cents"] < lines["minimum_cents"]).fillna(False)]
    if lines.empty:
        return empty_findings()

    lines = lines.rename(columns={"month": "subject"})
    lines["shortfall_cents"] = (lines["minimum_cents"] - lines["payable_cents"]).astype("int64")
    lines = lines.sort_values(
        ["project_id", "subject", "shortfall_cents"], ascending=[True, True, False]
    )
    lines["days"] = lines["tenths"].map(lambda t: str(Decimal(int(t)) / 10), na_action="ignore")
    lines["wage_payable"] = lines["payable_cents"].map(yuan)
    lines["minimum"] = lines["minimum_cents"].map(yuan)
    lines["shortfall"] = lines["shortfall_cents"].map(yuan)
    listed = listed_workers(lines, ["wage_payable", "days", "days_from", "minimum", "shortfall"])
    frame = (
        lines.groupby(["project_id", "subject"])
        .agg(
            district=("district", "first"),
            monthly_cents=("monthly_cents", "first"),
            below=("id_number", "size"),
            shortfall_cents=("shortfall_cents", "sum"),
        )
        .reset_index()
        .merge(listed, on=["project_id", "subject"])
    )
    result = pd.DataFrame(
        {
            "project_id": frame["project_id"],
            "subject": frame["subject"],
            "measure": frame["below"].astype(float),
            "arrears_cents": frame["shortfall_cents"],
            "workers": frame["below"],
        }
    )
    result["evidence"] = [
        {
            "month": row.subject,
            "district": row.district,
            "monthly_minimum": yuan(row.monthly_cents),
            "days_per_month": "21.75",
            "workers_below": int(row.below),
            "shortfall": yuan(row.shortfall_cents),
            "workers": row.listed,
            "workers_total": int(row.listed_total),
        }
        for row in frame.itertuples()
    ]
    result["message_zh"] = [
        f"{e['month']}有{e['workers_below']}人应发工资低于{e['district']}最低工资标准"
        f"（月{e['monthly_minimum']}元，按出勤折算），合计差额{e['shortfall']}元"
        for e in result["evidence"]
    ]
    result["message_en"] = [
        f"{e['workers_below']} workers owed less than the minimum wage for {e['month']} "
        f"({e['monthly_minimum']} yuan a month in {e['district']}, prorated by days worked), "
        f"{e['shortfall']} yuan short in total"
        for e in result["evidence"]
    ]
    return result.reset_index(drop=True)
