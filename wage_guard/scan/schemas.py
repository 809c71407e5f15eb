"""What a scan reports: each rule's counts and duration, and the run's outcome."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from wage_guard.scan.model import Mode
from wage_guard.scan.orm import ScanRun


class RuleStats(BaseModel):
    """One rule in one scan: how long it took, what it found and what the alert store did.

    ``levels`` counts the findings per level. A rule in monitor mode only finds: it raises,
    updates and resolves nothing. A rule whose check raised has ``error`` (the exception) and
    ``traceback`` (its last frames) and resolved nothing.
    """

    model_config = ConfigDict(extra="forbid")

    mode: Mode
    seconds: float
    found: int = 0
    levels: dict[str, int] = Field(default_factory=dict)
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    resolved: int = 0
    held: int = 0
    error: str | None = None
    traceback: str | None = None


class ScanSummary(BaseModel):
    """A scan run as recorded in ``scan_runs``."""

    run_id: int
    as_of: date
    trigger: str
    requested_by: str | None
    status: str
    started_at: datetime
    finished_at: datetime | None
    rules: dict[str, RuleStats]
    error: str | None

    @classmethod
    def from_run(cls, run: ScanRun) -> ScanSummary:
        return cls(
            run_id=run.id,
            as_of=run.as_of,
            trigger=run.trigger,
            requested_by=run.requested_by,
            status=run.status,
            started_at=run.started_at,
            finished_at=run.finished_at,
            rules={rule_id: RuleStats(**stats) for rule_id, stats in run.rule_stats.items()},
            error=run.error,
        )
