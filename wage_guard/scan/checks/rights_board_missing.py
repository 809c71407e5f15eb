"""``rights_board_missing``: a project in progress with no rights board (维权信息告示牌)
recorded (Regulations Art. 34, 56).

Fires for a project in progress (在建) whose rights board is recorded as absent or not
recorded at all. Measure: days since the project's start date (0 before it). The shipped
ladder is a single yellow step.

Does not fire for a project with a rights board recorded, or for a project preparing,
suspended or completed.
"""

from __future__ import annotations

import pandas as pd

from wage_guard.scan.context import ScanContext
from wage_guard.scan.model import CheckParams, empty_findings, register


class Params(CheckParams):
    """No parameters: the duty holds from the day a project is in progress."""


@register("rights_board_missing", Params)
def rights_board_missing(context: ScanContext, params: Params) -> pd.DataFrame:
    """Projects in progress without a rights board."""
    projects = context.projects()
    missing = (projects["status"] == "in_progress") & ~projects["rights_board"].fillna(False)
    frame = projects[missing.astype(bool)]
    if frame.empty:
        return empty_findings()
    days = (context.as_of_ts - frame["start_date"]).dt.days.clip(lower=0)
    result = pd.DataFrame(
        {
            "project_id": frame["project_id"],
            "subject": None,
            "measure": days.astype(float),
            "arrears_cents": None,
            "workers": None,
        }
    )
    result["evidence"] = [
        {
            "rights_board": None if pd.isna(board) else bool(board),
            "start_date": start.date().isoformat(),
            "days_since_start": int(n),
            "labor_officer": None if pd.isna(officer) else str(officer),
        }
        for board, start, n, officer in zip(
            frame["rights_board"], frame["start_date"], days, frame["labor_officer"], strict=True
        )
    ]
    result["message_zh"] = [
        ("未设置" if e["rights_board"] is False else "未登记")
        + f"维权信息告示牌，项目自{e['start_date']}开工"
        for e in result["evidence"]
    ]
    result["message_en"] = [
        ("No rights board on site" if e["rights_board"] is False else "No rights board recorded")
        + f", project started {e['start_date']}"
        for e in result["evidence"]
    ]
    return result.reset_index(drop=True)
