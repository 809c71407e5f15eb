"""What callers see of alerts, their history and the projects' risk grades, and what people
may do to an alert."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

# An acknowledgement (核查中) lasts this long unless the person gives a date.
ACKNOWLEDGE_DAYS = 7
# The furthest a snooze or an acknowledgement may reach (RULES.md, max_snooze_days).
MAX_SNOOZE_DAYS = 30


class Action(StrEnum):
    """What a person may do to an alert (RULES.md lifecycle rule 4)."""

    ACKNOWLEDGE = "acknowledge"
    SNOOZE = "snooze"
    RESOLVE = "resolve"
    DISMISS = "dismiss"
    COMMENT = "comment"
    REOPEN = "reopen"


class AlertEventRead(BaseModel):
    """One entry of an alert's append-only history: who, when, what and why."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    from_level: str | None
    to_level: str | None
    reason: str | None
    details: dict[str, Any]
    scan_run_id: int | None


class AlertSummary(BaseModel):
    """An alert with its project, as a queue lists it; ``subject`` is the wage month
    ``YYYY-MM`` or None for the project itself, ``arrears`` exact yuan."""

    id: int
    rule: str
    level: str
    status: str
    project_id: int
    project_code: str
    project_name: str
    district: str
    subject: str | None
    fingerprint: str
    first_seen: datetime
    last_seen: datetime
    closed_at: datetime | None
    until: datetime | None
    arrears: Decimal | None
    workers_affected: int | None
    message_zh: str
    message_en: str
    version: int


class AlertRead(AlertSummary):
    """An alert with its evidence (already masked by its check)."""

    evidence: dict[str, Any]


class AlertDetail(AlertRead):
    """An alert with its full history, oldest first."""

    events: list[AlertEventRead]


class AlertList(BaseModel):
    """One page of alerts and how many match in all."""

    items: list[AlertSummary]
    total: int
    limit: int
    offset: int


class ProjectRiskRead(BaseModel):
    """A project's risk grade and score, and its open alerts counted by level."""

    id: int
    code: str
    name: str
    district: str
    contractor: str
    risk_grade: str
    risk_score: float
    open_red: int
    open_orange: int
    open_yellow: int
