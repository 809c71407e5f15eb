"""``guarantee_missing``: a project in progress without a sufficient wage guarantee
(工资保证金; Regulations Art. 32, 55; 人社部发〔2021〕65号).

Fires for a project in progress (在建) whose contract amount is at least ``exempt_below``
yuan when it has no guarantee, one that expired before the scan date, or one below
``min_rate`` of the contract amount. Measure: the guarantee as a share of the amount
required (0 when there is none or it expired). The shipped ladder is yellow for a guarantee
below the rate, orange for none or an expired one.

Does not fire for a contract below ``exempt_below`` or of unknown amount, for a guarantee
of exactly ``min_rate``, one valid until the scan date itself or with no end date, one whose
amount is not recorded (it cannot be compared), or for a project not in progress.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wage_guard.scan.context import ScanContext
from wage_guard.scan.model import CheckParams, empty_findings, register, yuan


class Params(CheckParams):
    exempt_below: float = 3_000_000
    min_rate: float = 0.01


@register("guarantee_missing", Params)
def guarantee_missing(context: ScanContext, params: Params) -> pd.DataFrame:
    """Projects in progress whose guarantee is missing, expired or below the rate."""
    projects = context.projects()
    contract = projects["contract_amount_cents"]
    liable = (projects["status"] == "in_progress") & (
        contract >= round(params.exempt_below * 100)
    ).fillna(False)
    frame = projects[liable].copy()
    # Whole fen, rounded up; rounding to 6 places first drops the float error of the rate.
    required = np.ceil((frame["contract_amount_cents"].astype(float) * params.min_rate).round(6))
    has_guarantee = frame["guarantee_form"].notna()
    expired = frame["guarantee_valid_until"] < context.as_of_ts
    usable = has_guarantee & ~expired
    short = usable & (frame["guarantee_amount_cents"].astype(float) < required)
    frame["required_cents"] = required.astype("int64")
    frame["state"] = np.select([~has_guarantee, expired], ["none", "expired"], default="below_rate")
    frame = frame[~usable | short]
    if frame.empty:
        return empty_findings()
    coverage = (frame["guarantee_amount_cents"].astype(float) / frame["required_cents"]).where(
        frame["state"] == "below_rate", 0.0
    )
    result = pd.DataFrame(
        {
            "project_id": frame["project_id"],
            "subject": None,
            "measure": coverage,
            "arrears_cents": None,
            "workers": None,
        }
    )
    result["evidence"] = [
        {
            "state": row.state,
            "contract_amount": yuan(row.contract_amount_cents),
            "min_rate": params.min_rate,
            "required": yuan(row.required_cents),
            "guarantee_form": row.guarantee_form if row.state != "none" else None,
            "guarantee_amount": yuan(row.guarantee_amount_cents),
            "guarantee_valid_until": (
                row.guarantee_valid_until.date().isoformat()
                if pd.notna(row.guarantee_valid_until)
                else None
            ),
        }
        for row in frame.itertuples()
    ]
    what_zh = {
        "none": "未缴存工资保证金",
        "expired": "工资保证金已过期",
        "below_rate": "工资保证金不足",
    }
    what_en = {
        "none": "No wage guarantee",
        "expired": "Wage guarantee expired",
        "below_rate": "Wage guarantee below the rate",
    }
    result["message_zh"] = [
        f"{what_zh[e['state']]}：合同额{e['contract_amount']}元，应缴{e['required']}元"
        + (f"，现有{e['guarantee_amount']}元" if e["guarantee_amount"] else "")
        + (f"，有效期至{e['guarantee_valid_until']}" if e["state"] == "expired" else "")
        for e in result["evidence"]
    ]
    result["message_en"] = [
        f"{what_en[e['state']]}: contract {e['contract_amount']} yuan, {e['required']} required"
        + (f", {e['guarantee_amount']} given" if e["guarantee_amount"] else "")
        + (f", valid until {e['guarantee_valid_until']}" if e["state"] == "expired" else "")
        for e in result["evidence"]
    ]
    return result.reset_index(drop=True)
