"""``paid_outside_account``: wages paid in cash or through another channel than the project's
wage account (专户代发, Regulations Art. 26, 31: the general contractor pays every worker's
own card from the account; nothing but wages leaves it, and no cash).

Fires for each wage month up to the scan date's month (due or not: a payment already made
outside the account is a breach when it is made) with payroll lines paid (wages paid > 0,
paid on or before the scan date) by cash or another channel. Measure: the share of the
month's paid wages paid so. The shipped ladder is orange. The workers paid so are listed in
the evidence with channel, date and amount.

Does not fire for lines paid through the account, lines not paid yet, or payments dated
after the scan date.
"""

from __future__ import annotations

import pandas as pd

from wage_guard.payroll.orm import PaidVia
from wage_guard.scan.context import ScanContext
from wage_guard.scan.model import CheckParams, empty_findings, listed_workers, register, yuan


class Params(CheckParams):
    """No parameters."""


@register("paid_outside_account", Params)
def paid_outside_account(context: ScanContext, params: Params) -> pd.DataFrame:
    """Months with lines paid by cash or another channel."""
    lines = context.payroll_exceptions()
    lines = lines[(lines["paid_via"] != PaidVia.ACCOUNT.value) & lines["paid_on"].notna()]
    if lines.empty:
        return empty_findings()

    channels = (
        lines.groupby(["project_id", "month", "paid_via"])
        .agg(lines=("id_number", "size"), paid_cents=("paid_cents", "sum"))
        .reset_index()
    )
    by_month: dict[tuple[int, str], list[dict[str, object]]] = {}
    for row in channels.itertuples():
        by_month.setdefault((row.project_id, row.month), []).append(
            {"paid_via": row.paid_via, "lines": int(row.lines), "wage_paid": yuan(row.paid_cents)}
        )
    lines = lines.rename(columns={"month": "subject"}).sort_values(
        ["project_id", "subject", "paid_cents"], ascending=[True, True, False]
    )
    lines["paid_on"] = lines["paid_on"].dt.strftime("%Y-%m-%d")
    lines["wage_paid"] = lines["paid_cents"].map(yuan)
    listed = listed_workers(lines, ["paid_via", "paid_on", "wage_paid"])
    totals = context.payroll_months()[["project_id", "month", "paid_cents"]]
    frame = (
        channels.groupby(["project_id", "month"])
        .agg(outside_lines=("lines", "sum"), outside_cents=("paid_cents", "sum"))
        .reset_index()
        .merge(totals, on=["project_id", "month"])
        .merge(listed.rename(columns={"subject": "month"}), on=["project_id", "month"])
    )
    result = pd.DataFrame(
        {
            "project_id": frame["project_id"],
            "subject": frame["month"],
            "measure": frame["outside_cents"] / frame["paid_cents"],
            "arrears_cents": None,
            "workers": frame["outside_lines"],
        }
    )
    result["evidence"] = [
        {
            "month": row.month,
            "lines_outside_account": int(row.outside_lines),
            "wage_paid_outside_account": yuan(row.outside_cents),
            "wage_paid": yuan(row.paid_cents),
            "outside_share": round(float(row.outside_cents) / float(row.paid_cents), 4),
            "channels": by_month[(row.project_id, row.month)],
            "workers": row.listed,
            "workers_total": int(row.listed_total),
        }
        for row in frame.itertuples()
    ]
    result["message_zh"] = [
        f"{e['month']}有{e['lines_outside_account']}人次工资未通过专户发放（现金或其他方式），"
        f"共{e['wage_paid_outside_account']}元"
        for e in result["evidence"]
    ]
    result["message_en"] = [
        f"Wages for {e['month']} paid outside the wage account (cash or other) on "
        f"{e['lines_outside_account']} lines, {e['wage_paid_outside_account']} yuan"
        for e in result["evidence"]
    ]
    return result.reset_index(drop=True)
