"""``abnormal_high_pay``: a worker paid implausibly much, a sign of a fake payroll or of
wages routed through one person (platforms warn red above 50,000 yuan in a month or
300,000 in a year).

Fires when a payroll line's wages paid (paid on or before the scan date) exceed
``monthly_cap`` (the monthly cap applies to one project's pay for the month), and when a
worker's wages paid over a calendar year of wage months exceed ``yearly_cap``, summed
across projects. A month over the cap raises the alert of its project and month; a year
over the cap raises one on each project that paid the worker in that year, its subject the
latest month that project paid the worker in the year. Months up to the scan date's month
count, due or not. Measure: the number of workers listed; the shipped ladder is red. Each
worker's entry gives the month's pay on the project, the year's total across projects and
which cap it exceeds.

Does not fire for pay equal to a cap, or for payments dated after the scan date.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from pydantic import Field

from wage_guard.scan.calendar import month_index
from wage_guard.scan.context import ScanContext, cents
from wage_guard.scan.model import CheckParams, empty_findings, listed_workers, register, yuan


class Params(CheckParams):
    monthly_cap: Decimal = Field(Decimal("50000"), gt=0)
    yearly_cap: Decimal = Field(Decimal("300000"), gt=0)


@register("abnormal_high_pay", Params)
def abnormal_high_pay(context: ScanContext, params: Params) -> pd.DataFrame:
    """Workers paid more than the monthly cap in a month or the yearly cap in a year."""
    monthly_cap, yearly_cap = _cents(params.monthly_cap), _cents(params.yearly_cap)
    # Candidates, found without summing every worker's year. A worker paid more than the
    # yearly cap in a year has in it a line over a twelfth of the cap if no month of it
    # has two lines, over a 24th if no month has three, or else a month with three lines.
    # Read through the index of wages paid, from the floor's whole yuan (the exact test follows).
    floor = min(monthly_cap, yearly_cap // 24)
    paid = context.query(
        f"""
        SELECT id_number, substr(month, 1, 4) AS year, {cents("wage_paid")} AS paid_cents
        FROM payroll_lines
        WHERE wage_paid > :floor_yuan AND wage_paid * 100 > :floor
          AND month <= :as_of_month AND paid_on <= :as_of
        """,
        floor=floor,
        floor_yuan=floor // 100,
    )
    several = context.workers_on_several_projects("payroll_lines")
    several = several.assign(year=several["month"].str.slice(0, 4))
    keys = ["id_number", "year"]
    twice = several[keys]
    candidates = pd.concat(
        [
            paid.loc[paid["paid_cents"] > min(monthly_cap, yearly_cap // 12), keys],
            paid[keys].merge(twice),
            several.loc[several["projects"] > 2, keys],
        ]
    ).drop_duplicates()
    if candidates.empty:
        return empty_findings()
    lines = context.query_keys(
        f"""
        SELECT project_id, month, id_number, worker_name, {cents("wage_paid")} AS paid_cents
        FROM payroll_lines
        WHERE id_number IN :values AND month BETWEEN :first AND :last
          AND month <= :as_of_month AND wage_paid > 0 AND paid_on <= :as_of
        """,
        pd.DataFrame(
            {
                "value": candidates["id_number"],
                "first": candidates["year"] + "-01",
                "last": candidates["year"] + "-12",
            }
        ),
    )
    lines = lines.assign(year=lines["month"].str.slice(0, 4)).merge(candidates)
    by_year = lines.groupby(["id_number", "year"])
    lines["year_cents"] = by_year["paid_cents"].transform("sum")
    lines["projects_in_year"] = by_year["project_id"].transform("nunique")
    index = month_index(lines["month"])
    latest = index.groupby([lines["id_number"], lines["year"], lines["project_id"]]).transform(
        "max"
    )
    lines["over_month"] = lines["paid_cents"] > monthly_cap
    lines["over_year"] = (lines["year_cents"] > yearly_cap) & (index == latest)
    lines = lines[lines["over_month"] | lines["over_year"]].copy()
    if lines.empty:
        return empty_findings()
    lines["over"] = [
        [cap for cap, over in (("monthly_cap", m), ("yearly_cap", y)) if over]
        for m, y in zip(lines["over_month"], lines["over_year"], strict=True)
    ]
    lines = lines.rename(columns={"month": "subject"}).sort_values(
        ["project_id", "subject", "year_cents"], ascending=[True, True, False]
    )
    lines["paid_in_month"] = lines["paid_cents"].map(yuan)
    lines["paid_in_year"] = lines["year_cents"].map(yuan)
    listed = listed_workers(
        lines, ["paid_in_month", "year", "paid_in_year", "projects_in_year", "over"]
    )
    frame = (
        lines.groupby(["project_id", "subject"])
        .agg(
            workers=("id_number", "size"),
            over_monthly=("over_month", "sum"),
            over_yearly=("over_year", "sum"),
            top_cents=("paid_cents", "max"),
        )
        .reset_index()
        .merge(listed, on=["project_id", "subject"])
    )
    result = pd.DataFrame(
        {
            "project_id": frame["project_id"],
            "subject": frame["subject"],
            "measure": frame["workers"].astype(float),
            "arrears_cents": None,
            "workers": frame["workers"],
        }
    )
    result["evidence"] = [
        {
            "month": row.subject,
            "monthly_cap": yuan(monthly_cap),
            "yearly_cap": yuan(yearly_cap),
            "workers_over_monthly_cap": int(row.over_monthly),
            "workers_over_yearly_cap": int(row.over_yearly),
            "highest_paid_in_month": yuan(row.top_cents),
            "workers": row.listed,
            "workers_total": int(row.listed_total),
        }
        for row in frame.itertuples()
    ]
    result["message_zh"] = [
        f"{e['month']}有{e['workers_total']}人工资异常偏高（"
        + "，".join(
            f"{count}人{text}"
            for count, text in (
                (e["workers_over_monthly_cap"], f"当月超过{e['monthly_cap']}元"),
                (e["workers_over_yearly_cap"], f"全年超过{e['yearly_cap']}元"),
            )
            if count
        )
        + "）"
        for e in result["evidence"]
    ]
    result["message_en"] = [
        f"{e['workers_total']} workers paid abnormally much in {e['month']} ("
        + ", ".join(
            f"{count} {text}"
            for count, text in (
                (e["workers_over_monthly_cap"], f"over {e['monthly_cap']} yuan in the month"),
                (e["workers_over_yearly_cap"], f"over {e['yearly_cap']} yuan in the year"),
            )
            if count
        )
        + ")"
        for e in result["evidence"]
    ]
    return result.reset_index(drop=True)


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value(ROUND_HALF_UP))
