"""``consecutive_arrears``: a worker owed wages month after month on the same project
(Regulations Art. 12; owing one worker 3 months' pay is the duration of the crime of refusing
to pay wages, 拒不支付劳动报酬罪).

A worker is owed in a due wage month when the wages payable on their payroll line exceed
what was paid on or before the scan date. Fires for each run of ``min_months`` (2) or more
consecutive due months (calendar months, none missing) in which a worker is owed on the
project; the alert's subject is the latest month of the run, and a project's workers whose
runs end in the same month share one alert. Measure: the longest run among them. The
shipped ladder is orange, red from 3 months. The evidence lists the workers with the months
of their run and what they are owed over it; the alert's arrears are the total.

Does not fire for a single month owed, for months not yet due, for months owed on
different projects, or for runs broken by a month paid in full or with no payroll line.
When a run grows by a month its subject moves to the new latest month: the old alert
clears and a new one opens.
"""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from wage_guard.scan.calendar import month_index
from wage_guard.scan.context import ScanContext
from wage_guard.scan.model import (
    CheckParams,
    collect,
    empty_findings,
    listed_workers,
    register,
    yuan,
)


class Params(CheckParams):
    min_months: int = Field(2, ge=2)


@register("consecutive_arrears", Params)
def consecutive_arrears(context: ScanContext, params: Params) -> pd.DataFrame:
    """Workers owed on the project in min_months or more consecutive due months."""
    lines = context.payroll_exceptions()
    owed = lines.loc[
        lines["payable_cents"] > lines["paid_cents"],
        ["project_id", "month", "id_number", "worker_name"],
    ].assign(owed_cents=lines["payable_cents"] - lines["paid_cents"])
    months = context.project_months()[["project_id", "month", "due"]]
    owed = owed.merge(months, on=["project_id", "month"])
    owed = owed[owed["due"]]
    if owed.empty:
        return empty_findings()

    owed = owed.assign(index=month_index(owed["month"])).sort_values(
        ["project_id", "id_number", "index"]
    )
    starts = owed.groupby(["project_id", "id_number"])["index"].diff().ne(1)
    owed["run"] = starts.cumsum()
    owed["consecutive_months"] = owed.groupby("run")["index"].transform("size")
    owed = owed[owed["consecutive_months"] >= params.min_months]
    if owed.empty:
        return empty_findings()

    runs = (
        owed.groupby("run")
        .agg(
            project_id=("project_id", "first"),
            id_number=("id_number", "first"),
            worker_name=("worker_name", "last"),
            subject=("month", "last"),
            consecutive_months=("consecutive_months", "first"),
            owed_cents=("owed_cents", "sum"),
        )
        .join(collect(owed, ["run"], "month").rename("months"))
        .reset_index(drop=True)
    )
    runs = runs.sort_values(
        ["project_id", "subject", "consecutive_months", "owed_cents"],
        ascending=[True, True, False, False],
    )
    runs["owed"] = runs["owed_cents"].map(yuan)
    listed = listed_workers(runs, ["consecutive_months", "months", "owed"])
    frame = (
        runs.groupby(["project_id", "subject"])
        .agg(
            workers=("id_number", "size"),
            longest=("consecutive_months", "max"),
            owed_cents=("owed_cents", "sum"),
        )
        .reset_index()
        .merge(listed, on=["project_id", "subject"])
    )
    result = pd.DataFrame(
        {
            "project_id": frame["project_id"],
            "subject": frame["subject"],
            "measure": frame["longest"].astype(float),
            "arrears_cents": frame["owed_cents"],
            "workers": frame["workers"],
        }
    )
    result["evidence"] = [
        {
            "month": row.subject,
            "longest_run_months": int(row.longest),
            "workers_owed": int(row.workers),
            "arrears": yuan(row.owed_cents),
            "workers": row.listed,
            "workers_total": int(row.listed_total),
        }
        for row in frame.itertuples()
    ]
    result["message_zh"] = [
        f"截至{e['month']}有{e['workers_owed']}名工人连续欠薪（最长连续{e['longest_run_months']}"
        f"个月），共欠{e['arrears']}元"
        for e in result["evidence"]
    ]
    result["message_en"] = [
        f"{e['workers_owed']} workers owed wages in consecutive months up to {e['month']} "
        f"(up to {e['longest_run_months']} months in a row), {e['arrears']} yuan in total"
        for e in result["evidence"]
    ]
    return result.reset_index(drop=True)
