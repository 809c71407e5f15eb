"""``labor_cost_not_allocated``: a month in which the owner paid no labor cost (人工费用)
into the wage account (Regulations Art. 24, 29, 57; the allocation cycle may not exceed a
month).

Fires for each month closed ``grace_days`` after its last day in which the project was
active and its wage account received no labor-cost deposit dated in that month. Measure: 1
when the month escalates, that is when it is the ``red_consecutive``-th or later month of an
unbroken run of such months, or when the ``red_window_months`` months ending with it hold
``red_count`` or more of them (Fujian: 2 in a row or 3 in total); else 0. The shipped ladder
is orange, red when it escalates.

Does not fire for a month not yet closed, a month in which the project was not active (a
preparing project has none; a completed or suspended one none after its end), or a month
with a deposit dated in it, however small. Months before the account was opened count,
except for a project for which ``wage_account_missing`` fires with its default parameters:
the missing account is that rule's alert. A deposit dated in the following month does not
cover the month; inactive months break a run.
"""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from wage_guard.scan.calendar import month_index
from wage_guard.scan.checks import wage_account_missing
from wage_guard.scan.context import DEFAULT_GRACE_DAYS, ScanContext
from wage_guard.scan.model import CheckParams, empty_findings, register


class Params(CheckParams):
    grace_days: int = Field(DEFAULT_GRACE_DAYS, ge=0)
    red_consecutive: int = Field(2, ge=1)
    red_count: int = Field(3, ge=1)
    red_window_months: int = Field(12, ge=1)


@register("labor_cost_not_allocated", Params)
def labor_cost_not_allocated(context: ScanContext, params: Params) -> pd.DataFrame:
    """Closed active months with no labor-cost deposit."""
    projects = context.projects()
    months = context.project_months()
    as_of = context.as_of_ts
    closed = as_of > months["month_end"] + pd.Timedelta(days=params.grace_days)
    open_within = wage_account_missing.Params().open_within_days
    left_to_account_rule = projects.loc[
        wage_account_missing.account_overdue(projects, as_of, open_within), "project_id"
    ]
    candidates = months[
        closed & months["active"] & ~months["project_id"].isin(left_to_account_rule)
    ]
    days = context.account_days()
    deposits = days.loc[days["kind"] == "labor_cost", ["project_id", "month", "txn_date"]]
    funded = pd.MultiIndex.from_frame(deposits[["project_id", "month"]])
    missed = candidates[
        ~pd.MultiIndex.from_frame(candidates[["project_id", "month"]]).isin(funded)
    ].copy()
    if missed.empty:
        return empty_findings()

    missed["index"] = month_index(missed["month"])
    missed = missed.sort_values(["project_id", "index"]).reset_index(drop=True)
    starts_run = missed.groupby("project_id")["index"].diff().ne(1)
    missed["run"] = missed.groupby(starts_run.cumsum()).cumcount() + 1
    pairs = missed[["project_id", "index", "month"]].merge(
        missed[["project_id", "index", "month"]], on="project_id", suffixes=("", "_other")
    )
    pairs = pairs[
        (pairs["index_other"] <= pairs["index"])
        & (pairs["index_other"] > pairs["index"] - params.red_window_months)
    ]
    window = pairs.groupby(["project_id", "month"])["month_other"].agg(sorted).rename("window")
    missed = missed.merge(window.reset_index(), on=["project_id", "month"])
    missed["in_window"] = missed["window"].map(len)
    escalated = (missed["run"] >= params.red_consecutive) | (
        missed["in_window"] >= params.red_count
    )
    earlier = missed[["project_id", "month", "month_start"]].merge(
        deposits[["project_id", "txn_date"]].astype({"project_id": "int64"}), on="project_id"
    )
    last_deposit = (
        earlier[earlier["txn_date"] < earlier["month_start"]]
        .groupby(["project_id", "month"])["txn_date"]
        .max()
        .rename("last_deposit_on")
    )
    missed = missed.merge(last_deposit.reset_index(), on=["project_id", "month"], how="left")
    missed = missed.merge(
        projects[["project_id", "account_no", "account_opened_on"]], on="project_id"
    )

    result = pd.DataFrame(
        {
            "project_id": missed["project_id"],
            "subject": missed["month"],
            "measure": escalated.astype(float),
            "arrears_cents": None,
            "workers": None,
        }
    )
    result["evidence"] = [
        {
            "month": row.month,
            "closed_after": (row.month_end + pd.Timedelta(days=params.grace_days))
            .date()
            .isoformat(),
            "consecutive_months": int(row.run),
            "months_without_deposit": list(row.window),
            "window_months": params.red_window_months,
            "account_no": None if pd.isna(row.account_no) else str(row.account_no),
            "account_opened_on": _iso(row.account_opened_on),
            "last_deposit_on": _iso(row.last_deposit_on),
        }
        for row in missed.itertuples()
    ]
    result["message_zh"] = [
        f"{e['month']}未拨付人工费用至工资专户（连续{e['consecutive_months']}个月，"
        f"近{e['window_months']}个月共{len(e['months_without_deposit'])}个月）"
        for e in result["evidence"]
    ]
    result["message_en"] = [
        f"No labor-cost deposit into the wage account in {e['month']} "
        f"({e['consecutive_months']} in a row, {len(e['months_without_deposit'])} in the last "
        f"{e['window_months']} months)"
        for e in result["evidence"]
    ]
    return result.reset_index(drop=True)


def _iso(value: pd.Timestamp) -> str | None:
    return None if pd.isna(value) else value.date().isoformat()
