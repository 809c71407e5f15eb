"""Whether the service can do its job: the database answers, and the scan ran lately
(RELIABILITY 13)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from wage_guard.db import utcnow
from wage_guard.masking import describe_error
from wage_guard.scan.orm import ScanRun
from wage_guard.scan.runs import RunStatus, ScanRunRead, run_read

log = logging.getLogger(__name__)

# A nightly scan plus two hours' grace: older than this, the warnings are out of date.
MAX_SCAN_AGE = timedelta(hours=26)


class HealthStatus(StrEnum):
    """``ok``; ``degraded``: no scan succeeded within 26 hours; ``down``: no database."""

    OK = "ok"
    DEGRADED = "degraded"
    DOWN = "down"


class Health(BaseModel):
    """The service's health, with its last successful scan and that scan's age."""

    status: HealthStatus
    database: bool
    last_successful_scan: ScanRunRead | None
    last_scan_age_hours: float | None


def check_health(engine: sa.Engine, *, now: datetime | None = None) -> Health:
    """Down when the database does not answer; degraded when no scan ended ``succeeded``
    within ``MAX_SCAN_AGE`` (a partial scan, some of whose rules failed, does not count)."""
    now = now or utcnow()
    try:
        with Session(engine) as session:
            run = session.scalars(
                sa.select(ScanRun)
                .where(ScanRun.status == RunStatus.SUCCEEDED)
                .order_by(ScanRun.finished_at.desc(), ScanRun.id.desc())
                .limit(1)
            ).first()
    except sa.exc.SQLAlchemyError as exc:
        log.warning("health: the database does not answer: %s", describe_error(exc))
        return Health(
            status=HealthStatus.DOWN,
            database=False,
            last_successful_scan=None,
            last_scan_age_hours=None,
        )
    if run is None or run.finished_at is None:
        return Health(
            status=HealthStatus.DEGRADED,
            database=True,
            last_successful_scan=None,
            last_scan_age_hours=None,
        )
    age = now - run.finished_at
    return Health(
        status=HealthStatus.OK if age <= MAX_SCAN_AGE else HealthStatus.DEGRADED,
        database=True,
        last_successful_scan=run_read(run),
        last_scan_age_hours=round(age.total_seconds() / 3600, 3),
    )
