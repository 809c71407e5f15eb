"""``unregistered_payee``: wages on the payroll of a worker the project's roster does not
know that month (实名制, Regulations Art. 28, 30: nobody works unregistered, and the payroll
is based on the attendance record; a payee off the roster is a sign of a fake payroll).

Fires for each wage month up to the scan date's month with a payroll line for a worker who
has no roster row on that project in that month (with any days present, zero included).
Measure: the number of such workers; the shipped ladder is orange. They are listed in the
evidence with their wages payable and paid.

Does not fire for a worker on the roster that month, whatever their days, or for a roster
row of the same worker on another project or in another month.
"""

from __future__ import annotations

import pandas as pd

from wage_guard.scan.context import ScanContext
from wage_guard.scan.model import CheckParams, empty_findings, listed_workers, register, yuan


class Params(CheckParams):
    """No parameters."""


@register("unregistered_payee", Params)
def unregistered_payee(context: ScanContext, params: Params) -> pd.DataFrame:
    """Payroll lines with no roster row for the same project, month and worker."""
    lines = context.roster_mismatches()
    lines = lines[lines["days_present"].isna()].rename(columns={"month": "subject"})
    if lines.empty:
        return empty_findings()

    lines = lines.sort_values(
        ["project_id", "subject", "payable_cents"], ascending=[True, True, False]
    )
    lines["wage_payable"] = lines["payable_cents"].map(yuan)
    lines["wage_paid"] = lines["paid_cents"].map(yuan)
    listed = listed_workers(lines, ["wage_payable", "wage_paid"])
    payroll = context.payroll_months()[["project_id", "month", "lines"]]
    roster = context.roster_months()[["project_id", "month", "rows"]]
    frame = (
        lines.groupby(["project_id", "subject"])
        .agg(
            unregistered=("id_number", "size"),
            payable_cents=("payable_cents", "sum"),
            paid_cents=("paid_cents", "sum"),
        )
        .reset_index()
        .merge(payroll.rename(columns={"month": "subject"}), on=["project_id", "subject"])
        .merge(
            roster.rename(columns={"month": "subject"}), on=["project_id", "subject"], how="left"
        )
        .merge(listed, on=["project_id", "subject"])
    )
    frame["rows"] = frame["rows"].fillna(0).astype("int64")
    result = pd.DataFrame(
        {
            "project_id": frame["project_id"],
            "subject": frame["subject"],
            "measure": frame["unregistered"].astype(float),
            "arrears_cents": None,
            "workers": frame["unregistered"],
        }
    )
    result["evidence"] = [
        {
            "month": row.subject,
            "payroll_lines": int(row.lines),
            "roster_rows": int(row.rows),
            "workers_unregistered": int(row.unregistered),
            "wage_payable": yuan(row.payable_cents),
            "wage_paid": yuan(row.paid_cents),
            "workers": row.listed,
            "workers_total": int(row.listed_total),
        }
        for row in frame.itertuples()
    ]
    result["message_zh"] = [
        f"{e['month']}工资表上有{e['workers_unregistered']}人不在本项目当月实名考勤名册中，"
        f"应发{e['wage_payable']}元，已发{e['wage_paid']}元"
        for e in result["evidence"]
    ]
    result["message_en"] = [
        f"{e['workers_unregistered']} payees on the payroll for {e['month']} are not on the "
        f"project's roster that month ({e['wage_payable']} yuan payable, {e['wage_paid']} paid)"
        for e in result["evidence"]
    ]
    return result.reset_index(drop=True)
