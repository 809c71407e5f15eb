"""``completion_with_arrears``: wages owed on a project that has ended or is about to
(Regulations Art. 12; the wage account may close only after completion with no wages
owed, 人社部发〔2021〕53号; Tianjin warns of "completion near with wages owed").

Fires for a project with wages owed (a due month whose payroll shows paid < payable)
when it is completed or suspended, or in progress with its planned end date from the scan
date to ``warn_days`` days after it, both days included. Measure: 1 when completed or
suspended, 0 when the end is near. The shipped ladder is orange, red when ended. The
arrears are the sum of the months' payable minus paid; the workers are those with a line
owed in those months, listed with masked IDs.

Does not fire for a project paid in full for every due month (arrears of a month not yet
due do not count), a project preparing, or one in progress whose planned end is unknown,
more than ``warn_days`` days away, or already past (the plan is stale; the arrears
themselves are ``wages_unpaid``'s).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

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
    warn_days: int = Field(60, ge=0)


@register("completion_with_arrears", Params)
def completion_with_arrears(context: ScanContext, params: Params) -> pd.DataFrame:
    """Ended or ending projects with wages owed for due months."""
    projects = context.projects()
    as_of = context.as_of_ts
    ended = projects["status"].isin(["completed", "suspended"])
    ending = (
        (projects["status"] == "in_progress")
        & (projects["planned_end_date"] >= as_of)
        & (projects["planned_end_date"] <= as_of + pd.Timedelta(days=params.warn_days))
    )
    watched = projects.loc[ended | ending, ["project_id", "status", "planned_end_date"]]
    months = context.project_months()
    owed_months = context.payroll_months().merge(
        months.loc[months["due"], ["project_id", "month"]], on=["project_id", "month"]
    )
    owed_months = owed_months[
        (owed_months["unpaid_cents"] > 0) & owed_months["project_id"].isin(watched["project_id"])
    ]
    if owed_months.empty:
        return empty_findings()

    lines = context.payroll_exceptions()
    owed = lines["payable_cents"] > lines["paid_cents"]
    lines = (
        lines.loc[owed, ["project_id", "month", "id_number", "worker_name"]]
        .assign(owed_cents=lines["payable_cents"] - lines["paid_cents"])
        .merge(owed_months[["project_id", "month"]], on=["project_id", "month"])
    )
    worker = ["project_id", "id_number"]
    per_worker = (
        lines.groupby(worker)
        .agg(worker_name=("worker_name", "first"), owed_cents=("owed_cents", "sum"))
        .join(collect(lines.sort_values("month", kind="stable"), worker, "month").rename("months"))
        .reset_index()
        .sort_values(["project_id", "owed_cents"], ascending=[True, False])
    )
    per_worker["owed"] = per_worker["owed_cents"].map(yuan)
    listed = listed_workers(per_worker, ["owed", "months"], keys=("project_id",))
    totals = (
        owed_months.sort_values("month")
        .groupby("project_id")
        .agg(
            arrears_cents=("unpaid_cents", "sum"),
            months=("month", list),
            month_arrears=("unpaid_cents", list),
        )
    )
    frame = (
        watched.set_index("project_id")
        .join(totals, how="inner")
        .join(listed.set_index("project_id"))
        .reset_index()
    )
    frame["days_to_end"] = (frame["planned_end_date"] - as_of).dt.days.where(
        frame["status"] == "in_progress"
    )
    result = pd.DataFrame(
        {
            "project_id": frame["project_id"],
            "subject": None,
            "measure": np.where(frame["status"] == "in_progress", 0.0, 1.0),
            "arrears_cents": frame["arrears_cents"].astype("int64"),
            "workers": frame["listed_total"].astype("int64"),
        }
    )
    result["evidence"] = [
        {
            "status": row.status,
            "planned_end_date": (
                row.planned_end_date.date().isoformat() if pd.notna(row.planned_end_date) else None
            ),
            "days_to_end": None if pd.isna(row.days_to_end) else int(row.days_to_end),
            "arrears": yuan(row.arrears_cents),
            "months": [
                {"month": month, "arrears": yuan(owed)}
                for month, owed in zip(row.months, row.month_arrears, strict=True)
            ],
            "workers_owed": int(row.listed_total),
            "workers": row.listed,
        }
        for row in frame.itertuples()
    ]
    status_zh = {"completed": "已完工", "suspended": "已停工"}
    status_en = {"completed": "Completed", "suspended": "Suspended"}
    result["message_zh"] = [
        (
            f"项目{status_zh[e['status']]}"
            if e["status"] in status_zh
            else f"项目将于{e['planned_end_date']}完工（{e['days_to_end']}天后）"
        )
        + f"，仍欠发工资{e['arrears']}元，涉及{e['workers_owed']}人、{len(e['months'])}个月"
        for e in result["evidence"]
    ]
    result["message_en"] = [
        (
            f"{status_en[e['status']]} project"
            if e["status"] in status_en
            else f"Project due to end on {e['planned_end_date']} (in {e['days_to_end']} days)"
        )
        + f" still owes {e['arrears']} yuan to {e['workers_owed']} workers "
        f"for {len(e['months'])} months"
        for e in result["evidence"]
    ]
    return result.reset_index(drop=True)
