"""``wage_account_missing``: a project in progress with no wage account (专户) recorded
(Regulations Art. 26, 55; the general contractor opens it within 30 days of signing).

Fires for a project in progress (在建) with no wage account when more than
``open_within_days`` days have passed from the contract's signing, or from the start date
when no signing date is known, to the scan date. Measure: those days. The shipped ladder is
yellow, then red above 60 days.

Does not fire for a project that has an account recorded (whatever its opening date), on
the ``open_within_days``-th day itself, or for a project preparing, suspended or completed.
"""

from __future__ import annotations

import pandas as pd

from wage_guard.scan.context import ScanContext
from wage_guard.scan.model import CheckParams, empty_findings, register


class Params(CheckParams):
    open_within_days: int = 30


def days_since_signing(projects: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Days from each project's contract signing (else its start date) to ``as_of``."""
    reference = projects["contract_signed_on"].fillna(projects["start_date"])
    return (as_of - reference).dt.days


def account_overdue(
    projects: pd.DataFrame, as_of: pd.Timestamp, open_within_days: int
) -> pd.Series:
    """Whether each project is one this rule fires for: in progress, no account, and more
    than ``open_within_days`` days since signing."""
    late = days_since_signing(projects, as_of) > open_within_days
    no_account = projects["account_id"].isna()
    return ((projects["status"] == "in_progress") & no_account & late).fillna(False).astype(bool)


@register("wage_account_missing", Params)
def wage_account_missing(context: ScanContext, params: Params) -> pd.DataFrame:
    """Projects in progress whose wage account is overdue."""
    projects = context.projects()
    frame = projects[account_overdue(projects, context.as_of_ts, params.open_within_days)]
    if frame.empty:
        return empty_findings()
    days = days_since_signing(frame, context.as_of_ts)
    result = pd.DataFrame(
        {
            "project_id": frame["project_id"],
            "subject": None,
            "measure": days.astype(float),
            "arrears_cents": None,
            "workers": None,
        }
    )
    reference = frame["contract_signed_on"].fillna(frame["start_date"])
    result["evidence"] = [
        {
            "contract_signed_on": signed.date().isoformat() if pd.notna(signed) else None,
            "start_date": start.date().isoformat(),
            "counted_from": ref.date().isoformat(),
            "open_by": (ref + pd.Timedelta(days=params.open_within_days)).date().isoformat(),
            "days_without_account": int(n),
        }
        for signed, start, ref, n in zip(
            frame["contract_signed_on"], frame["start_date"], reference, days, strict=True
        )
    ]
    result["message_zh"] = [
        f"在建项目未设立农民工工资专用账户，自{e['counted_from']}起已{e['days_without_account']}天"
        f"（应于{e['open_by']}前开立）"
        for e in result["evidence"]
    ]
    result["message_en"] = [
        f"Project in progress has no wage account {e['days_without_account']} days after "
        f"{e['counted_from']} (due by {e['open_by']})"
        for e in result["evidence"]
    ]
    return result.reset_index(drop=True)
