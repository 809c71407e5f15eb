"""The scheduler: its cron in Asia/Shanghai whatever the host's zone (RELIABILITY 12), its
jobs, its process stopping on a signal, and `scheduler --once` run by racing processes
(RELIABILITY 9, 10)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.jobs.conftest import MakeContext, on_postgresql_only, on_sqlite_only
from wage_guard.cli import app
from wage_guard.context import AppContext
from wage_guard.db import make_engine
from wage_guard.jobs.scheduler import build_scheduler, start_embedded
from wage_guard.scan.orm import ScanRun

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
WAGE_GUARD = Path(sys.executable).with_name("wage-guard")


@pytest.fixture
def host_in_new_york() -> Iterator[None]:
    """The process's local zone is New York for the test."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if saved is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = saved
    time.tzset()


@on_sqlite_only
def test_the_nightly_scan_is_due_at_two_in_shanghai_whatever_the_host_zone(
    context: AppContext, host_in_new_york: None
) -> None:
    assert time.strftime("%Z") in {"EST", "EDT"}
    scheduler = build_scheduler(context)
    scheduler.start(paused=True)
    try:
        job = scheduler.get_job("nightly_scan")
        next_run = job.next_run_time
        noon_in_new_york = datetime(2026, 3, 9, 12, 0, tzinfo=NEW_YORK)
        planned = job.trigger.get_next_fire_time(None, noon_in_new_york)
    finally:
        scheduler.shutdown()
    assert next_run.astimezone(SHANGHAI).time().isoformat() == "02:00:00"
    assert timedelta(0) < next_run - datetime.now(UTC) <= timedelta(days=1)
    assert planned == datetime(2026, 3, 10, 2, 0, tzinfo=SHANGHAI)
    assert planned.astimezone(NEW_YORK).hour == 14


@on_sqlite_only
def test_the_scheduler_jobs(make_context: MakeContext) -> None:
    scheduler = build_scheduler(make_context())
    scheduler.start(paused=True)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    scheduler.shutdown()
    assert set(jobs) == {"nightly_scan", "catch_up", "housekeeping"}
    nightly = jobs["nightly_scan"]
    assert (nightly.misfire_grace_time, nightly.coalesce, nightly.max_instances) == (
        12 * 3600,
        True,
        1,
    )
    assert jobs["housekeeping"].trigger.interval == timedelta(minutes=15)
    assert jobs["catch_up"].misfire_grace_time is None
    no_grace = build_scheduler(make_context(misfire_grace_hours=0))
    no_grace.start(paused=True)
    assert no_grace.get_job("nightly_scan").misfire_grace_time == 60
    no_grace.shutdown()


@on_sqlite_only
def test_the_server_embeds_the_scheduler_only_when_configured(make_context: MakeContext) -> None:
    assert start_embedded(make_context()) is None
    scheduler = start_embedded(make_context(embed_in_server=True, misfire_grace_hours=0))
    assert scheduler is not None
    try:
        assert scheduler.running
        assert scheduler.get_job("nightly_scan") is not None
    finally:
        scheduler.shutdown()


@on_sqlite_only
def test_scheduler_once_scans_today_then_skips_it(
    cli: CliRunner, empty_rules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAGE_GUARD_SCAN__RULE_DIRS", f'["{empty_rules}"]')
    monkeypatch.setenv("WAGE_GUARD_SCAN__REPLACE_SHIPPED_RULES", "true")
    today = datetime.now(SHANGHAI).date()
    first = cli.invoke(app, ["scheduler", "--once"])
    assert first.exit_code == 0, first.output
    assert first.output == f"{today}: succeeded, scan run 1 succeeded\n"
    again = cli.invoke(app, ["scheduler", "--once"])
    assert again.exit_code == 0, again.output
    assert again.output == f"{today}: skipped\n"


@on_sqlite_only
def test_scheduler_once_exits_1_when_the_scan_fails(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAGE_GUARD_SCAN__RULE_DIRS", f'["{tmp_path / "missing"}"]')
    result = cli.invoke(app, ["scheduler", "--once"])
    assert result.exit_code == 1
    assert ": failed: wage_guard.scan.rules.RuleError: " in result.output


def _environment(db_url: str, rules: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAGE_GUARD_")}
    env.update(
        WAGE_GUARD_DATABASE_URL=db_url,
        WAGE_GUARD_SCAN__RULE_DIRS=f'["{rules}"]',
        WAGE_GUARD_SCAN__REPLACE_SHIPPED_RULES="true",
        WAGE_GUARD_SCAN__MISFIRE_GRACE_HOURS="0",
    )
    return env


@on_sqlite_only
def test_the_scheduler_process_stops_on_sigterm(db_url: str, empty_rules: Path) -> None:
    process = subprocess.Popen(
        [WAGE_GUARD, "scheduler"],
        env=_environment(db_url, empty_rules),
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "Scheduler started" in line:
            break
    process.send_signal(signal.SIGTERM)
    _, rest = process.communicate(timeout=20)
    assert process.returncode == 0, rest
    assert "SIGTERM: stopping" in rest
    assert "scheduler stopped" in rest


@on_postgresql_only
def test_processes_running_scheduler_once_make_one_scan_run(db_url: str, empty_rules: Path) -> None:
    env = _environment(db_url, empty_rules)
    processes = [
        subprocess.Popen(
            [WAGE_GUARD, "scheduler", "--once"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    lines = sorted(out.strip().split(": ", 1)[1] for out, _ in outputs)
    assert lines[0].startswith("skipped")
    assert lines[1].startswith("succeeded, scan run ")
    engine = make_engine(db_url)
    with engine.connect() as conn:
        runs = conn.execute(sa.select(ScanRun.as_of, ScanRun.trigger)).all()
    engine.dispose()
    assert len(runs) == 1
    assert runs[0].trigger == "scheduled"
    assert runs[0].as_of == datetime.now(SHANGHAI).date()
