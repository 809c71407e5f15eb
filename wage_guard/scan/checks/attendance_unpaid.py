"""``attendance_unpaid``: workers who attended the site in a due month and were not paid for
it (Regulations Art. 12, 30: wages follow the attendance record; platforms warn yellow when
fewer workers are paid than attended, red above 10%).

Fires for each due wage month in which a worker with days present > 0 on the roster has no
payroll line of that project and month with a payment seen by the scan (wages paid > 0,
paid on or before the scan date): no line at all, a line paid nothing, or one paid only
after the scan date. Measure: the share of the month's attended workers so unpaid. The
shipped ladder is yellow, red above 10% (RULES.md ``red_share``, set on the ladder). The
workers are listed in the evidence with their days present and, when they are on the
payroll, their wages payable.

Does not fire for a month not yet due, a worker with no days present, or a worker paid any
amount by the scan date (how much is ``wages_unpaid``'s concern).
"""

from __future__ import annotations

import pandas as pd

from wage_guard.scan.context import ScanContext
from wage_guard.scan.model import CheckParams, empty_findings, listed_workers, register, yuan


class Params(CheckParams):
    """No parameters: the red share is the rule's ladder."""


@register("attendance_unpaid", Params)
def attendance_unpaid(context: ScanContext, params: Params) -> pd.DataFrame:
    """Due months with attended workers paid nothing by the scan date."""
    months = context.project_months()
    due = months.loc[months["due"], ["project_id", "month", "pay_deadline"]]
    lines = context.roster_mismatches().merge(due, on=["project_id", "month"])
    # Attended workers on the payroll, paid nothing by the scan date.
    paid_nothing = lines[(lines["days_present"] > 0).fillna(False)].assign(on_payroll=True)
    # Attended workers with no payroll line at all: counted per month from the totals, then
    # read for the months that have some.
    counts = (
        lines.assign(
            no_row=lines["days_present"].isna(), absent=(lines["days_present"] == 0).fillna(False)
        )
        .groupby(["project_id", "month"])[["no_row", "absent"]]
        .sum()
        .reset_index()
    )
    totals = (
        context.roster_months()[["project_id", "month", "attended"]]
        .merge(due, on=["project_id", "month"])
        .merge(context.payroll_months()[["project_id", "month", "lines"]], how="left")
        .merge(counts, how="left")
    )
    on_payroll = totals["lines"].fillna(0) - totals["no_row"].fillna(0) - totals["absent"].fillna(0)
    gaps = totals[totals["attended"] > on_payroll]
    found = [frame for frame in (paid_nothing, _not_on_payroll(context, gaps)) if not frame.empty]
    if not found:
        return empty_findings()

    unpaid = pd.concat(found, ignore_index=True).rename(columns={"month": "subject"})
    unpaid = unpaid.sort_values(
        ["project_id", "subject", "days_present"], ascending=[True, True, False]
    )
    unpaid["not_on_payroll"] = (~unpaid["on_payroll"].astype(bool)).astype(int)
    unpaid["wage_payable"] = unpaid["payable_cents"].astype("Int64").map(yuan, na_action="ignore")
    listed = listed_workers(unpaid, ["days_present", "on_payroll", "wage_payable"])
    attended = totals[["project_id", "month", "attended"]].rename(columns={"month": "subject"})
    frame = (
        unpaid.groupby(["project_id", "subject"])
        .agg(
            unpaid=("id_number", "size"),
            not_on_payroll=("not_on_payroll", "sum"),
            pay_deadline=("pay_deadline", "first"),
        )
        .reset_index()
        .merge(attended, on=["project_id", "subject"])
        .merge(listed, on=["project_id", "subject"])
    )
    share = frame["unpaid"] / frame["attended"]
    result = pd.DataFrame(
        {
            "project_id": frame["project_id"],
            "subject": frame["subject"],
            "measure": share,
            "arrears_cents": None,
            "workers": frame["unpaid"],
        }
    )
    result["evidence"] = [
        {
            "month": row.subject,
            "pay_deadline": row.pay_deadline.date().isoformat(),
            "workers_attended": int(row.attended),
            "workers_unpaid": int(row.unpaid),
            "unpaid_share": round(float(row.unpaid) / float(row.attended), 4),
            "workers_not_on_payroll": int(row.not_on_payroll),
            "workers": row.listed,
            "workers_total": int(row.listed_total),
        }
        for row in frame.itertuples()
    ]
    result["message_zh"] = [
        f"{e['month']}出勤{e['workers_attended']}人中{e['workers_unpaid']}人未发放工资"
        f"（占{e['unpaid_share']:.0%}，其中{e['workers_not_on_payroll']}人不在工资表上）"
        for e in result["evidence"]
    ]
    result["message_en"] = [
        f"{e['workers_unpaid']} of {e['workers_attended']} workers who attended in {e['month']} "
        f"were not paid ({e['unpaid_share']:.0%}; {e['workers_not_on_payroll']} not on the "
        f"payroll)"
        for e in result["evidence"]
    ]
    return result.reset_index(drop=True)


def _not_on_payroll(context: ScanContext, gaps: pd.DataFrame) -> pd.DataFrame:
    """The attended workers with no payroll line in the months of ``gaps``, read for their
    projects only, in one statement: when the gaps are many, the database may answer it by
    reading the whole payroll, which had better happen once (not per chunk of keys)."""
    if gaps.empty:
        return pd.DataFrame()
    project_ids = ", ".join(str(int(i)) for i in sorted(set(gaps["project_id"])))
    rows = context.query(
        f"""
        SELECT r.project_id, r.month, r.id_number, r.worker_name, r.days_present
        FROM roster_entries r
        WHERE r.project_id IN ({project_ids}) AND r.month BETWEEN :first AND :last
          AND r.days_present > 0
          AND NOT EXISTS (
              SELECT 1 FROM payroll_lines p
              WHERE p.project_id = r.project_id AND p.month = r.month
                AND p.id_number = r.id_number)
        """,
        first=gaps["month"].min(),
        last=gaps["month"].max(),
    )
    return rows.merge(gaps[["project_id", "month", "pay_deadline"]]).assign(
        payable_cents=pd.NA, on_payroll=False
    )
