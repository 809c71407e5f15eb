"""The nightly scan, its catch-up after a night missed (RELIABILITY 11), and housekeeping."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.jobs.conftest import MakeContext, on_sqlite_only
from tests.jobs.recording import runs_recorded
from tests.scan.builders import load
from wage_guard.alerts.orm import Alert
from wage_guard.context import AppContext
from wage_guard.jobs.claims import Outcome
from wage_guard.jobs.nightly import JOB, catch_up, housekeeping, nightly_scan
from wage_guard.scan.orm import JobClaim

SHANGHAI = ZoneInfo("Asia/Shanghai")
NIGHT = date(2026, 3, 10)


def at(hour: int, minute: int = 0, day: date = NIGHT) -> datetime:
    """A moment of ``day`` in Shanghai."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def _claims(context: AppContext) -> dict[date, tuple[str, int | None]]:
    with Session(context.engine) as session:
        rows = session.scalars(sa.select(JobClaim).where(JobClaim.job == JOB))
        return {row.as_of: (row.status, row.scan_run_id) for row in rows}


def test_the_nightly_scan_runs_once_per_date(context: AppContext) -> None:
    first = nightly_scan(context, owner="a", as_of=NIGHT)
    assert first.outcome is Outcome.SUCCEEDED
    assert first.summary is not None
    assert (first.summary.as_of, first.summary.trigger, first.summary.status) == (
        NIGHT,
        "scheduled",
        "succeeded",
    )
    assert _claims(context) == {NIGHT: ("succeeded", first.summary.run_id)}
    assert nightly_scan(context, owner="b", as_of=NIGHT).outcome is Outcome.SKIPPED
    assert runs_recorded(context.engine, NIGHT) == 1


@on_sqlite_only
def test_the_nightly_scan_is_as_of_today_in_the_configured_zone(context: AppContext) -> None:
    before = datetime.now(SHANGHAI).date()
    run = nightly_scan(context, owner="a")
    assert run.as_of in {before, datetime.now(SHANGHAI).date()}
    assert run.summary is not None and run.summary.as_of == run.as_of


def test_a_scan_that_cannot_start_fails_its_claim_for_a_later_attempt(
    make_context: MakeContext, context: AppContext
) -> None:
    broken = make_context(rule_dirs=["/nonexistent/rules"])
    failed = nightly_scan(broken, owner="a", as_of=NIGHT)
    assert failed.outcome is Outcome.FAILED
    assert failed.error is not None and "not a folder of rules" in failed.error
    assert _claims(context) == {NIGHT: ("failed", None)}

    retried = nightly_scan(context, owner="b", as_of=NIGHT)
    assert retried.outcome is Outcome.SUCCEEDED
    assert runs_recorded(context.engine, NIGHT) == 1


@on_sqlite_only
def test_catch_up_runs_a_missed_night_and_not_a_night_already_done(context: AppContext) -> None:
    runs = catch_up(context, owner="a", now=at(5))
    assert [(run.as_of, run.outcome) for run in runs] == [(NIGHT, Outcome.SUCCEEDED)]
    again = catch_up(context, owner="b", now=at(6))
    assert [(run.as_of, run.outcome) for run in again] == [(NIGHT, Outcome.SKIPPED)]
    assert runs_recorded(context.engine, NIGHT) == 1


@on_sqlite_only
def test_catch_up_leaves_the_nights_beyond_the_grace(context: AppContext) -> None:
    assert catch_up(context, owner="a", now=at(14, 30)) == []  # 12.5 h after 02:00
    assert catch_up(context, owner="a", now=at(1, 30)) == []  # before tonight; last night 23.5 h
    assert _claims(context) == {}


@on_sqlite_only
def test_catch_up_reaches_back_as_far_as_the_grace(make_context: MakeContext) -> None:
    context = make_context(misfire_grace_hours=30)
    yesterday = NIGHT - timedelta(days=1)
    assert nightly_scan(context, owner="a", as_of=yesterday).outcome is Outcome.SUCCEEDED
    runs = catch_up(context, owner="b", now=at(5))
    assert [(run.as_of, run.outcome) for run in runs] == [
        (yesterday, Outcome.SKIPPED),
        (NIGHT, Outcome.SUCCEEDED),
    ]


@on_sqlite_only
def test_catch_up_can_include_today_before_its_time(context: AppContext) -> None:
    runs = catch_up(context, owner="a", now=at(1), include_today=True)
    assert [(run.as_of, run.outcome) for run in runs] == [(NIGHT, Outcome.SUCCEEDED)]


@on_sqlite_only
def test_housekeeping_expires_snoozes_past_their_date(context: AppContext) -> None:
    project_ids = load(context.engine, {"projects": [{"code": "P1"}]})
    now = at(10)
    with Session(context.engine) as session:
        session.add(
            Alert(
                rule_id="wages_unpaid",
                project_id=project_ids["P1"],
                subject="2026-01",
                fingerprint="wages_unpaid|P1|2026-01",
                open_key="wages_unpaid|P1|2026-01",
                level="yellow",
                status="snoozed",
                until=now - timedelta(hours=1),
            )
        )
        session.commit()
    assert housekeeping(context, now=now) == 1
    with Session(context.engine) as session:
        assert session.scalars(sa.select(Alert.status)).one() == "open"
    assert housekeeping(context, now=now) == 0
