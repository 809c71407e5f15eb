"""The scheduler's jobs: the nightly scan, claimed once per date, its catch-up, and
housekeeping (RELIABILITY 9 and 11; RULES.md, "Time")."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from wage_guard.alerts.service import expire_holds
from wage_guard.config import ScanSettings
from wage_guard.context import AppContext
from wage_guard.db import utcnow
from wage_guard.jobs.claims import JobRun, run_claimed
from wage_guard.scan.rules import load_rules
from wage_guard.scan.schemas import ScanSummary
from wage_guard.scan.service import Guard, run_scan

log = logging.getLogger(__name__)

JOB = "nightly_scan"

# The least misfire grace, even when ``misfire_grace_hours`` is 0: a scheduled run starts a
# moment after its time, and APScheduler wants a grace of at least a second.
MIN_GRACE = timedelta(minutes=1)


def nightly_trigger(scan: ScanSettings) -> CronTrigger:
    """The cron of the nightly scan, read in ``scan.time_zone`` whatever the host's zone."""
    return CronTrigger.from_crontab(scan.cron, timezone=ZoneInfo(scan.time_zone))


def misfire_grace(scan: ScanSettings) -> timedelta:
    """How late a scheduled scan may still start: ``misfire_grace_hours``, at least a minute."""
    return max(timedelta(hours=scan.misfire_grace_hours), MIN_GRACE)


def local_date(scan: ScanSettings, moment: datetime) -> date:
    """The date of ``moment`` in ``scan.time_zone``."""
    return moment.astimezone(ZoneInfo(scan.time_zone)).date()


def scheduled_dates(scan: ScanSettings, *, since: datetime, until: datetime) -> list[date]:
    """The dates, in ``scan.time_zone``, of the cron's times from ``since`` to ``until``."""
    trigger = nightly_trigger(scan)
    dates: list[date] = []
    fire = trigger.get_next_fire_time(None, since)
    while fire is not None and fire <= until:
        day = local_date(scan, fire)
        if day not in dates:
            dates.append(day)
        fire = trigger.get_next_fire_time(fire, fire)
    return dates


def nightly_scan(app_context: AppContext, *, owner: str, as_of: date | None = None) -> JobRun:
    """Scan as of ``as_of`` (default today in ``scan.time_zone``) if this owner can claim it.

    The scan runs with trigger ``scheduled`` and the configured rule pack; every commit is
    fenced by the claim, so a run whose claim was taken over writes nothing more.
    """
    scan = app_context.settings.scan
    day = as_of or local_date(scan, utcnow())

    def work(guard: Guard) -> ScanSummary:
        rules = load_rules(scan.rule_dirs, replace_shipped=scan.replace_shipped_rules)
        return run_scan(
            app_context.engine, as_of=day, rules=rules, trigger="scheduled", guard=guard
        )

    return run_claimed(
        app_context.engine,
        job=JOB,
        as_of=day,
        owner=owner,
        lease=timedelta(minutes=scan.lease_minutes),
        work=work,
    )


def catch_up(
    app_context: AppContext,
    *,
    owner: str,
    now: datetime | None = None,
    include_today: bool = False,
) -> list[JobRun]:
    """Run the nightly scan of every date whose scheduled time came within the misfire grace
    before ``now`` (RELIABILITY 11), oldest first; ``include_today`` adds today's date even
    before its time (``wage-guard scheduler --once``).

    A date already scanned is skipped by its claim. The scheduler runs this both at its start
    and at each cron time, so a run that starts late still scans the date it was due for,
    even past midnight.
    """
    scan = app_context.settings.scan
    now = now or utcnow()
    dates = scheduled_dates(scan, since=now - misfire_grace(scan), until=now)
    if include_today:
        dates = sorted({*dates, local_date(scan, now)})
    return [nightly_scan(app_context, owner=owner, as_of=day) for day in dates]


def housekeeping(app_context: AppContext, *, now: datetime | None = None) -> int:
    """Expire acknowledgements and snoozes past their date back to open; returns how many."""
    with app_context.transaction() as session:
        expired = expire_holds(session, now=now or utcnow())
    if expired:
        log.info("housekeeping: %d acknowledged or snoozed alerts expired back to open", expired)
    return expired
